"""`genlab train MODEL --data SPEC --out DIR ...`: every option generated from the family's declarations.

Options are laid over each other in this order: the family's defaults, then `--config FILE` (JSON or TOML,
a run's config.json works), then what was typed. `--print-config` shows the result and exits.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from genlab.cli.options import add_config_options, given_options
from genlab.config import DataConfig, TrainConfig, families
from genlab.config import files as config_files
from genlab.errors import UsageError


def _run_folder_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("run folder and config")
    g.add_argument("--out", type=Path, default=None, metavar="DIR", help="run folder to create or continue")
    g.add_argument("--resume", action="store_true",
                   help="continue the run in --out from its last checkpoint (exactly, same config required)")
    g.add_argument("--force", action="store_true", help="replace a run that --out already holds")
    g.add_argument("--config", type=Path, default=None, metavar="FILE",
                   help="take options from a JSON or TOML file (a run's config.json re-runs that run); "
                        "options given here override it")
    g.add_argument("--print-config", action="store_true",
                   help="print the resolved config as JSON and exit without training")
    g.add_argument("--quiet", action="store_true", help="no progress display")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("train", help="train a model into a run folder",
                                   description="Train a model family on a dataset; writes a run folder "
                                               "(config.json, metrics.jsonl, model.safetensors, checkpoint/).")
    models = parser.add_subparsers(dest="model", metavar="MODEL", required=True)
    for family in families.FAMILIES.values():
        sub = models.add_parser(family.name, help=family.summary, description=_description(family))
        _run_folder_options(sub)
        add_config_options(sub.add_argument_group("data"), DataConfig, section="data", family=family.name)
        add_config_options(sub.add_argument_group("training"), TrainConfig, section="train", family=family.name,
                           defaults=dict(family.train_defaults))
        add_config_options(sub.add_argument_group(f"{family.name} model"), family.config, section="model",
                           family=family.name)
        sub.set_defaults(run=run)


def _description(family: families.Family) -> str:
    if not family.data_defaults:
        return family.summary
    shown = "; ".join(f"--data {spec}: " + ", ".join(f"{k}={v}" for k, v in options)
                      for spec, options in family.data_defaults)
    return (f"{family.summary}. Defaults that differ by dataset (see them all with --print-config): {shown}. "
            "Options given here override them.")


def insert_family(argv: list[str]) -> list[str]:
    """`genlab train --config FILE ...` names no MODEL: take it from the file."""
    if len(argv) < 2 or argv[0] != "train" or argv[1] in families.FAMILIES or "--config" not in argv:
        return argv
    i = argv.index("--config")
    if i + 1 >= len(argv) or argv[1] in ("-h", "--help"):
        return argv
    values = config_files.read(Path(argv[i + 1]))
    name = config_files.family_of(values)
    if name is None:
        raise UsageError(f"--config {argv[i + 1]}: names no model; give it: genlab train MODEL --config FILE")
    return [argv[0], name, *argv[1:]]


def build_config(args: argparse.Namespace):
    """The RunConfig that `args` (and its --config file) describe, checked."""
    layers = []
    if args.config is not None:
        _, from_file = config_files.load(args.config, family=args.model)
        layers.append(from_file)
    typed = given_options(args)
    layers.append(typed)
    config = families.build_config(args.model, families.merge(*layers))
    families.check_needs(config, typed)  # typed, or set by the file: one that does nothing here
    return config


def run(args: argparse.Namespace) -> int:
    config = build_config(args)
    from genlab.data.registry import check_spec  # no torch: `--print-config` stays quick

    check_spec(config.data.spec)
    if config.data.target is not None:
        check_spec(config.data.target)
    if args.print_config:
        print(json.dumps(config.to_dict(), indent=2, sort_keys=True))
        return 0
    if args.out is None:
        raise UsageError("--out DIR is required: the run folder to create or continue")
    from genlab.training.loop import train

    result = train(config, args.out, resume=args.resume, force=args.force, progress=not args.quiet)
    summary = {"run_dir": str(result.run_dir), "step": result.step, "train": result.last_train,
               "validation": result.last_validation}
    if os.environ.get("RANK", "0") == "0":  # under torchrun: one summary, not one per process
        print(json.dumps(summary, sort_keys=True), file=sys.stdout)
    return 0
