"""Datasets for the Python API: `genlab.datasets.load("fashion-mnist")` -> a Dataset whose `.train` and
`.test` hold uint8 images (N, C, H, W) and labels; `catalog()` lists every registered name (see
`genlab datasets`). The same loaders as the command line (genlab.data)."""

from genlab.data import Dataset, Split, catalog, load, names, to_float

__all__ = ["Dataset", "Split", "catalog", "load", "names", "to_float"]
