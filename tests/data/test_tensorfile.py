"""genlab.data.tensorfile: ordinary safetensors files, written and read without a second copy in memory."""

import subprocess
import sys

import pytest
import torch
from safetensors.torch import save_file

from genlab.data import tensorfile


def _tensors():
    gen = torch.Generator().manual_seed(0)
    return {"images": torch.randint(0, 256, (7, 3, 5, 4), dtype=torch.uint8, generator=gen),
            "labels": torch.arange(7, dtype=torch.int64) * -3,
            "floats": torch.randn(2, 9, generator=gen),
            "halves": torch.randn(5, generator=gen).to(torch.bfloat16),
            "flags": torch.tensor([True, False, True]),
            "empty": torch.zeros(0, 4, dtype=torch.float32),
            "scalar": torch.tensor(2.5, dtype=torch.float64)}


def test_reads_what_safetensors_wrote(tmp_path):
    tensors = _tensors()
    path = tmp_path / "t.safetensors"
    save_file(tensors, str(path), metadata={"k": "v"})
    got, meta, _ = tensorfile.load(path)
    assert meta == {"k": "v"} and set(got) == set(tensors)
    for name, t in tensors.items():
        assert got[name].dtype == t.dtype and got[name].shape == t.shape and torch.equal(got[name], t), name


@pytest.mark.parametrize("damage", ["truncate-data", "truncate-header", "huge-header", "bad-dtype"])
def test_malformed_files_raise_value_error(tmp_path, damage):
    path = tmp_path / "t.safetensors"
    save_file({"x": torch.arange(100, dtype=torch.int64)}, str(path))
    data = path.read_bytes()
    if damage == "truncate-data":
        data = data[:-8]
    elif damage == "truncate-header":
        data = data[:12]
    elif damage == "huge-header":
        data = (2 ** 40).to_bytes(8, "little") + data[8:]
    else:
        data = data.replace(b'"I64"', b'"X64"')
    path.write_bytes(data)
    with pytest.raises(ValueError):
        tensorfile.load(path)


PEAK = r"""
import resource, sys, torch
from pathlib import Path
from genlab.data.cache import read_cache, write_cache
from genlab.data.dataset import Dataset, Split
path, mode = Path(sys.argv[1]), sys.argv[2]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if mode == "write":
    images = torch.ones(300, 2**20, dtype=torch.uint8)
    write_cache(path, Dataset(name="big", train=Split(images), test=Split(images[:1].clone()), classes=None, kind="image",
                              source_note=""))
else:
    dataset = read_cache(path)
    assert dataset is not None and int(dataset.train.images[-1, -1]) == 1
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)  # MiB above the start
"""


def test_a_300_mib_cache_is_never_held_twice(tmp_path):
    # safetensors' load(bytes) and safe_open peak at twice the data; the cache must stay near once
    path = tmp_path / "big.safetensors"
    for mode in ("write", "read"):
        done = subprocess.run([sys.executable, "-c", PEAK, str(path), mode], capture_output=True, text=True,
                              check=True)
        grew_mib = float(done.stdout)
        assert grew_mib < 300 * 1.15, (mode, grew_mib)


def test_block_crcs_are_read_with_the_data(tmp_path):
    import zlib

    tensors = _tensors()
    path = tmp_path / "t.safetensors"
    save_file(tensors, str(path))
    got, _, crcs = tensorfile.load(path, crc_block=16)  # 16 bytes: several blocks per tensor, one short
    for name, t in tensors.items():
        raw = bytes(tensorfile._raw(t)) if t.numel() else b""
        expected = [f"{zlib.crc32(raw[a:a + 16]):08x}" for a in range(0, len(raw), 16)]
        assert crcs[name] == expected == tensorfile.block_crcs(t, 16), name
        assert torch.equal(got[name], t)
