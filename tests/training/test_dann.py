"""The dann family: its CLI errors, its target batches and schedule, and a tiny real run through the loop."""

import json

import numpy as np
import pytest
import torch

from genlab import data as gdata
from genlab import io
from genlab.cli import main as cli_main
from genlab.config import DataConfig, RunConfig, TrainConfig, families
from genlab.errors import UsageError
from genlab.objectives.reversal import ganin_lambda
from genlab.training import checkpoint, dann
from genlab.training.loop import data_info, train
from genlab.training.runfolder import load_run
from tests.conftest import assert_one_line_error, run_cli

CPU = torch.device("cpu")
TINY = ["--batch-size", "64", "--max-steps", "2", "--quiet", "--arch", "mlp", "--hidden", "8"]


def _png_folder(path, n, size, mode):
    """n random PNGs (size x size, PIL mode L or RGB) directly in `path`: an unlabelled folder: dataset."""
    from PIL import Image

    path.mkdir()
    rng = np.random.default_rng(0)
    shape = (size, size) if mode == "L" else (size, size, 3)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(path / f"{i:02d}.png")
    return path


def test_target_of_another_image_size_is_one_line_exit_2(tmp_path):
    target = _png_folder(tmp_path / "rgb10", 10, 10, "RGB")
    proc = run_cli("train", "dann", "--data", "digits", "--target", f"folder:{target}",
                   "--out", str(tmp_path / "r"), *TINY)
    assert_one_line_error(proc, contains="--image-size")
    assert "10x10" in proc.stderr and "8x8" in proc.stderr


def test_negative_lambda_is_one_line_exit_2(tmp_path):
    proc = run_cli("train", "dann", "--data", "two-moons", "--out", str(tmp_path / "r"), "--lambda", "-0.5", *TINY)
    assert_one_line_error(proc, contains="--lambda -0.5")


def test_train_on_target_without_target_labels_is_one_line_exit_2(tmp_path):
    target = _png_folder(tmp_path / "gray8", 10, 8, "L")
    proc = run_cli("train", "dann", "--data", "digits", "--target", f"folder:{target}", "--train-on-target",
                   "--out", str(tmp_path / "r"), *TINY)
    assert_one_line_error(proc, contains="no labels")


def test_more_bad_options_are_one_line_exit_2(tmp_path, capsys):
    out = str(tmp_path / "r")
    cases = [(["--train-on-target", "--adversarial"], "--adversarial"),
             (["--gamma", "-1"], "--gamma"),
             (["--target", "gauss-1d"], "shape"),
             (["--target", "digits"], "toy data")]
    for extra, fragment in cases:
        assert cli_main(["train", "dann", "--data", "two-moons", "--out", out, *TINY, *extra]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and fragment in err[0], (extra, err)
    assert cli_main(["train", "dann", "--data", "digits", "--out", out, *TINY]) == 2
    assert "--target" in capsys.readouterr().err


def _config(spec="two-moons", *, target=None, image_size=None, steps=6, epochs=0, **model):
    model = {"arch": "mlp", "hidden": (8,), **model}
    return RunConfig("dann", DataConfig(spec, image_size=image_size, target=target), dann.Config(**model),
                     TrainConfig(epochs=epochs, max_steps=steps, batch_size=64, seed=3, device="cpu"))


def _task(config):
    dataset = gdata.load(config.data.spec, image_size=config.data.image_size)
    task = dann.Task(config, data_info(dataset), CPU)
    task.bind_data(dataset)
    return task, dataset


def test_image_size_resizes_both_domains_and_gray_meets_rgb(tmp_path):
    target = _png_folder(tmp_path / "rgb10", 10, 10, "RGB")
    task, dataset = _task(_config("digits", target=f"folder:{target}", image_size=8))
    assert task.input_shape == (3, 8, 8) and task.target.sample_shape == (3, 8, 8)
    x = gdata.to_float(dataset.train.images[:4])
    assert torch.equal(task.prepare(x), x.expand(-1, 3, -1, -1))   # grey repeated into R, G and B
    metrics = task.train_step(x, dataset.train.labels[:4], 0)
    assert set(metrics) >= {"loss_label", "loss_domain", "lambda"}


def test_target_batches_are_a_pure_function_of_the_step():
    a, _ = _task(_config())
    b, _ = _task(_config())
    for step in (0, 1, 5, 2):
        xa, ya = a.target_batch(step)
        xb, yb = b.target_batch(step)
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
    assert not torch.equal(a.target_batch(0)[0], a.target_batch(1)[0])
    # one target epoch (150 // 64 = 2 batches) draws distinct items
    seen = torch.cat([a.target_batch(s)[0] for s in (0, 1)])
    assert len(torch.unique(seen, dim=0)) == 128


def test_lambda_follows_the_configured_schedule():
    task, _ = _task(_config(reversal_lambda=2.0, lambda_schedule="ganin", steps=10))
    assert task.lambda_at(0) == 0.0
    assert task.lambda_at(5) == pytest.approx(2.0 * ganin_lambda(0.5))
    assert task.lambda_at(10) == pytest.approx(2.0 * ganin_lambda(1.0))
    # with epochs, p counts over the planned epochs (4 x 3 steps); --max-steps only stops early
    early, _ = _task(_config(reversal_lambda=1.0, lambda_schedule="ganin", steps=3, epochs=4))
    assert early.lambda_at(3) == pytest.approx(ganin_lambda(3 / 12))
    assert _task(_config(reversal_lambda=0.4, lambda_schedule="constant"))[0].lambda_at(3) == 0.4
    assert _task(_config(adversarial=False))[0].lambda_at(3) == 0.0
    assert _task(_config(adversarial=False, train_on_target=True))[0].lambda_at(3) == 0.0


def _train_steps(task, dataset, steps):
    for step in range(steps):
        idx = gdata.epoch_permutation(len(dataset.train), seed=0, epoch=step)[:64]
        task.train_step(dataset.train.images[idx], dataset.train.labels[idx], step)


def test_source_only_features_ignore_the_domain_classifier():
    """--no-adversarial is lambda = 0: the features learn from the labels alone, whatever the domain head."""
    torch.manual_seed(0)
    a, dataset = _task(_config(adversarial=False, domain_hidden=(4,)))
    torch.manual_seed(0)
    b, _ = _task(_config(adversarial=False, domain_hidden=(16, 16)))
    _train_steps(a, dataset, 5)
    _train_steps(b, dataset, 5)
    for (name, p), q in zip(a.modules["features"].state_dict().items(), b.modules["features"].state_dict().values()):
        assert torch.equal(p, q), name
    torch.manual_seed(0)
    c, _ = _task(_config(adversarial=True, reversal_lambda=1.0, lambda_schedule="constant", domain_hidden=(4,)))
    _train_steps(c, dataset, 5)
    assert not torch.equal(a.modules["features"].net[0][0].weight, c.modules["features"].net[0][0].weight)


def _weights(run_dir):
    return checkpoint.read_safetensors(run_dir / "model.safetensors")[0]


def test_tiny_run_logs_dann_metrics_evaluates_and_resumes_exactly(tmp_path, capsys):
    # two epochs of ceil(150 / 64) = 3 steps; Ganin's schedule runs over those 6 steps
    config = _config(reversal_lambda=1.0, lambda_schedule="ganin", steps=None, epochs=2)
    train(config, tmp_path / "whole", progress=False)
    rows = io.read_jsonl(tmp_path / "whole" / "metrics.jsonl")
    train_rows = [r for r in rows if r["split"] == "train"]
    assert all({"loss_label", "loss_domain", "lambda"} <= set(r) for r in train_rows)
    assert train_rows[-1]["lambda"] > 0
    test_rows = [r for r in rows if r["split"] == "validation"]
    assert {"target_accuracy", "source_accuracy", "domain_accuracy"} <= set(test_rows[-1])

    assert cli_main(["evaluate", str(tmp_path / "whole"), "--json", "--device", "cpu"]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("target_accuracy", "source_accuracy", "domain_accuracy"):
        assert 0.0 <= result[key] <= 1.0
    assert result["target_accuracy"] == pytest.approx(test_rows[-1]["target_accuracy"])

    # resume: 3 steps, then on to 6, ends with the same weights (target batches depend on the step alone)
    part = tmp_path / "part"
    train(_config(reversal_lambda=1.0, lambda_schedule="ganin", steps=3, epochs=2), part, progress=False)
    train(config, part, resume=True, progress=False)
    whole, resumed = _weights(tmp_path / "whole"), _weights(part)
    assert whole.keys() == resumed.keys()
    for key in whole:
        assert torch.equal(whole[key], resumed[key]), key
    loaded = load_run(tmp_path / "whole", device=CPU)
    assert loaded.task.classify(torch.zeros(3, 2)).shape == (3, 2)


def test_source_without_labels_is_refused():
    config = RunConfig("dann", DataConfig("gauss-1d", target="gauss-1d"), dann.Config(arch="mlp"),
                       TrainConfig(device="cpu"))
    dataset = gdata.load("gauss-1d")
    with pytest.raises(UsageError, match="no labels"):
        dann.Task(config, data_info(dataset), CPU)


def test_learning_rate_follows_ganins_annealing():
    """--lr-schedule ganin: mu_p = mu_0 / (1 + 10 p)^0.75 (Ganin et al. 2016), p over the planned run."""
    task, dataset = _task(_config(lr_schedule="ganin", steps=10))
    lr = task.config.train.lr
    assert task.lr_at(0) == lr
    assert task.lr_at(5) == pytest.approx(lr / 6 ** 0.75)
    assert task.lr_at(10) == pytest.approx(lr / 11 ** 0.75) == task.lr_at(20)
    x, y = dataset.train.images[:8], dataset.train.labels[:8]
    task.train_step(x, y, 5)
    assert task.optimizers["model"].param_groups[0]["lr"] == pytest.approx(lr / 6 ** 0.75)
    assert _task(_config(steps=10))[0].lr_at(7) == lr        # constant by default
    sgd, _ = _task(_config(optimizer="sgd", lr_schedule="ganin", steps=10))
    assert isinstance(sgd.optimizers["model"], torch.optim.SGD)
    assert sgd.optimizers["model"].param_groups[0]["momentum"] == 0.9


def test_betas_reach_adam_and_the_digits_setting_uses_beta1_0():
    """--betas sets Adam's; the digits setting is beta1 0 at lambda 1 (config.dann), two moons keeps 0.9."""
    task, _ = _task(_config(betas=(0.25, 0.99)))
    assert task.optimizers["model"].param_groups[0]["betas"] == (0.25, 0.99)
    assert _task(_config())[0].optimizers["model"].param_groups[0]["betas"] == (0.9, 0.999)
    digits = families.build_config("dann", {"data": {"spec": "mnist-5k"}}).model
    assert (digits.betas, digits.reversal_lambda) == ((0.0, 0.999), 1.0)
    assert families.build_config("dann", {"data": {"spec": "two-moons"}}).model.betas == (0.9, 0.999)
    chosen = families.build_config("dann", {"data": {"spec": "mnist-5k"}, "model": {"betas": (0.5, 0.999)}})
    assert chosen.model.betas == (0.5, 0.999)                  # a user's choice beats the data setting


def test_a_run_saved_before_betas_existed_reloads_with_adams_default_not_the_new_digits_setting():
    saved = families.build_config("dann", {"data": {"spec": "mnist-5k"}, "model": {"reversal_lambda": 0.3}}).to_dict()
    del saved["model"]["betas"]                                    # config.json as stop 27 wrote it
    old = families.config_from_dict(json.loads(json.dumps(saved)))
    assert (old.model.betas, old.model.reversal_lambda) == ((0.9, 0.999), 0.3)   # so it resumes as it trained


def test_betas_out_of_range_is_one_line_exit_2(tmp_path):
    proc = run_cli("train", "dann", "--data", "two-moons", "--out", str(tmp_path / "r"), "--betas", "1", "0.9", *TINY)
    assert_one_line_error(proc, contains="--betas")
    assert not (tmp_path / "r").exists()


def test_domain_leak_makes_the_domain_head_leaky_and_old_runs_keep_relu():
    """--domain-leak X: LeakyReLU(X) in the domain classifier only (a ReLU unit with no positive input passes no
    gradient; a leaky one passes X of it); 0, the default, is Ganin's ReLU, and config.json files written before
    the option existed reload as ReLU."""
    leaky, _ = _task(_config(domain_leak=0.05))
    acts = [m for m in leaky.modules["domain"].net if not isinstance(m, torch.nn.Linear)]
    assert len(acts) == 1 and isinstance(acts[0], torch.nn.LeakyReLU) and acts[0].negative_slope == 0.05
    assert torch.equal(acts[0](torch.tensor([-2.0, 3.0])), torch.tensor([-0.1, 3.0]))
    relu, _ = _task(_config())
    assert [type(m) for m in relu.modules["domain"].net if not isinstance(m, torch.nn.Linear)] == [torch.nn.ReLU]
    assert not any(isinstance(m, torch.nn.LeakyReLU) for m in leaky.modules["label"].modules())
    saved = families.build_config("dann", {"data": {"spec": "two-moons"}}).to_dict()
    del saved["model"]["domain_leak"]                                # config.json as stop 28 wrote it
    assert families.config_from_dict(json.loads(json.dumps(saved))).model.domain_leak == 0.0


@pytest.mark.parametrize("leak", ["1", "-0.1"])
def test_domain_leak_out_of_range_is_one_line_exit_2(tmp_path, leak):
    proc = run_cli("train", "dann", "--data", "two-moons", "--out", str(tmp_path / "r"), "--domain-leak", leak, *TINY)
    assert_one_line_error(proc, contains="--domain-leak")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_annealed_run_resumes_exactly(tmp_path, optimizer):
    """The annealed rate is a function of the step: stopping at 3 and resuming to 6 ends where 6 in one go does."""
    opts = {"lr_schedule": "ganin", "optimizer": optimizer, "reversal_lambda": 0.5, "lambda_schedule": "ganin"}
    train(_config(steps=None, epochs=2, **opts), tmp_path / "whole", progress=False)
    train(_config(steps=3, epochs=2, **opts), tmp_path / "part", progress=False)
    train(_config(steps=None, epochs=2, **opts), tmp_path / "part", resume=True, progress=False)
    whole, resumed = _weights(tmp_path / "whole"), _weights(tmp_path / "part")
    assert whole.keys() == resumed.keys()
    for key in whole:
        assert torch.equal(whole[key], resumed[key]), key
