"""genlab: deep generative models trained on real data and checked against exact answers.

    import genlab
    run = genlab.train("vae", data="fashion-mnist", out="runs/vae", epochs=5, latent_dim=2)
    run = genlab.load("runs/vae")

`genlab.train`, `genlab.load`, `genlab.configure` and `genlab.Run` come from genlab.api, imported on first
use (so `import genlab` and the command line's start-up stay light); `genlab.datasets`, `genlab.models` and
`genlab.objectives` are usable on their own.
"""

import importlib

from genlab.errors import GenlabError, UsageError

__version__ = "0.1.0"
__all__ = ["GenlabError", "Run", "UsageError", "__version__", "configure", "datasets", "load", "models",
           "objectives", "train"]

_API = {"train", "load", "configure", "Run"}
_SUBMODULES = {"datasets", "models", "objectives", "data", "metrics", "config"}


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module("genlab.api"), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"genlab.{name}")
    raise AttributeError(f"module 'genlab' has no attribute {name!r}")
