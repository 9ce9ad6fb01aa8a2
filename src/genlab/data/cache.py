"""A disk cache of decoded datasets: cache_dir()/datasets/<key>.safetensors (safetensors, never pickle).

Decoding gzip IDX or thousands of JPEGs takes seconds to minutes; reading one safetensors file takes
milliseconds. The key covers every source file's path, size and mtime plus the image size, so an
edited source is re-decoded. The cache is disposable: a missing, stale or corrupt file is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path

from genlab.data.dataset import Dataset, Split
from genlab.io import write_with
from genlab.paths import cache_dir

FORMAT = 2  # bump when the stored layout or a decoder's output changes, to invalidate old entries (2: block CRCs)
CRC_BLOCK = 32 * 2**20  # bytes per CRC32: blocks are read and checked by several threads at once


def cache_key(tag: str, sources: Iterable[Path], *, image_size: int | None = None) -> str:
    """A file-name-safe key: the tag, the image size, and a hash of (path, size, mtime) per source."""
    stamps = []
    for p in sources:
        st = Path(p).stat()
        stamps.append([str(Path(p).resolve()), st.st_size, st.st_mtime_ns])
    blob = json.dumps({"format": FORMAT, "tag": tag, "image_size": image_size, "sources": stamps})
    digest = hashlib.sha256(blob.encode()).hexdigest()[:24]
    safe_tag = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in tag)[:40]
    return f"{safe_tag}-{image_size or 'native'}-{digest}"


def cache_path(key: str) -> Path:
    return cache_dir() / "datasets" / f"{key}.safetensors"


def cached(key: str, build: Callable[[], Dataset]) -> Dataset:
    """The dataset stored under `key`, or `build()`'s result, stored for next time. `build` makes a new
    dataset on each call (genlab's decoders do), so either way the result owns its tensors."""
    path = cache_path(key)
    found = read_cache(path)
    if found is not None:
        return found
    dataset = build().replace(owns_tensors=True)
    try:
        write_cache(path, dataset)
    except OSError:
        pass  # a read-only or full cache only costs speed; the data itself is fine
    return dataset


def write_cache(path: Path, dataset: Dataset) -> None:
    """Store all tensors plus a CRC32 per CRC_BLOCK bytes of each (safetensors checks structure, the CRCs
    check content). save_file writes from the tensors' own memory (safetensors 0.8; tests/data/test_tensorfile.py checks peak
    memory), so a big set is never held twice."""
    from safetensors.torch import save_file

    from genlab.data import tensorfile

    tensors = {}
    for split_name in ("train", "test"):
        split: Split = getattr(dataset, split_name)
        tensors[f"{split_name}.images"] = split.images.contiguous()
        if split.labels is not None:
            tensors[f"{split_name}.labels"] = split.labels.contiguous()
    meta = {"format": str(FORMAT), "name": dataset.name, "kind": dataset.kind,
            "source_note": dataset.source_note, "classes": json.dumps(dataset.classes),
            "crc_block": str(CRC_BLOCK),
            "crc": json.dumps({k: tensorfile.block_crcs(v, CRC_BLOCK) for k, v in tensors.items()})}
    write_with(path, lambda tmp: save_file(tensors, str(tmp), metadata=meta))


def read_cache(path: Path) -> Dataset | None:
    """The cached dataset, or None when the file is missing or fails any check."""
    if not path.is_file():
        return None
    try:
        return _decode(path)
    except Exception:  # noqa: BLE001 - any failure of a disposable cache means "rebuild", never a crash
        return None


def _decode(path: Path) -> Dataset | None:
    # Read into freshly allocated tensors (not mmap): they own ordinary memory, so the first epoch does not
    # pay page faults and a file replaced later cannot change them; one copy in memory, never two.
    from genlab.data import tensorfile

    with open(path, "rb") as f:  # the header alone first: an entry of another format is not read at all
        _, meta, _ = tensorfile.read_header(f)
    if meta.get("format") != str(FORMAT):
        return None
    tensors, meta, found = tensorfile.load(path, crc_block=int(meta["crc_block"]))
    if json.loads(meta["crc"]) != found:
        return None
    classes = json.loads(meta["classes"])
    return Dataset(name=meta["name"], kind=meta["kind"], source_note=meta["source_note"],
                   classes=None if classes is None else tuple(classes),
                   train=Split(tensors["train.images"], tensors.get("train.labels")),
                   test=Split(tensors["test.images"], tensors.get("test.labels")), owns_tensors=True)
