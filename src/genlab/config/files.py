"""Config files for `genlab train --config FILE`: JSON or TOML, in any of three shapes.

- a run's own `config.json` (its "config" object is used, the rest is provenance);
- sections: `family = "vae"`, `[data]`, `[train]`, `[model]` tables of options;
- flat options, as the Python API takes them: `data = "fashion-mnist"`, `latent_dim = 2`, `epochs = 5`.
Sections and flat options may be mixed; every name is checked against the family's declarations.
"""

from __future__ import annotations

import json
from pathlib import Path

import tomllib

from genlab.config import families
from genlab.errors import UsageError


def read(path: Path) -> dict:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--config {path}: cannot read it ({exc.strerror or exc})") from None
    try:
        values = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        kind = "TOML" if path.suffix.lower() == ".toml" else "JSON"
        raise UsageError(f"--config {path}: not valid {kind} ({exc})") from None
    if not isinstance(values, dict):
        raise UsageError(f"--config {path}: expected a table of options at the top")
    return values.get("config", values) if isinstance(values.get("config"), dict) else values


def family_of(values: dict) -> str | None:
    name = values.get("family")
    if name is None and isinstance(values.get("model"), str):
        name = values["model"]
    return name


def options(values: dict, *, family: str, where: str) -> dict:
    """The file's options as {section: {option: value}} for `family` (a mismatch with the file's own
    family is an error: a GAN's options do not configure a VAE)."""
    named = family_of(values)
    if named is not None and named != family:
        raise UsageError(f"{where}: configures a '{named}' model, not '{family}'")
    fam = families.get(family)
    sections = {s: values[s] for s in families.SECTIONS if isinstance(values.get(s), dict)}
    flat = {k: v for k, v in values.items() if k not in sections and k != "family"
            and not (k == "model" and isinstance(v, str))}
    nested = families.nest(fam, flat, where=where)
    for section, given in sections.items():  # one option in both forms: neither may silently win
        twice = sorted(set(given) & set(nested[section]))
        if twice:
            raise UsageError(f"{where}: {', '.join(repr(k) for k in twice)} set both at the top level and in "
                             f"[{section}]; give one")
    return families.merge(sections, nested)


def load(path: Path, *, family: str | None) -> tuple[str, dict]:
    """(family, options) from a config file; `family` (from the command line) wins only if they agree."""
    values = read(path)
    family = family or family_of(values)
    if family is None:
        raise UsageError(f"--config {path}: names no model; give it on the command line (genlab train MODEL)")
    return family, options(values, family=family, where=f"--config {path}")
