"""Model families by name. Each family module defines:

- `Config`: its frozen model-config dataclass,
- `add_options(parser)`: its CLI options (help text on each) and `config_from_args(args) -> Config`,
- `Task`: a `genlab.train.task.Task` subclass.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

import torch

from genlab.config import DataConfig, RunConfig, TrainConfig, from_dict
from genlab.errors import UsageError

FAMILIES = {
    "ae": "genlab.train.ae",
    "vae": "genlab.train.vae",
    "gan": "genlab.train.gan",
    "gan-1d": "genlab.train.gan_1d",
    "dann": "genlab.train.dann",
}


def available() -> list[str]:
    """Families whose module exists in this build."""
    names = []
    for name, module in FAMILIES.items():
        if importlib.util.find_spec(module) is not None:
            names.append(name)
    return names


def family_module(name: str) -> ModuleType:
    if name not in FAMILIES or importlib.util.find_spec(FAMILIES[name]) is None:
        raise UsageError(f"unknown model {name!r}; accepted: {', '.join(available())}")
    return importlib.import_module(FAMILIES[name])


def build_task(config: RunConfig, info, device: torch.device):
    return family_module(config.family).Task(config, info, device)


def config_from_dict(values: dict) -> RunConfig:
    """Rebuild a RunConfig from config.json's "config" object (unknown keys are errors)."""
    try:
        family = values["family"]
        module = family_module(family)
        return RunConfig(family=family,
                         data=from_dict(DataConfig, values["data"], where="config data"),
                         model=from_dict(module.Config, values["model"], where=f"config model ({family})"),
                         train=from_dict(TrainConfig, values["train"], where="config train"))
    except (KeyError, TypeError) as exc:
        raise UsageError(f"run config is missing or has a malformed entry: {exc}") from None
