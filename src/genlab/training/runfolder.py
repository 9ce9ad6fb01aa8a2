"""The run folder contract (DESIGN.md): config.json, metrics.jsonl, model.safetensors + model.json,
checkpoint/, samples/, figures/. Loading a finished run for evaluate/sample/plot/report lives here too."""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch

from genlab import __version__, io
from genlab.config import RunConfig
from genlab.errors import UsageError
from genlab.training import lock

CONFIG = "config.json"
METRICS = "metrics.jsonl"
MODEL = "model.safetensors"
MODEL_META = "model.json"
CHECKPOINT = "checkpoint/state.safetensors"
LOCK = ".lock"  # held while a run trains (train/lock.py); not part of a finished run
RUN_FILES = (CONFIG, METRICS, MODEL, MODEL_META, "checkpoint", "samples", "figures", "tensorboard")


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def versions() -> dict[str, str]:
    import numpy

    return {"genlab": __version__, "torch": torch.__version__, "numpy": numpy.__version__,
            "python": platform.python_version()}


def holds_run(run_dir: Path) -> bool:
    return (Path(run_dir) / CONFIG).exists()


def check(run_dir: Path, *, resume: bool, force: bool) -> None:
    """Refuse to mix two runs in one folder unless told to resume or overwrite; touches nothing."""
    run_dir = Path(run_dir)
    if resume and force:
        raise UsageError("--resume and --force: give one (continue the run in --out, or replace it)")
    if run_dir.exists() and not run_dir.is_dir():
        raise UsageError(f"--out {run_dir}: exists and is not a directory")
    if holds_run(run_dir) and not (resume or force):
        raise UsageError(f"--out {run_dir}: already holds a run; pass --resume to continue it or --force to "
                         "replace it")


REPLACED = ".replaced"        # under --force, the old run's files until the new run has saved once
MOVED = ".moved"              # in REPLACED: every file of the old run is in it
DISCARDED = ".replaced.delete"  # REPLACED renamed once the new run has saved: only deleting is left


class Replacement:
    """The folder's state while a run starts: under --force the old run's files wait in DIR/.replaced until
    the new run has saved once (`commit`), and come back if it fails before that (`rollback`); in a folder
    without a run, a failure before the first save removes only what the new run created (a retry is then
    not refused as "already holds a run", and nothing that was there before is touched).

    Every step is a rename or leaves a mark, so a process killed anywhere leaves a state the next `prepare`
    reads back (`recover`): DIR/.replaced without .moved: the old run is split between DIR and it, and nothing
    new was written yet; with .moved: the new run started (it saved if DIR holds model.safetensors); a
    DIR/.replaced.delete: the new run saved and the old one is being deleted."""

    def __init__(self, run_dir: Path, moved: list[str], *, existed: set[str]):
        self.run_dir, self.moved, self.existed = Path(run_dir), moved, existed
        self.open = True  # until commit or rollback

    @property
    def aside(self) -> Path:
        return self.run_dir / REPLACED

    def commit(self) -> None:
        if not self.open:
            return
        self.open = False  # first: an interrupted delete below must never lead to a rollback
        if self.aside.exists():
            self.aside.replace(self.run_dir / DISCARDED)
            shutil.rmtree(self.run_dir / DISCARDED, ignore_errors=True)

    def rollback(self) -> None:
        if not self.open:
            return
        self.open = False
        for name in RUN_FILES:  # what the new run created; files that were there before stay
            if name not in self.existed:
                _remove(self.run_dir / name)
        if self.aside.exists():
            (self.aside / MOVED).unlink(missing_ok=True)  # from here on a recovery only moves files back
            _restore(self.run_dir)


def _remove(target: Path) -> None:
    if target.is_dir():
        shutil.rmtree(target)
    elif target.exists():
        target.unlink()


def _restore(run_dir: Path) -> None:
    """Move every file in DIR/.replaced back into DIR, then drop it."""
    aside = run_dir / REPLACED
    for entry in aside.iterdir():
        if entry.name != MOVED and not (run_dir / entry.name).exists():
            entry.replace(run_dir / entry.name)
    shutil.rmtree(aside, ignore_errors=True)


def recover(run_dir: Path) -> None:
    """Finish what a killed `Replacement` left (see its docstring); a no-op in a folder it never touched."""
    run_dir = Path(run_dir)
    if (run_dir / DISCARDED).exists():
        shutil.rmtree(run_dir / DISCARDED, ignore_errors=True)
    aside = run_dir / REPLACED
    if not aside.exists():
        return
    if not (aside / MOVED).exists():
        _restore(run_dir)        # killed while moving the old run aside, or while giving it back
    elif (run_dir / MODEL).exists():
        shutil.rmtree(aside)     # the new run had saved: the old one was to go
    else:                        # the new run never saved: it is the one to go
        for name in RUN_FILES:
            _remove(run_dir / name)
        (aside / MOVED).unlink()
        _restore(run_dir)


def prepare(run_dir: Path, *, resume: bool, force: bool) -> Replacement:
    """`check`, then (--force) move the old run's files aside (DIR/.replaced) until the new run has saved:
    see `Replacement`. Call it only once nothing can refuse the run any more (config, data and task all
    built), and with the folder `locked`."""
    run_dir = Path(run_dir)
    recover(run_dir)
    check(run_dir, resume=resume, force=force)
    run_dir.mkdir(parents=True, exist_ok=True)
    moved: list[str] = []
    if force and not resume:
        aside = run_dir / REPLACED
        try:
            for name in RUN_FILES:
                if (run_dir / name).exists():
                    aside.mkdir(exist_ok=True)
                    (run_dir / name).replace(aside / name)
                    moved.append(name)
            if moved:
                (aside / MOVED).touch()
        except BaseException:  # SIGTERM or Ctrl-C halfway: nobody holds a Replacement yet, so put it back here
            recover(run_dir)
            raise
    existed = {name for name in RUN_FILES if (run_dir / name).exists()}
    if resume:  # a resumed run's files are its own: nothing to give back or remove on failure
        replacement = Replacement(run_dir, [], existed=set(RUN_FILES))
        replacement.open = False
        return replacement
    return Replacement(run_dir, moved, existed=existed)


@contextmanager
def locked(run_dir: Path) -> Iterator[None]:
    """Hold DIR/.lock while a run trains into DIR: a second process on DIR gets one UsageError line naming
    the holder. A folder made only to hold the lock is removed again if nothing else was written in it."""
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise UsageError(f"--out {run_dir}: exists and is not a directory")
    created = [d for d in (run_dir, *run_dir.parents) if not d.exists()]  # deepest first
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        held = lock.acquire(run_dir / LOCK)
    except lock.Held as exc:
        raise UsageError(f"--out {run_dir}: another genlab process ({exc.holder}) is training into it; wait "
                         "for it or pick another --out") from None
    except BaseException:
        _remove_if_empty(created)
        raise
    try:
        yield
    finally:
        held.release()
        _remove_if_empty(created)


def _remove_if_empty(folders: list[Path]) -> None:
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return  # not empty: the run wrote something (or another process did), keep it


def write_config(run_dir: Path, config: RunConfig, *, extra: dict | None = None) -> None:
    record = {"config": config.to_dict(), "seed": config.train.seed, "versions": versions(),
              "git_commit": git_commit(), "argv": sys.argv, "written": time.strftime("%Y-%m-%dT%H:%M:%S"),
              **(extra or {})}
    io.write_json(Path(run_dir) / CONFIG, record)


def read_config_dict(run_dir: Path) -> dict:
    path = Path(run_dir) / CONFIG
    if not path.exists():
        raise UsageError(f"{run_dir}: not a genlab run folder (no {CONFIG})")
    try:
        return json.loads(path.read_text())["config"]
    except (json.JSONDecodeError, KeyError, TypeError):
        raise UsageError(f"{path}: corrupt run config") from None


@dataclass
class LoadedRun:
    run_dir: Path
    config: RunConfig
    task: object           # genlab.training.task.Task with weights loaded, in eval mode
    meta: dict             # model.json


def load_run(run_dir: Path, *, device: torch.device) -> LoadedRun:
    """Rebuild a run's task from config.json + model.json and load model.safetensors (no pickle)."""
    from genlab.training import checkpoint, families
    from genlab.training.task import DataInfo

    run_dir = Path(run_dir)
    config = families.config_from_dict(read_config_dict(run_dir))
    meta_path = run_dir / MODEL_META
    if not meta_path.exists() or not (run_dir / MODEL).exists():
        raise UsageError(f"{run_dir}: holds no trained model yet ({MODEL} missing); train it first")
    try:
        meta = json.loads(meta_path.read_text())
        info = DataInfo(sample_shape=tuple(meta["sample_shape"]), num_classes=meta["num_classes"],
                        kind=meta["kind"], classes=tuple(meta["classes"]) if meta.get("classes") else None)
    except (json.JSONDecodeError, KeyError, TypeError):
        raise UsageError(f"{meta_path}: corrupt model metadata") from None
    task = families.build_task(config, info, device)
    tensors, file_meta = checkpoint.read_safetensors(run_dir / MODEL)
    from genlab.config import RESUMABLE_CHANGES, differences

    if differences(file_meta.get("config") or {}, config.to_dict(), ignore=RESUMABLE_CHANGES, common_only=True):
        raise UsageError(f"{run_dir / MODEL}: weights belong to another config than {run_dir / CONFIG}")
    checkpoint.load_module_tensors(task.modules, tensors, source=run_dir / MODEL)
    for module in task.modules.values():
        module.to(device).eval()
    return LoadedRun(run_dir=run_dir, config=config, task=task, meta=meta)
