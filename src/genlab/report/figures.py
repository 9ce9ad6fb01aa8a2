"""Figures shared by every family (matplotlib, Agg backend, written atomically)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from genlab import io


def save_figure(fig, path: Path, *, dpi: int = 110) -> None:
    """Write a matplotlib figure atomically and close it."""
    path = Path(path)
    io.write_with(path, lambda tmp: fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=path.suffix[1:] or "png"))
    plt.close(fig)


def learning_curves(metrics_path: Path, out_path: Path) -> None:
    """One panel per metric: train rows as a line, test rows as markers, against the global step."""
    rows = io.read_jsonl(metrics_path)
    skip = {"step", "epoch", "split", "images_per_s"}
    keys = sorted({k for r in rows for k, v in r.items() if k not in skip and isinstance(v, (int, float))})
    cols = min(3, max(1, len(keys)))
    nrows = max(1, -(-len(keys) // cols))
    fig, axes = plt.subplots(nrows, cols, figsize=(4.2 * cols, 3.0 * nrows), squeeze=False)
    for ax, key in zip(axes.flat, keys):
        for split, style in (("train", "-"), ("test", "o-")):
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
