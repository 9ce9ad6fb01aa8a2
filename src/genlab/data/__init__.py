"""Datasets by spec string, held in memory as uint8 tensors (images) or float32 tensors (toy data).

    ds = load("fashion-mnist")            # Dataset: .train / .test Splits, .classes, .sample_shape
    x = to_float(ds.train.images[:128])   # (128, 1, 28, 28) float32 in [0, 1]

Specs: the registered names (see `catalog()` or `genlab datasets`), `idx:PATH` and `folder:PATH`.
"""

from genlab.data import builtin as _builtin  # noqa: F401 - registers the built-in names
from genlab.data import domains as _domains  # noqa: F401 - registers the DANN target domains
from genlab.data.batches import epoch_permutation, iterate_batches
from genlab.data.dataset import Dataset, Split
from genlab.data.images import resize_images, save_grid, to_float, to_uint8
from genlab.data.registry import accepted, catalog, load, names, register, register_form
from genlab.data.toy import gauss_1d, two_moons

__all__ = ["Dataset", "Split", "accepted", "catalog", "epoch_permutation", "gauss_1d", "iterate_batches", "load",
           "names", "register", "register_form", "resize_images", "save_grid", "to_float", "to_uint8",
           "two_moons"]
