"""Training evaluates on a validation split carved from train (never the test split); every metrics row
carries `time` and `elapsed_s` (continuing across --resume); --tensorboard writes event files."""

import json
import math
import sys
import time

import pytest
import torch

import genlab
from genlab import data as gdata
from genlab import io
from genlab.config.run import validation_items
from genlab.errors import UsageError
from genlab.training import checkpoint, loop
from genlab.training import tensorboard as tb

DIGITS_TRAIN = len(gdata.load("digits").train)  # 1438 of digits' 1797 images
HELD = round(0.1 * DIGITS_TRAIN)                 # the default for small sets: 10%


def _config(**train):
    options = {"data": "digits", "hidden": (16,), "latent_dim": 2, "batch_size": 64, "epochs": 1,
               "checkpoint_every": 5, "log_every": 5, "seed": 2, "device": "cpu", **train}
    return genlab.configure("ae", **options)


def test_validation_sizes_default_count_fraction_and_none():
    assert validation_items(None, 60_000) == 5000          # MNIST-sized: the customary 55k / 5k
    assert validation_items(None, 1438) == 144             # small sets: 10%
    assert validation_items(0.25, 1000) == 250
    assert validation_items(300.0, 1000) == 300
    assert validation_items(0, 1000) == 0
    with pytest.raises(UsageError, match="leave at least one"):
        validation_items(1000.0, 1000)
    with pytest.raises(UsageError, match="whole number"):
        _config(validation=2.5)


def test_epoch_end_rows_are_on_the_held_out_items_and_config_json_says_so(tmp_path):
    config = _config(eval_limit=None)
    result = loop.train(config, tmp_path / "run", progress=False)
    record = json.loads((tmp_path / "run" / "config.json").read_text())
    assert record["validation"] == {"items": HELD, "seed": 0, "train_items": DIGITS_TRAIN - HELD,
                                    "carved_from": "train"}
    rows = io.read_jsonl(tmp_path / "run" / "metrics.jsonl")
    assert {r["split"] for r in rows} == {"train", "validation"}
    assert result.total_steps == math.ceil((DIGITS_TRAIN - HELD) / 64)  # trained on the rest only

    # the row's numbers are the model's on exactly the held-out train items (not on the test split)
    run = genlab.load(tmp_path / "run")
    dataset = gdata.load("digits")
    _, held = dataset.hold_out(HELD, seed=0)
    assert len(held) == HELD
    on_held = loop.evaluate_split(run.task, held, take=len(held), device=torch.device("cpu"))
    on_test = loop.evaluate_split(run.task, dataset.test, take=len(dataset.test), device=torch.device("cpu"))
    row = [r for r in rows if r["split"] == "validation"][-1]
    assert row["loss"] == pytest.approx(on_held["loss"], rel=1e-6)
    assert row["loss"] != pytest.approx(on_test["loss"], rel=1e-6)
    # held-out items are train items: disjoint from what the loop trains on, deterministic by seed
    kept, held_idx = gdata.dataset.holdout_indices(DIGITS_TRAIN, HELD, seed=0)
    assert not set(kept.tolist()) & set(held_idx.tolist())
    assert torch.equal(held_idx, gdata.dataset.holdout_indices(DIGITS_TRAIN, HELD, seed=0)[1])


def test_validation_zero_trains_on_all_and_writes_no_validation_rows(tmp_path):
    result = loop.train(_config(validation=0), tmp_path / "run", progress=False)
    assert result.total_steps == math.ceil(DIGITS_TRAIN / 64)
    assert {r["split"] for r in io.read_jsonl(tmp_path / "run" / "metrics.jsonl")} == {"train"}


def test_every_row_has_time_and_elapsed_and_elapsed_continues_across_resume(tmp_path):
    run_dir = tmp_path / "run"
    loop.train(_config(epochs=2, max_steps=10), run_dir, progress=False)
    before = io.read_jsonl(run_dir / "metrics.jsonl")
    assert all(isinstance(r["time"], float) and r["elapsed_s"] >= 0 for r in before)
    elapsed = [r["elapsed_s"] for r in before]
    assert elapsed == sorted(elapsed)
    _, meta = checkpoint.read_safetensors(run_dir / "checkpoint" / "state.safetensors")
    stored = meta["elapsed_s"]
    assert stored >= elapsed[-1]

    time.sleep(1.0)  # a pause between the runs: not training time
    t_resume = time.time()
    loop.train(_config(epochs=2), run_dir, resume=True, progress=False)
    after = [r for r in io.read_jsonl(run_dir / "metrics.jsonl") if r["step"] > 10]
    assert after and all("time" in r for r in after)
    for r in after:
        assert stored <= r["elapsed_s"] <= stored + (r["time"] - t_resume) + 0.05, r
        assert r["time"] >= t_resume


def test_tensorboard_writes_scalars_and_sample_grids(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    loop.train(_config(tensorboard=True), tmp_path / "run", progress=False)
    events = EventAccumulator(str(tmp_path / "run" / tb.FOLDER), size_guidance={"images": 0}).Reload()
    scalars, images = set(events.Tags()["scalars"]), set(events.Tags()["images"])
    assert {"train/loss", "validation/loss", "train/images_per_s"} <= scalars
    assert not {"train/time", "train/elapsed_s"} & scalars
    assert {"samples/recon", "samples/noise_decode"} <= images
    steps = [e.step for e in events.Scalars("train/loss")]
    assert steps == [r["step"] for r in io.read_jsonl(tmp_path / "run" / "metrics.jsonl")
                     if r["split"] == "train"]


def test_tensorboard_missing_is_one_line_naming_the_install_before_anything_is_written(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # import tensorboard -> ImportError
    with pytest.raises(UsageError, match=r"pip install tensorboard"):
        loop.train(_config(tensorboard=True), tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()
