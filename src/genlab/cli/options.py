"""Command-line options generated from the config declarations (genlab.config): one declaration per option.

Every generated option defaults to "not given" (argparse.SUPPRESS), so the options a user typed can be laid
over a config file and the family's defaults, in that order.
"""

from __future__ import annotations

import argparse
import dataclasses

from genlab.config.fields import declared, flag_of, show


def _help(text: str, default) -> str:
    if default is None or "default:" in text:
        return text
    return f"{text} (default: {show(default)})"


def add_config_options(group, cls: type, *, section: str, family: str, defaults: dict | None = None) -> None:
    """One argparse option per CLI field of config class `cls`, stored as dest "SECTION.FIELD"."""
    defaults = defaults or {}
    for f, kind in declared(cls):
        meta = f.metadata
        if not meta.get("cli", True) or (meta.get("families") and family not in meta["families"]):
            continue
        default = defaults.get(f.name, f.default)
        kwargs: dict = {"dest": f"{section}.{f.name}", "default": argparse.SUPPRESS,
                        "help": _help(meta["help"], None if default is dataclasses.MISSING else default)}
        if kind.base is bool and kind.tuple_len is False:
            kwargs["action"] = argparse.BooleanOptionalAction
        else:
            kwargs["type"] = kind.base
            if kind.tuple_len is not False:
                kwargs["nargs"] = kind.tuple_len or ("*" if meta.get("may_be_empty") else "+")
            if meta.get("choices"):
                kwargs["choices"] = meta["choices"]
            if not meta.get("choices"):
                kwargs["metavar"] = meta.get("metavar") or {int: "N", float: "X"}.get(kind.base, f.name.upper())
        group.add_argument(flag_of(f), **kwargs)


def given_options(args: argparse.Namespace) -> dict:
    """The config options typed on the command line: {section: {field: value}}."""
    out: dict = {}
    for dest, value in vars(args).items():
        if "." in dest:
            section, name = dest.split(".", 1)
            out.setdefault(section, {})[name] = tuple(value) if isinstance(value, list) else value
    return out
