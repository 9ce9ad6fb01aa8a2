"""An exclusive lock on a file, held with flock while one process works in a folder.

flock rather than a pid file: the kernel drops the lock when its holder dies, however it dies (SIGKILL, OOM,
power loss), so a crashed process never leaves the folder stuck. The pid and host written into the file are
only there to name the holder in the message of whoever finds it taken.
"""

from __future__ import annotations

import errno
import os
import socket
import time
import warnings
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; runs there go unlocked
    fcntl = None


class Held(Exception):
    """The lock is taken; `holder` describes who holds it ("pid 1234 on host")."""

    def __init__(self, holder: str):
        super().__init__(holder)
        self.holder = holder


class Lock:
    def __init__(self, path: Path, fd: int | None):
        self.path, self._fd = path, fd

    def release(self) -> None:
        if self._fd is None:
            return
        # Unlink while still holding it: whoever opened the old file meanwhile finds it held, and then sees
        # (in `acquire`) that the path no longer leads to it.
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self._fd)
            self._fd = None


def acquire(path: Path) -> Lock:
    """Take the lock at `path` (creating the file) without waiting; raises `Held` if another holds it."""
    path = Path(path)
    if fcntl is None:
        return Lock(path, None)
    for _ in range(20):
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            locked = _try_flock(fd)
        except BaseException:
            os.close(fd)
            raise
        if locked is None:  # the filesystem cannot lock (some network/FUSE mounts)
            os.close(fd)
            warnings.warn(f"{path}: this filesystem does not support file locks; a second process on the "
                          "same folder is not detected", stacklevel=2)
            return Lock(path, None)
        if not locked:
            holder = _holder(fd, retries=5)
            os.close(fd)
            raise Held(holder)
        if _same_file(fd, path):
            _write_holder(fd)
            return Lock(path, fd)
        os.close(fd)  # we locked a file its holder unlinked while releasing it: try the new one
    raise Held("a process that keeps re-creating the lock file")


def _try_flock(fd: int) -> bool | None:
    """True: locked; False: another holds it; None: locks are not supported here."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL):
            return None
        raise


def _same_file(fd: int, path: Path) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (own.st_dev, own.st_ino) == (st.st_dev, st.st_ino)


def _write_holder(fd: int) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()} {socket.gethostname()}\n".encode(), 0)


def _holder(fd: int, *, retries: int) -> str:
    """ "pid 1234 on host" from the file; a holder that has just taken it may not have written it yet."""
    parts = os.pread(fd, 256, 0).decode("utf-8", "replace").split()
    for _ in range(retries):
        if parts:
            break
        time.sleep(0.02)
        parts = os.pread(fd, 256, 0).decode("utf-8", "replace").split()
    if not parts or not parts[0].isdigit():
        return "pid unknown"
    if len(parts) > 1 and parts[1] != socket.gethostname():
        return f"pid {parts[0]} on {parts[1]}"
    return f"pid {parts[0]}"
