"""A progress bar on a terminal (tqdm), plain periodic lines otherwise (logs, CI)."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, *, total: int, initial: int, desc: str, enabled: bool = True, every_s: float = 10.0):
        self.total, self.n, self.desc = total, initial, desc
        self.enabled = enabled
        self.every_s = every_s
        self._bar = None
        self._t0 = self._last_print = time.perf_counter()
        self._n0 = initial
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, initial=initial, desc=desc, unit="step", dynamic_ncols=True,
                             file=sys.stderr)

    def update(self, n: int, postfix: dict[str, float] | None = None) -> None:
        self.n += n
        if postfix:
            self._postfix = postfix
        postfix = getattr(self, "_postfix", None)
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(n)
            if postfix:
                self._bar.set_postfix({k: f"{v:.4g}" for k, v in postfix.items()}, refresh=False)
            return
        now = time.perf_counter()
        if now - self._last_print >= self.every_s or self.n == self.total:
            self._last_print = now
            rate = (self.n - self._n0) / max(now - self._t0, 1e-9)
            eta = (self.total - self.n) / rate if rate > 0 else float("inf")
            extra = " ".join(f"{k}={v:.4g}" for k, v in (postfix or {}).items())
            print(f"{self.desc}: step {self.n}/{self.total} {extra} {rate:.1f} step/s eta {eta:.0f}s",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
