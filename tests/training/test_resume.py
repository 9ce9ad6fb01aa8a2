"""Crash safety: a run killed with SIGKILL at a random step and resumed ends bit-identical."""

import random
import signal
import subprocess
import sys
import time

import torch

from genlab import io
from genlab.training import checkpoint
from tests.conftest import run_cli

# digits: 1,797 real 8x8 images; 45 steps of 32 is ~1 epoch, small enough to run twice in seconds.
ARGS = ["train", "ae", "--data", "digits", "--hidden", "64", "--latent-dim", "8", "--batch-size", "32",
        "--epochs", "2", "--checkpoint-every", "3", "--log-every", "5", "--seed", "3", "--quiet"]


def _weights(run_dir):
    tensors, _ = checkpoint.read_safetensors(run_dir / "model.safetensors")
    return tensors


def test_sigkill_at_random_step_then_resume_is_bit_identical(tmp_path):
    reference = tmp_path / "reference"
    run_cli(*ARGS, "--out", str(reference), check=True)

    crashed = tmp_path / "crashed"
    cmd = [sys.executable, "-m", "genlab", *ARGS, "--out", str(crashed)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    rng = random.Random()
    target_rows = rng.randint(2, 12)  # kill after a random number of logged rows (steps 10..60)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if len(io.read_jsonl(crashed / "metrics.jsonl")) >= target_rows:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the run finished before it could be killed; make it longer"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (crashed / "checkpoint" / "state.safetensors").exists()

    run_cli(*ARGS, "--out", str(crashed), "--resume", check=True)
    ref, got = _weights(reference), _weights(crashed)
    assert ref.keys() == got.keys()
    for key in ref:
        assert torch.equal(ref[key], got[key]), key
    steps = [r["step"] for r in io.read_jsonl(crashed / "metrics.jsonl") if r["split"] == "train"]
    assert steps == sorted(set(steps)), "a step was logged twice after resume"


def test_max_steps_then_resume_continues_to_the_same_weights(tmp_path):
    whole = tmp_path / "whole"
    run_cli(*ARGS, "--out", str(whole), "--max-steps", "20", check=True)
    part = tmp_path / "part"
    run_cli(*ARGS, "--out", str(part), "--max-steps", "8", check=True)
    run_cli(*ARGS, "--out", str(part), "--max-steps", "20", "--resume", check=True)
    a, b = _weights(whole), _weights(part)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_augmented_run_stopped_and_resumed_gives_the_same_weights(tmp_path):
    """--flip/--shift batches are keyed on (seed, step), so a resumed run sees the same augmented images."""
    from genlab.cli import main

    args = ["train", "ae", "--data", "digits", "--hidden", "16", "--latent-dim", "4", "--batch-size", "32",
            "--epochs", "0", "--flip", "--shift", "1", "--quiet"]
    assert main([*args, "--max-steps", "12", "--out", str(tmp_path / "whole")]) == 0
    assert main([*args, "--max-steps", "5", "--out", str(tmp_path / "part")]) == 0
    assert main([*args, "--max-steps", "12", "--out", str(tmp_path / "part"), "--resume"]) == 0
    a, b = _weights(tmp_path / "whole"), _weights(tmp_path / "part")
    assert all(torch.equal(a[k], b[k]) for k in a)
    plain = tmp_path / "plain"
    assert main([*args[:-4], "--quiet", "--max-steps", "12", "--out", str(plain)]) == 0
    assert not all(torch.equal(a[k], v) for k, v in _weights(plain).items())  # augmentation did something


def test_augmenting_toy_data_is_a_usage_error(tmp_path, capsys):
    from genlab.cli import main

    assert main(["train", "dann", "--data", "two-moons", "--flip", "--max-steps", "2", "--epochs", "0",
                 "--out", str(tmp_path / "r")]) == 2
    assert "--flip/--shift augment images" in capsys.readouterr().err
