"""What keeps a starting run from costing the run folder anything: the epoch-end work tried once before the
folder is touched, and SIGTERM turned into an exception so a scheduler's kill rolls back as Ctrl-C does
(`runfolder.Replacement`)."""

from __future__ import annotations

import contextlib
import signal
import tempfile
import threading
from pathlib import Path

import torch


class Terminated(KeyboardInterrupt):
    """SIGTERM (a scheduler's time limit, `timeout`, torchrun stopping a rank) as an exception, so that the
    run folder is left as after Ctrl-C."""


@contextlib.contextmanager
def sigterm_raises():
    """Within the block SIGTERM raises `Terminated` (main thread only: only it may set handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_terminated(signum, frame):
        raise Terminated("terminated (SIGTERM)")

    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def preflight(task) -> None:
    """The task's epoch-end work (sample grids, snapshots) once on the untrained model into a scratch folder,
    before the run folder is touched: what fails there (a dataset too small for a grid) then fails before
    --force has moved anything. Random states and the nets' train/eval modes are as they were."""
    cpu, cuda = torch.get_rng_state(), torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
    modes = {name: module.training for name, module in task.modules.items()}
    try:
        for module in task.modules.values():
            module.eval()
        with tempfile.TemporaryDirectory(prefix="genlab-preflight-") as scratch, torch.no_grad():
            task.epoch_end(0, Path(scratch))
    finally:
        torch.set_rng_state(cpu)
        if cuda is not None:
            torch.cuda.set_rng_state_all(cuda)
        for name, module in task.modules.items():
            module.train(modes[name])
