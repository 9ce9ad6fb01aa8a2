"""The VAE family in-process on real 8x8 digits: the trainer contract, the bound, evaluation RNG, resume."""

import math

import pytest
import torch

from genlab import data as gdata
from genlab.config import DataConfig, RunConfig, TrainConfig
from genlab.errors import UsageError
from genlab.training import checkpoint, loop
from genlab.training import vae as vae_family
from genlab.training.task import DataInfo

INFO = DataInfo(sample_shape=(1, 8, 8), num_classes=10, kind="image")


def make_task(seed=0, **model):
    model = {"hidden": (32,), "latent_dim": 3, **model}
    config = RunConfig(family="vae", data=DataConfig(spec="digits"), model=vae_family.Config(**model),
                       train=TrainConfig(lr=3e-3, seed=seed, device="cpu"))
    torch.manual_seed(seed)
    return vae_family.Task(config, INFO, torch.device("cpu"))


@pytest.fixture(scope="module")
def digits():
    ds = gdata.load("digits")
    return gdata.to_float(ds.train.images[:256]), gdata.to_float(ds.test.images[:64])


def _train(task, x, steps=60):
    for step in range(steps):
        metrics = task.train_step(x[(step * 32) % len(x):][:32], None, step)
    task.model.eval()
    return metrics


def test_train_step_returns_detached_scalars_and_elbo_is_recon_plus_kl(digits):
    task = make_task()
    metrics = task.train_step(digits[0][:32], None, 0)
    assert set(metrics) == {"loss", "elbo", "recon", "kl"}
    for v in metrics.values():
        assert v.dim() == 0 and not v.requires_grad
    assert float(metrics["elbo"]) == pytest.approx(-(float(metrics["recon"]) + float(metrics["kl"])), rel=1e-5)
    assert float(metrics["kl"]) >= 0


def test_training_improves_the_test_elbo(digits):
    task = make_task()
    task.model.eval()
    before = task.evaluate(digits[1], None)["elbo"]
    _train(task, digits[0], steps=80)
    after = task.evaluate(digits[1], None)
    assert after["elbo"] > before + 2.0, (before, after)
    assert after["bits_per_dim"] == pytest.approx(-after["elbo"] / (64 * math.log(2)))


def test_evaluate_is_deterministic_chunk_invariant_and_leaves_global_rng_alone(digits):
    task = make_task(binarize=True)
    task.model.eval()
    x = digits[1]
    state = torch.get_rng_state()
    a, b = task.evaluate(x, None), task.evaluate(x, None)
    assert torch.equal(torch.get_rng_state(), state)
    assert a == b
    # the fixed binarization of an image does not depend on which chunk it is evaluated in
    assert torch.equal(task.eval_targets(x)[10:20], task.eval_targets(x[10:20]))
    binary = task.eval_targets(x)
    assert set(binary.unique().tolist()) <= {0.0, 1.0}
    assert abs(float(binary.mean() - x.mean())) < 0.03  # a Bernoulli(x) draw: same mean grey level


def test_importance_weighted_log_px_is_above_the_elbo_on_average(digits):
    task = make_task()
    _train(task, digits[0])
    x = digits[1]
    g = torch.Generator().manual_seed(0)
    elbo = task.evaluate(x, None)["elbo"]
    log_px_k1 = -task.nll(x, k=1, generator=g)
    log_px_k200 = -task.nll(x, k=200, generator=g)
    # K = 1 is a one-sample ELBO estimate; K = 200 is a tighter bound (Burda et al. 2015, theorem 1)
    assert float(log_px_k200.mean()) > float(log_px_k1.mean())
    assert float(log_px_k200.mean()) > elbo
    assert abs(float(log_px_k1.mean()) - elbo) < 3 * float(log_px_k1.std()) / math.sqrt(len(x)) + 0.5


def test_nll_summary_reports_mean_stderr_and_bits(digits):
    task = make_task()
    task.model.eval()
    split = gdata.load("digits").test
    out = task.nll_summary(split, take=30, k=7, device=torch.device("cpu"),
                           generator=torch.Generator().manual_seed(0), batch=8)
    assert set(out) == {"nll", "nll_stderr", "nll_k", "nll_bits_per_dim"}
    assert out["nll_k"] == 7 and out["nll"] > 0 and 0 < out["nll_stderr"] < out["nll"]
    assert out["nll_bits_per_dim"] == pytest.approx(out["nll"] / (64 * math.log(2)))
    with pytest.raises(UsageError, match="--k 0"):
        task.nll_summary(split, take=3, k=0, device=torch.device("cpu"))


@pytest.mark.parametrize("likelihood", ["gaussian", "gaussian-learned", "gaussian-learned-pixel"])
def test_gaussian_likelihoods_train_and_learn_sigma(digits, likelihood):
    task = make_task(likelihood=likelihood)
    _train(task, digits[0], steps=30)
    metrics = task.evaluate(digits[1], None)
    assert all(math.isfinite(v) for v in metrics.values())
    if likelihood != "gaussian":  # sigma starts at 1 and must shrink: the pixels are far closer than that
        assert float(task.model.decoder_log_sigma().detach().max()) < 0


@pytest.mark.parametrize("model, fragment", [
    ({"likelihood": "gaussian", "binarize": True}, "--binarize"),
    ({"likelihood": "poisson"}, "--likelihood"),
    ({"beta": -1.0}, "--beta"),
    ({"arch": "conv"}, "8x8"),
])
def test_bad_model_options_are_one_line_usage_errors(model, fragment):
    with pytest.raises(UsageError, match=fragment) as info:
        make_task(**model)
    assert "\n" not in str(info.value)


def test_sample_reconstruct_and_epoch_grids(digits, tmp_path):
    task = make_task()
    task.model.eval()
    g = torch.Generator().manual_seed(0)
    s = task.sample(5, generator=g)
    assert s.shape == (5, 1, 8, 8) and 0 <= float(s.min()) and float(s.max()) <= 1
    assert task.reconstruct(digits[1][:4]).shape == (4, 1, 8, 8)
    task._grid_x = digits[1][:4]
    task.epoch_end(0, tmp_path)
    assert (tmp_path / "samples" / "samples_0000.png").exists()
    assert (tmp_path / "samples" / "recon_0000.png").exists()


def _config(max_steps, binarize=True):
    return RunConfig(family="vae", data=DataConfig(spec="digits"),
                     model=vae_family.Config(hidden=(16,), latent_dim=2, binarize=binarize),
                     train=TrainConfig(epochs=2, max_steps=max_steps, batch_size=64, seed=4, device="cpu",
                                       checkpoint_every=5, log_every=5, eval_limit=50))


def test_max_steps_then_resume_is_bit_identical(tmp_path):
    """Dynamic binarization and the reparameterization noise both use the checkpointed global RNG, and
    evaluation uses its own generators, so stopping and resuming changes nothing."""
    loop.train(_config(30), tmp_path / "whole", progress=False)
    loop.train(_config(12), tmp_path / "part", progress=False)
    loop.train(_config(30), tmp_path / "part", resume=True, progress=False)
    a, _ = checkpoint.read_safetensors(tmp_path / "whole" / "model.safetensors")
    b, _ = checkpoint.read_safetensors(tmp_path / "part" / "model.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


@pytest.mark.parametrize("shape", [(64, 1, 28, 28), (4, 3, 64, 64), (2, 3, 96, 96)])
def test_content_seeds_are_the_exact_integer_hash_on_both_paths(shape):
    # Small images take the float64 matrix-vector path, large ones the int64 path; both must give the exact
    # integer sum, so a test image keeps its binarization and noise across versions and chunkings.
    x = torch.rand(shape, generator=torch.Generator().manual_seed(0))
    x[0] = 1.0
    q = (x.flatten(1) * 255).round().long()
    weights = (torch.arange(1, q.shape[1] + 1) * 2654435761) % 2147483647
    assert torch.equal(vae_family.content_seeds(x), (q * weights).sum(1) % (2 ** 62))
    assert vae_family.content_seeds(x).unique().numel() == shape[0]


def test_iwae_objective_trains_raises_its_bound_above_the_elbo_and_resumes_exactly(tmp_path):
    """--objective iwae --k 5: the training rows carry the bound (>= the same sample's ELBO on average), the
    loss falls, and a run stopped and resumed ends with the same weights (its noise is the checkpointed RNG)."""
    from genlab import io
    from genlab.cli import main
    from genlab.training import checkpoint

    args = ["train", "vae", "--data", "digits", "--objective", "iwae", "--k", "5", "--hidden", "32",
            "--latent-dim", "4", "--epochs", "0", "--log-every", "10", "--quiet"]
    assert main([*args, "--max-steps", "80", "--out", str(tmp_path / "whole")]) == 0
    rows = [r for r in io.read_jsonl(tmp_path / "whole" / "metrics.jsonl") if r["split"] == "train"]
    assert rows[-1]["loss"] < rows[0]["loss"]
    assert sum(r["iwae_bound"] - r["elbo"] for r in rows) > 0
    assert main([*args, "--max-steps", "30", "--out", str(tmp_path / "part")]) == 0
    assert main([*args, "--max-steps", "80", "--out", str(tmp_path / "part"), "--resume"]) == 0
    a, _ = checkpoint.read_safetensors(tmp_path / "whole" / "model.safetensors")
    b, _ = checkpoint.read_safetensors(tmp_path / "part" / "model.safetensors")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_label_adversary_run_resumes_exactly(tmp_path):
    """--label-adversary: the adversary's weights and Adam state are in the checkpoint, so a run stopped and
    resumed ends with the same weights, the adversary's included."""
    from tests.conftest import stopped_and_resumed

    a, b = stopped_and_resumed(["train", "vae", "--data", "digits", "--conditional", "--label-adversary", "5",
                                "--hidden", "32", "--latent-dim", "4", "--epochs", "0", "--log-every", "10",
                                "--quiet"], tmp_path, stop=25, end=60)
    assert any(k.startswith("adversary.") for k in a) and a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
