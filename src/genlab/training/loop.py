"""The training loop shared by every family: data order, steps, logging, checkpoints and exact resume.

Data order is a pure function of (seed, epoch), and every random state lives in the checkpoint, so a run
killed at any point and resumed from its last checkpoint ends bit-identical to one never interrupted (CPU).
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from genlab import data as gdata
from genlab import io
from genlab.config import RESUMABLE_CHANGES, RunConfig, differences, flatten
from genlab.config.run import validation_items
from genlab.data.augment import augment
from genlab.errors import UsageError
from genlab.training import checkpoint, distributed, families, guards, runfolder, speed
from genlab.training import tensorboard as tb
from genlab.training.device import resolve_device, seed_everything
from genlab.training.progress import Progress
from genlab.training.task import DataInfo, Task, TrainingDiverged


@dataclass
class TrainResult:
    run_dir: Path
    step: int
    total_steps: int
    last_train: dict
    last_validation: dict   # the last epoch-end evaluation, on the validation split carved from train


def data_info(dataset) -> DataInfo:
    return DataInfo(sample_shape=tuple(dataset.sample_shape), num_classes=dataset.num_classes,
                    kind=dataset.kind, classes=dataset.classes)


def train(config: RunConfig, run_dir: Path, *, resume: bool = False, force: bool = False,
          progress: bool = True) -> TrainResult:
    """Train (or continue) the run in `run_dir` until `config.train` says stop.

    Under `torchrun` every rank calls this; rank 0 alone writes files, `--batch-size` is the global batch.
    """
    run_dir = Path(run_dir)
    device = resolve_device(config.train.device)
    dist_info = distributed.setup(device)
    finished = False
    try:
        result = _train(config, run_dir, device, dist_info, resume=resume, force=force, progress=progress)
        finished = True
        return result
    finally:
        distributed.teardown(dist_info, finished=finished)


def _train(config: RunConfig, run_dir: Path, device: torch.device, dist_info: distributed.DistInfo, *,
           resume: bool, force: bool, progress: bool) -> TrainResult:
    # Rank 0 alone holds the folder's lock (and alone writes); it is taken before anything is read or deleted.
    with runfolder.locked(run_dir) if dist_info.is_main else contextlib.nullcontext():
        return _train_locked(config, run_dir, device, dist_info, resume=resume, force=force, progress=progress)


def _train_locked(config: RunConfig, run_dir: Path, device: torch.device, dist_info: distributed.DistInfo, *,
                  resume: bool, force: bool, progress: bool) -> TrainResult:
    """Everything that can refuse the run (folder, resume config, data, task, options) runs before
    `runfolder.prepare` moves an old run aside under --force; only then is anything written (and the old run
    comes back if the new one fails before its first save)."""
    if dist_info.is_main:
        runfolder.recover(run_dir)  # what a killed --force left, made whole again before anything is read
        runfolder.check(run_dir, resume=resume, force=force)
    ckpt_path = run_dir / runfolder.CHECKPOINT
    resuming = resume and ckpt_path.exists()
    if resume and runfolder.holds_run(run_dir):
        _check_resumable(run_dir, config)
        if not resuming and (run_dir / runfolder.MODEL).exists():  # it saved once: restarting would erase it
            raise UsageError(f"--resume: {run_dir} holds a trained model but no {runfolder.CHECKPOINT} to "
                             "continue from; use --force to train it again, or another --out")
    if config.train.tensorboard and dist_info.is_main:
        tb.check_available()

    dataset = gdata.load(config.data.spec, image_size=config.data.image_size)
    # The validation split: a seeded draw from train, the same on every rank and on every --resume.
    held = validation_items(config.train.validation, len(dataset.train))
    # In place where the loaded set is ours alone: a big set (CelebA: 2 GB) is then never held twice
    dataset, validation = dataset.hold_out(held, seed=config.train.validation_seed, in_place=dataset.owns_tensors)
    distributed.check_world(dist_info, len(dataset.train), config.train.batch_size)
    info = data_info(dataset)
    seed_everything(config.train.seed)
    task = families.build_task(config, info, device)
    task.bind_data(dataset)
    if dist_info.enabled:
        torch.manual_seed(config.train.seed + 7919 * dist_info.rank)  # each rank its own noise stream
        task.distribute(lambda module: distributed.wrap(module, device))
    autocast = speed.configure(task, config.train, device)

    start, elapsed = 0, 0.0
    if resuming:
        meta, extra = checkpoint.restore(ckpt_path, modules=task.modules, optimizers=task.optimizers,
                                         device=device)
        rank_state = extra.pop(f"rng_rank_{dist_info.rank}", None)
        if dist_info.enabled and rank_state is not None and meta.get("world_size") == dist_info.world_size:
            torch.set_rng_state(rank_state)
        speed.load_scaler_state(task, extra)
        task.load_extra_state({k: v for k, v in extra.items() if not k.startswith(("rng_rank_", "amp_"))})
        start, elapsed = meta["step"], float(meta.get("elapsed_s", 0.0))
    loop = _Loop(config, task, dataset, info, run_dir, device, progress and dist_info.is_main, dist_info,
                 validation=validation, elapsed_s=elapsed)
    loop.autocast = autocast

    if resuming and start >= loop.total:  # already there: nothing to train, and config.json stays true
        return TrainResult(run_dir, start, loop.total, {}, {})
    if dist_info.is_main:
        guards.preflight(task)
    replacement = None
    try:
        with guards.sigterm_raises():  # a scheduler's kill gives the old run back too, as Ctrl-C does
            if dist_info.is_main:
                replacement = runfolder.prepare(run_dir, resume=resume, force=force)
                loop.on_saved = replacement.commit
                if resume:  # from the checkpoint's step, or from 0 when there is none: no step is logged twice
                    _truncate_metrics(run_dir, start)
                runfolder.write_config(run_dir, config, extra={
                    "world_size": dist_info.world_size,
                    "validation": {"items": len(validation), "seed": config.train.validation_seed,
                                   "train_items": len(dataset.train), "carved_from": "train"}})
                if config.train.tensorboard:
                    loop.board = tb.Board(run_dir, purge_step=start + 1 if resume else None)
            distributed.barrier(dist_info)
            return loop.run(start)
    except BaseException as exc:
        if loop.board is not None:
            loop.board.close()
            loop.board = None
        if replacement is not None and replacement.open:
            replacement.rollback()
            if isinstance(exc, TrainingDiverged):  # its "last good checkpoint" is not this run's: none was saved
                raise TrainingDiverged(f"{str(exc).split('; stopped')[0]}; stopped before the run's first save, "
                                       f"so {run_dir} is as it was before (try a lower --lr)") from None
        raise
    finally:
        if loop.board is not None:
            loop.board.close()


def _check_resumable(run_dir: Path, config: RunConfig) -> None:
    old = runfolder.read_config_dict(run_dir)
    if old.get("family") != config.family:
        raise UsageError(f"--resume: {run_dir} holds a {old.get('family')} run, not {config.family}; train "
                         f"{old.get('family')} to continue it, or use another --out")
    changed = differences(old, config.to_dict(), ignore=RESUMABLE_CHANGES)
    newer = sorted(set(flatten(config.to_dict())) - set(flatten(old)) - RESUMABLE_CHANGES)
    if newer:  # its config predates options genlab has since; whether it ran as their defaults is unknown
        raise UsageError(f"--resume: {run_dir} was trained by an older genlab, before the options "
                         f"{', '.join(newer[:6])} existed; it cannot be continued exactly: use --force to "
                         "train it again")
    if changed:
        shown = ", ".join(changed[:6])
        raise UsageError(f"--resume: {run_dir} was trained with a different config ({shown}); repeat the "
                         "original options or use --force to start over")


def _truncate_metrics(run_dir: Path, step: int) -> None:
    """Drop rows logged after the checkpoint we resume from, so no step appears twice. Rewriting keeps only
    whole rows, so a last line torn by a crash (half a JSON object, no newline) goes too."""
    path = run_dir / runfolder.METRICS
    if not path.exists():
        return
    rows = [r for r in io.read_jsonl(path) if _row_step(r) is not None and _row_step(r) <= step]
    io.write_text(path, "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))


def _row_step(row) -> int | None:
    """A row's step, or None for anything that is not a row we wrote (a stray number, a row without one)."""
    step = row.get("step") if isinstance(row, dict) else None
    return step if isinstance(step, int) and not isinstance(step, bool) else None


EVAL_CHUNK_VALUES = 1000 * 1024  # values per evaluation chunk: 1000 images of 32x32 (or 28x28), 83 of 64x64x3


def evaluate_split(task: Task, split, *, take: int, device: torch.device, chunk: int | None = None) -> dict:
    """`task.evaluate` over the first `take` items in chunks (bounded memory), as item-weighted means.
    The default chunk shrinks with the item size: a conv net's activations for 1000 CelebA images at 64x64
    take about 0.8 GB, more than the whole 2 GB set's share of memory allows."""
    if chunk is None:
        values_per_item = split.images[0].numel() if len(split) else 1
        chunk = max(1, min(1000, EVAL_CHUNK_VALUES // values_per_item))
    sums: dict[str, float] = {}
    for start in range(0, take, chunk):
        stop = min(take, start + chunk)
        x = gdata.to_float(split.images[start:stop].to(device))
        y = split.labels[start:stop].to(device) if split.labels is not None else None
        for key, value in task.evaluate(x, y).items():
            sums[key] = sums.get(key, 0.0) + float(value) * (stop - start)
    return {k: v / take for k, v in sums.items()}


class _Loop:
    def __init__(self, config: RunConfig, task: Task, dataset, info: DataInfo, run_dir: Path,
                 device: torch.device, progress: bool, dist_info: distributed.DistInfo, *,
                 validation, elapsed_s: float = 0.0):
        self.config, self.task, self.info, self.run_dir, self.device = config, task, info, run_dir, device
        self.dist = dist_info
        tc = config.train
        if tc.batch_size < 1:
            raise UsageError(f"--batch-size {tc.batch_size}: must be at least 1")
        self.images = dataset.train.images.to(device)
        self.labels = dataset.train.labels.to(device) if dataset.train.labels is not None else None
        self.validation = validation
        self.board: tb.Board | None = None
        self.on_saved = None  # called after every save (a --force replacement is committed by the first)
        self._elapsed_before = elapsed_s   # seconds this run trained before a --resume
        self._t_start = time.perf_counter()
        n = len(dataset.train)
        if n == 0:
            raise UsageError(f"--data {config.data.spec}: the train split is empty")
        if (config.data.flip or config.data.shift) and dataset.kind != "image":
            raise UsageError(f"--flip/--shift augment images; --data {config.data.spec} is {dataset.kind} data")
        self.steps_per_epoch = math.ceil(n / tc.batch_size)
        # Tiny datasets have many short epochs: evaluate and checkpoint every k-th epoch end so that this
        # happens about every checkpoint_every steps (k = 1 for real datasets).
        self.epochs_per_eval = max(1, tc.checkpoint_every // self.steps_per_epoch)
        self.total = tc.epochs * self.steps_per_epoch
        if tc.max_steps is not None:
            self.total = min(self.total, tc.max_steps) if tc.epochs else tc.max_steps
        self.progress_enabled = progress
        self._sums: dict[str, torch.Tensor] = {}
        self._count = 0
        self._images_seen = 0
        self._t_window = time.perf_counter()
        self.last_train: dict = {}
        self.last_validation: dict = {}
        self.schedule = gdata.BatchSchedule(n, tc.batch_size, seed=tc.seed, device=device)

    def _batch(self, step: int):
        epoch, idx = self.schedule(step)
        if self.dist.enabled:  # this rank's share of the global batch
            idx = idx.tensor_split(self.dist.world_size)[self.dist.rank]
        x = gdata.to_float(self.images.index_select(0, idx))  # index_select: ~7x faster than [idx] here
        y = self.labels.index_select(0, idx) if self.labels is not None else None
        data = self.config.data
        if data.flip or data.shift:  # keyed on (seed, step): a resumed run sees the same augmented batches
            x = augment(x, flip=data.flip, shift=data.shift, seed=self.config.train.seed, step=step)
        return epoch, x, y

    def run(self, start: int) -> TrainResult:
        bar = Progress(total=self.total, initial=start, desc=f"train {self.config.family}",
                       enabled=self.progress_enabled)
        step = start
        self._t_start = time.perf_counter()
        self._set_training(True)
        try:
            while step < self.total:
                epoch, x, y = self._batch(step)
                with self.autocast():
                    metrics = self.task.train_step(x, y, step)
                step += 1
                self._accumulate(metrics, len(x))
                epoch_work = (step % self.steps_per_epoch == 0 and (step // self.steps_per_epoch)
                              % self.epochs_per_eval == 0) or step == self.total
                if step % self.config.train.log_every == 0 or epoch_work:
                    bar.update(0, self._flush(step, epoch))
                if epoch_work:
                    self._end_epoch(step, epoch, final=step == self.total)
                    self._set_training(True)
                elif step % self.config.train.checkpoint_every == 0:
                    self._save(step)
                bar.update(1)
        finally:
            bar.close()
        return TrainResult(self.run_dir, step, self.total, self.last_train, self.last_validation)

    def elapsed_s(self) -> float:
        """Seconds of training since the run started, across --resume (the checkpoint keeps the total)."""
        return self._elapsed_before + time.perf_counter() - self._t_start

    def _write_row(self, row: dict) -> None:
        """Append one metrics row, stamped with `time` (unix seconds) and `elapsed_s`; rank 0 only."""
        if not self.dist.is_main:
            return
        row = {**row, "time": round(time.time(), 3), "elapsed_s": round(self.elapsed_s(), 3)}
        io.append_jsonl(self.run_dir / runfolder.METRICS, row)
        if self.board is not None:
            self.board.row(row)

    def _set_training(self, mode: bool) -> None:
        # Only at transitions: module.train() walks every submodule, a visible cost per step on small nets.
        for module in self.task.modules.values():
            module.train(mode)

    def _accumulate(self, metrics: dict[str, torch.Tensor], batch: int) -> None:
        for key, value in metrics.items():
            value = value.detach().float()
            self._sums[key] = self._sums[key] + value if key in self._sums else value
        self._count += 1
        self._images_seen += batch

    def _flush(self, step: int, epoch: int) -> dict[str, float]:
        """Write one train row (means since the last row); stop here if anything went non-finite."""
        if not self._count:
            return self.last_train
        sums = distributed.mean_across_ranks(self._sums, self.dist)
        means = {k: float(v) / self._count for k, v in sums.items()}
        bad = [k for k, v in means.items() if not math.isfinite(v)]
        if bad:
            raise TrainingDiverged(
                f"non-finite {', '.join(bad)} before step {step}; stopped, the last good checkpoint in "
                f"{self.run_dir / 'checkpoint'} is kept (try a lower --lr)")
        elapsed = time.perf_counter() - self._t_window
        row = {"step": step, "epoch": epoch, "split": "train", **means,
               "images_per_s": self._images_seen * self.dist.world_size / max(elapsed, 1e-9)}
        self._write_row(row)
        self._sums, self._count, self._images_seen = {}, 0, 0
        self._t_window = time.perf_counter()
        self.last_train = means
        return means

    def _end_epoch(self, step: int, epoch: int, *, final: bool) -> None:
        self._set_training(False)
        part = self.validation.evenly(self.config.train.eval_limit)  # spread out: a sorted set's first N is one class
        if len(part):
            self.last_validation = evaluate_split(self.task, part, take=len(part), device=self.device)
            if self.last_validation:
                self._write_row({"step": step, "epoch": epoch, "split": "validation", **self.last_validation})
        if self.dist.is_main:
            before = tb.snapshot(self.run_dir / "samples") if self.board is not None else {}
            self.task.epoch_end(epoch, self.run_dir)
            if self.board is not None:
                self.board.grids(before, self.run_dir / "samples", step=step)
        self._save(step)

    def _save(self, step: int) -> None:
        """Checkpoint + latest model, only if every floating tensor in it is finite: weights, optimizer state
        and extra state alike. Adam's exp_avg_sq overflows to inf while the weights stay finite (the update
        is m / sqrt(inf) = 0), and a checkpoint holding it would diverge again at once on resume."""
        state = {**self.task.extra_state(), **speed.scaler_state(self.task)}
        # Every rank checks (before the collective below), so all stop together.
        bad = checkpoint.first_non_finite(checkpoint.state_items(
            modules=self.task.modules, optimizers=self.task.optimizers, extra=state))
        if bad is not None:
            raise TrainingDiverged(f"non-finite values in '{bad}' at step {step}; stopped, the last good "
                                   f"checkpoint in {self.run_dir / 'checkpoint'} is kept (try a lower --lr)")
        epoch = (step - 1) // self.steps_per_epoch if step else 0
        rng_states = distributed.gather_rng_states(self.dist)  # a collective: every rank takes part
        if not self.dist.is_main:
            return
        meta = {"step": step, "epoch": epoch, "config": self.config.to_dict(),
                "world_size": self.dist.world_size, "elapsed_s": self.elapsed_s()}
        extra = {**state, **{f"rng_rank_{r}": s for r, s in enumerate(rng_states)}}
        checkpoint.save(self.run_dir / runfolder.CHECKPOINT, modules=self.task.modules,
                        optimizers=self.task.optimizers, extra=extra, meta=meta)
        checkpoint.write_safetensors(self.run_dir / runfolder.MODEL, checkpoint.module_tensors(self.task.modules),
                                     meta)
        io.write_json(self.run_dir / runfolder.MODEL_META, {
            "family": self.config.family, "config": self.config.to_dict(), "step": step, "epoch": epoch,
            "total_steps": self.total, "sample_shape": list(self.info.sample_shape),
            "num_classes": self.info.num_classes, "kind": self.info.kind,
            "classes": list(self.info.classes) if self.info.classes else None})
        if self.on_saved is not None:
            self.on_saved()
