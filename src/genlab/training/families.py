"""Model families by name (declared in genlab.config.families): build a family's Task from a RunConfig."""

from __future__ import annotations

import importlib
from types import ModuleType

import torch

from genlab.config.families import FAMILIES, build_config, config_from_dict, get

__all__ = ["FAMILIES", "available", "build_config", "build_task", "config_from_dict", "family_module"]


def available() -> list[str]:
    return list(FAMILIES)


def family_module(name: str) -> ModuleType:
    """The module with the family's Task (nets, step, evaluation, capabilities)."""
    return importlib.import_module(get(name).module)


def build_task(config, info, device: torch.device):
    return family_module(config.family).Task(config, info, device)
