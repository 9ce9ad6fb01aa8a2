"""A trained run's numbers on its test split: what `genlab evaluate --json` prints and `run.evaluate()` returns."""

from __future__ import annotations

from pathlib import Path

import torch

from genlab import data as gdata
from genlab.config.fields import whole_number
from genlab.config.run import SEED_MAX
from genlab.errors import UsageError
from genlab.training.capabilities import Likelihood, Sampler, require
from genlab.training.device import seed_everything
from genlab.training.loop import evaluate_split


def evaluate_run(loaded, *, device: torch.device, limit: int | None = None, nll: bool = False,
                 k: int | None = None, fid: bool = False, featurenet: Path | None = None, n: int | None = None,
                 inception_weights: Path | None = None, seed: int = 0) -> dict:
    """One dict: run_dir, family, n_test, the family's test metrics, and (when asked) nll with its standard
    error (importance-weighted, k samples, default 1000) and the sample-quality numbers (fid, kid, precision,
    recall...). An option of an estimate that was not asked for is refused (it would be silently ignored)."""
    for flag, value, needs, given in (("--k", k, "--nll", nll), ("--n", n, "--fid", fid),
                                      ("--featurenet", featurenet, "--fid", fid),
                                      ("--inception-weights", inception_weights, "--fid", fid)):
        if value is not None and not given:
            raise UsageError(f"{flag} applies to {needs}; add {needs} or drop {flag}")
    limit = None if limit is None else whole_number(limit, "--limit", low=1)
    k = 1000 if k is None else whole_number(k, "--k", low=1)
    n = None if n is None else whole_number(n, "--n", low=2)
    seed = whole_number(seed, "--seed", low=0, high=SEED_MAX)
    family = loaded.config.family
    if nll:
        require(loaded.task, Likelihood, "--nll", family=family)
    if fid or inception_weights:
        require(loaded.task, Sampler, "--fid", family=family)
    dataset = gdata.load(loaded.config.data.spec, image_size=loaded.config.data.image_size)
    loaded.task.bind_data(dataset)
    test = dataset.test.evenly(limit)  # N items spread through the split: a sorted set's first N is one class
    take = len(test)
    seed_everything(seed)
    result: dict = {"run_dir": str(loaded.run_dir), "family": family, "n_test": take}
    result.update(evaluate_split(loaded.task, test, take=take, device=device))
    if nll:
        result.update(loaded.task.nll_summary(test, take=take, k=k, device=device,
                                              generator=torch.Generator(device=device).manual_seed(seed)))
    if fid or inception_weights:
        from genlab.metrics.sample_quality import evaluate_run as sample_quality

        result.update(sample_quality(loaded, dataset, n=n, featurenet_dir=featurenet,
                                     inception_weights=inception_weights, device=device, seed=seed, fid=fid))
    return result
