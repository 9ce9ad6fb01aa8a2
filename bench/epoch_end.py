"""Epoch-end work against the epoch: `genlab.training.loop.train` of the pytorch/examples VAE (784-400-20,
Bernoulli, batch 128) on Fashion-MNIST with the command's defaults (a 5,000-image validation split evaluated at
every epoch end, the sample grids, a checkpoint of weights and Adam state with its fsyncs). Prints one JSON object.

epoch_end_s: wall seconds inside the loop's epoch-end work (validation pass, grids, checkpoint), per epoch;
checkpoint_s: all checkpoints' time per epoch (those at epoch ends and those every --checkpoint-every 500 steps);
overhead_s: epoch_end_s plus the checkpoints between epoch ends; epoch_s: wall seconds per epoch, steps included
(the loop's run, set-up excluded, divided by the epochs); share = overhead_s / epoch_s, the target <= 0.10.
Usage: python bench/epoch_end.py [--epochs N] [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch


def one_run(run_dir: Path, epochs: int, seed: int) -> dict:
    from genlab.config import DataConfig, RunConfig, TrainConfig
    from genlab.training import loop, vae

    timers = {"run": 0.0, "epoch_end": 0.0, "save": 0.0, "save_in_epoch_end": 0.0}
    inside = []

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            begin = time.perf_counter()
            inside.append(name)
            try:
                return fn(*args, **kwargs)
            finally:
                inside.pop()
                seconds = time.perf_counter() - begin
                timers[name] += seconds
                if name == "save" and "epoch_end" in inside:
                    timers["save_in_epoch_end"] += seconds
        return wrapper

    run, end_epoch, save = loop._Loop.run, loop._Loop._end_epoch, loop._Loop._save
    loop._Loop.run = timed("run", run)
    loop._Loop._end_epoch, loop._Loop._save = timed("epoch_end", end_epoch), timed("save", save)
    config = RunConfig(family="vae", data=DataConfig(spec="fashion-mnist"),
                       model=vae.Config(arch="mlp", hidden=(400,), latent_dim=20, likelihood="bernoulli"),
                       train=TrainConfig(epochs=epochs, batch_size=128, lr=1e-3, seed=seed, device="cpu"))
    try:
        loop.train(config, run_dir, force=True, progress=False)
    finally:
        loop._Loop.run, loop._Loop._end_epoch, loop._Loop._save = run, end_epoch, save
    total = timers["run"]  # the training loop itself: steps and epoch ends, not the set-up before it
    between = timers["save"] - timers["save_in_epoch_end"]
    return {"epoch_s": total / epochs, "epoch_end_s": timers["epoch_end"] / epochs,
            "checkpoint_s": timers["save"] / epochs, "overhead_s": (timers["epoch_end"] + between) / epochs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from genlab import data as gdata
    from genlab.runtime import flush_denormals, keep_freed_memory

    keep_freed_memory()  # as the genlab command does at start
    flush_denormals()
    gdata.load("fashion-mnist")  # the cache filled once, as any later run finds it
    with tempfile.TemporaryDirectory() as tmp:
        runs = [one_run(Path(tmp) / f"run{seed}", args.epochs, seed) for seed in range(args.repeats)]
    shares = [r["overhead_s"] / r["epoch_s"] for r in runs]
    print(json.dumps({
        "unit": "wall seconds per epoch", "epochs": args.epochs, "runs": [{k: round(v, 3) for k, v in r.items()}
                                                                          for r in runs],
        "share": [round(s, 3) for s in shares], "share_median": round(statistics.median(shares), 3),
        "target_share": 0.10, "architecture": "784-400-20 / 20-400-784, Bernoulli, Adam 1e-3, batch 128",
        "validation_images": 5000, "torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
        "load_average": [round(v, 2) for v in os.getloadavg()], "torch": torch.__version__}, sort_keys=True))


if __name__ == "__main__":
    main()
