"""Parallel first-load decoding (genlab.data.parallel): the same bytes as in-process, in order, one-line errors
from workers too, and a first load that fails midway leaves no cache file behind."""

import itertools

import numpy as np
import pytest
import torch
from PIL import Image

from genlab.data import load
from genlab.data.celeba import CROP, IMAGE_DIR, PARTITION_FILE, decode_all, load_celeba
from genlab.data.folder import decode_images, scan
from genlab.data.parallel import WORKERS_ENV, chunk_bounds, decode_into, decode_workers
from genlab.errors import UsageError


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GENLAB_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("GENLAB_PROGRESS", "0")


def _noise(seed, w, h, channels=3):
    rng = np.random.default_rng(seed)
    shape = (h, w, channels) if channels == 3 else (h, w)
    return rng.integers(0, 256, size=shape, dtype=np.uint8)


def _mixed_folder(root, n=13):
    """JPEGs and PNGs of several sizes, RGB and grayscale, each with its own noise."""
    sizes = [(40, 30), (23, 51), (64, 64), (17, 17), (90, 33)]
    for i in range(n):
        w, h = sizes[i % len(sizes)]
        gray = i % 4 == 3
        pixels = _noise(i, w, h, 1 if gray else 3)
        ext = ".jpg" if i % 2 else ".png"
        path = root / f"{i:03d}{ext}"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels, mode="L" if gray else "RGB").save(path)
    return sorted(root.iterdir())


def _serial_and_parallel(monkeypatch, decode):
    monkeypatch.setenv(WORKERS_ENV, "1")
    serial = decode()
    monkeypatch.setenv(WORKERS_ENV, "2")
    parallel = decode()
    return serial, parallel


def test_folder_parallel_equals_serial_byte_for_byte(tmp_path, monkeypatch):
    files = _mixed_folder(tmp_path / "imgs")
    assert len(chunk_bounds(len(files), 2)) > 2  # the parallel run really spreads several chunks
    serial, parallel = _serial_and_parallel(monkeypatch, lambda: decode_images(files, image_size=24))
    assert serial.shape == (13, 3, 24, 24) and serial.dtype == torch.uint8
    assert torch.equal(serial, parallel)


def test_folder_native_size_gray_parallel_equals_serial(tmp_path, monkeypatch):
    root = tmp_path / "gray"
    root.mkdir()
    for i in range(9):
        Image.fromarray(_noise(i, 21, 14, 1), mode="L").save(root / f"{i}.png")
    files, _ = scan(root)
    serial, parallel = _serial_and_parallel(monkeypatch, lambda: decode_images(files, image_size=None))
    assert serial.shape == (9, 1, 14, 21)
    assert torch.equal(serial, parallel)
    assert np.array_equal(serial[4, 0].numpy(), _noise(4, 21, 14, 1))  # lossless PNG: the exact pixels


def test_order_is_preserved(tmp_path, monkeypatch):
    root = tmp_path / "ordered"
    root.mkdir()
    for i in range(20):
        Image.fromarray(np.full((8, 8), i * 10, dtype=np.uint8), mode="L").save(root / f"{i:02d}.png")
    files, _ = scan(root)
    monkeypatch.setenv(WORKERS_ENV, "3")
    images = decode_images(files, image_size=None)
    assert images[:, 0, 0, 0].tolist() == [i * 10 for i in range(20)]


def test_decode_into_chunking_in_process_matches_pool(tmp_path):
    files = _mixed_folder(tmp_path / "imgs", n=11)
    serial = decode_all(files, 16, crop=CROP, dataset="t", desc="t")
    out = np.empty_like(serial)
    from genlab.data.celeba import decode_chunk

    for start_method in ("spawn", None):  # spawn-safe (macOS, Windows), and the platform's default
        out[:] = 0
        decode_into(out, files, decode_chunk, (16, CROP, "t"), desc="t", workers=2, chunk_size=3,
                    start_method=start_method)
        assert np.array_equal(out, serial)


def test_one_worker_pool_serves_several_calls(tmp_path):
    from genlab.data.celeba import decode_chunk
    from genlab.data.parallel import worker_pool

    files = _mixed_folder(tmp_path / "imgs", n=11)
    serial = decode_all(files, 16, crop=CROP, dataset="t", desc="t")
    with worker_pool(len(files), workers=2) as pool:
        assert pool is not None and pool.workers == 2
        first = decode_into(np.zeros_like(serial[:6]), files[:6], decode_chunk, (16, CROP, "t"), desc="a",
                            chunk_size=2, pool=pool)
        second = decode_into(np.zeros_like(serial[6:]), files[6:], decode_chunk, (16, CROP, "t"), desc="b",
                             chunk_size=2, pool=pool)
    assert np.array_equal(np.concatenate([first, second]), serial)
    with worker_pool(len(files), workers=1) as pool:
        assert pool is None  # one worker: decoded in this process


def _celeba(root, n=10):
    images = root / "celeba" / IMAGE_DIR
    images.mkdir(parents=True)
    lines = []
    for i in range(1, n + 1):
        Image.fromarray(_noise(i, 178, 218)).save(images / f"{i:06d}.jpg", quality=90)
        lines.append(f"{i:06d}.jpg {0 if i <= n - 3 else 2}")
    (root / "celeba" / PARTITION_FILE).write_text("\n".join(lines) + "\n")
    return images


def test_celeba_parallel_equals_serial_and_old_layout(tmp_path, monkeypatch):
    images = _celeba(tmp_path / "data")
    serial, parallel = _serial_and_parallel(monkeypatch, lambda: load_celeba(image_size=32))
    assert serial.train.images.shape == (7, 3, 32, 32) and serial.test.images.shape == (3, 3, 32, 32)
    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path / "cache2"))  # a fresh first load, decoded by 2 workers
    parallel = load_celeba(image_size=32)
    assert torch.equal(serial.train.images, parallel.train.images)
    assert torch.equal(serial.test.images, parallel.test.images)
    from genlab.data.celeba import decode_centre_crop

    one = decode_centre_crop(images / "000005.jpg", 32)  # the per-image decoder, (H, W, 3)
    assert np.array_equal(parallel.train.images[4].numpy(), one.transpose(2, 0, 1))


def test_celeba_missing_image_is_named_and_a_cached_set_skips_the_checks(tmp_path, monkeypatch):
    from genlab.errors import UsageError

    images = _celeba(tmp_path / "data")
    monkeypatch.setenv("GENLAB_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path / "cache"))
    (images / "000003.jpg").rename(tmp_path / "aside.jpg")
    with pytest.raises(UsageError, match=r"1 image\(s\) listed .* missing .*000003\.jpg"):
        load_celeba(image_size=16)
    (tmp_path / "aside.jpg").rename(images / "000003.jpg")
    first = load_celeba(image_size=16)
    assert first.owns_tensors
    monkeypatch.setattr("genlab.data.celeba.read_partition", lambda path: pytest.fail("re-read on a cache hit"))
    again = load_celeba(image_size=16)  # from the cache: neither the partition nor the images are read
    assert torch.equal(again.train.images, first.train.images)


def test_corrupt_image_in_a_worker_is_one_usage_error_naming_the_file(tmp_path, monkeypatch):
    root = tmp_path / "imgs"
    files = _mixed_folder(root)
    bad = files[8]  # a PNG cut short: its header reads (the serial scan passes), its pixels fail in a worker
    assert bad.suffix == ".png"
    bad.write_bytes(bad.read_bytes()[:-len(bad.read_bytes()) // 2])
    monkeypatch.setenv(WORKERS_ENV, "2")
    with pytest.raises(UsageError) as info:
        load(f"folder:{root}", image_size=16)
    message = str(info.value)
    assert "\n" not in message and str(bad) in message and "not a readable image" in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_corrupt_celeba_image_in_a_worker(tmp_path, monkeypatch):
    images = _celeba(tmp_path / "data")
    (images / "000003.jpg").write_bytes(b"broken")
    monkeypatch.setenv(WORKERS_ENV, "2")
    with pytest.raises(UsageError) as info:
        load_celeba(image_size=16)
    message = str(info.value)
    assert "\n" not in message and message.startswith("celeba: ") and str(images / "000003.jpg") in message
    assert not list((tmp_path / "cache").rglob("*"))  # nothing cached from a failed first load


def test_write_failing_midway_leaves_no_cache_file(tmp_path, monkeypatch):
    """cache.write_cache goes through genlab.io.write_with (temp file + fsync + rename): a first load killed
    while the safetensors file is half written leaves neither a cache entry nor a temp file."""
    import safetensors.torch

    files = _mixed_folder(tmp_path / "imgs", n=5)
    real_save = safetensors.torch.save_file

    def half_save(tensors, filename, metadata=None):
        real_save(tensors, filename, metadata=metadata)
        with open(filename, "r+b") as f:  # half the bytes on disk, then the process "dies"
            f.truncate(f.seek(0, 2) // 2)
        raise KeyboardInterrupt

    monkeypatch.setattr(safetensors.torch, "save_file", half_save)
    with pytest.raises(KeyboardInterrupt):
        load(f"folder:{files[0].parent}", image_size=8)
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    monkeypatch.setattr(safetensors.torch, "save_file", real_save)
    ds = load(f"folder:{files[0].parent}", image_size=8)  # the next load builds and stores a whole entry
    (entry,) = (tmp_path / "cache" / "datasets").glob("*.safetensors")
    from genlab.data.cache import read_cache

    assert torch.equal(read_cache(entry).train.images, ds.train.images)


def test_worker_count(monkeypatch):
    monkeypatch.delenv(WORKERS_ENV, raising=False)
    assert decode_workers(100) == 1  # small sets: no pool start-up
    assert decode_workers(200_000) >= 1
    monkeypatch.setenv(WORKERS_ENV, "3")
    assert decode_workers(10) == 3
    for bad in ("0", "-2", "many"):
        monkeypatch.setenv(WORKERS_ENV, bad)
        with pytest.raises(UsageError, match=WORKERS_ENV):
            decode_workers(10)


def test_chunk_bounds_cover_everything_in_order():
    for n, workers, size in [(1, 1, None), (13, 2, None), (5000, 16, None), (10, 3, 4)]:
        bounds = chunk_bounds(n, workers, size)
        assert bounds[0][0] == 0 and bounds[-1][1] == n
        assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
        assert all(stop - start <= 256 for start, stop in bounds)
