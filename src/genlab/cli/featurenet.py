"""`genlab featurenet train --data SPEC [--out DIR]`: the classifier whose features `evaluate --fid` uses."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from genlab.errors import UsageError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("featurenet", help="train the feature net that evaluate --fid measures with",
                              description="Feature nets: small conv classifiers, one per labelled dataset, "
                                          "whose penultimate layer gives the features for FID, KID, "
                                          "precision/recall and the Inception-style score (offline, no "
                                          "downloaded Inception weights).")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    t = actions.add_parser("train", help="train a feature net on a dataset's train split",
                           description="Train a feature net on SPEC's train split and report its test "
                                       "accuracy. Without --out it goes to the cache "
                                       "($GENLAB_CACHE/featurenets/, else ~/.cache/genlab/featurenets/), where "
                                       "`genlab evaluate --fid` finds it by dataset.")
    t.add_argument("--data", required=True, metavar="SPEC",
                   help="labelled image dataset: a registered name (see `genlab datasets`), idx:PATH or "
                        "folder:PATH")
    t.add_argument("--image-size", type=int, default=None, metavar="N",
                   help="resize images to N x N, as the runs to evaluate were (default: the dataset's own size)")
    t.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="folder for featurenet.safetensors + featurenet.json (default: the cache, by dataset)")
    t.add_argument("--force", action="store_true", help="replace a feature net that the folder already holds")
    t.add_argument("--epochs", type=int, default=3, metavar="N", help="passes over the train split (default: 3)")
    t.add_argument("--max-steps", type=int, default=None, metavar="N",
                   help="stop after N optimizer steps (default: as many as --epochs make)")
    t.add_argument("--batch-size", type=int, default=128, metavar="N", help="images per step (default: 128)")
    t.add_argument("--lr", type=float, default=3e-3,
                   help="peak Adam learning rate, decayed to 0 on a cosine (default: 0.003)")
    t.add_argument("--seed", type=int, default=0, help="seed for weights and data order (default: 0)")
    t.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"),
                   help="where to train; auto picks cuda, then mps, then cpu (default: auto)")
    t.add_argument("--quiet", action="store_true", help="no per-epoch progress lines on stderr")
    t.set_defaults(run=run)


def _check(args: argparse.Namespace) -> None:
    if args.epochs < 1 and args.max_steps is None:
        raise UsageError(f"--epochs {args.epochs}: must be at least 1")
    for name in ("max_steps", "image_size", "batch_size"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise UsageError(f"--{name.replace('_', '-')} {value}: must be at least 1")
    if not args.lr > 0:
        raise UsageError(f"--lr {args.lr}: must be a positive number")


def run(args: argparse.Namespace) -> int:
    from genlab import data as gdata
    from genlab.metrics import featurenet as fnet
    from genlab.training.device import resolve_device

    _check(args)
    out = args.out if args.out is not None else fnet.default_dir(args.data.strip(), args.image_size)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a directory")
    if (out / fnet.META).exists() and not args.force:
        raise UsageError(f"{out} already holds a feature net; evaluations recorded its sha256, so pass --force "
                         "to replace it")
    device = resolve_device(args.device)
    dataset = gdata.load(args.data, image_size=args.image_size)
    log = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    net, record = fnet.train(dataset, epochs=args.epochs, max_steps=args.max_steps, batch_size=args.batch_size,
                             lr=args.lr, seed=args.seed, device=device, log=log)
    record = fnet.save(out, net, record, image_size=args.image_size)
    print(json.dumps({"out": str(out), **{k: record[k] for k in ("dataset", "test_accuracy", "train_seconds",
                                                                 "steps", "feature_dim", "sha256")}},
                     sort_keys=True))
    return 0
