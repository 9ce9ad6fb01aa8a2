"""Domain-adversarial training, the lecture's "adversarial loss on nuisance directions", as experiments.

Ganin et al., "Domain-Adversarial Training of Neural Networks", JMLR 17 (2016):
- two moons (Sec. 5.1, Fig. 2): the target is the source rotated by 35 degrees; a source-only net's
  boundary misses the rotated moons, DANN's follows them; the features' PCA shows the two domains
  separated before adaptation and mixed after;
- digits -> digits on photos (Sec. 5.2.2, MNIST -> MNIST-M): mnist-5k -> mnist-5k-m-like here.

`compare(task, seeds=3)` trains source-only, DANN and train-on-target for each seed (same nets and budget)
and returns mean / std of the target accuracy, the domain classifier's accuracy and the proxy A-distance:

    python -m genlab.experiments.dann --task two-moons --seeds 3 [--out DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from genlab import data as gdata
from genlab.config import DataConfig, RunConfig, TrainConfig
from genlab.config.command import train_command
from genlab.config.dann import DEFAULT_TARGETS
from genlab.config.dann import Config as DannConfig
from genlab.config.run import validation_items
from genlab.errors import UsageError
from genlab.metrics.domain import accuracy_by_quantile, proxy_a_distance, units_alive
from genlab.training import families
from genlab.training.device import resolve_device, seed_everything
from genlab.training.loop import data_info, evaluate_split

MODES = ("source-only", "dann", "train-on-target")
METRICS = ("target_accuracy", "source_accuracy", "domain_accuracy", "proxy_a_distance", "domain_units_alive")
PAPER_MNIST_M = {"source-only": 0.5225, "dann": 0.7666, "train-on-target": 0.9596}  # Ganin et al. 2016, Table 2


@dataclass(frozen=True)
class Setup:
    """One experiment: the domains, the nets (Config of the dann family) and the training budget."""

    source: str
    target: str
    model: DannConfig
    train: TrainConfig


def _setup(source: str) -> Setup:
    """The setting `genlab train dann --data SOURCE` uses (genlab.config.dann.DATA_DEFAULTS): one setting for
    the lecture and the command line."""
    config = families.build_config("dann", {"data": {"spec": source}})
    return Setup(source, DEFAULT_TARGETS[source], config.model, config.train)


SETUPS = {source: _setup(source) for source in ("two-moons", "mnist-5k", "mnist")}


def run_config(setup: Setup, mode: str, seed: int, *, device: str = "auto") -> RunConfig:
    """The RunConfig of one cell of the table (mode: source-only, dann or train-on-target)."""
    if mode not in MODES:
        raise UsageError(f"mode {mode!r}: accepted {', '.join(MODES)}")
    model = dataclasses.replace(setup.model, adversarial=mode == "dann", train_on_target=mode == "train-on-target")
    return RunConfig(family="dann", data=DataConfig(spec=setup.source, target=setup.target), model=model,
                     train=dataclasses.replace(setup.train, seed=seed, device=device))


def cli_command(config: RunConfig) -> str:
    """The `genlab train dann` command line that trains the same run (with a run folder)."""
    return train_command(config, out="DIR")


def fit(config: RunConfig, *, device: torch.device | None = None):
    """Train in memory and return (task, source dataset): the very steps `genlab train` takes (same seeding,
    same batches from epoch_permutation(n, seed, epoch), same step count) without a run folder, because
    the loop evaluates and checkpoints at every epoch end and an epoch of two moons is three steps."""
    if getattr(config.train, "precision", "fp32") != "fp32" or getattr(config.train, "compile", False):
        raise UsageError("fit trains in fp32 without torch.compile; use `genlab train` for --precision/--compile")
    device = device or resolve_device(config.train.device)
    dataset = gdata.load(config.data.spec, image_size=config.data.image_size)
    held = validation_items(config.train.validation, len(dataset.train))  # the loop's own hold-out, if any
    dataset, _ = dataset.hold_out(held, seed=config.train.validation_seed)
    seed_everything(config.train.seed)
    task = families.build_task(config, data_info(dataset), device)
    task.bind_data(dataset)
    tc, n = config.train, len(dataset.train)
    steps_per_epoch = math.ceil(n / tc.batch_size)
    total = tc.epochs * steps_per_epoch
    if tc.max_steps is not None:
        total = min(total, tc.max_steps) if tc.epochs else tc.max_steps
    images = dataset.train.images.to(device)
    labels = dataset.train.labels.to(device)
    schedule = gdata.BatchSchedule(n, tc.batch_size, seed=tc.seed, device=device)  # the loop's own order
    for step in range(total):
        _, idx = schedule(step)
        for module in task.modules.values():
            module.train()
        task.train_step(gdata.to_float(images[idx]), labels[idx], step)
    for module in task.modules.values():
        module.eval()
    return task, dataset


@torch.no_grad()
def features_of(task, images: torch.Tensor, *, chunk: int = 1000) -> torch.Tensor:
    """Features (N, F) on the CPU of uint8 images or float toy points, in chunks."""
    out = [task.features(gdata.to_float(images[i:i + chunk].to(task.device))).cpu()
           for i in range(0, len(images), chunk)]
    return torch.cat(out)


def measure(task, dataset, *, seed: int = 0) -> dict[str, float]:
    """Held-out numbers of a trained task: accuracies (source test, target test), the domain classifier's
    balanced accuracy, the proxy A-distance between source-test and target-test features, and how many of the
    domain classifier's first hidden units still fire on some of those items (absent for a linear one)."""
    result = evaluate_split(task, dataset.test, take=len(dataset.test), device=task.device)
    fs, ft = features_of(task, dataset.test.images), features_of(task, task.target.test.images)
    result["proxy_a_distance"] = proxy_a_distance(fs, ft, seed=seed)
    with torch.no_grad():
        pre = task.modules["domain"].first_hidden_pre_activations(torch.cat([fs, ft]).to(task.device))
    if pre is not None:
        result["domain_units_alive"] = units_alive(pre)
    return {k: float(result[k]) for k in METRICS if k in result}


@torch.no_grad()
def accuracy_by_brightness(task) -> tuple[list[float], list[float]]:
    """Target test accuracy within each quarter of the target images ranked by mean brightness: (the 3 edges,
    4 accuracies, darkest first). On digits-on-photos the brightest quarter is where |digit - patch| on a light
    patch inverts the digit (dark strokes on a light ground), the polarity the source never shows."""
    test = task.target.test
    x = gdata.to_float(test.images)
    correct = torch.cat([task.classify(x[i:i + 1000].to(task.device)).argmax(1).cpu() for i in range(0, len(x), 1000)])
    return accuracy_by_quantile(correct == test.labels, mean_brightness(x))


def mean_brightness(x: torch.Tensor) -> torch.Tensor:
    """(N, ...) images in [0, 1] -> (N,) their mean pixel value, what the brightness quarters rank by."""
    return x.mean(dim=tuple(range(1, x.dim())))


def where_the_gap_is(res: dict) -> str:
    """Where on the target DANN's gain is, in words, from `compare`'s accuracies per brightness quarter (the
    lecture's note; "" without them)."""
    by = res.get("target_accuracy_by_brightness")
    if not by:
        return ""
    mean = {mode: cell["mean"] for mode, cell in by["modes"].items()}

    def quarter(q: int) -> str:
        return (f"DANN {mean['dann'][q]:.2f}, source-only {mean['source-only'][q]:.2f}, train-on-target "
                f"{mean['train-on-target'][q]:.2f}")

    return ("Where the gap is (figure: brightness.png): ranked by mean brightness, the darkest quarter of the target "
            f"images (light strokes on dark patches, like the source) gives {quarter(0)}; the brightest quarter "
            f"(above {by['edges'][2]:.2f}: |digit - patch| on a light patch inverts the digit, dark strokes on a light "
            f"ground, a polarity no source digit has) gives {quarter(3)}. Labels make the inverted digits as "
            "learnable as the rest; aligning the two domains' features without labels does not say which inverted "
            "shape is which digit, and that quarter is where DANN stays short. ")


def summarise(values: list[float]) -> dict:
    """mean, sample standard deviation (n - 1; 0 for one value) and the values themselves."""
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return {"mean": statistics.fmean(values), "std": std, "values": values}


def compare(task: str = "two-moons", *, seeds: int = 3, device: str = "auto", out_dir: Path | None = None,
            setup: Setup | None = None) -> dict:
    """Source-only, DANN and train-on-target over `seeds` seeds (0, 1, ...): mean/std of METRICS per mode.
    With out_dir, seed 0's figures go there (two moons: boundaries; every task: feature PCA)."""
    if setup is None and task not in SETUPS:
        raise UsageError(f"--task {task!r}: accepted {', '.join(SETUPS)}")
    setup = setup or SETUPS[task]
    dev = resolve_device(device)
    start = time.perf_counter()
    cells: dict[str, dict[str, list[float]]] = {m: {k: [] for k in METRICS} for m in MODES}
    by_brightness: dict[str, list[list[float]]] = {m: [] for m in MODES}
    edges: list[float] = []
    kept: dict[str, object] = {}
    for seed in range(seeds):
        for mode in MODES:
            trained, dataset = fit(run_config(setup, mode, seed, device=device), device=dev)
            for key, value in measure(trained, dataset, seed=seed).items():
                cells[mode][key].append(value)
            if dataset.kind == "image" and trained.target.test.labels is not None:
                edges, accs = accuracy_by_brightness(trained)
                by_brightness[mode].append(accs)
            if seed == 0:
                kept[mode] = trained
    brightness = None
    if edges:
        brightness = {"edges": edges, "modes": {m: {"mean": [statistics.fmean(q) for q in zip(*v)], "values": v}
                                                for m, v in by_brightness.items()}}
    if out_dir is not None:
        _figures(kept, dataset, Path(out_dir))
        if brightness is not None:
            brightness_figure(brightness, kept["dann"].target.test, Path(out_dir) / "brightness.png")
    return {"task": task, "source": setup.source, "target": setup.target, "seeds": list(range(seeds)),
            "target_accuracy_by_brightness": brightness,
            "modes": {m: {k: summarise(v) for k, v in cells[m].items() if v} for m in MODES},
            "commands": {m: cli_command(run_config(setup, m, 0)) for m in MODES},
            "paper_mnist_to_mnist_m": PAPER_MNIST_M, "wall_s": time.perf_counter() - start,
            "device": str(dev), "torch_threads": torch.get_num_threads()}


# --- figures ----------------------------------------------------------------------------------------------
def _figures(tasks: dict, dataset, out_dir: Path) -> None:
    pair = {"source-only": tasks["source-only"], "DANN": tasks["dann"]}
    if dataset.kind == "toy":
        boundary_figure(pair, dataset, out_dir / "boundary.png")
    features_figure(pair, dataset, out_dir / "features.png")


def brightness_figure(brightness: dict, target_test, out_path: Path, *, examples: int = 6) -> None:
    """Target accuracy per brightness quarter for each mode (bars, mean over seeds), and a strip of target
    test images from each quarter under it."""
    from genlab.report.figures import save_figure, subplots

    x = gdata.to_float(target_test.images)
    score = mean_brightness(x)
    which = torch.bucketize(score.double(), torch.tensor(brightness["edges"], dtype=torch.float64))
    fig, axes = subplots(2, 4, figsize=(10, 5.4), gridspec_kw={"height_ratios": [2.2, 1]})
    top = fig.add_subplot(2, 1, 1)
    for ax in axes[0]:
        ax.remove()
    width = 0.8 / len(brightness["modes"])
    for i, (mode, cell) in enumerate(brightness["modes"].items()):
        top.bar([q + (i - 1) * width for q in range(4)], cell["mean"], width, label=mode)
    bounds = [score.min().item(), *brightness["edges"], score.max().item()]
    top.set_xticks(range(4), [f"quarter {q + 1}\nbrightness {bounds[q]:.2f}-{bounds[q + 1]:.2f}" for q in range(4)],
                   fontsize=8)
    top.set_ylabel("target test accuracy")
    top.set_ylim(0, 1)
    top.legend(fontsize=8)
    top.set_title("Target accuracy by how bright the target image is (mean over seeds)", fontsize=10)
    for q, ax in enumerate(axes[1]):
        members = torch.nonzero(which == q).flatten()
        if len(members) >= 2 * examples:  # evenly through the quarter: the test split may be sorted by class
            picks = members[torch.linspace(0, len(members) - 1, 2 * examples).long()]
            rows = [torch.cat(list(x[picks[r * examples:(r + 1) * examples]]), dim=-1) for r in range(2)]
            tile = torch.cat(rows, dim=-2)
            ax.imshow(tile.permute(1, 2, 0).clamp(0, 1).numpy() if tile.shape[0] == 3 else tile[0].numpy(),
                      cmap=None if tile.shape[0] == 3 else "gray")
        ax.set_axis_off()
    fig.tight_layout()
    save_figure(fig, out_path)


def _draw_boundary(ax, task, dataset, title: str) -> None:
    """Decision regions of the label classifier over both domains: source o, target x, coloured by class."""
    src, tgt = dataset.test, task.target.test
    pts = torch.cat([src.images, tgt.images])
    lo, hi = pts.min(0).values - 0.4, pts.max(0).values + 0.4
    gx, gy = torch.meshgrid(torch.linspace(lo[0], hi[0], 200), torch.linspace(lo[1], hi[1], 200), indexing="xy")
    grid = torch.stack([gx.flatten(), gy.flatten()], 1)
    z = task.classify(grid.to(task.device)).argmax(1).cpu().reshape(gx.shape)
    ax.contourf(gx, gy, z, levels=[-0.5, 0.5, 1.5], colors=["#f4c2c2", "#c2d4f4"], alpha=0.8)
    ax.contour(gx, gy, z, levels=[0.5], colors="k", linewidths=1.5)
    colours = np.array(["#c0392b", "#1f4e9c"])
    ax.scatter(*src.images.T, c=colours[src.labels], marker="o", s=14, label="source (two-moons)")
    ax.scatter(*tgt.images.T, c=colours[tgt.labels], marker="x", s=18, label="target (rotated 35 deg)")
    ax.set_title(title, fontsize=9)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


def _target_accuracy(task) -> float:
    t = task.target.test
    return float((task.classify(gdata.to_float(t.images).to(task.device)).argmax(1).cpu() == t.labels).float().mean())


def boundary_figure(tasks: dict, dataset, out_path: Path) -> None:
    """One panel per trained two-moons task ({title: task}): its decision boundary and both domains."""
    from genlab.report.figures import save_figure, subplots

    fig, axes = subplots(1, len(tasks), figsize=(4.6 * len(tasks), 4.2), squeeze=False)
    for ax, (name, task) in zip(axes[0], tasks.items()):
        _draw_boundary(ax, task, dataset, f"{name}: target accuracy {_target_accuracy(task):.3f}")
    axes[0][0].legend(fontsize=7, loc="lower left")
    fig.suptitle("Decision boundary on two moons (o source, x target; colour = true class)", fontsize=10)
    save_figure(fig, out_path)


def _draw_features(ax, task, dataset, title: str, *, limit: int = 1000) -> None:
    """2-D PCA of the features of source-test and target-test items, coloured by domain."""
    from sklearn.decomposition import PCA

    fs = features_of(task, dataset.test.evenly(limit).images).numpy()
    ft = features_of(task, task.target.test.evenly(limit).images).numpy()
    pca = PCA(n_components=2, random_state=0).fit(np.concatenate([fs, ft]))
    ax.scatter(*pca.transform(fs).T, s=6, alpha=0.6, c="#1f77b4", label=f"source ({dataset.name})")
    ax.scatter(*pca.transform(ft).T, s=6, alpha=0.6, c="#ff7f0e", label=f"target ({task.target_name})")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def features_figure(tasks: dict, dataset, out_path: Path) -> None:
    """One PCA panel per trained task ({title: task}), e.g. before (source-only) and after adaptation."""
    from genlab.report.figures import save_figure, subplots

    fig, axes = subplots(1, len(tasks), figsize=(4.4 * len(tasks), 4.0), squeeze=False)
    for ax, (name, task) in zip(axes[0], tasks.items()):
        d_a = proxy_a_distance(features_of(task, dataset.test.images), features_of(task, task.target.test.images))
        _draw_features(ax, task, dataset, f"{name}: features, PCA (proxy A-distance {d_a:.2f})")
    axes[0][0].legend(fontsize=7, markerscale=2)
    save_figure(fig, out_path)


def _run_source(run):
    return gdata.load(run.config.data.spec, image_size=run.config.data.image_size)


def boundary_plot(run, out_path: Path, **_) -> None:
    """`genlab plot DIR boundary`: the run's decision boundary with both domains (2-D toy data only)."""
    dataset = _run_source(run)
    if dataset.kind != "toy" or tuple(dataset.sample_shape) != (2,):
        raise UsageError(f"plot boundary needs 2-D toy data (two-moons); {run.run_dir} trained on "
                         f"{run.config.data.spec}: use `features`")
    boundary_figure({f"{run.run_dir.name}": run.task}, dataset, out_path)


def features_plot(run, out_path: Path, **_) -> None:
    """`genlab plot DIR features`: 2-D PCA of the run's features, source vs target test items."""
    features_figure({f"{run.run_dir.name}": run.task}, _run_source(run), out_path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m genlab.experiments.dann", description=__doc__.splitlines()[0])
    p.add_argument("--task", choices=tuple(SETUPS), default="two-moons", help="which experiment (default: two-moons)")
    p.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 per mode (default: 3)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"), help="(default: auto)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR", help="write seed 0's figures here")
    p.add_argument("--threads", type=int, default=1,
                   help="torch CPU threads (default: 1: these nets are so small that a second thread mostly "
                        "spins, 4x the CPU time for the same steps on a shared machine)")
    args = p.parse_args(argv)
    if args.seeds < 1 or args.threads < 1:
        p.error(f"--seeds {args.seeds} / --threads {args.threads}: must be at least 1")
    torch.set_num_threads(args.threads)
    try:
        result = compare(args.task, seeds=args.seeds, device=args.device, out_dir=args.out)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
