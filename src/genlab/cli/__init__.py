"""The only place that parses arguments. Each sub-command lives in its own module with two functions:
`add_parser(subparsers)` (declares its options, each with help text) and `run(args) -> int`."""

import argparse
import os
import sys
import traceback

from genlab import __version__
from genlab.errors import GenlabError
from genlab.runtime import keep_freed_memory

# Sub-command modules, in the order `genlab --help` lists them.
COMMANDS = ("datasets", "train", "evaluate", "sample", "plot", "report", "featurenet", "lecture")


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit 2 (DESIGN.md), not usage + message."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or (faster start-up) just the sub-command `only` when argv names one."""
    import importlib

    parser = ArgumentParser(
        prog="genlab",
        description="Train, evaluate and inspect deep generative models (AE, VAE, GAN, DANN) on real data.",
    )
    parser.add_argument("--version", action="version", version=f"genlab {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS if only is None else (only,):
        try:
            module = importlib.import_module(f"genlab.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"genlab.cli.{name}":
                continue  # a command not built yet
            raise
        module.add_parser(sub)
    return parser



def _named_command(argv: list[str]) -> str | None:
    first = next((a for a in argv if not a.startswith("-")), None)
    return first if first in COMMANDS else None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if _named_command(argv) == "train":
            from genlab.cli.train import insert_family

            argv = insert_family(argv)
    except GenlabError as exc:
        print(f"genlab: error: {exc}", file=sys.stderr)
        return exc.exit_code
    parser = build_parser(only=_named_command(argv))
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    keep_freed_memory()
    try:
        return int(args.run(args) or 0)
    except GenlabError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"genlab: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # `genlab datasets | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("genlab: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 -- an internal error: one line unless --debug
        if args.debug:
            traceback.print_exc()
        print(f"genlab: internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)",
              file=sys.stderr)
        return 1
