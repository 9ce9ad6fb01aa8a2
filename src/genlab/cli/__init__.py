"""The only place that parses arguments. Each sub-command lives in its own module with two functions:
`add_parser(subparsers)` (declares its options, each with help text) and `run(args) -> int`."""

import argparse
import errno
import os
import sys
import traceback

from genlab import __version__
from genlab.errors import GenlabError
from genlab.runtime import flush_denormals, keep_freed_memory

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


# Where the user pointed genlab at a place it cannot use (--out unwritable, a file where a folder must be):
# bad usage, exit 2, not an internal error
USER_PATH_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR, errno.EEXIST,
                    errno.ENAMETOOLONG}


# The commands that compute with tensors (`datasets`, `report`, `lecture --list` and every --help stay
# torch-free).
TENSOR_COMMANDS = ("train", "evaluate", "sample", "plot", "featurenet", "lecture")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--debug" in argv:  # accepted anywhere, as the error hint suggests adding it to the same command
        argv = ["--debug", *(a for a in argv if a != "--debug")]
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
        if args.command in TENSOR_COMMANDS and not getattr(args, "list", False):
            flush_denormals()  # before any tensor work, so torch's worker threads start with it
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
    except OSError as exc:
        if args.debug:
            traceback.print_exc()
        if exc.errno not in USER_PATH_ERRNOS:
            return _internal_error(exc, args.debug)
        where = f": {exc.filename}" if exc.filename else ""
        print(f"genlab: error: {exc.strerror or type(exc).__name__}{where}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 -- an internal error: one line unless --debug
        if args.debug:
            traceback.print_exc()
        return _internal_error(exc, args.debug)


def _internal_error(exc: BaseException, debug: bool) -> int:
    hint = "" if debug else " (rerun with --debug for the traceback)"
    print(f"genlab: internal error: {type(exc).__name__}: {exc}{hint}", file=sys.stderr)
    return 1
