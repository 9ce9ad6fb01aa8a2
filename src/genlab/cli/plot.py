"""`genlab plot DIR KIND --out FILE.png`: the figures a model family knows how to draw."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from genlab.errors import UsageError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("plot", help="draw one of a run's figures",
                              description="Draw a figure of a trained run. KIND depends on the model "
                                          "family; `genlab plot DIR list` prints the kinds a run offers.")
    p.add_argument("run_dir", type=Path, metavar="DIR", help="a run folder written by `genlab train`")
    p.add_argument("kind", metavar="KIND", help="figure to draw, or `list`")
    p.add_argument("--out", type=Path, default=None, metavar="FILE.png",
                   help="where to write it (default: DIR/figures/KIND.png)")
    p.add_argument("--seed", type=int, default=0, help="seed for any noise the figure draws (default: 0)")
    p.add_argument("--latent-noise", type=float, nargs="+", default=None, metavar="SIGMA",
                   help="latent-noise (AE) only: the noise levels added to the code, side by side "
                        "(default: 0 0.5 1 2)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"),
                   help="where to run the model (default: auto)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from genlab.experiments.plots import kinds, offered
    from genlab.training.device import resolve_device
    from genlab.training.runfolder import load_run

    loaded = load_run(args.run_dir, device=resolve_device(args.device))
    plots = kinds(loaded.config.family)
    if args.kind == "list":
        print("\n".join(offered(loaded)))
        return 0
    if args.kind not in plots:
        raise UsageError(f"plot kind {args.kind!r} is not offered for a '{loaded.config.family}' run; "
                         f"accepted: {', '.join(sorted(plots))}")
    out = args.out or args.run_dir / "figures" / f"{args.kind}.png"
    options = {}
    if args.latent_noise is not None:
        if args.kind != "latent-noise":
            raise UsageError(f"--latent-noise applies to the latent-noise plot, not {args.kind!r}")
        bad = [s for s in args.latent_noise if not math.isfinite(s) or s < 0]
        if bad:
            raise UsageError(f"--latent-noise {bad[0]:g}: noise levels are finite and at least 0")
        options["sigmas"] = tuple(args.latent_noise)
    plots[args.kind](loaded, Path(out), seed=args.seed, **options)
    print(str(out))
    return 0
