"""`genlab datasets [--json]` lists the datasets; `genlab datasets show SPEC --out FILE.png` draws samples."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from genlab.errors import UsageError


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "datasets", help="list the datasets, or draw samples of one",
        usage="genlab datasets [--json] | genlab datasets list [--json] | genlab datasets show SPEC --out FILE.png ...",
        description="Without an action: list every registered dataset with its availability, sample shape "
                    "and split sizes. `show SPEC --out FILE.png` writes a grid of samples.")
    parser.add_argument("--json", action="store_true", help="print the list as one JSON array")
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    # prog given: argparse would otherwise prefix the subcommand's name with the whole usage line above
    listing = actions.add_parser("list", prog="genlab datasets list", help="list the datasets (the default action)",
                                 description="List every registered dataset.")
    listing.add_argument("--json", action="store_true", help="print the list as one JSON array")
    show = actions.add_parser("show", prog="genlab datasets show", help="write a grid of samples of a dataset to a PNG file",
                              description="Write a PNG grid of samples (toy data: a scatter plot or histogram).")
    show.add_argument("spec", metavar="SPEC", help="a registered name (see `genlab datasets`), idx:PATH or folder:PATH")
    show.add_argument("--out", required=True, type=Path, metavar="FILE.png", help="PNG file to write")
    show.add_argument("--n", type=int, default=64, help="how many samples to draw (default: 64)")
    show.add_argument("--split", choices=("train", "test"), default="train", help="which split (default: train)")
    show.add_argument("--image-size", type=int, default=None, metavar="N",
                      help="resize images to N x N first (default: the dataset's own size)")
    show.add_argument("--seed", type=int, default=0, help="which random samples to draw (default: 0)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.action == "show":
        return show(args.spec, args.out, n=args.n, split=args.split, image_size=args.image_size, seed=args.seed)
    return list_datasets(as_json=args.json)


def list_datasets(*, as_json: bool) -> int:
    from genlab import data

    rows = data.catalog()
    if as_json:
        print(json.dumps(rows))
        return 0
    header = ("NAME", "AVAILABLE", "SHAPE", "TRAIN", "TEST", "CLASSES", "HOW TO GET")
    table = [header] + [(r["name"], "yes" if r["available"] else "no", "x".join(map(str, r["shape"])),
                         str(r["train_size"]), str(r["test_size"]), str(r["num_classes"] or "-"), r["how_to_get"])
                        for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1])
    print("\nalso: " + "; ".join(f"{prefix}:PATH ({text})" for prefix, text in data.registry.forms().items()))
    return 0


def show(spec: str, out: Path, *, n: int, split: str, image_size: int | None, seed: int) -> int:
    from genlab import data

    if n < 1:
        raise UsageError(f"--n must be at least 1, got {n}")
    dataset = data.load(spec, image_size=image_size)
    chosen = getattr(dataset, split)
    if len(chosen) == 0:
        raise UsageError(f"{spec}: the {split} split is empty")
    index = data.epoch_permutation(len(chosen), seed=seed, epoch=0)[:n]
    if dataset.kind == "image":
        data.save_grid(chosen.images[index], out)
    else:
        _save_points(chosen.subset(index), out, title=f"{spec} ({split}, {len(index)} samples)")
    print(f"wrote {out} ({len(index)} {split} samples of {spec})")
    return 0


def _save_points(split, out: Path, *, title: str) -> None:
    """Toy data: a scatter plot (2-D, coloured by label) or a histogram (1-D)."""
    from genlab.io import write_with
    from genlab.report.figures import subplots

    x = split.images.numpy()
    fig, ax = subplots(figsize=(4, 4))
    if x.shape[1] == 1:
        ax.hist(x[:, 0], bins=50)
    else:
        colours = None if split.labels is None else split.labels.numpy()
        ax.scatter(x[:, 0], x[:, 1], c=colours, s=8, cmap="coolwarm")
    ax.set_title(title)
    write_with(out, lambda tmp: fig.savefig(tmp, format="png", dpi=100))
