"""Reading IDX files (the MNIST format), raw or gzip-compressed, without trusting their headers.

Layout: 2 zero bytes, a type code, the rank r, then r big-endian uint32 sizes, then the data
(big-endian, C order). Every size is checked against the file *before* memory is allocated, and a
gzip stream is decompressed only up to the size the header promises, so a corrupt or hostile file
costs at most what it actually holds.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from genlab.errors import UsageError

# type code -> big-endian numpy dtype
IDX_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
             0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 16 << 20  # decompress in 16 MiB steps: memory grows only as real data arrives
MAX_BYTES = 1 << 35  # 32 GiB: refuse headers that promise more (a gzip bomb, or a corrupt size field)


def is_gzip(path: Path) -> bool:
    """True when the file starts with the gzip magic bytes 1f 8b (the name does not matter)."""
    with open(path, "rb") as f:
        return f.read(2) == GZIP_MAGIC


def read_idx(path: str | Path) -> np.ndarray:
    """The array an IDX file holds, in native byte order, shaped as its header says.

    Raises UsageError naming the file and the problem (bad magic, type code or rank, truncated,
    trailing bytes, corrupt gzip).
    """
    path = Path(path)
    try:
        if is_gzip(path):
            with gzip.open(path, "rb") as f:
                return _read_stream(path, f, file_size=None)
        with open(path, "rb") as f:
            return _read_stream(path, f, file_size=os.fstat(f.fileno()).st_size)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except EOFError:
        raise UsageError(f"{path}: truncated: the gzip stream ends before its end marker") from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise UsageError(f"{path}: corrupt gzip data or trailing bytes after it ({exc})") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc})") from None


def _read_header(path: Path, f: BinaryIO) -> tuple[np.dtype, tuple[int, ...]]:
    magic = f.read(4)
    if len(magic) < 4:
        raise UsageError(f"{path}: not an IDX file (only {len(magic)} bytes, need a 4-byte magic number)")
    if magic[:2] != b"\0\0":
        raise UsageError(f"{path}: not an IDX file (magic starts {magic[:2].hex()}, expected 0000)")
    code, rank = magic[2], magic[3]
    if code not in IDX_TYPES:
        accepted = ", ".join(f"0x{c:02X}" for c in IDX_TYPES)
        raise UsageError(f"{path}: bad IDX type code 0x{code:02X} (accepted: {accepted})")
    if not 1 <= rank <= 4:
        raise UsageError(f"{path}: bad IDX rank {rank} (accepted: 1 to 4)")
    raw = f.read(4 * rank)
    if len(raw) < 4 * rank:
        raise UsageError(f"{path}: truncated IDX header (rank {rank} needs {4 * rank} size bytes, "
                         f"found {len(raw)})")
    return IDX_TYPES[code], struct.unpack(f">{rank}I", raw)


def _read_stream(path: Path, f: BinaryIO, *, file_size: int | None) -> np.ndarray:
    dtype, dims = _read_header(path, f)
    header = 4 + 4 * len(dims)
    need = math.prod(dims) * dtype.itemsize
    promise = f"header says {'x'.join(map(str, dims))} = {need} bytes"
    if need > MAX_BYTES:
        raise UsageError(f"{path}: implausible size: {promise}, more than the {MAX_BYTES} byte limit")
    if file_size is not None and file_size - header != need:  # raw: check the length before allocating
        problem = "truncated" if file_size - header < need else "trailing bytes"
        raise UsageError(f"{path}: {problem}: {promise}, file has {file_size - header}")
    data = _read_exactly(f, need)
    if len(data) < need:
        raise UsageError(f"{path}: truncated: {promise}, file has {len(data)}")
    if f.read(1):
        raise UsageError(f"{path}: trailing bytes: {promise}, file has more")
    return np.frombuffer(data, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


def _read_exactly(f: BinaryIO, n: int) -> bytes:
    """Up to n bytes, read in chunks so a lying header cannot make us allocate n up front."""
    parts, got = [], 0
    while got < n:
        part = f.read(min(_CHUNK, n - got))
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)
