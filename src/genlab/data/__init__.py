"""Datasets by spec string, held in memory as uint8 tensors (images) or float32 tensors (toy data).

    ds = load("fashion-mnist")            # Dataset: .train / .test Splits, .classes, .sample_shape
    x = to_float(ds.train.images[:128])   # (128, 1, 28, 28) float32 in [0, 1]

Specs: the registered names (see `catalog()` or `genlab datasets`), `idx:PATH` and `folder:PATH`.
Importing this package (and listing the catalog) imports no torch: the names below that need it are
imported on first use, and so are the loaders (genlab.data.builtin).
"""

import importlib

from genlab.data import builtin as _builtin  # noqa: F401 - registers the built-in names and DANN target domains
from genlab.data.registry import accepted, catalog, load, names, register, register_form

# name -> the submodule that defines it (each imports torch), imported when the name is first used
_LAZY = {"BatchSchedule": "batches", "epoch_permutation": "batches", "iterate_batches": "batches",
         "Dataset": "dataset", "Split": "dataset",
         "resize_images": "images", "save_grid": "images", "to_float": "images", "to_uint8": "images",
         "gauss_1d": "toy", "two_moons": "toy"}

__all__ = ["BatchSchedule", "Dataset", "Split", "accepted", "catalog", "epoch_permutation", "gauss_1d",
           "iterate_batches", "load", "names", "register", "register_form", "resize_images", "save_grid",
           "to_float", "to_uint8", "two_moons"]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f"genlab.data.{_LAZY[name]}"), name)
    else:  # a submodule not imported yet (genlab.data.toy as an attribute)
        try:
            value = importlib.import_module(f"genlab.data.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"genlab.data.{name}":
                raise
            raise AttributeError(f"module 'genlab.data' has no attribute {name!r}") from None
    globals()[name] = value  # later uses are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
