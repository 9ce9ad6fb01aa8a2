"""Optional TensorBoard event files (`--tensorboard`): every metrics row's numbers as scalars and the
per-epoch sample grids as images, in DIR/tensorboard, written by rank 0 through torch.utils.tensorboard."""

from __future__ import annotations

import math
from pathlib import Path

from genlab.errors import UsageError

FOLDER = "tensorboard"
NOT_SCALARS = ("step", "epoch", "split", "time", "elapsed_s")


def check_available() -> None:
    """One line naming the install command when the `tensorboard` package is missing (before any work)."""
    try:
        import tensorboard  # noqa: F401 - only whether it imports
    except ImportError:
        raise UsageError("--tensorboard needs the tensorboard package, which is not installed: "
                         "pip install tensorboard (or pip install 'genlab[tensorboard]')") from None


def snapshot(folder: Path) -> dict[Path, int]:
    """{png: mtime_ns} below `folder`, to find the grids an epoch end wrote."""
    return {p: p.stat().st_mtime_ns for p in Path(folder).glob("*.png")} if Path(folder).is_dir() else {}


class Board:
    """A SummaryWriter on DIR/tensorboard; `purge_step` drops events past a resumed checkpoint's step, so a
    resumed run shows each step once, as metrics.jsonl does."""

    def __init__(self, run_dir: Path, *, purge_step: int | None = None):
        check_available()
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(Path(run_dir) / FOLDER), purge_step=purge_step)

    def row(self, row: dict) -> None:
        """Every finite number of a metrics row as `SPLIT/KEY` at the row's step and time."""
        for key, value in row.items():
            if key in NOT_SCALARS or isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if math.isfinite(value):
                self.writer.add_scalar(f"{row['split']}/{key}", value, global_step=row["step"],
                                       walltime=row.get("time"))

    def grids(self, before: dict[Path, int], folder: Path, *, step: int) -> None:
        """The PNGs in `folder` written since `before` (a `snapshot`), as images tagged by name sans epoch."""
        import numpy as np
        from PIL import Image

        for path, mtime in sorted(snapshot(folder).items()):
            if before.get(path) == mtime:
                continue
            tag = path.stem.rstrip("0123456789").rstrip("_") or path.stem
            with Image.open(path) as im:
                pixels = np.asarray(im.convert("RGB"))
            self.writer.add_image(f"samples/{tag}", pixels, global_step=step, dataformats="HWC")
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
