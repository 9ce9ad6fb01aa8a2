"""`genlab train MODEL --data SPEC --out DIR ...`: one sub-parser per model family, common options shared."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from genlab.config import DataConfig, RunConfig, TrainConfig
from genlab.errors import UsageError
from genlab.train import families


def _common_options() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("data and run folder")
    g.add_argument("--data", required=True, metavar="SPEC",
                   help="dataset spec: a registered name (see `genlab datasets`), idx:PATH or folder:PATH")
    g.add_argument("--image-size", type=int, default=None, metavar="N",
                   help="resize images to N x N (default: the dataset's own size)")
    g.add_argument("--out", required=True, type=Path, metavar="DIR", help="run folder to create or continue")
    g.add_argument("--resume", action="store_true",
                   help="continue the run in --out from its last checkpoint (exactly, same config required)")
    g.add_argument("--force", action="store_true", help="replace a run that --out already holds")
    t = p.add_argument_group("training")
    t.add_argument("--epochs", type=int, default=10, help="passes over the train split (default: 10)")
    t.add_argument("--max-steps", type=int, default=None, metavar="N",
                   help="stop at global step N (with --resume: continue up to N)")
    t.add_argument("--batch-size", type=int, default=128, help="images per step (default: 128)")
    t.add_argument("--lr", type=float, default=None, help="learning rate (default: the family's own)")
    t.add_argument("--seed", type=int, default=0, help="seed for weights, data order and noise (default: 0)")
    t.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"),
                   help="where to train; auto picks cuda, then mps, then cpu (default: auto)")
    t.add_argument("--log-every", type=int, default=50, metavar="N",
                   help="steps between train rows in metrics.jsonl (default: 50)")
    t.add_argument("--checkpoint-every", type=int, default=500, metavar="N",
                   help="steps between checkpoints; one is also written at each epoch end (default: 500)")
    t.add_argument("--eval-limit", type=int, default=None, metavar="N",
                   help="evaluate on at most N test items at each epoch end (default: all)")
    t.add_argument("--precision", default="fp32", choices=("fp32", "bf16", "fp16"),
                   help="arithmetic for forward passes: fp32, or bf16/fp16 autocast (fp16 adds a gradient "
                        "scaler; CUDA only). Keep fp32 on CPUs without bf16 hardware (default: fp32)")
    t.add_argument("--compile", action="store_true",
                   help="torch.compile the training forward passes (falls back with a warning where the "
                        "compiler is unavailable)")
    t.add_argument("--quiet", action="store_true", help="no progress display")
    return p


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("train", help="train a model into a run folder",
                                   description="Train a model family on a dataset; writes a run folder "
                                               "(config.json, metrics.jsonl, model.safetensors, checkpoint/).")
    models = parser.add_subparsers(dest="model", metavar="MODEL", required=True)
    common = _common_options()
    for name in families.available():
        module = families.family_module(name)
        # "resolve": a family may redefine a common option with its own default or help text
        sub = models.add_parser(name, parents=[common], help=(module.__doc__ or "").strip().splitlines()[0],
                                description=(module.__doc__ or "").strip(), conflict_handler="resolve")
        group = sub.add_argument_group(f"{name} model")
        module.add_options(group)
        sub.set_defaults(run=run)


def _check_positive(args: argparse.Namespace) -> None:
    for name in ("epochs", "batch_size", "log_every", "checkpoint_every"):
        value = getattr(args, name)
        if value < (0 if name == "epochs" else 1):
            raise UsageError(f"--{name.replace('_', '-')} {value}: must be at least {0 if name == 'epochs' else 1}")
    for name in ("max_steps", "eval_limit", "image_size"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise UsageError(f"--{name.replace('_', '-')} {value}: must be at least 1")
    if args.lr is not None and not args.lr > 0:
        raise UsageError(f"--lr {args.lr}: must be a positive number")
    if args.epochs == 0 and args.max_steps is None:
        raise UsageError("--epochs 0 needs --max-steps to say how long to train")


def build_config(args: argparse.Namespace) -> RunConfig:
    _check_positive(args)
    module = families.family_module(args.model)
    lr = args.lr if args.lr is not None else getattr(module, "DEFAULT_LR", 1e-3)
    train = TrainConfig(epochs=args.epochs, max_steps=args.max_steps, batch_size=args.batch_size, lr=lr,
                        seed=args.seed, device=args.device, log_every=args.log_every,
                        checkpoint_every=args.checkpoint_every, eval_limit=args.eval_limit,
                        precision=args.precision, compile=args.compile)
    data = DataConfig(spec=args.data, image_size=args.image_size, target=getattr(args, "target", None))
    return RunConfig(family=args.model, data=data, model=module.config_from_args(args), train=train)


def run(args: argparse.Namespace) -> int:
    from genlab.train.loop import train

    config = build_config(args)
    result = train(config, args.out, resume=args.resume, force=args.force, progress=not args.quiet)
    summary = {"run_dir": str(result.run_dir), "step": result.step, "train": result.last_train,
               "test": result.last_test}
    print(json.dumps(summary, sort_keys=True), file=sys.stdout)
    return 0
