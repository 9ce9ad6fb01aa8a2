"""`genlab evaluate DIR [--json] [--limit N] [--nll --k K] [--fid ...]`: numbers on the test split."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("evaluate", help="measure a trained run on the test split",
                              description="Measure a trained run on its dataset's test split. Keys (where "
                                          "they apply): elbo, recon, kl, nll, nll_stderr, bits_per_dim, "
                                          "mse, fid, kid, kid_std, precision, recall, accuracies.")
    p.add_argument("run_dir", type=Path, metavar="DIR", help="a run folder written by `genlab train`")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="use only N test items, evenly spaced through the split (for the test metrics and "
                        "--nll; --fid keeps its own sizes, set by --n; dann's target-domain numbers use its whole "
                        "target test split)")
    p.add_argument("--nll", action="store_true",
                   help="importance-weighted estimate of -log p(x) (VAE only), with its standard error")
    p.add_argument("--k", type=int, default=None, metavar="K",
                   help="importance samples per image for --nll (default: 1000; the literature uses 5000)")
    p.add_argument("--fid", action="store_true",
                   help="sample-quality metrics (fid, kid, precision/recall, inception_score) on the dataset's "
                        "feature net, against half the test split, with the real-vs-real floor_* numbers")
    p.add_argument("--featurenet", type=Path, default=None, metavar="DIR",
                   help="feature net to use for --fid (default: the one `genlab featurenet train` put in the "
                        "cache for this dataset)")
    p.add_argument("--n", type=int, default=None, metavar="N",
                   help="samples to draw for --fid (default: half the test split, the size the floor uses)")
    p.add_argument("--inception-weights", type=Path, default=None, metavar="PATH",
                   help="also compute standard Inception FID (inception_fid) from a local copy of pytorch-fid's "
                        "pt_inception-2015-12-05 weights; genlab never downloads them")
    p.add_argument("--seed", type=int, default=0, help="seed for the Monte Carlo estimates (default: 0)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"),
                   help="where to run the model (default: auto)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from genlab.training.device import resolve_device
    from genlab.training.evaluation import evaluate_run
    from genlab.training.runfolder import load_run

    device = resolve_device(args.device)
    result = evaluate_run(load_run(args.run_dir, device=device), device=device, limit=args.limit, nll=args.nll,
                          k=args.k, fid=args.fid, featurenet=args.featurenet, n=args.n,
                          inception_weights=args.inception_weights, seed=args.seed)
    _print(result, as_json=args.json)
    return 0


def _print(result: dict, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, sort_keys=True))
        return
    width = max(len(k) for k in result)
    for key, value in result.items():
        if isinstance(value, float):
            shown = f"{value:.6g}"
        else:  # nested records (the feature net used) as JSON, not as a Python repr
            shown = json.dumps(value, sort_keys=True) if isinstance(value, dict) else str(value)
        print(f"{key:<{width}}  {shown}")
