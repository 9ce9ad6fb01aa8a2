"""Test-wide setup: caches and downloads go to a temporary folder, never the user's home."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import torch

_TMP = Path(tempfile.mkdtemp(prefix="genlab-tests-"))
os.environ.setdefault("GENLAB_CACHE", str(_TMP / "cache"))
os.environ.setdefault("GENLAB_DATA", str(_TMP / "data"))
os.environ.setdefault("MPLBACKEND", "Agg")
# Tests use tiny nets, where a second thread only adds overhead; pytest-xdist runs two test processes instead.
os.environ.setdefault("OMP_NUM_THREADS", "1")
torch.set_num_threads(1)

FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


def run_cli(*args: str, check: bool = False, timeout: float = 300, env: dict | None = None):
    """Run `python -m genlab ARGS` in a real subprocess; returns CompletedProcess (text)."""
    proc = subprocess.run([sys.executable, "-m", "genlab", *args], capture_output=True, text=True, check=False,
                          timeout=timeout, env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"genlab {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
    return proc


def stopped_and_resumed(argv: list[str], tmp_path: Path, *, stop: int, end: int) -> tuple[dict, dict]:
    """Run the `genlab` argv to --max-steps `end` straight, and again stopped at `stop` and resumed to `end`;
    returns both runs' model.safetensors tensors (whole, resumed)."""
    from genlab.cli import main
    from genlab.training import checkpoint

    assert main([*argv, "--max-steps", str(end), "--out", str(tmp_path / "whole")]) == 0
    assert main([*argv, "--max-steps", str(stop), "--out", str(tmp_path / "part")]) == 0
    assert main([*argv, "--max-steps", str(end), "--out", str(tmp_path / "part"), "--resume"]) == 0
    whole, _ = checkpoint.read_safetensors(tmp_path / "whole" / "model.safetensors")
    resumed, _ = checkpoint.read_safetensors(tmp_path / "part" / "model.safetensors")
    return whole, resumed


def assert_one_line_error(proc, *, code: int = 2, contains: str | None = None) -> None:
    """DESIGN.md: bad input gives exactly one line on stderr and exit 2, no traceback."""
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    if contains is not None:
        assert contains in lines[0], lines[0]


@pytest.fixture
def fashion_mnist_available():
    if not FASHION_MNIST.is_dir():
        pytest.skip("Debian's dataset-fashion-mnist is not installed (make test installs it)")
