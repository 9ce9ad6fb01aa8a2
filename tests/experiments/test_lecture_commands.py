"""The lecture's "Reproduce this alone" train commands are generated from the configs it ran, and each one
parses back into exactly the config its run folder holds."""

from __future__ import annotations

import json
import shlex

from genlab.cli import build_parser
from genlab.cli.train import build_config
from genlab.experiments.lecture_runs import train_cached
from genlab.experiments.runner import Context


def test_train_cached_records_a_command_that_rebuilds_the_runs_config(tmp_path):
    ctx = Context(out=tmp_path, profile="quick", device="cpu")
    train_cached(ctx, "ae-digits", "ae", "digits", steps=2, batch_size=16, hidden=(8,), latent_dim=2)
    train_cached(ctx, "ae-digits", "ae", "digits", steps=2, batch_size=16, hidden=(8,), latent_dim=2)  # reused
    assert len(ctx.commands) == 1
    argv = shlex.split(ctx.commands[0])
    assert argv[:3] == ["genlab", "train", "ae"] and argv[-2:] == ["--out", "runs/ae-digits"]
    ran = json.loads((tmp_path / "runs" / "ae-digits" / "config.json").read_text())["config"]
    rebuilt = build_config(build_parser().parse_args(argv[1:]))
    assert json.loads(json.dumps(rebuilt.to_dict())) == ran


def test_the_wasserstein_sections_command_is_its_generator_run_at_the_steps_it_ran():
    from genlab.experiments import wgan

    for steps in (500, 3000):
        argv = shlex.split(wgan.generator_command(steps=steps, seed=0))
        config = build_config(build_parser().parse_args(argv[1:]))
        assert config.family == "gan-1d" and config.train.max_steps == steps and config.train.batch_size == 128
        assert config.model == wgan.generator_model()
