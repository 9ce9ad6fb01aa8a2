"""Data-parallel training through PyTorch's own launcher: `torchrun` with the gloo backend on the CPU."""

import os
import subprocess
import sys

import torch

from genlab import io
from genlab.training import checkpoint
from tests.conftest import run_cli

# Same global batch (32) whether 1 or 2 processes; one thread each so both sum in the same order.
ARGS = ["train", "ae", "--data", "digits", "--hidden", "64", "--latent-dim", "8", "--batch-size", "32",
        "--epochs", "1", "--seed", "1", "--quiet", "--checkpoint-every", "10"]
ENV = {"OMP_NUM_THREADS": "1"}


def _torchrun(*args):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           "-m", "genlab", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, check=False, env={**os.environ, **ENV})
    assert proc.returncode == 0, proc.stderr[-8000:]  # enough to hold a failed rank's own message
    return proc


def _final_validation_loss(run_dir):
    rows = [r for r in io.read_jsonl(run_dir / "metrics.jsonl") if r["split"] == "validation"]
    return rows[-1]["loss"]


def _weights(run_dir):
    return checkpoint.read_safetensors(run_dir / "model.safetensors")[0]


def test_two_process_run_matches_single_process_and_resumes_exactly(tmp_path):
    single, ddp, resumed = tmp_path / "single", tmp_path / "ddp", tmp_path / "resumed"
    run_cli(*ARGS, "--out", str(single), check=True, env=ENV)
    proc = _torchrun(*ARGS, "--out", str(ddp))
    summaries = [line for line in proc.stdout.splitlines() if line.startswith('{"run_dir"')]
    assert len(summaries) == 1, proc.stdout  # rank 0 prints the run's summary; rank 1 prints none

    # one run folder, written once (rank 0 only): one validation row per epoch, no duplicated train steps
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ddp", "single"]
    rows = io.read_jsonl(ddp / "metrics.jsonl")
    assert len([r for r in rows if r["split"] == "validation"]) == 1
    assert all("time" in r and "elapsed_s" in r for r in rows)
    steps = [r["step"] for r in rows if r["split"] == "train"]
    assert steps == sorted(set(steps))
    assert abs(_final_validation_loss(ddp) - _final_validation_loss(single)) < 0.02 * _final_validation_loss(single)

    _torchrun(*ARGS, "--out", str(resumed), "--max-steps", "20")
    _torchrun(*ARGS, "--out", str(resumed), "--resume")
    a, b = _weights(ddp), _weights(resumed)
    assert all(torch.equal(a[k], b[k]) for k in a)
