"""Images/s of `genlab train vae` (the pytorch/examples 784-400-20 VAE, Fashion-MNIST, global batch 128)
in 1 process vs 2 data-parallel processes under torchrun (gloo on the CPU). Prints one JSON object.

On a 2-core CPU the two processes share the same cores, so this measures DDP's overhead more than a gain;
on a multi-GPU machine run it with --nproc N --device cuda.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _run(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env={**os.environ, **env})
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-2000:])
    return time.perf_counter() - t0


def _images_per_s(run_dir: Path) -> float:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    rates = [r["images_per_s"] for r in rows if r.get("split") == "train"][1:]  # skip warm-up row
    return sum(rates) / len(rates)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--steps", type=int, default=300, help="training steps per run (default: 300)")
    p.add_argument("--nproc", type=int, default=2, help="processes for the data-parallel run (default: 2)")
    p.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    args = p.parse_args()
    train = ["train", "vae", "--data", "fashion-mnist", "--batch-size", "128", "--epochs", "0", "--max-steps",
             str(args.steps), "--log-every", "50", "--checkpoint-every", "100000", "--eval-limit", "1000",
             "--device", args.device, "--quiet"]
    threads = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        single, multi = Path(tmp) / "single", Path(tmp) / "ddp"
        t1 = _run([sys.executable, "-m", "genlab", *train, "--out", str(single)],
                  {"OMP_NUM_THREADS": str(threads)})
        tn = _run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
                   str(args.nproc), "-m", "genlab", *train, "--out", str(multi)],
                  {"OMP_NUM_THREADS": str(max(1, threads // args.nproc))})
        print(json.dumps({
            "unit": "images/s of VAE training steps (global batch 128), mean over logged windows",
            "images_per_s_1_process": round(_images_per_s(single), 1),
            f"images_per_s_{args.nproc}_processes": round(_images_per_s(multi), 1),
            "wall_s_1_process": round(t1, 2), f"wall_s_{args.nproc}_processes": round(tn, 2),
            "steps": args.steps, "device": args.device, "cpu_count": threads, "backend":
            "nccl" if args.device == "cuda" else "gloo"}))


if __name__ == "__main__":
    main()
