"""Options declared once: a config field carries its default, help text, choices and bounds.

`option(...)` is a `dataclasses.field` whose metadata the CLI turns into an argparse option and `check`
turns into the one-line errors every entry point shares (CLI, Python API, experiments, config files).
Torch-free on purpose: `genlab --help` builds every option from these declarations without importing torch.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import types
import typing
from dataclasses import dataclass
from typing import Any

from genlab.errors import UsageError


def option(default: Any, help: str, *, choices: tuple | None = None, min: float | None = None,
           max: float | None = None, above: float | None = None, below: float | None = None,
           flag: str | None = None, metavar: str | tuple | None = None, cli: bool = True,
           may_be_empty: bool = False, families: tuple[str, ...] | None = None,
           needs: dict[str, tuple] | None = None) -> Any:
    """A config field: `min`/`max` are inclusive bounds, `above`/`below` exclusive ones (applied to each
    element of a tuple); `flag` overrides the CLI name (default: --field-name); `cli=False` keeps it out of
    the command line (config files and the Python API still set it); `families` limits a shared field's
    CLI option to those model families; `default=dataclasses.MISSING` makes the field required; `needs`
    ({other field: accepted values}) says when the option does anything, so that giving it otherwise is an
    error rather than silently ignored."""
    meta = {"help": help, "choices": choices, "min": min, "max": max, "above": above, "below": below,
            "flag": flag, "metavar": metavar, "cli": cli, "may_be_empty": may_be_empty, "families": families,
            "needs": needs}
    if isinstance(default, (list, dict, set)):
        raise TypeError("mutable defaults are not allowed; use a tuple")
    return dataclasses.field(default=default, metadata=meta)


@dataclass(frozen=True)
class Kind:
    """What a field's annotation says: the element type, tuple-ness (length None = any) and None-ability."""

    base: type
    tuple_len: int | None | bool   # False: not a tuple; None: any length; n: exactly n
    optional: bool


def kind_of(hint: Any) -> Kind:
    optional = False
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        optional = len(args) < len(typing.get_args(hint))
        hint = args[0]
    if typing.get_origin(hint) is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return Kind(args[0], None, optional)
        return Kind(args[0], len(args), optional)
    return Kind(hint, False, optional)


def flag_of(f: dataclasses.Field) -> str:
    return f.metadata.get("flag") or "--" + f.name.replace("_", "-")


def declared(cls: type) -> list[tuple[dataclasses.Field, Kind]]:
    """The fields of a config class with their kinds, in declaration order."""
    hints = typing.get_type_hints(cls)
    return [(f, kind_of(hints[f.name])) for f in dataclasses.fields(cls)]


def show(value: Any) -> str:
    """A value as the command line writes it."""
    if isinstance(value, (tuple, list)):
        return " ".join(show(v) for v in value)
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def whole_number(value: Any, flag: str, *, low: int | None = None, high: int | None = None) -> int:
    """value as an int (numpy ints too; not a bool, a float or a string) within [low, high], else UsageError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise UsageError(f"{flag} {value!r}: must be a whole number")
    if low is not None and value < low:
        raise UsageError(f"{flag} {value}: must be at least {low}")
    if high is not None and value > high:
        raise UsageError(f"{flag} {value}: must be at most {high}")
    return int(value)


def _coerce_scalar(value: Any, base: type, flag: str) -> Any:
    if base is bool:
        if not isinstance(value, bool):
            raise UsageError(f"{flag} {value!r}: must be true or false")
        return value
    if base is int:
        return whole_number(value, flag)  # bounds: _check_bounds, from the declaration
    if base is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UsageError(f"{flag} {value!r}: must be a number")
        if not math.isfinite(value):
            raise UsageError(f"{flag} {value}: must be a finite number")
        return float(value)
    if base is str and not isinstance(value, str):
        raise UsageError(f"{flag} {value!r}: must be a string")
    return value


def _check_bounds(value: Any, meta: dict, flag: str, shown: str) -> None:
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        raise UsageError(f"{flag} {shown}: accepted {', '.join(map(str, choices))}")
    if meta.get("min") is not None and value < meta["min"]:
        raise UsageError(f"{flag} {shown}: must be at least {meta['min']:g}")
    if meta.get("max") is not None and value > meta["max"]:
        raise UsageError(f"{flag} {shown}: must be at most {meta['max']:g}")
    if meta.get("above") is not None and not value > meta["above"]:
        raise UsageError(f"{flag} {shown}: must be greater than {meta['above']:g}")
    if meta.get("below") is not None and not value < meta["below"]:
        raise UsageError(f"{flag} {shown}: must be less than {meta['below']:g}")


def coerce(f: dataclasses.Field, kind: Kind, value: Any) -> Any:
    """One field's value checked against its declaration (types, length, choices, bounds), normalised
    (JSON lists become tuples, whole numbers in float fields become floats); UsageError otherwise."""
    flag = flag_of(f)
    if value is None:
        if kind.optional:
            return None
        raise UsageError(f"{flag}: a value is required")
    if kind.tuple_len is False:
        value = _coerce_scalar(value, kind.base, flag)
        _check_bounds(value, f.metadata, flag, show(value))
        return value
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise UsageError(f"{flag} {value!r}: must be a list of {kind.base.__name__}")
    items = tuple(_coerce_scalar(v, kind.base, flag) for v in value)
    if kind.tuple_len is not None and len(items) != kind.tuple_len:
        raise UsageError(f"{flag} {show(items)}: give exactly {kind.tuple_len} values")
    if not items and not f.metadata.get("may_be_empty"):
        raise UsageError(f"{flag}: give at least one value")
    for item in items:
        _check_bounds(item, f.metadata, flag, show(items))
    return items


def check(config: Any) -> None:
    """Check and normalise every declared field of a (frozen) config in place; call from __post_init__."""
    for f, kind in declared(type(config)):
        value = coerce(f, kind, getattr(config, f.name))
        object.__setattr__(config, f.name, value)  # frozen: normalising once, while it is being built


def build(cls: type, values: dict, *, where: str) -> Any:
    """A config from a dict (JSON, TOML, keyword arguments); unknown keys are errors naming the accepted ones."""
    if not isinstance(values, dict):
        raise UsageError(f"{where}: expected a table of options, got {type(values).__name__}")
    known = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise UsageError(f"{where}: unknown option{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                         f"accepted: {', '.join(known)}")
    for f in dataclasses.fields(cls):
        if f.name not in values and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise UsageError(f"{flag_of(f)} is required: {f.metadata.get('help', f.name)}")
    return cls(**values)
