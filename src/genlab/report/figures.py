"""Figures shared by every family, written atomically.

Figures are `matplotlib.figure.Figure` objects of their own, never pyplot's: drawing one neither switches
the backend nor registers a window, so a notebook that calls `run.plot(...)` keeps its own backend.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from pathlib import Path

from matplotlib.figure import Figure

from genlab import io

_SUBPLOTS_KEYS = {"sharex", "sharey", "squeeze", "width_ratios", "height_ratios", "subplot_kw", "gridspec_kw"}
_captured: contextvars.ContextVar[list | None] = contextvars.ContextVar("genlab_figures", default=None)


def subplots(nrows: int = 1, ncols: int = 1, **kwargs):
    """pyplot.subplots' signature on a pyplot-free Figure: (fig, axes)."""
    layout = {k: kwargs.pop(k) for k in list(kwargs) if k in _SUBPLOTS_KEYS}
    fig = Figure(**kwargs)
    return fig, fig.subplots(nrows, ncols, **layout)


def save_figure(fig: Figure, path: Path, *, dpi: int = 110) -> None:
    """Write a figure atomically (and hand it to `capture()` when one is listening)."""
    path = Path(path)
    io.write_with(path, lambda tmp: fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=path.suffix[1:] or "png"))
    listening = _captured.get()
    if listening is not None:
        listening.append(fig)


@contextlib.contextmanager
def capture() -> Iterator[list[Figure]]:
    """Collect the figures saved inside the block (the Python API's `run.plot` returns the last one)."""
    figures: list[Figure] = []
    token = _captured.set(figures)
    try:
        yield figures
    finally:
        _captured.reset(token)


def learning_curves(metrics_path: Path, out_path: Path) -> None:
    """One panel per metric: train rows as a line, validation rows (epoch ends) as markers, against the global
    step. Runs from before the validation split have "test" rows there; they are drawn the same way."""
    rows = io.read_jsonl(metrics_path)
    skip = {"step", "epoch", "split", "images_per_s", "time", "elapsed_s"}
    keys = sorted({k for r in rows for k, v in r.items() if k not in skip and isinstance(v, (int, float))})
    cols = min(3, max(1, len(keys)))
    nrows = max(1, -(-len(keys) // cols))
    fig, axes = subplots(nrows, cols, figsize=(4.2 * cols, 3.0 * nrows), squeeze=False)
    for ax, key in zip(axes.flat, keys):
        for split, style in (("train", "-"), ("validation", "o-"), ("test", "o-")):
            pts = [(r["step"], r[key]) for r in rows if r.get("split") == split and key in r]
            if pts:
                ax.plot(*zip(*pts), style, label=split, markersize=3)
        ax.set_title(key)
        ax.set_xlabel("step")
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(keys):]:
        ax.axis("off")
    fig.tight_layout()
    save_figure(fig, out_path)
