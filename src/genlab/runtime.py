"""Process-wide settings the `genlab` command applies once at start (importing this changes nothing)."""

from __future__ import annotations

import ctypes
import platform

# mallopt(3) parameter numbers from glibc's <malloc.h>.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 * 1024 * 1024      # glibc's own upper limit for the dynamic threshold
TRIM_THRESHOLD = 1024 * 1024 * 1024


def keep_freed_memory() -> bool:
    """Let glibc's malloc reuse freed blocks up to 32 MB instead of returning them to the OS at once.

    A loop that allocates and frees the same 4-13 MB tensors every iteration (the K = 5000 NLL's decoded
    chunks) otherwise page-faults them in afresh each time: 1.3 million faults and ~35% of the NLL's time on
    200 images here. This is what jemalloc/tcmalloc, which PyTorch's CPU tuning guide suggests preloading,
    do by design. Freed memory stays with the process for reuse, so peak memory is unchanged.
    Returns whether it applied (glibc only; elsewhere the allocator is left as it is). Scripts that use the
    Python API for long evaluations can call it once themselves.
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                    and libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    except (OSError, AttributeError):
        return False


def flush_denormals() -> bool:
    """Treat floats below 1.2e-38 (denormals) as 0 in torch's CPU arithmetic (torch.set_flush_denormal).

    Adam's moment estimates of weights whose gradient is mostly 0 (the pixels near a digit image's border, for
    one) decay geometrically, 0.9 and 0.999 a step, into denormals after some hundreds of steps, and x86
    arithmetic on denormals is several times slower: measured here, the fused Adam step of the 2-D digits VAE
    (1.07 M weights) took 5.2 ms against 1.3 ms once flushed, and its steps 13.8 ms against 9.6 ms. A value that
    small changes no weight it is added to, so the numbers are the same or differ in the last bits.
    The setting is per thread, and torch's worker threads take it from the thread that starts them, so the
    command applies it before any tensor work; after that, it reaches only the calling thread. Returns whether
    the CPU supports it. Imports torch.
    """
    import torch

    return bool(torch.set_flush_denormal(True))
