"""Runs a list of experiments resumably: each one's result is a JSON file; re-running skips finished ones.

A missing optional dataset skips its experiment with a visible note; any other failure marks it failed
with its one-line reason, and the rest still run.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from genlab import io
from genlab.errors import UsageError
from genlab.experiments.claims import judge


@dataclass
class Outcome:
    """What an experiment hands to the report."""

    figures: list[str] = field(default_factory=list)   # paths relative to the output folder
    numbers: dict = field(default_factory=dict)        # name -> value, shown in a table
    data: str = ""                                     # which dataset it used
    note: str = ""                                     # anything a reader should know
    html: str = ""                                     # optional extra HTML (the latent explorer)
    measured: dict = field(default_factory=dict)       # machine keys -> JSON numbers: what claims check
    commands: list[str] = field(default_factory=list)  # `genlab train` lines generated from the configs it ran


@dataclass(frozen=True)
class Experiment:
    key: str                        # folder name, stable across runs
    title: str
    claim: str                      # one or two sentences: what the slide claims
    command: str                    # what follows its training commands (those are generated from the configs run)
    run: Callable[[Context], Outcome]
    minutes: dict = field(default_factory=lambda: {"quick": 0.5, "default": 3.0})  # estimated time
    part: str = "lecture"           # "lecture": the slides' own points; "beyond": the next steps after them


@dataclass
class Context:
    out: Path
    profile: str                    # "quick" or "default"
    device: str
    seed: int = 0
    commands: list[str] = field(default_factory=list)  # the running experiment's generated train commands

    def folder(self, key: str) -> Path:
        path = self.out / "experiments" / key
        path.mkdir(parents=True, exist_ok=True)
        return path

    def rel(self, path: Path) -> str:
        return str(Path(path).resolve().relative_to(self.out.resolve()))


@dataclass
class Result:
    key: str
    status: str                     # done, skipped, failed
    seconds: float
    outcome: dict
    reason: str = ""
    claims: list = field(default_factory=list)  # `claims.Claim`s as dicts, judged from outcome["measured"]
    profile: str = ""               # the lecture profile it ran under ("" in folders from before it was kept)


def _result_path(ctx: Context, key: str) -> Path:
    return ctx.out / "experiments" / key / "result.json"


def folder_profile(out: Path) -> str | None:
    """The profile an existing lecture folder was run with (DIR/lecture.json, else any section's result),
    or None for a folder that holds none yet."""
    out = Path(out)
    summary = out / "lecture.json"
    found = [_read_json(summary).get("profile")] if summary.exists() else []
    found += [_read_json(p).get("profile") for p in sorted((out / "experiments").glob("*/result.json"))]
    return next((f for f in found if isinstance(f, str)), None)


def _read_json(path: Path) -> dict:
    try:
        value = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def finished(ctx: Context, exp: Experiment) -> Result | None:
    """The experiment's saved result, judged by today's checks, or None when it has not finished."""
    path = _result_path(ctx, exp.key)
    if not path.exists():
        return None
    fields = {k: v for k, v in _read_json(path).items() if k in Result.__dataclass_fields__}
    return _judged(Result(**fields))


def run_all(experiments: list[Experiment], ctx: Context, *, debug: bool = False,
            announce: Callable[[str], None] = lambda s: print(s, file=sys.stderr, flush=True)) -> list[Result]:
    results = []
    remaining = sum(e.minutes[ctx.profile] for e in experiments)
    t_start = time.perf_counter()
    for i, exp in enumerate(experiments, 1):
        path = _result_path(ctx, exp.key)
        if path.exists():
            results.append(finished(ctx, exp))
            remaining -= exp.minutes[ctx.profile]
            announce(f"[{i}/{len(experiments)}] {exp.title}: already done, skipped")
            continue
        elapsed = (time.perf_counter() - t_start) / 60
        announce(f"[{i}/{len(experiments)}] {exp.title} (about {exp.minutes[ctx.profile]:.1f} min; "
                 f"overall ETA {remaining:.0f} min; {elapsed:.1f} min so far)")
        result = _judged(_run_one(exp, ctx, debug=debug))
        result.profile = ctx.profile
        remaining -= exp.minutes[ctx.profile]
        if result.status != "failed":  # failed ones are retried on the next run
            io.write_json(path, asdict(result))
        else:
            io.write_json(path.with_name("failed.json"), asdict(result))
        announce(f"    {result.status} in {result.seconds:.0f} s{': ' + result.reason if result.reason else ''}")
        results.append(result)
    return results


def _judged(result: Result) -> Result:
    """The result with its section's claims judged afresh (so a reused result meets today's checks)."""
    found = judge(result.key, result.status, result.outcome.get("measured"), reason=result.reason)
    result.claims = [asdict(c) for c in found]
    return result


def _run_one(exp: Experiment, ctx: Context, *, debug: bool) -> Result:
    t0 = time.perf_counter()
    ctx.commands.clear()
    try:
        outcome = exp.run(ctx)
        outcome.commands = list(ctx.commands)
        return Result(exp.key, "done", time.perf_counter() - t0, asdict(outcome))
    except MissingData as exc:
        return Result(exp.key, "skipped", time.perf_counter() - t0, {}, str(exc))
    except Exception as exc:  # noqa: BLE001 - one failed experiment must not stop the lecture
        if debug:
            traceback.print_exc()
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if not isinstance(exc, UsageError):
            reason = f"{type(exc).__name__}: {reason}"
        return Result(exp.key, "failed", time.perf_counter() - t0, {}, reason)


class MissingData(UsageError):
    """An optional dataset is absent: the experiment is skipped with this note."""
