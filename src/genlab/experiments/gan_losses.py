"""GAN losses side by side on Fashion-MNIST: non-saturating vs WGAN-GP vs hinge DCGANs at equal generator
updates, by the feature net's FID over seeds; and a class-conditional DCGAN's samples labelled by the same
feature net, with a projection discriminator alone and with AC-GAN's auxiliary classifier added. Prints one JSON object:

    python -m genlab.experiments.gan_losses --featurenet DIR --out runs/gan-losses [--seeds 3] [--g-steps 600]

Also writes DIR/considerations.png: each loss's |grad G| and D's (or the critic's) separation over training.
The feature net is the lecture's (`genlab featurenet train --data fashion-mnist --image-size 32`). WGAN-GP
takes Gulrajani et al.'s n_critic = 5 critic updates per generator update (so 5x the steps) and their Adam
(lr 1e-4, betas 0 and 0.9); the others take the DCGAN recipe (lr 2e-4, betas 0.5 and 0.999), one D update each.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

from genlab import data as gdata
from genlab.errors import UsageError
from genlab.experiments.measures import conditional_class_accuracy

NETS = {"net": "dcgan", "ngf": 16, "ndf": 16}
LOSSES = {"non-saturating": {"loss": "non-saturating", "d_steps": 1, "lr": 2e-4},
          "hinge": {"loss": "hinge", "d_steps": 1, "lr": 2e-4},
          "wgan-gp": {"loss": "wgan-gp", "d_steps": 5, "lr": 1e-4, "betas": (0.0, 0.9)}}
# The class-conditional DCGAN, with and without AC-GAN's class term (weight 1, as Odena et al. weigh it).
CONDITIONAL = {"projection": {}, "projection+aux-classifier": {"aux_classifier": 1.0}}
CONDITIONAL_FOLDERS = {"projection": "conditional-0", "projection+aux-classifier": "conditional-aux-0"}


def train_one(out: Path, *, g_steps: int, seed: int, batch_size: int = 64, **model):
    """Train (or reuse) one DCGAN on Fashion-MNIST at 32x32 for g_steps generator updates; the loaded run."""
    from genlab.config.families import from_options
    from genlab.training import loop
    from genlab.training.runfolder import load_run

    steps = g_steps * model.get("d_steps", 1)
    options = {"data": "fashion-mnist", "image_size": 32, "epochs": 0, "max_steps": steps, "batch_size": batch_size,
               "seed": seed, "device": "cpu", "checkpoint_every": steps, "log_every": max(5, steps // 100),
               **NETS, **model}
    loop.train(from_options("gan", options), out, resume=True, progress=False)
    return load_run(out, device=torch.device("cpu"))


def train_rows(run_dir: Path) -> list[dict]:
    """The training rows of a run's metrics.jsonl, in step order."""
    rows = [json.loads(line) for line in (Path(run_dir) / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return sorted((r for r in rows if r.get("split") == "train"), key=lambda r: r["step"])


def considerations_figure(runs: dict[str, Path], out_path: Path) -> dict[str, float]:
    """Per loss (one run each): |grad G| against generator updates, and how far D/the critic separates real
    from generated (D(x) - D(G(z)), or the critic's score gap). Returns each loss's median |grad G| over the
    second half of training: a saturated D would drive it towards 0."""
    from genlab.report.figures import save_figure, subplots

    fig, (left, right) = subplots(1, 2, figsize=(10, 3.8))
    medians = {}
    for name, run_dir in runs.items():
        rows = train_rows(run_dir)
        d_steps = LOSSES[name]["d_steps"]
        updates = [r["step"] / d_steps for r in rows]
        grads = [r["grad_norm_g"] for r in rows]
        gaps = [r["score_real"] - r["score_fake"] if "score_real" in r else r["d_real"] - r["d_fake"] for r in rows]
        left.plot(updates, grads, label=name)
        right.plot(updates, gaps, label=name + (" (critic score gap)" if "score_real" in rows[0] else " (D(x) - D(G(z)))"))
        medians[name] = statistics.median(grads[len(grads) // 2:])
    left.set_yscale("log")
    left.set_xlabel("generator updates")
    left.set_ylabel("|grad G|")
    left.set_title("The generator's gradient", fontsize=10)
    right.set_xlabel("generator updates")
    right.set_title("How far D separates real from generated", fontsize=10)
    for ax in (left, right):
        ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, out_path)
    return medians


def compare(out_dir: Path, featurenet_dir: Path, *, seeds: int, g_steps: int) -> dict:
    from genlab.metrics import featurenet as fnet
    from genlab.metrics.sample_quality import featurenet_fid

    dataset = gdata.load("fashion-mnist", image_size=32)
    result: dict = {"g_steps": g_steps, "nets": NETS, "losses": {}, "seeds": list(range(seeds))}
    for name, model in LOSSES.items():
        fids, seconds = [], []
        for seed in range(seeds):
            start = time.perf_counter()
            run = train_one(out_dir / f"{name}-{seed}", g_steps=g_steps, seed=seed, **model)
            seconds.append(time.perf_counter() - start)
            fids.append(featurenet_fid(run.task, dataset, featurenet_dir=featurenet_dir, image_size=32,
                                       device=torch.device("cpu"), seed=seed))
        result["losses"][name] = {"fid": fids, "mean": statistics.fmean(fids),
                                  "sd": statistics.stdev(fids) if len(fids) > 1 else 0.0,
                                  "train_seconds": seconds, **model}
    result["median_grad_norm_g_second_half"] = considerations_figure(
        {name: out_dir / f"{name}-0" for name in LOSSES}, out_dir / "considerations.png")
    net, record = fnet.load(featurenet_dir, device=torch.device("cpu"))
    result["conditional"] = {"loss": "non-saturating", "featurenet_test_accuracy": record["test_accuracy"],
                             "seed": 0}
    for name, extra in CONDITIONAL.items():
        run = train_one(out_dir / CONDITIONAL_FOLDERS[name], g_steps=g_steps, seed=0, conditional=True,
                        **LOSSES["non-saturating"], **extra)
        accuracy, per_class = conditional_class_accuracy(run, net, n=2000)
        result["conditional"][name] = {
            "class_accuracy": accuracy, "per_class": per_class, **extra,
            "fid": featurenet_fid(run.task, dataset, featurenet_dir=featurenet_dir, image_size=32,
                                  device=torch.device("cpu"))}
    result["torch_threads"] = torch.get_num_threads()
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m genlab.experiments.gan_losses", description=__doc__.splitlines()[0])
    p.add_argument("--featurenet", type=Path, required=True, metavar="DIR", help="the fashion-mnist 32x32 feature net")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="where the runs go (reused when there)")
    p.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 per loss (default: 3)")
    p.add_argument("--g-steps", type=int, default=600, help="generator updates per run (default: 600)")
    args = p.parse_args(argv)
    if args.seeds < 1 or args.g_steps < 1:
        p.error("--seeds and --g-steps must be at least 1")
    try:
        print(json.dumps(compare(args.out, args.featurenet, seeds=args.seeds, g_steps=args.g_steps), sort_keys=True))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
