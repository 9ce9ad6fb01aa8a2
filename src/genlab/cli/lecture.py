"""`genlab lecture --out DIR [--quick]`: every experiment of the lecture, in order, as one HTML page."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("lecture", help="reproduce every experiment of the lecture as one HTML page",
                              description="Run the lecture's experiments in order (VAE recap, autoencoders, "
                                          "VAEs, latent space, domain-adversarial training, GANs) and write "
                                          "DIR/index.html. Re-running skips finished experiments; failed "
                                          "ones are retried.")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="output folder (created; required unless --list). A folder holding an earlier lecture "
                        "is continued: finished sections are reused, and the profile must be the same")
    p.add_argument("--quick", action="store_true",
                   help="tiny budgets (a few minutes on 2 CPU cores): checks the pipeline, not the results")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"),
                   help="where to train (default: auto)")
    p.add_argument("--only", nargs="+", default=None, metavar="KEY",
                   help="run only these experiments (keys as in DIR/experiments/); the page keeps the "
                        "other sections already finished in DIR")
    p.add_argument("--list", action="store_true", help="list the experiments and their estimated minutes")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from genlab.errors import UsageError
    from genlab.experiments.lecture import EXPERIMENTS
    from genlab.experiments.runner import Context, finished, folder_profile, run_all
    from genlab.report.lecture_page import write_lecture_page

    profile = "quick" if args.quick else "default"
    chosen = EXPERIMENTS
    if args.only:
        unknown = sorted(set(args.only) - {e.key for e in EXPERIMENTS})
        if unknown:
            raise UsageError(f"--only {' '.join(unknown)}: unknown; accepted: {', '.join(e.key for e in EXPERIMENTS)}")
        chosen = [e for e in EXPERIMENTS if e.key in args.only]
    if args.list:
        for e in chosen:
            print(f"{e.key:<22} {e.minutes[profile]:5.1f} min  {e.title}")
        return 0
    if args.out is None:
        raise UsageError("--out DIR is required (unless --list)")
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out {args.out}: exists and is not a directory")
    earlier = folder_profile(args.out)
    if earlier is not None and earlier != profile:  # its runs and numbers are another budget's
        raise UsageError(f"--out {args.out} holds a {earlier}-profile lecture; run it "
                         f"{'with' if earlier == 'quick' else 'without'} --quick, or choose another --out")
    total = sum(e.minutes[profile] for e in chosen)
    print(f"genlab lecture: {len(chosen)} experiments, profile {profile}, estimated {total:.0f} min "
          f"on 2 CPU cores", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    ctx = Context(out=args.out, profile=profile, device=args.device)
    ran = dict(zip((e.key for e in chosen), run_all(chosen, ctx, debug=args.debug)))
    # The page shows every section finished in DIR, not only those this call ran (--only)
    shown = [(e, ran[e.key] if e.key in ran else finished(ctx, e)) for e in EXPERIMENTS]
    shown = [(e, r) for e, r in shown if r is not None]
    page = write_lecture_page(args.out, [e for e, _ in shown], [r for _, r in shown], profile=profile,
                              device=args.device)
    print(str(page))
    return 0
