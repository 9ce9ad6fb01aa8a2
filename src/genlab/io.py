"""Atomic file writes: a reader never sees a half-written file, and a crash never loses the old one."""

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from genlab.errors import UsageError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp makes its file 0600; the file it becomes gets the mode any new file would (0644 under umask 022),
# so runs and pages written for others (a shared runs folder) stay readable to them
FILE_MODE = 0o666 & ~_umask()


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    path = Path(path)
    if path.is_dir():  # an --out naming a folder: say so, not "Is a directory" about a temporary name
        raise UsageError(f"{path} is a folder; give a file name to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb") as f:  # fsync so the rename never exposes unwritten blocks after a crash
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_bytes(path: Path, data: bytes) -> None:
    _atomic(path, lambda tmp: tmp.write_bytes(data))


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def write_with(path: Path, writer: Callable[[Path], None]) -> None:
    """Atomic write for libraries that want a filename (safetensors, matplotlib, PIL)."""
    _atomic(path, writer)


def append_jsonl(path: Path, obj: Any) -> None:
    """Append one JSON line and fsync; a torn last line (killed mid-write) is skipped by `read_jsonl`, and
    the row after it starts on a line of its own (not glued to the torn one, which would lose both)."""
    line = json.dumps(obj, sort_keys=True) + "\n"
    with open(path, "ab+") as f:  # append mode: every write lands at the end, whatever was read
        if f.seek(0, os.SEEK_END) > 0:
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":
                line = "\n" + line
        f.write(line.encode("utf-8"))
        f.flush()
        os.fsync(f.fileno())


def read_jsonl(path: Path) -> list[dict]:
    """The file's JSON objects, one per line; torn lines and values that are not objects are skipped."""
    rows = []
    if not Path(path).exists():
        return rows
    # errors="replace": a crash can leave garbage bytes at the end; they fail json.loads below, not decoding
    for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line torn by a kill; everything before it is intact
        if isinstance(row, dict):  # a stray `[1]` or `3` is nobody's row
            rows.append(row)
    return rows
