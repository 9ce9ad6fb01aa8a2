"""`genlab report DIR --out FILE.html`: one self-contained page for a run."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("report", help="write a self-contained HTML page for a run",
                              description="Write one HTML page (images embedded, no network needed) with "
                                          "the run's config, learning curves, training and validation "
                                          "metrics, its sample grids, and the figures in DIR/figures (those "
                                          "`genlab plot DIR KIND` drew; `genlab plot DIR list` names them). "
                                          "Test-split numbers: `genlab evaluate DIR`.")
    p.add_argument("run_dir", type=Path, metavar="DIR", help="a run folder written by `genlab train`")
    p.add_argument("--out", type=Path, default=None, metavar="FILE.html",
                   help="where to write the page (default: DIR/report.html)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from genlab.report.run_report import write_run_report

    out = write_run_report(args.run_dir, args.out or args.run_dir / "report.html")
    print(str(out))
    return 0
