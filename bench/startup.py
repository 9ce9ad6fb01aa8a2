"""Start-up of whole `genlab` commands, each a fresh process, as a user runs them. Prints one JSON object.

help_s, datasets_s, train_help_s: wall time of `genlab --help`, `genlab datasets`, `genlab train vae --help`
  (the console script, process start to exit); torch_imported says whether the process imported torch.
first_step_s: from process start (just before the parent spawns it) to the moment the first training step of
  `genlab train vae --data fashion-mnist --out R --max-steps 1` begins (the loop's first batch is drawn);
  first_step_done_s when that step has returned (the first call's warm-up and the optimizer's first step
  included); whole_s the whole command. The child is `python -c` running genlab.cli.main with two timers
  wrapped around the loop (nothing else changes); `phases` says where that time went, first call of each:
  import_torch (imported first here, as the command would anyway), import_train (genlab's training modules,
  beyond torch), load_data (genlab.data.load, from genlab's cache), build_task (model + optimizer),
  first_step (train_step's first call), and whether torch._dynamo was imported before the first step and
  by the end of the run.
import_torch_s: `python -c "import torch"` alone, the floor of any command that needs torch.
import_dynamo_after_torch_s: `import torch._dynamo` after torch: torch.optim's Optimizer.__init__ and first
  step() import it (torch._disable_dynamo, _use_grad_for_differentiable), so every genlab training run pays it.
Each figure: the median of --repeats runs (all runs listed). Usage: python bench/startup.py [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GENLAB = Path(sys.executable).with_name("genlab")

CHILD = r"""
import json, sys, time
t0 = float(sys.argv[1]); marks = {}
def mark(name):
    marks.setdefault(name, round(time.time() - t0, 4))
s = time.time(); import torch; marks["import_torch"] = round(time.time() - s, 4)
s = time.time()
from genlab.training import families, loop
import genlab.data
marks["import_train"] = round(time.time() - s, 4)
def timed(owner, attr, name):
    real = getattr(owner, attr)
    def wrapper(*a, **k):
        begin = time.time()
        try:
            return real(*a, **k)
        finally:
            marks.setdefault(name, round(time.time() - begin, 4))
    setattr(owner, attr, wrapper)
timed(genlab.data, "load", "load_data")
timed(families, "build_task", "build_task")
real_batch, real_accumulate = loop._Loop._batch, loop._Loop._accumulate
def batch(self, step):
    mark("first_step_at"); marks.setdefault("dynamo_before_step", "torch._dynamo" in sys.modules)
    return real_batch(self, step)
def accumulate(self, metrics, n):
    mark("first_step_done_at")
    return real_accumulate(self, metrics, n)
loop._Loop._batch, loop._Loop._accumulate = batch, accumulate
from genlab.cli import main
rc = main(sys.argv[2:])
marks["first_step"] = round(marks["first_step_done_at"] - marks["first_step_at"], 4)
marks["dynamo_at_exit"] = "torch._dynamo" in sys.modules
print("STARTUP " + json.dumps(marks), file=sys.stderr)
raise SystemExit(rc)
"""


def wall(argv: list[str]) -> tuple[float, bool]:
    """Seconds for one process running argv (stdout discarded), and whether it imported torch."""
    env = dict(os.environ, PYTHONPROFILEIMPORTTIME="1")  # -X importtime for the console script
    begin = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    seconds = time.perf_counter() - begin
    if done.returncode != 0:
        raise SystemExit(f"{argv}: exit {done.returncode}\n{done.stderr[-2000:]}")
    torch_imported = any(line.split("|")[-1].strip() == "torch" for line in done.stderr.splitlines())
    return seconds, torch_imported


def wall_plain(argv: list[str]) -> float:
    begin = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - begin


def import_dynamo() -> float:
    """Seconds of `import torch._dynamo` in a process that has torch: what torch.optim's first call costs."""
    code = "import time, torch; t = time.perf_counter(); import torch._dynamo; print(time.perf_counter() - t)"
    return float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)


def first_step(out: Path) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    argv = ["train", "vae", "--data", "fashion-mnist", "--out", str(out), "--max-steps", "1", "--quiet"]
    t0 = time.time()
    done = subprocess.run([sys.executable, "-c", CHILD, repr(t0), *argv], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, check=False)
    whole = time.time() - t0
    if done.returncode != 0:
        raise SystemExit(f"genlab {' '.join(argv)}: exit {done.returncode}\n{done.stderr[-2000:]}")
    line = next(x for x in done.stderr.splitlines() if x.startswith("STARTUP "))
    return {**json.loads(line.removeprefix("STARTUP ")), "whole": round(whole, 4)}


def summary(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 3), "runs": [round(v, 3) for v in values]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    result: dict = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "repeats": args.repeats}
    commands = {"help": [str(GENLAB), "--help"], "datasets": [str(GENLAB), "datasets"],
                "datasets_json": [str(GENLAB), "datasets", "--json"],
                "train_help": [str(GENLAB), "train", "vae", "--help"]}
    for name, argv in commands.items():
        runs = [wall(argv) for _ in range(args.repeats)]
        result[f"{name}_s"] = summary([s for s, _ in runs])
        result[f"{name}_torch_imported"] = any(t for _, t in runs)
    result["import_torch_s"] = summary([wall_plain([sys.executable, "-c", "import torch"])
                                        for _ in range(args.repeats)])
    result["import_dynamo_after_torch_s"] = summary([import_dynamo() for _ in range(args.repeats)])
    with tempfile.TemporaryDirectory() as tmp:
        runs = [first_step(Path(tmp) / f"r{i}") for i in range(args.repeats)]
    result["first_step_s"] = summary([r["first_step_at"] for r in runs])
    result["first_step_done_s"] = summary([r["first_step_done_at"] for r in runs])
    result["whole_s"] = summary([r["whole"] for r in runs])
    keys = ("import_torch", "import_train", "load_data", "build_task", "first_step")
    result["phases"] = {k: round(statistics.median(r[k] for r in runs), 3) for k in keys}
    result["phases"]["dynamo_before_step"] = any(r["dynamo_before_step"] for r in runs)
    result["phases"]["dynamo_imported_by_the_run"] = any(r["dynamo_at_exit"] for r in runs)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
