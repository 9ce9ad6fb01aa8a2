"""Progress for any job that can take more than a few seconds: a tqdm bar on a terminal, `tqdm.auto`
(a notebook widget) under Jupyter, plain periodic lines on stderr otherwise (logs, CI, pipes).

Torch-free and on the lowest floor, so data decoding, downloads, metrics and training all use one kind.
Plain lines appear every `every_s` seconds (a final line only when at least one was printed: a job that
ends within `every_s` stays silent, so short commands and their one-line errors keep a clean stderr).
"""

from __future__ import annotations

import os
import sys
import time

QUIET_ENV = "GENLAB_PROGRESS"  # GENLAB_PROGRESS=0 turns every progress display off


def _terminal_columns() -> int:
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError, AttributeError):  # no fd (a notebook's stream, StringIO): let tqdm decide
        return 1


def _in_notebook() -> bool:
    return "ipykernel" in sys.modules


class Progress:
    """`update(n, postfix)` as work is done; `close()` (or `with`) at the end.

    total: units of work (steps, images, bytes); initial: units already done (a resumed run); unit: what
    one unit is, shown in the bar and the plain lines.
    """

    def __init__(self, *, total: int, initial: int = 0, desc: str, unit: str = "step", enabled: bool = True,
                 every_s: float = 10.0):
        self.total, self.n, self.desc, self.unit = total, initial, desc, unit
        self.enabled = enabled and os.environ.get(QUIET_ENV, "1") != "0"
        self.every_s = every_s
        self.printed = 0
        self._bar = None
        self._postfix: dict[str, float] | None = None
        self._t0 = self._last_print = time.perf_counter()
        self._n0 = initial
        if self.enabled and (_in_notebook() or sys.stderr.isatty()):
            if _in_notebook():
                from tqdm.auto import tqdm
            else:
                from tqdm import tqdm

            wide = _terminal_columns() > 0  # a pty without a size (script, some CI) reports 0 columns
            self._bar = tqdm(total=total, initial=initial, desc=desc, unit=unit, dynamic_ncols=wide,
                             ncols=None if wide else 100, nrows=None if wide else 40, file=sys.stderr,
                             unit_scale=unit == "B")

    def __enter__(self) -> Progress:  # noqa: PYI034 - Python 3.10 has no typing.Self
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def update(self, n: int, postfix: dict[str, float] | None = None) -> None:
        self.n += n
        if postfix:
            self._postfix = postfix
        if not self.enabled:
            return
        if self._bar is not None:
            if postfix:  # before update(), which redraws: the bar shows the numbers of the work just done
                self._bar.set_postfix({k: f"{v:.4g}" for k, v in postfix.items()}, refresh=False)
            self._bar.update(n)
            return
        now = time.perf_counter()
        if now - self._last_print >= self.every_s:
            self._print(now)

    def line(self, now: float | None = None) -> str:
        """The plain line: desc, done/total, postfix, rate, ETA."""
        now = time.perf_counter() if now is None else now
        rate = (self.n - self._n0) / max(now - self._t0, 1e-9)
        eta = (self.total - self.n) / rate if rate > 0 else float("inf")
        extra = "".join(f" {k}={v:.4g}" for k, v in (self._postfix or {}).items())
        eta_text = f"eta {eta:.0f}s" if eta != float("inf") else "eta ?"
        return (f"{self.desc}: {self.unit} {self.n}/{self.total}{extra} {rate:.1f} {self.unit}/s "
                f"{eta_text}")

    def _print(self, now: float) -> None:
        self._last_print = now
        self.printed += 1
        print(self.line(now), file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.enabled and self.printed:
            self._print(time.perf_counter())  # the last line says the job finished
            self.printed = 0
