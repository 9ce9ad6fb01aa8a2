"""Decode a big image set over the machine's cores, into one preallocated uint8 array.

`decode_into(out, items, fn, args, desc=...)` fills `out[i:j] = fn(items[i:j], *args)` chunk by chunk, with a
progress bar. `fn` must be a module-level function (picklable, spawn-safe) in a module that imports no torch
(each worker process imports it) and must return a uint8 array shaped like `out[i:j]`. Workers return one
chunk at a time; the parent copies it into place and drops it, and at most two chunks per worker are in flight,
so peak memory stays near `out` itself.

Workers: GENLAB_DECODE_WORKERS (1 = in this process), else os.cpu_count(); sets smaller than SERIAL_BELOW
decode in-process anyway (a pool's start-up costs more than it saves). Serial and parallel give the same bytes.
A UsageError raised by `fn` in a worker (a corrupt image) reaches the caller as the same one-line UsageError.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np

from genlab.errors import UsageError

WORKERS_ENV = "GENLAB_DECODE_WORKERS"
SERIAL_BELOW = 2000  # images; below this a process pool's start-up outweighs the decoding it spreads
MAX_CHUNK = 256  # items per task: small enough to keep memory and the bar smooth, big enough to amortise pickling


def decode_workers(n_items: int) -> int:
    """How many processes decode n_items: GENLAB_DECODE_WORKERS if set, else 1 for small sets, else all cores."""
    env = os.environ.get(WORKERS_ENV, "").strip()
    if env:
        try:
            workers = int(env)
        except ValueError:
            workers = 0
        if workers < 1:
            raise UsageError(f"{WORKERS_ENV}={env!r}: expected a whole number >= 1 (1 decodes in this process)")
        return workers
    if n_items < SERIAL_BELOW:
        return 1
    return max(1, os.cpu_count() or 1)


def chunk_bounds(n_items: int, workers: int, chunk_size: int | None = None) -> list[tuple[int, int]]:
    """[(start, stop), ...] covering range(n_items) in order; several chunks per worker so they stay busy."""
    if chunk_size is None:
        chunk_size = max(1, min(MAX_CHUNK, math.ceil(n_items / (workers * 4))))
    return [(i, min(i + chunk_size, n_items)) for i in range(0, n_items, chunk_size)]


def _place(out: np.ndarray, start: int, stop: int, chunk: np.ndarray) -> None:
    if chunk.dtype != out.dtype or chunk.shape != out[start:stop].shape:
        raise ValueError(f"decoded chunk {chunk.dtype}{chunk.shape}, expected {out.dtype}{out[start:stop].shape}")
    out[start:stop] = chunk


@dataclass(frozen=True)
class WorkerPool:
    executor: Executor
    workers: int


@contextlib.contextmanager
def worker_pool(n_items: int, *, workers: int | None = None, start_method: str | None = None) -> Iterator:
    """Decoding processes for several `decode_into(..., pool=)` calls (None where n_items decode in-process).
    Open it before any output array is filled: forked workers then start from a small parent instead of
    inheriting (and reporting in their RSS) the arrays decoded so far, and start once, not once per call.

    start_method: multiprocessing's ("fork", "spawn", "forkserver"); None is the platform's default (fork on
    Linux before Python 3.14, as torch's DataLoader uses; spawn on macOS and Windows, where a script that
    loads a big set needs the usual `if __name__ == "__main__":` guard)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    workers = decode_workers(n_items) if workers is None else workers
    if workers <= 1:
        yield None
        return
    # The workers run only PIL and numpy (fn's module imports no torch), so a fork is safe where it is the default
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(start_method))
    try:
        yield WorkerPool(executor, workers)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def decode_into(out: np.ndarray, items: Sequence, fn: Callable[..., np.ndarray], args: tuple = (), *, desc: str,
                unit: str = "img", workers: int | None = None, chunk_size: int | None = None,
                start_method: str | None = None, pool: WorkerPool | None = None) -> np.ndarray:
    """Fill out[i:j] = fn(items[i:j], *args) for consecutive chunks, in worker processes or in-process.
    pool: a `worker_pool` shared with other calls; without one, this call opens its own."""
    n = len(items)
    if len(out) != n:
        raise ValueError(f"out holds {len(out)} rows for {n} items")
    if pool is None:
        with worker_pool(n, workers=workers, start_method=start_method) as own:
            return _decode(out, items, fn, args, own, desc, unit, chunk_size)
    return _decode(out, items, fn, args, pool, desc, unit, chunk_size)


def _decode(out, items, fn, args, pool, desc, unit, chunk_size) -> np.ndarray:
    from genlab.progress import Progress

    n = len(items)
    workers = 1 if pool is None else pool.workers
    bounds = chunk_bounds(n, workers, chunk_size)
    with Progress(total=n, desc=desc, unit=unit) as bar:
        if pool is None or len(bounds) <= 1:
            for start, stop in bounds:
                _place(out, start, stop, fn(list(items[start:stop]), *args))
                bar.update(stop - start)
        else:
            _decode_pool(out, items, fn, args, bounds, workers, bar, desc, pool)
    return out


def _decode_pool(out, items, fn, args, bounds, workers, bar, desc, pool) -> None:
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    pending: dict = {}
    todo = iter(bounds)
    try:
        def submit_next() -> None:
            for start, stop in todo:
                pending[pool.executor.submit(fn, list(items[start:stop]), *args)] = (start, stop)
                return

        for _ in range(2 * workers):
            submit_next()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                start, stop = pending.pop(future)
                try:
                    chunk = future.result()
                except UsageError as exc:
                    raise UsageError(str(exc)) from None  # one line, without the worker's traceback
                except BrokenProcessPool:
                    raise UsageError(f"{desc}: a decoding worker process died (out of memory, or a script without "
                                     f"the `if __name__ == '__main__':` guard under spawn); set {WORKERS_ENV}=1 "
                                     f"to decode in this process") from None
                _place(out, start, stop, chunk)
                del chunk
                bar.update(stop - start)
                submit_next()
    finally:
        for future in pending:  # a failed chunk leaves the shared pool free of this call's queued work
            future.cancel()
