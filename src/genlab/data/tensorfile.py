"""safetensors files read straight into freshly allocated tensors: one copy in memory at any size.

safetensors' `load` takes the whole file as one bytes object, and `safe_open` maps the file and copies out of
the mapping, so reading a 2.2 GB dataset cache (CelebA at 64x64) peaks at twice that. (Its `save_file` writes
from the tensors' memory already, so writing stays with the library.) The format is small enough to read
directly: an 8-byte little-endian header length, a JSON header ({name: {dtype, shape, data_offsets},
"__metadata__": {...}}), then the raw little-endian bytes. Only plain data types; nothing is executed.
"""

from __future__ import annotations

import json
import os
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

_BY_NAME = {"U8": torch.uint8, "I8": torch.int8, "I16": torch.int16, "I32": torch.int32, "I64": torch.int64,
            "F16": torch.float16, "BF16": torch.bfloat16, "F32": torch.float32, "F64": torch.float64,
            "BOOL": torch.bool}
MAX_HEADER = 100_000_000  # the library's own limit on the JSON header
READ_BLOCK = 32 * 2**20  # bytes per threaded read when no CRC block size is given


def _raw(t: torch.Tensor) -> memoryview:
    """The bytes of a contiguous CPU tensor, without copying (numpy has no bfloat16: 2-byte floats are viewed
    as int16, bools as uint8)."""
    flat = t.reshape(-1)
    if t.dtype in (torch.bfloat16, torch.float16):
        flat = flat.view(torch.int16)
    elif t.dtype == torch.bool:
        flat = flat.view(torch.uint8)
    return memoryview(flat.numpy()).cast("B")


def read_header(f) -> tuple[dict, dict[str, str], int]:
    """(tensor entries, metadata, offset of the data) from an open binary file at its start."""
    length = int.from_bytes(f.read(8), "little")
    if not 0 < length <= MAX_HEADER:
        raise ValueError(f"implausible safetensors header length {length}")
    raw = f.read(length)
    if len(raw) != length:
        raise ValueError("truncated safetensors header")
    header = json.loads(raw)
    metadata = header.pop("__metadata__", None) or {}
    return header, metadata, 8 + length


def load(path: Path, *, crc_block: int | None = None) -> tuple[dict[str, torch.Tensor], dict[str, str],
                                                              dict[str, list[str]]]:
    """(tensors, metadata, block CRCs) read from a safetensors file into freshly allocated tensors: one copy in
    memory. Blocks are read (and, with crc_block, CRC32'd while still in the CPU cache) by a few threads at
    once: pread and zlib release the GIL, and one thread alone is held to memory-copy speed. The CRCs are
    {name: [hex CRC32 of each crc_block bytes]} ({} without crc_block). Raises ValueError for anything
    malformed or truncated."""
    if sys.byteorder != "little":
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as f:
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 - not a dict
            metadata = f.metadata() or {}
        return tensors, metadata, {k: block_crcs(v, crc_block) for k, v in tensors.items()} if crc_block else {}
    with open(path, "rb", buffering=0) as f:
        header, metadata, base = read_header(f)
        file_size = f.seek(0, 2)
        tensors, jobs = {}, []
        for name, entry in header.items():
            if entry.get("dtype") not in _BY_NAME:
                raise ValueError(f"{name}: unsupported dtype {entry.get('dtype')!r}")
            shape = [int(s) for s in entry["shape"]]
            if any(s < 0 for s in shape):
                raise ValueError(f"{name}: negative shape {shape}")
            begin, end = (int(v) for v in entry["data_offsets"])
            tensor = torch.empty(shape, dtype=_BY_NAME[entry["dtype"]])
            if end - begin != tensor.numel() * tensor.element_size() or begin < 0 or base + end > file_size:
                raise ValueError(f"{name}: data offsets {begin}..{end} do not fit its shape or the file")
            tensors[name] = tensor
            view = _raw(tensor) if tensor.numel() else memoryview(b"")
            jobs += [(name, view, base + begin, a, b) for a, b in _blocks(len(view), crc_block or READ_BLOCK)]

        def work(job) -> str:
            _name, view, offset, a, b = job
            _pread_exactly(f.fileno(), view[a:b], offset + a)
            return f"{zlib.crc32(view[a:b]):08x}" if crc_block else ""

        results = _threaded(work, jobs)
    crcs: dict[str, list[str]] = {name: [] for name in tensors} if crc_block else {}
    if crc_block:
        for (name, *_), crc in zip(jobs, results, strict=True):
            crcs[name].append(crc)
    return tensors, metadata, crcs


def block_crcs(tensor: torch.Tensor, block: int) -> list[str]:
    """Hex CRC32 of each `block` bytes of a contiguous CPU tensor, computed by a few threads at once."""
    view = _raw(tensor.contiguous()) if tensor.numel() else memoryview(b"")
    return _threaded(lambda ab: f"{zlib.crc32(view[ab[0]:ab[1]]):08x}", _blocks(len(view), block))


def _blocks(nbytes: int, block: int) -> list[tuple[int, int]]:
    return [(a, min(a + block, nbytes)) for a in range(0, nbytes, block)]


def _threaded(fn, jobs: list) -> list:
    if len(jobs) <= 1:
        return [fn(job) for job in jobs]
    with ThreadPoolExecutor(max_workers=min(len(jobs), os.cpu_count() or 1, 8)) as pool:
        return list(pool.map(fn, jobs))


def _pread_exactly(fd: int, view: memoryview, offset: int) -> None:
    done = 0
    while done < len(view):
        n = os.preadv(fd, [view[done:]], offset + done)
        if not n:
            raise ValueError("truncated safetensors data")
        done += n
