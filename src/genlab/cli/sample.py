"""`genlab sample DIR --n N --out FILE.png`: a grid of samples from a trained generative run."""

from __future__ import annotations

import argparse
from pathlib import Path

from genlab.errors import UsageError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("sample", help="write a grid of samples from a trained model",
                              description="Draw N samples from a trained model (fixed seed: the same grid "
                                          "every time) and write them as one PNG grid.")
    p.add_argument("run_dir", type=Path, metavar="DIR", help="a run folder written by `genlab train`")
    p.add_argument("--n", type=int, default=64, help="number of samples (default: 64)")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.png", help="where to write the grid")
    p.add_argument("--seed", type=int, default=0, help="noise seed (default: 0)")
    p.add_argument("--nrow", type=int, default=None, help="images per row (default: about sqrt(N))")
    p.add_argument("--class", dest="klass", type=int, default=None, metavar="K",
                   help="class-conditional runs (--conditional): draw only class K (default: every class in "
                        "turn, one per column when --nrow is the number of classes)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"),
                   help="where to run the model (default: auto)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import torch  # here, not at the top: `genlab --help` must not import torch

    from genlab.data import save_grid
    from genlab.training.capabilities import Sampler, class_labels, require
    from genlab.training.device import resolve_device
    from genlab.training.runfolder import load_run

    if args.n < 1:
        raise UsageError(f"--n {args.n}: must be at least 1")
    device = resolve_device(args.device)
    loaded = load_run(args.run_dir, device=device)
    require(loaded.task, Sampler, "genlab sample", family=loaded.config.family)
    if loaded.meta.get("kind") != "image":
        raise UsageError(f"genlab sample writes an image grid; {args.run_dir} was trained on "
                         f"{loaded.meta.get('kind')} data (plot its densities: genlab plot DIR list)")
    labels = class_labels(loaded.task, args.klass, args.n, what="genlab sample")
    generator = torch.Generator(device=device).manual_seed(args.seed)
    with torch.no_grad():
        images = loaded.task.sample(args.n, generator=generator, **({} if labels is None else {"labels": labels}))
    save_grid(images.cpu(), args.out, nrow=args.nrow)
    print(str(args.out))
    return 0
