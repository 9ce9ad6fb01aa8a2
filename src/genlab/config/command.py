"""A RunConfig as the `genlab train` command line that rebuilds it (the lecture's "Reproduce this alone")."""

from __future__ import annotations

import shlex

from genlab.config import families
from genlab.config.fields import declared, flag_of
from genlab.config.run import RunConfig


def _differing(config: RunConfig, other: RunConfig) -> dict:
    return {s: {f.name: getattr(getattr(config, s), f.name) for f, _ in declared(type(getattr(config, s)))
                if getattr(getattr(config, s), f.name) != getattr(getattr(other, s), f.name)}
            for s in families.SECTIONS}


def minimal_options(config: RunConfig) -> dict:
    """The fewest options ({section: {option: value}}) that rebuild `config` from the family's defaults.
    Options whose default depends on another (dann's --lambda-schedule) are added until the rebuild matches."""
    options = families.merge({"data": {"spec": config.data.spec}}, _differing(config, families.build_config(
        config.family, {"data": {"spec": config.data.spec}})))
    for _ in range(len(families.SECTIONS) * 64):
        missing = _differing(config, families.build_config(config.family, options))
        if not any(missing.values()):
            return options
        options = families.merge(options, missing)
    raise AssertionError(f"cannot rebuild {config} from its options")


def _arg(value) -> str:
    return repr(value) if isinstance(value, float) else str(value)  # repr: the shortest exact float


def train_argv(config: RunConfig, *, out: str | None = None) -> list[str]:
    """`genlab train FAMILY --data SPEC ...`: what `genlab train` parses back into this very config."""
    options = minimal_options(config)
    argv = ["genlab", "train", config.family]
    for section in families.SECTIONS:
        for f, kind in declared(type(getattr(config, section))):
            if f.name not in options[section]:
                continue
            value, flag = options[section][f.name], flag_of(f)
            if kind.base is bool and kind.tuple_len is False:
                argv.append(flag if value else "--no-" + flag[2:])
            elif kind.tuple_len is not False:
                argv += [flag, *(_arg(v) for v in value)]
            else:
                argv += [flag, _arg(value)]
    if out is not None:
        argv += ["--out", out]
    return argv


def train_command(config: RunConfig, *, out: str | None = None) -> str:
    return shlex.join(train_argv(config, out=out))
