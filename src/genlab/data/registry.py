"""Dataset specs -> loaders. A spec is a registered name (`fashion-mnist`) or a form `PREFIX:ARG`
(`idx:PATH`, `folder:PATH`). New datasets call `register` from their own module; nothing here changes.

A loader is `loader(*, image_size) -> Dataset` (forms: `loader(arg, *, image_size)`). A loader may honour
image_size itself (to cache the resized data); if it does not, `load` resizes the result.
A describe function returns, cheaply (file existence only, no decoding), a dict with CATALOG_KEYS.
This module imports no torch, so `genlab datasets` lists the catalog without it: the built-in names register
`lazy("module:function")` loaders and torch-free describe functions (genlab.data.describe).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from genlab.errors import UsageError

if TYPE_CHECKING:
    from genlab.data.dataset import Dataset

Loader = Callable[..., "Dataset"]
CATALOG_KEYS = ("available", "how_to_get", "shape", "train_size", "test_size", "num_classes", "note")
MAX_IMAGE_SIZE = 1024


@dataclass(frozen=True)
class _Entry:
    loader: Loader
    describe: Callable[[], dict]


_NAMES: dict[str, _Entry] = {}
_FORMS: dict[str, tuple[Loader, str]] = {}  # prefix -> (loader, one-line help)


def lazy(target: str) -> Loader:
    """A loader that imports "package.module:function" on its first call (so registering it imports nothing)."""
    module, _, attr = target.partition(":")

    def loader(*args, **kwargs) -> Dataset:
        return getattr(importlib.import_module(module), attr)(*args, **kwargs)

    loader.__qualname__ = loader.__name__ = attr
    return loader


def register(name: str, loader: Loader, *, describe: Callable[[], dict], replace: bool = False) -> None:
    """Make `name` a valid spec. Registering a taken name is an error unless replace=True."""
    if ":" in name or not name:
        raise ValueError(f"dataset names cannot be empty or contain ':', got {name!r}")
    if name in _NAMES and not replace:
        raise ValueError(f"dataset {name!r} is already registered")
    _NAMES[name] = _Entry(loader, describe)


def register_form(prefix: str, loader: Loader, *, help: str) -> None:
    """Make `PREFIX:ARG` a valid spec; loader(ARG, image_size=...) builds the dataset."""
    _FORMS[prefix] = (loader, help)


def names() -> tuple[str, ...]:
    return tuple(_NAMES)


def accepted() -> str:
    """One line listing every accepted spec, for error messages and help."""
    return ", ".join([*_NAMES, *(f"{p}:PATH" for p in _FORMS)])


def check_spec(spec: str) -> None:
    """UsageError (one line) unless `spec` is a registered name or a NAME:PATH form with a path; loads nothing
    (whether the files are there is the loader's to say)."""
    spec = spec.strip()
    if spec in _NAMES:
        return
    prefix, colon, arg = spec.partition(":")
    if prefix in _FORMS and colon:
        if not arg:
            raise UsageError(f"{spec!r}: missing path after '{prefix}:'")
        return
    raise UsageError(f"unknown dataset {spec!r}; accepted: {accepted()}")


def load(spec: str, *, image_size: int | None = None) -> Dataset:
    """The dataset a spec names, held in memory. Raises UsageError (one line) for any bad spec or data."""
    _check_image_size(image_size)
    if not isinstance(spec, str):
        raise UsageError(f"dataset spec {spec!r}: a name such as 'fashion-mnist', or idx:PATH / folder:PATH")
    spec = spec.strip()
    check_spec(spec)
    if spec in _NAMES:
        dataset = _NAMES[spec].loader(image_size=image_size)
    else:
        prefix, _, arg = spec.partition(":")
        dataset = _FORMS[prefix][0](arg, image_size=image_size)
    if image_size is not None:
        dataset = _resized(dataset, image_size)
    return dataset.replace(name=spec)


def _check_image_size(image_size: int | None) -> None:
    if image_size is not None and (not isinstance(image_size, int) or not 1 <= image_size <= MAX_IMAGE_SIZE):
        raise UsageError(f"image size must be an integer from 1 to {MAX_IMAGE_SIZE}, got {image_size!r}")


def _resized(dataset: Dataset, size: int) -> Dataset:
    """Resize a loader's result when it did not honour image_size itself."""
    from genlab.data.dataset import Split
    from genlab.data.images import resize_images

    if dataset.kind != "image":
        raise UsageError(f"an image size applies to image datasets; {dataset.name} is {dataset.kind} data")
    if dataset.sample_shape[1:] == (size, size):
        return dataset
    return dataset.replace(train=Split(resize_images(dataset.train.images, size), dataset.train.labels),
                           test=Split(resize_images(dataset.test.images, size), dataset.test.labels))


def catalog() -> list[dict]:
    """One dict per registered name: name plus CATALOG_KEYS (shape as a list, so it is JSON-ready)."""
    rows = []
    for name, entry in _NAMES.items():
        info = entry.describe()
        missing = [k for k in CATALOG_KEYS if k not in info]
        if missing:
            raise ValueError(f"describe() for {name!r} lacks {missing}")
        rows.append({"name": name, **{k: info[k] for k in CATALOG_KEYS}, "shape": list(info["shape"])})
    return rows


def forms() -> dict[str, str]:
    """{prefix: help} for the PREFIX:ARG forms."""
    return {p: h for p, (_, h) in _FORMS.items()}
