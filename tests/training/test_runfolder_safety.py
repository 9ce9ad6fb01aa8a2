"""A run folder nothing can corrupt: a refused --force keeps the old run, one process trains into a folder at a
time (and a killed one does not block it), a checkpoint holds only finite state, a torn metrics line does not
stop --resume."""

import dataclasses
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from genlab import data as gdata
from genlab import io
from genlab.errors import UsageError
from genlab.training import checkpoint, families, lock, loop, runfolder
from tests.conftest import assert_one_line_error, run_cli
from tests.training.test_vae_cli import Result  # genlab.cli.main in this process

TINY_VAE = ["--data", "digits", "--hidden", "16", "--latent-dim", "2", "--batch-size", "64", "--max-steps", "3",
            "--quiet"]
TINY_AE = ["--data", "digits", "--hidden", "32", "--latent-dim", "4", "--batch-size", "16", "--quiet"]



def _hashes(run_dir):
    return {str(p.relative_to(run_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(run_dir.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def vae_source(tmp_path_factory):
    run = tmp_path_factory.mktemp("vae") / "run"
    run_cli("train", "vae", *TINY_VAE, "--out", str(run), check=True)
    return run


@pytest.fixture
def vae_run(vae_source, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(vae_source, run)
    return run


# --- nothing is deleted or written before the run is known to start ---------------------------------------

@pytest.mark.parametrize("bad", [["--beta", "-1"], ["--latent-dim", "0"], ["--data", "no-such-set"]])
def test_a_refused_force_keeps_the_old_run_byte_identical(vae_run, capsys, bad):
    before = _hashes(vae_run)
    assert "model.safetensors" in before and "checkpoint/state.safetensors" in before
    proc = Result(["train", "vae", *TINY_VAE, "--out", str(vae_run), "--force", *bad], capsys)
    assert_one_line_error(proc, contains=bad[1])
    assert _hashes(vae_run) == before
    assert not (vae_run / runfolder.LOCK).exists()


@pytest.mark.parametrize("where", ["data.load", "check_world", "build_task", "bind_data", "epoch_end", "configure",
                                   "loop"])
def test_every_refusal_in_train_comes_before_force_deletes(vae_run, monkeypatch, where):
    """Whatever step of setting up refuses the run (data, world size, task, its data, precision, the loop's own
    checks), --force has not deleted anything yet: the old run is untouched."""
    config = families.config_from_dict(runfolder.read_config_dict(vae_run))

    def refuse(*args, **kwargs):
        raise UsageError(f"refused in {where}")

    targets = {"data.load": (gdata, "load"), "check_world": (loop.distributed, "check_world"),
               "build_task": (families, "build_task"), "configure": (loop.speed, "configure"),
               "loop": (loop._Loop, "__init__")}
    if where in ("bind_data", "epoch_end"):  # epoch_end: the pre-flight of the epoch-end work
        real_build = families.build_task

        def build(*args, **kwargs):
            task = real_build(*args, **kwargs)
            setattr(task, where, refuse)
            return task

        monkeypatch.setattr(families, "build_task", build)
    else:
        monkeypatch.setattr(*targets[where], refuse)
    before = _hashes(vae_run)
    with pytest.raises(UsageError, match=f"refused in {where}"):
        loop.train(config, vae_run, force=True, progress=False)
    assert _hashes(vae_run) == before


def test_a_refused_run_into_a_new_folder_leaves_no_folder(tmp_path, capsys):
    out = tmp_path / "a" / "b"
    assert_one_line_error(Result(["train", "vae", *TINY_VAE, "--data", "no-such-set", "--out", str(out)], capsys))
    assert not (tmp_path / "a").exists()


# --- one process per run folder ----------------------------------------------------------------------------

def _wait_for_lock(run_dir, proc, timeout=120):
    """Until the process has taken its lock and written its pid into it."""
    deadline = time.time() + timeout
    path = run_dir / runfolder.LOCK
    while time.time() < deadline and proc.poll() is None:
        if path.exists() and path.read_text().split()[:1] == [str(proc.pid)]:
            return
        time.sleep(0.02)
    raise AssertionError(f"no lock from pid {proc.pid} (exit {proc.poll()})")


def test_a_second_process_on_a_folder_in_use_exits_2_naming_the_holder(tmp_path, capsys):
    run = tmp_path / "run"
    args = ["train", "ae", *TINY_AE, "--epochs", "0", "--max-steps", "1500", "--checkpoint-every", "200",
            "--log-every", "50", "--eval-limit", "100", "--out", str(run)]
    first = subprocess.Popen([sys.executable, "-m", "genlab", *args], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_lock(run, first)
        for extra in (["--force"], ["--resume"], []):
            proc = Result([*args, "--max-steps", "5", *extra], capsys)
            assert_one_line_error(proc, contains=f"another genlab process (pid {first.pid})")
            assert f"--out {run}" in proc.stderr
        assert first.poll() is None, "the first run finished before the others were refused; make it longer"
        out, err = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, err
    assert json.loads(out)["step"] == 1500
    assert not (run / runfolder.LOCK).exists()
    meta = json.loads((run / runfolder.MODEL_META).read_text())
    assert meta["step"] == 1500
    steps = [r["step"] for r in io.read_jsonl(run / runfolder.METRICS) if r["split"] == "train"]
    assert steps == sorted(set(steps)) and steps[-1] == 1500 and set(range(50, 1501, 50)) <= set(steps)
    checkpoint.read_safetensors(run / runfolder.CHECKPOINT)  # readable, genlab's own


def test_a_lock_left_by_a_killed_process_does_not_block_the_next_run(tmp_path, capsys):
    run = tmp_path / "run"
    holder = ("import os, signal, sys; from genlab.training import runfolder\n"
              "with runfolder.locked(sys.argv[1]):\n"
              "    os.kill(os.getpid(), signal.SIGKILL)\n")
    proc = subprocess.Popen([sys.executable, "-c", holder, str(run)], stderr=subprocess.PIPE, text=True)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, err
    assert (run / runfolder.LOCK).read_text().split()[0] == str(proc.pid)  # left behind, naming the dead pid
    result = Result(["train", "ae", *TINY_AE, "--max-steps", "2", "--out", str(run)], capsys)
    assert result.returncode == 0, result.stderr
    assert (run / runfolder.MODEL).exists() and not (run / runfolder.LOCK).exists()


def test_lock_is_exclusive_names_its_holder_and_is_gone_after_release(tmp_path):
    path = tmp_path / "x.lock"
    held = lock.acquire(path)
    with pytest.raises(lock.Held, match=f"pid {os.getpid()}"):
        lock.acquire(path)  # another open file: refused even within one process
    held.release()
    assert not path.exists()
    lock.acquire(path).release()


def test_a_run_that_fails_while_training_releases_its_lock(tmp_path, capsys):
    run = tmp_path / "run"
    result = Result(["train", "ae", *TINY_AE, "--max-steps", "5", "--lr", "1e8", "--checkpoint-every", "1",
                     "--out", str(run)], capsys)
    assert result.returncode == 2
    assert not (run / runfolder.LOCK).exists()
    assert Result(["train", "ae", *TINY_AE, "--max-steps", "2", "--out", str(run), "--force"],
                  capsys).returncode == 0


# --- a checkpoint holds only finite state ------------------------------------------------------------------

def test_non_finite_optimizer_state_is_found_though_the_weights_are_finite():
    net = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    net(torch.ones(1, 3)).sum().backward()
    opt.step()
    items = dict(checkpoint.state_items(modules={"net": net}, optimizers={"net": opt},
                                        extra={"ema": torch.zeros(2)}))
    assert "optim.net.0.exp_avg_sq" in items and "extra.ema" in items and "net.weight" in items
    assert checkpoint.first_non_finite(items.items()) is None
    opt.state[net.weight]["exp_avg_sq"][0, 1] = float("inf")
    assert checkpoint.first_non_finite(checkpoint.state_items(modules={"net": net}, optimizers={"net": opt})) \
        == "optim.net.0.exp_avg_sq"
    assert checkpoint.first_non_finite([("extra.ema", torch.tensor([0.0, float("nan")]))]) == "extra.ema"


def test_divergence_keeps_a_checkpoint_that_resumes_cleanly_with_a_lower_lr(tmp_path, capsys):
    """lr 1e8: Adam's exp_avg_sq overflows to inf (the weights stay finite, the update is m/sqrt(inf) = 0);
    the run must stop before a checkpoint holds it."""
    run = tmp_path / "run"
    result = Result(["train", "ae", *TINY_AE, "--batch-size", "32", "--epochs", "1", "--lr", "1e8",
                     "--checkpoint-every", "1", "--log-every", "10", "--out", str(run)], capsys)
    assert_one_line_error(result, contains="exp_avg_sq")
    assert "last good checkpoint" in result.stderr
    for name in (runfolder.CHECKPOINT, runfolder.MODEL):
        tensors, _ = checkpoint.read_safetensors(run / name)
        bad = [k for k, v in tensors.items() if v.is_floating_point() and not torch.isfinite(v).all()]
        assert not bad, (name, bad)

    # Resume from it at the Python level with lr 1e-3 (train.lr is not a resumable change on the CLI).
    config = families.config_from_dict(runfolder.read_config_dict(run))
    config = dataclasses.replace(config, train=dataclasses.replace(config.train, lr=1e-3))
    dataset = gdata.load("digits")
    task = families.build_task(config, loop.data_info(dataset), torch.device("cpu"))
    task.bind_data(dataset)
    meta, _ = checkpoint.restore(run / runfolder.CHECKPOINT, modules=task.modules, optimizers=task.optimizers,
                                 device=torch.device("cpu"))
    assert checkpoint.first_non_finite(checkpoint.state_items(modules=task.modules,
                                                              optimizers=task.optimizers)) is None
    for opt in task.optimizers.values():
        for group in opt.param_groups:
            group["lr"] = 1e-3
    x = gdata.to_float(dataset.train.images[:32])
    for step in range(meta["step"], meta["step"] + 10):
        losses = task.train_step(x, None, step)
        assert all(torch.isfinite(v).all() for v in losses.values()), (step, losses)


# --- a torn metrics.jsonl ----------------------------------------------------------------------------------

def test_resume_after_a_torn_metrics_line_keeps_whole_rows_and_continues(tmp_path, capsys):
    run = tmp_path / "run"
    args = ["train", "ae", *TINY_AE, "--epochs", "0", "--checkpoint-every", "4", "--log-every", "1",
            "--out", str(run)]
    assert Result([*args, "--max-steps", "8"], capsys).returncode == 0
    metrics = run / runfolder.METRICS
    # a crash after step 8's checkpoint: rows 9 and 10 written, row 11 cut mid-object (no newline)
    last_train = [r for r in io.read_jsonl(metrics) if r["split"] == "train"][-1]
    extra = [{**last_train, "step": s} for s in (9, 10)]
    with open(metrics, "a") as f:
        f.write("".join(json.dumps(r) + "\n" for r in extra) + '{"step": 11, "epoch": 0, "spl')
    result = Result([*args, "--max-steps", "12", "--resume"], capsys)
    assert result.returncode == 0, result.stderr
    lines = metrics.read_text().splitlines()
    assert metrics.read_text().endswith("\n")
    parsed = [json.loads(line) for line in lines]  # every line whole
    train_steps = [r["step"] for r in parsed if r["split"] == "train"]
    assert train_steps == list(range(1, 13))


def test_append_after_a_torn_line_starts_a_fresh_line(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text('{"step": 1}\n{"step": 2, "ep')
    io.append_jsonl(path, {"step": 3})
    assert path.read_text() == '{"step": 1}\n{"step": 2, "ep\n{"step": 3}\n'
    assert [r["step"] for r in io.read_jsonl(path)] == [1, 3]
    io.append_jsonl(path, {"step": 4})  # after a whole line: no blank line in between
    assert path.read_text().endswith('{"step": 3}\n{"step": 4}\n')


def test_truncate_ignores_torn_garbage_and_rows_that_are_not_ours(tmp_path):
    path = tmp_path / runfolder.METRICS
    path.write_bytes(b'{"step": 1, "split": "train"}\n7\n{"split": "x"}\n{"step": 5, "split": "train"}\n'
                     b'{"step": 2, "spl\xff\xfe\x00\x00')
    loop._truncate_metrics(tmp_path, 3)
    assert path.read_text() == '{"split": "train", "step": 1}\n'


def test_resume_without_a_checkpoint_starts_over_without_logging_a_step_twice(tmp_path, capsys):
    run = tmp_path / "run"
    args = ["train", "ae", *TINY_AE, "--epochs", "0", "--max-steps", "4", "--log-every", "1", "--out", str(run)]
    assert Result(args, capsys).returncode == 0
    shutil.rmtree(run / "checkpoint")  # killed before its first save, as it were: no checkpoint, no model
    (run / runfolder.MODEL).unlink()
    (run / runfolder.MODEL_META).unlink()
    assert Result([*args, "--resume"], capsys).returncode == 0
    steps = [r["step"] for r in io.read_jsonl(run / runfolder.METRICS) if r["split"] == "train"]
    assert steps == [1, 2, 3, 4]


# --- --force and --resume never cost a run it did not replace ---------------------------------------------

def _fail_at_first_epoch_end(monkeypatch):
    def fail(self, *args, **kwargs):
        raise UsageError("failed at the first epoch end")

    monkeypatch.setattr(loop._Loop, "_end_epoch", fail)


def test_a_force_run_that_fails_before_its_first_save_gives_the_old_run_back(vae_run, capsys, monkeypatch):
    before = _hashes(vae_run)
    _fail_at_first_epoch_end(monkeypatch)
    assert_one_line_error(Result(["train", "vae", *TINY_VAE, "--out", str(vae_run), "--force", "--seed", "3"],
                                 capsys), contains="first epoch end")
    assert _hashes(vae_run) == before
    assert not (vae_run / runfolder.REPLACED).exists()


def test_a_force_run_that_saved_once_has_replaced_the_old_run(vae_run, capsys):
    old_config = (vae_run / runfolder.CONFIG).read_text()
    assert Result(["train", "vae", *TINY_VAE, "--out", str(vae_run), "--force", "--seed", "3"],
                  capsys).returncode == 0
    assert (vae_run / runfolder.CONFIG).read_text() != old_config
    assert json.loads((vae_run / runfolder.CONFIG).read_text())["seed"] == 3
    assert not (vae_run / runfolder.REPLACED).exists()


def test_a_force_killed_before_its_first_save_still_has_the_old_run_for_the_next_force(vae_run, capsys,
                                                                                       monkeypatch):
    """SIGKILL runs no rollback: the old run waits in DIR/.replaced, and the next --force puts it back before
    replacing it, so a failure of that one too still leaves the original run."""
    before = _hashes(vae_run)
    runfolder.prepare(vae_run, resume=False, force=True)  # what the killed process had done
    (vae_run / runfolder.CONFIG).write_text('{"config": {}}')  # and the new run's first file
    _fail_at_first_epoch_end(monkeypatch)
    assert Result(["train", "vae", *TINY_VAE, "--out", str(vae_run), "--force"], capsys).returncode == 2
    assert _hashes(vae_run) == before


def test_a_new_run_that_fails_before_its_first_save_leaves_the_folder_free(tmp_path, capsys, monkeypatch):
    run = tmp_path / "run"
    _fail_at_first_epoch_end(monkeypatch)
    assert Result(["train", "vae", *TINY_VAE, "--out", str(run)], capsys).returncode == 2
    assert not run.exists() or not any(run.iterdir())
    monkeypatch.undo()
    assert Result(["train", "vae", *TINY_VAE, "--out", str(run)], capsys).returncode == 0  # no --force needed


def test_resume_refuses_a_run_with_weights_but_no_checkpoint_and_keeps_its_history(vae_run, capsys):
    shutil.rmtree(vae_run / "checkpoint")
    before = _hashes(vae_run)
    assert_one_line_error(Result(["train", "vae", *TINY_VAE, "--max-steps", "6", "--out", str(vae_run),
                                  "--resume"], capsys), contains="no checkpoint")
    assert _hashes(vae_run) == before


def test_resume_with_another_family_names_both(vae_run, capsys):
    before = _hashes(vae_run)
    assert_one_line_error(Result(["train", "ae", *TINY_AE, "--max-steps", "6", "--out", str(vae_run), "--resume"],
                                 capsys), contains="holds a vae run, not ae")
    assert _hashes(vae_run) == before


def test_resume_to_a_step_the_run_has_passed_changes_nothing(vae_run, capsys):
    before = _hashes(vae_run)
    args = [a if a != "3" else "2" for a in TINY_VAE]  # --max-steps 2 on a run at step 3
    result = Result(["train", "vae", *args, "--out", str(vae_run), "--resume"], capsys)
    assert result.returncode == 0
    assert _hashes(vae_run) == before  # config.json still says what the weights are


def test_a_folder_without_a_test_split_trains_its_grids_from_train_images(tmp_path, capsys):
    from PIL import Image

    folder = tmp_path / "one"
    folder.mkdir()
    Image.new("L", (28, 28), 128).save(folder / "0.png")
    run = tmp_path / "run"
    result = Result(["train", "vae", "--data", f"folder:{folder}", "--hidden", "8", "--latent-dim", "2",
                     "--max-steps", "2", "--quiet", "--out", str(run)], capsys)
    assert result.returncode == 0, result.stderr
    assert (run / runfolder.MODEL).exists() and list((run / "samples").glob("*.png"))


def test_a_failed_run_in_a_folder_without_a_run_leaves_what_was_there_before(tmp_path, capsys, monkeypatch):
    run = tmp_path / "project"
    (run / "samples").mkdir(parents=True)
    (run / "samples" / "mine.txt").write_text("mine")
    (run / "notes.md").write_text("notes")
    _fail_at_first_epoch_end(monkeypatch)
    assert Result(["train", "vae", *TINY_VAE, "--out", str(run)], capsys).returncode == 2
    assert (run / "samples" / "mine.txt").read_text() == "mine" and (run / "notes.md").read_text() == "notes"
    assert not (run / runfolder.CONFIG).exists() and not (run / runfolder.METRICS).exists()


def test_a_failure_while_writing_the_new_config_gives_the_old_run_back(vae_run, capsys, monkeypatch):
    before = _hashes(vae_run)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(runfolder, "write_config", disk_full)
    assert Result(["train", "vae", *TINY_VAE, "--out", str(vae_run), "--force"], capsys).returncode != 0
    assert _hashes(vae_run) == before


def _old_run_split(run, *, moved: tuple[str, ...], marked: bool):
    aside = run / runfolder.REPLACED
    aside.mkdir()
    for name in moved:
        if (run / name).exists():
            (run / name).replace(aside / name)
    if marked:
        (aside / runfolder.MOVED).touch()


@pytest.mark.parametrize("state", ["killed while moving aside", "killed while giving back",
                                   "new run never saved", "new run saved", "killed while deleting the old run"])
def test_recover_makes_every_killed_state_whole(vae_run, state):
    before = _hashes(vae_run)
    if state in ("killed while moving aside", "killed while giving back"):  # part moved, no mark
        _old_run_split(vae_run, moved=(runfolder.CONFIG, runfolder.METRICS), marked=False)
    elif state == "new run never saved":
        _old_run_split(vae_run, moved=runfolder.RUN_FILES[:7], marked=True)
        (vae_run / runfolder.CONFIG).write_text('{"config": {}}')
        (vae_run / "samples").mkdir()
    else:
        shutil.copytree(vae_run, vae_run.parent / "new")
        _old_run_split(vae_run, moved=runfolder.RUN_FILES[:7], marked=True)
        for name in runfolder.RUN_FILES[:7]:  # the new run, saved
            src = vae_run.parent / "new" / name
            if src.exists():
                (shutil.copytree if src.is_dir() else shutil.copy2)(src, vae_run / name)
        if state == "killed while deleting the old run":
            (vae_run / runfolder.REPLACED).replace(vae_run / runfolder.DISCARDED)
    runfolder.recover(vae_run)
    assert _hashes(vae_run) == before  # the old run back, or the new one (a copy of it here) kept
    assert not (vae_run / runfolder.REPLACED).exists() and not (vae_run / runfolder.DISCARDED).exists()


def test_sigterm_during_a_force_run_gives_the_old_run_back(vae_run):
    before = _hashes(vae_run)
    argv = [sys.executable, "-m", "genlab", "train", "vae", *TINY_VAE, "--max-steps", "200000", "--batch-size",
            "1", "--checkpoint-every", "200000", "--validation", "0", "--out", str(vae_run), "--force"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 120
        while not (vae_run / runfolder.REPLACED).exists() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.02)
        assert (vae_run / runfolder.REPLACED).exists(), proc.poll()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        proc.kill()
    assert _hashes(vae_run) == before


def test_a_divergence_before_the_first_save_says_nothing_was_kept(tmp_path, capsys):
    run = tmp_path / "run"
    result = Result(["train", "ae", *TINY_AE, "--epochs", "0", "--max-steps", "30", "--lr", "1e12", "--log-every",
                     "1", "--checkpoint-every", "1000", "--out", str(run)], capsys)
    assert_one_line_error(result, contains="before the run's first save")
    assert "last good checkpoint" not in result.stderr
    assert not (run / runfolder.CONFIG).exists()


def test_an_interrupt_while_force_moves_the_old_run_aside_puts_it_back(vae_run, monkeypatch):
    """SIGTERM (raised as an exception) or Ctrl-C between two of --force's moves, before any Replacement exists
    to roll back: prepare itself gives the old run back."""
    before = _hashes(vae_run)
    real_replace, calls = Path.replace, []

    def interrupted_on_the_second(self, target):
        calls.append(self.name)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", interrupted_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        runfolder.prepare(vae_run, resume=False, force=True)
    monkeypatch.undo()
    assert len(calls) >= 2 and _hashes(vae_run) == before
    assert not (vae_run / runfolder.REPLACED).exists()
