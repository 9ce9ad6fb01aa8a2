"""Whole commands, side by side: `genlab train vae` for N epochs against pytorch/examples' vae/main.py
(bench/_pytorch_examples_vae.py) run as its own process, same architecture (784-400-20, Bernoulli, Adam 1e-3,
batch 128), same epochs, both on all 60,000 Fashion-MNIST train images. Prints one JSON object.

Wall times are whole processes (interpreter start, imports, data, training, images, exit). The example tests
on the 10k test images after every epoch; genlab is timed twice: training alone (`--validation 0`: no
epoch-end evaluation) and training plus one `genlab evaluate --json` on the test split, which gives its test
loss (the example's loss per image: BCE on grey levels + KL). The floor: N x the epoch's matrix products
(bench/vae.py's gemm floor) + the time to import torch, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from _torchvision_layout import torchvision_root
from vae import time_gemm_floor


def _wall(cmd: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return seconds, proc.stdout


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--seeds", type=int, default=2)
    args = p.parse_args()
    genlab = [sys.executable, "-m", "genlab"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        root = torchvision_root(tmp / "tv")
        import_torch, _ = _wall([sys.executable, "-c", "import torch"])
        for seed in range(args.seeds):
            run = tmp / f"genlab-{seed}"
            g_train, _ = _wall([*genlab, "train", "vae", "--data", "fashion-mnist", "--epochs", str(args.epochs),
                                "--validation", "0", "--seed", str(seed), "--quiet", "--out", str(run)])
            g_eval, out = _wall([*genlab, "evaluate", str(run), "--json"])
            b_wall, b_out = _wall([sys.executable, str(BENCH / "_pytorch_examples_vae.py"), "--epochs",
                                   str(args.epochs), "--seed", str(seed), "--root", str(root),
                                   "--out", str(tmp / f"example-{seed}")])
            rows.append({"seed": seed, "genlab_train_s": g_train, "genlab_evaluate_s": g_eval,
                         "genlab_test_loss": json.loads(out)["loss"], "baseline_s": b_wall,
                         "baseline_test_loss": json.loads(b_out.strip().splitlines()[-1])["test_loss"]})
        gemm = time_gemm_floor().wall
    mean = lambda key: statistics.fmean(r[key] for r in rows)
    genlab_s = mean("genlab_train_s") + mean("genlab_evaluate_s")
    floor = args.epochs * gemm + import_torch
    print(json.dumps({
        "unit": f"one whole run of {args.epochs} epochs (process wall time, s)", "epochs": args.epochs,
        "seeds": args.seeds, "genlab_s": genlab_s, "genlab_train_only_s": mean("genlab_train_s"),
        "baseline_s": mean("baseline_s"), "speedup": mean("baseline_s") / genlab_s,
        "speedup_train_only": mean("baseline_s") / mean("genlab_train_s"),
        "gemm_floor_epoch_s": gemm, "import_torch_s": import_torch, "floor_s": floor,
        "genlab_over_floor": genlab_s / floor, "genlab_test_loss": mean("genlab_test_loss"),
        "baseline_test_loss": mean("baseline_test_loss"), "rows": rows, "device": "cpu",
        "torch_threads": torch.get_num_threads()}, sort_keys=True))


if __name__ == "__main__":
    main()
