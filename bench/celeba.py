"""CelebA at its real size (a stand-in with the official layout: 202,599 JPEGs of 178x218 and the partition
file; see _celeba_standin.py): first load, cached load and a cached training start. Prints one JSON object.

single_core_decode_ms: genlab's decoder (centre crop 148, bilinear to 64x64) per image, on --sample images in
  this process; single_core_s projects it to the 182,732 train + test images, ideal_s = single_core_s / cores.
first_load: `genlab.data.load("celeba")` in a fresh process with an empty cache (decode over the cores and
  write the cache); cached_load: the same again, reading the cache; cached_start: `genlab train vae --data
  celeba --arch conv --max-steps 1` from the cache, with first_step_s from the process start to its first
  training step (bench/startup.py's timers). Each: wall_s, and peak_rss_gb of the process (the largest of it
  and its decoding workers, as /usr/bin/time -v reports). cached_tensor_gb: the uint8 images in memory.
Ratios against the targets of issue 17: first_load / ideal <= 1.3, cached first step < 5 s, peak RSS <=
1.3 x the cached tensor. The page cache is warm for every figure (the stand-in was just written or read).
Usage: python bench/celeba.py [--root DIR] [--sample N] [--repeats N]
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

from _celeba_standin import TEST, TRAIN, build  # bench/ is on sys.path when run as a script
from startup import CHILD

# Runs argv and reports its peak RSS: ru_maxrss of RUSAGE_CHILDREN is the largest waited-for descendant
MAXRSS = r"""
import json, resource, subprocess, sys, time
begin = time.time()
rc = subprocess.run(sys.argv[1:]).returncode
print("MAXRSS " + json.dumps({"rc": rc, "wall_s": time.time() - begin,
                              "peak_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}), file=sys.stderr)
"""
LOAD = "import sys; from genlab.data import load; d = load('celeba'); print(len(d.train), len(d.test))"


def measured(argv: list[str], env: dict) -> dict:
    done = subprocess.run([sys.executable, "-c", MAXRSS, *argv], env=env, capture_output=True, text=True,
                          check=False)
    line = next((x for x in done.stderr.splitlines() if x.startswith("MAXRSS ")), None)
    if line is None or json.loads(line.removeprefix("MAXRSS "))["rc"] != 0:
        raise SystemExit(f"{argv[:4]}...: failed\n{done.stderr[-3000:]}")
    result = json.loads(line.removeprefix("MAXRSS "))
    out = {"wall_s": round(result["wall_s"], 2), "peak_rss_gb": round(result["peak_kb"] / 2**20, 3)}
    startup = next((x for x in done.stderr.splitlines() if x.startswith("STARTUP ")), None)
    if startup:
        marks = json.loads(startup.removeprefix("STARTUP "))
        out["first_step_s"] = marks["first_step_at"]
        out["load_data_s"] = marks["load_data"]
    return out


def single_core_ms(celeba: Path, sample: int) -> float:
    from genlab.data.celeba import CROP, IMAGE_DIR, decode_chunk

    paths = [celeba / IMAGE_DIR / f"{i:06d}.jpg" for i in range(1, sample + 1)]
    decode_chunk(paths[:50], 64, CROP)  # warm-up: PIL's first call
    begin = time.perf_counter()
    decode_chunk(paths, 64, CROP)
    return (time.perf_counter() - begin) / sample * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(tempfile.gettempdir()) / "celeba-standin")
    parser.add_argument("--sample", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=1, help="runs of each whole-process measurement")
    args = parser.parse_args()
    celeba = build(args.root)
    cores = os.cpu_count() or 1
    n = TRAIN + TEST
    ms = single_core_ms(celeba, args.sample)
    result: dict = {"cpus": cores, "images": n, "single_core_decode_ms": round(ms, 3),
                    "single_core_s": round(ms * n / 1000, 1), "ideal_s": round(ms * n / 1000 / cores, 1),
                    "cached_tensor_gb": round(n * 3 * 64 * 64 / 2**30, 3)}
    runs: dict[str, list[dict]] = {"first_load": [], "cached_load": [], "cached_start": []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeats):
            cache = Path(tmp) / f"cache{r}"
            env = dict(os.environ, GENLAB_DATA=str(args.root), GENLAB_CACHE=str(cache))
            runs["first_load"].append(measured([sys.executable, "-c", LOAD], env))
            runs["cached_load"].append(measured([sys.executable, "-c", LOAD], env))
            out = Path(tmp) / f"run{r}"
            argv = ["train", "vae", "--data", "celeba", "--arch", "conv", "--out", str(out), "--max-steps", "1",
                    "--quiet"]
            runs["cached_start"].append(measured([sys.executable, "-c", CHILD, repr(time.time()), *argv], env))
            shutil.rmtree(cache, ignore_errors=True)
    for name, rows in runs.items():
        result[name] = {key: statistics.median(row[key] for row in rows) for key in rows[0]}
        result[name]["runs"] = rows
    tensor = result["cached_tensor_gb"]
    result["ratios"] = {
        "first_load_over_ideal": round(result["first_load"]["wall_s"] / result["ideal_s"], 3),
        "cached_first_step_s": result["cached_start"]["first_step_s"],
        "peak_rss_over_tensor": {k: round(result[k]["peak_rss_gb"] / tensor, 3) for k in runs}}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
