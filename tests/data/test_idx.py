"""The IDX reader on files written in the real format, and on corrupted variants of them."""

import gzip

import numpy as np
import pytest
import torch

from genlab.data import load
from genlab.data.idx import read_idx
from genlab.errors import UsageError
from tests.data import idx_bytes, write_idx, write_mnist_like


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GENLAB_DATA", str(tmp_path / "data"))


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("gz", [False, True])
def test_round_trip_every_type(tmp_path, dtype, gz):
    array = (np.arange(2 * 3 * 5) - 7).astype(dtype).reshape(2, 3, 5)
    if dtype == "uint8":
        array = np.arange(30, dtype=np.uint8).reshape(2, 3, 5)
    got = read_idx(write_idx(tmp_path / "a.idx", array, gz=gz))
    assert got.dtype == array.dtype and got.shape == (2, 3, 5)
    np.testing.assert_array_equal(got, array)


def test_gzip_is_detected_by_magic_not_name(tmp_path):
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    path = write_idx(tmp_path / "looks-raw-idx3-ubyte", array, gz=True)
    np.testing.assert_array_equal(read_idx(path), array)


GOOD = np.arange(2 * 4 * 4, dtype=np.uint8).reshape(2, 4, 4)


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("mutate, message", [
    (lambda b: b"\x01\x00" + b[2:], "not an IDX file"),
    (lambda b: b[:2] + b"\x07" + b[3:], "bad IDX type code 0x07"),
    (lambda b: b[:3] + b"\x05" + b[4:], "bad IDX rank 5"),
    (lambda b: b[:3] + b"\x00" + b[4:], "bad IDX rank 0"),
    (lambda b: b[:-5], "truncated: header says 2x4x4 = 32 bytes, file has 27"),
    (lambda b: b + b"junk", "trailing bytes"),
    (lambda b: b[:4] + (3).to_bytes(4, "big") + b[8:], "truncated: header says 3x4x4 = 48 bytes"),
    (lambda b: b[:6], "truncated IDX header"),
    (lambda b: b[:2], "not an IDX file"),
])
def test_corrupt_files_give_one_clear_line(tmp_path, gz, mutate, message):
    data = mutate(idx_bytes(GOOD))
    path = tmp_path / "bad-images-idx3-ubyte"
    path.write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(UsageError) as info:
        read_idx(path)
    text = str(info.value)
    assert message in text and str(path) in text and "\n" not in text


def test_truncated_gzip_stream(tmp_path):
    path = tmp_path / "x.gz"
    noise = np.random.default_rng(0).integers(0, 256, (100, 28, 28), dtype=np.uint8)
    path.write_bytes(gzip.compress(idx_bytes(noise))[:2000])
    with pytest.raises(UsageError, match="truncated: the gzip stream ends"):
        read_idx(path)


def test_huge_header_is_refused_before_allocating(tmp_path):
    path = tmp_path / "bomb"
    path.write_bytes(bytes([0, 0, 0x0E, 4]) + (0xFFFFFFFF).to_bytes(4, "big") * 4 + b"\0" * 64)
    with pytest.raises(UsageError, match="implausible size|truncated"):
        read_idx(path)


def test_idx_spec_pairs_labels_and_t10k_test(tmp_path):
    arrays = write_mnist_like(tmp_path / "set")
    ds = load(f"idx:{tmp_path / 'set' / 'train-images-idx3-ubyte.gz'}")
    assert ds.train.images.shape == (60, 1, 28, 28) and ds.train.images.dtype == torch.uint8
    assert len(ds.test) == 20 and ds.num_classes == 10 and ds.kind == "image"
    np.testing.assert_array_equal(ds.train.images[:, 0].numpy(), arrays["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(ds.test.labels.numpy(), arrays["t10k-labels-idx1-ubyte.gz"])


def test_idx_spec_without_siblings_carves_ten_percent(tmp_path):
    path = write_idx(tmp_path / "faces.idx3", np.zeros((50, 6, 6), np.uint8), gz=False)
    ds = load(f"idx:{path}")
    assert (len(ds.train), len(ds.test)) == (45, 5) and ds.train.labels is None and ds.classes is None
    again = load(f"idx:{path}")
    torch.testing.assert_close(again.test.images, ds.test.images)


def test_label_count_mismatch(tmp_path):
    write_idx(tmp_path / "x-images-idx3-ubyte", np.zeros((10, 4, 4), np.uint8))
    write_idx(tmp_path / "x-labels-idx1-ubyte", np.zeros(9, np.uint8))
    with pytest.raises(UsageError, match="9 labels for 10 images"):
        load(f"idx:{tmp_path / 'x-images-idx3-ubyte'}")


def test_missing_idx_file_and_resize(tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        load(f"idx:{tmp_path / 'nope'}")
    write_mnist_like(tmp_path / "set", n_train=10, n_test=10)
    ds = load(f"idx:{tmp_path / 'set' / 'train-images-idx3-ubyte.gz'}", image_size=14)
    assert ds.sample_shape == (1, 14, 14)


def test_garbage_after_gzip_stream(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(idx_bytes(GOOD)) + b"garbage")
    with pytest.raises(UsageError, match="corrupt gzip data or trailing bytes"):
        read_idx(path)
