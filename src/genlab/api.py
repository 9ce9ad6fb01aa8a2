"""The Python API: the same runs as the command line, from a script or a notebook.

    import genlab
    run = genlab.train("vae", data="fashion-mnist", out="runs/vae", epochs=5, latent_dim=2)
    run = genlab.load("runs/vae")
    run.sample(64)                  # (64, 1, 28, 28) float in [0, 1]
    run.evaluate(nll=True, k=1000)  # the dict `genlab evaluate --json` prints
    fig = run.plot("manifold")      # a matplotlib Figure

Options are the CLI's, with underscores (`latent_dim=2` is `--latent-dim 2`), checked by the same
declarations: a bad value raises `genlab.UsageError` with the line the CLI would print.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from genlab.config import RunConfig
from genlab.config import files as config_files
from genlab.config.families import build_config, check_needs, from_options, get, merge, nest
from genlab.config.fields import whole_number
from genlab.config.run import SEED_MAX
from genlab.errors import UsageError


def configure(model: str, *, config: str | Path | None = None, **options) -> RunConfig:
    """The checked RunConfig that `genlab train MODEL [--config FILE] [options]` would run."""
    layers = []
    if config is not None:
        layers.append(config_files.load(Path(config), family=model)[1])
    if not layers:
        return from_options(model, options)
    typed = nest(get(model), options, where=f"genlab.train({model!r})")
    run_config = build_config(model, merge(*layers, typed))
    check_needs(run_config, typed)  # typed, or set by the file: one that does nothing here
    return run_config


def train(model: str, *, out: str | Path, resume: bool = False, force: bool = False, progress: bool = True,
          config: str | Path | None = None, **options) -> Run:
    """Train (or with resume=True continue) a run in `out`, exactly as `genlab train` does; returns it loaded.
    Like the command it flushes denormal floats to zero (genlab.runtime.flush_denormals): fully when called
    before the process's first tensor work, else in the calling thread only."""
    from genlab.runtime import flush_denormals
    from genlab.training.loop import train as train_loop

    flush_denormals()

    run_config = configure(model, config=config, **options)
    train_loop(run_config, Path(out), resume=resume, force=force, progress=progress)
    return load(out, device=run_config.train.device)


def load(run_dir: str | Path, *, device: str = "auto") -> Run:
    """A trained run from its folder (config.json + model.safetensors; nothing is unpickled)."""
    from genlab.training.device import resolve_device
    from genlab.training.runfolder import load_run

    return Run(load_run(Path(run_dir), device=resolve_device(device)))


class Run:
    """A trained run: its config, its metrics, and what its model family can do."""

    def __init__(self, loaded):
        self._loaded = loaded
        self.run_dir: Path = loaded.run_dir
        self.config: RunConfig = loaded.config
        self.family: str = loaded.config.family

    def __repr__(self) -> str:
        return f"genlab.Run({str(self.run_dir)!r}, family={self.family!r}, step={self._loaded.meta.get('step')})"

    @property
    def task(self):
        """The family's task (nets in eval mode, on the run's device) for anything beyond this API."""
        return self._loaded.task

    def metrics(self) -> list[dict]:
        """The rows of metrics.jsonl."""
        from genlab import io

        return io.read_jsonl(self.run_dir / "metrics.jsonl")

    def sample(self, n: int, *, seed: int = 0, klass: int | None = None):
        """n samples (n, *sample_shape) on the CPU, images in [0, 1]; the same seed gives the same samples.
        A class-conditional run (--conditional) draws class `klass`, or every class in turn when None."""
        import torch

        from genlab.training.capabilities import Sampler, class_labels, require

        require(self.task, Sampler, "run.sample", family=self.family)
        n, seed = whole_number(n, "n", low=1), whole_number(seed, "seed", low=0, high=SEED_MAX)
        labels = class_labels(self.task, klass, n, what="run.sample")
        generator = torch.Generator(device=self.task.device).manual_seed(seed)
        with torch.no_grad():
            if labels is None:
                return self.task.sample(n, generator=generator).cpu()
            return self.task.sample(n, generator=generator, labels=labels).cpu()

    def reconstruct(self, x, labels=None):
        """x (B, C, H, W) float in [0, 1] (or uint8) -> reconstructions, same shape, in [0, 1], on the CPU.
        A class-conditional VAE needs the images' labels (B,). A VAE decodes one z ~ q(z|x), drawn from torch's
        global generator (seed it with torch.manual_seed to repeat a result)."""
        import torch

        from genlab.training.capabilities import Reconstructor, require

        require(self.task, Reconstructor, "run.reconstruct", family=self.family)
        x = _images_arg(x, tuple(self._loaded.meta.get("sample_shape") or ()))
        y = _labels_arg(labels, classes=getattr(self.task, "classes", 0), count=len(x))
        with torch.no_grad():
            if y is None:
                return self.task.reconstruct(x.to(self.task.device)).cpu()
            return self.task.reconstruct(x.to(self.task.device), labels=y).cpu()

    def evaluate(self, *, nll: bool = False, k: int | None = None, fid: bool = False, limit: int | None = None,
                 seed: int = 0, **options) -> dict:
        """The same dict as `genlab evaluate DIR --json` (k: importance samples for nll, default 1000; options
        for fid: featurenet, n, inception_weights)."""
        from genlab.training.evaluation import evaluate_run

        return evaluate_run(self._loaded, device=self.task.device, limit=limit, nll=nll, k=k, fid=fid,
                            seed=seed, **options)

    def plots(self) -> list[str]:
        """The figure kinds this run offers (`genlab plot DIR list`)."""
        from genlab.experiments.plots import offered

        return offered(self._loaded)

    def plot(self, kind: str, *, out: str | Path | None = None, seed: int = 0, **options):
        """Draw figure `kind` and return it as a matplotlib Figure (written to `out` too when given).
        Never touches pyplot, so a notebook's backend stays as it is."""
        from genlab.experiments.plots import kinds
        from genlab.report.figures import capture

        plots = kinds(self.family)
        if kind not in plots:
            raise UsageError(f"plot kind {kind!r} is not offered for a '{self.family}' run; accepted: "
                             f"{', '.join(sorted(plots))}")
        accepted = _keyword_options(plots[kind])
        unknown = sorted(set(options) - accepted)
        if unknown:
            raise UsageError(f"plot {kind!r} takes no option {', '.join(unknown)}; it takes: "
                             f"{', '.join(sorted(accepted)) or 'none'}")
        with tempfile.TemporaryDirectory() as tmp, capture() as figures:
            path = Path(out) if out is not None else Path(tmp) / f"{kind}.png"
            plots[kind](self._loaded, path, seed=seed, **options)
            return figures[-1] if figures else _image_figure(path, title=kind)


def _keyword_options(function) -> set[str]:
    """The named keyword-only options of a plot function (a catch-all **_ takes none that it uses)."""
    import inspect

    return {name for name, p in inspect.signature(function).parameters.items() if p.kind is p.KEYWORD_ONLY}


def _images_arg(x, shape: tuple[int, ...]):
    """A batch of images as float32 in [0, 1]: uint8 is scaled, floats are checked to lie in [0, 1] (0..255
    floats or integers would give nonsense silently); UsageError for a wrong shape or range."""
    import torch

    from genlab.data import to_float

    x = torch.as_tensor(x)  # tensors, numpy arrays and nested lists alike
    if tuple(x.shape[1:]) != shape:
        raise UsageError(f"x has shape {tuple(x.shape)}; this run's model takes (B, {', '.join(map(str, shape))})")
    if x.dtype == torch.uint8:
        return to_float(x)
    if x.dtype == torch.bool or x.is_complex():
        raise UsageError(f"x is {x.dtype}: give floats in [0, 1] or uint8 in 0..255")
    x = x.float()
    if len(x) and not (bool(torch.isfinite(x).all()) and float(x.min()) >= 0 and float(x.max()) <= 1):
        raise UsageError(f"x has values in {float(x.min()):g}..{float(x.max()):g}: give floats in [0, 1] or uint8 "
                         "in 0..255 (for 0..255 numbers, divide by 255)")
    return x


def _labels_arg(labels, *, classes: int, count: int):
    """A conditional run's labels (count,) as int64 in 0..classes-1; None for an unconditional run (where
    labels are refused); UsageError for a wrong shape, type or range."""
    import torch

    if labels is None:
        if classes:
            raise UsageError("this run is class-conditional (--conditional): give the images' labels (B,)")
        return None
    if not classes:
        raise UsageError("labels apply to a class-conditional run (--conditional); this one is not")
    y = torch.as_tensor(labels)
    if y.dtype == torch.bool or y.is_floating_point() or y.is_complex() or tuple(y.shape) != (count,):
        raise UsageError(f"labels must be {count} whole class numbers (shape ({count},)), got {y.dtype} of shape "
                         f"{tuple(y.shape)}")
    if count and not (0 <= int(y.min()) and int(y.max()) < classes):
        raise UsageError(f"labels in {int(y.min())}..{int(y.max())}: this run's classes are 0..{classes - 1}")
    return y.long()


def _image_figure(path: Path, *, title: str):
    """A Figure showing a PNG that a plot wrote directly (sample grids)."""
    import numpy as np
    from PIL import Image

    from genlab.report.figures import subplots

    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"))
    fig, ax = subplots(figsize=(pixels.shape[1] / 100, pixels.shape[0] / 100 + 0.3))
    ax.imshow(pixels)
    ax.set_title(title)
    ax.axis("off")
    return fig
