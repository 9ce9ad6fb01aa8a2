"""The lecture's AE/VAE experiments on tiny runs over real digits: each writes its PNG and honest numbers."""

import pytest
import torch

from genlab.errors import UsageError
from genlab.experiments import autoencoders as ex

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def ae_run(tmp_path_factory):
    return ex.train_run("ae", "digits", tmp_path_factory.mktemp("ae") / "run", max_steps=120, lr=3e-3,
                        hidden=(64,), latent_dim=4)


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory):
    return ex.train_run("vae", "digits", tmp_path_factory.mktemp("vae") / "run", max_steps=120, lr=3e-3,
                        hidden=(64,), latent_dim=2)


def _png(path):
    assert path.read_bytes()[:8] == PNG, path
    return True


def test_ae_reconstruction_noise_and_pure_noise(ae_run, tmp_path):
    out = ex.ae_reconstruction(ae_run, tmp_path / "recon.png", n=8)
    assert _png(tmp_path / "recon.png") and 0 < out["mse"] < 0.1
    noisy = ex.ae_latent_noise(ae_run, tmp_path / "noise.png", sigmas=(0.0, 1.0, 4.0), n=64)
    assert _png(tmp_path / "noise.png")
    mse = noisy["mse_by_sigma"]
    assert mse["0"] == pytest.approx(out["mse"], rel=0.5) and mse["0"] < mse["1"] < mse["4"]
    pure = ex.ae_noise_decode(ae_run, tmp_path / "pure.png", n=16)
    assert _png(tmp_path / "pure.png") and pure["code_std_min"] > 0


def test_vae_reconstruction_generation_and_manifolds(vae_run, tmp_path):
    rec = ex.vae_reconstruction(vae_run, tmp_path / "recon.png", n=8, seed=1)
    assert rec["mse_mean"] <= rec["mse_sample"] + 0.01  # the posterior mean is the less noisy decode
    assert ex.vae_generation(vae_run, tmp_path / "gen.png", n=16)["latent_dim"] == 2
    lin = ex.latent_manifold(vae_run, tmp_path / "lin.png", steps=5)
    icdf = ex.latent_manifold_icdf(vae_run, tmp_path / "icdf.png", steps=5)
    assert (lin["z_min"], lin["z_max"]) == (-3.0, 3.0)
    assert icdf["z_max"] == pytest.approx(1.2816, abs=1e-3)  # Phi^-1(0.9): mid-point of the last of 5 cells
    for name in ("recon", "gen", "lin", "icdf"):
        _png(tmp_path / f"{name}.png")


def test_latent_distribution_and_kl_per_dim(vae_run, tmp_path):
    scatter = ex.latent_scatter(vae_run, tmp_path / "scatter.png", n=200)
    assert scatter["projected"] is False and scatter["n"] == 200
    hist = ex.latent_histograms(vae_run, tmp_path / "hist.png", n=200)
    assert len(hist["std"]) == 2
    kl = ex.kl_per_dim(vae_run, tmp_path / "kl.png", n=100_000)
    assert len(kl["kl_per_dim"]) == 2 and 0 <= kl["active_units"] <= 2
    # the per-dim KLs add up to the KL that evaluation reports for the same (all) test images
    from genlab import data as gdata
    from genlab.training.loop import evaluate_split

    split = gdata.load("digits").test
    reported = evaluate_split(vae_run.task, split, take=len(split), device=torch.device("cpu"))["kl"]
    assert kl["kl_total"] == pytest.approx(reported, rel=1e-4)
    for name in ("scatter", "hist", "kl"):
        _png(tmp_path / f"{name}.png")


def test_latent_scatter_projects_a_wider_latent(ae_run, tmp_path):
    assert ex.latent_scatter(ae_run, tmp_path / "s.png", n=100)["projected"] is True


def test_manifold_of_a_latent_that_is_not_2d_is_a_usage_error(ae_run, tmp_path):
    with pytest.raises(UsageError, match="--latent-dim 4"):
        ex.latent_manifold(ae_run, tmp_path / "m.png")
    assert not (tmp_path / "m.png").exists()


def test_experiments_of_the_other_family_are_usage_errors(ae_run, vae_run, tmp_path):
    with pytest.raises(UsageError, match="'vae' run"):
        ex.ae_latent_noise(vae_run, tmp_path / "x.png")
    with pytest.raises(UsageError, match="'ae' run"):
        ex.kl_per_dim(ae_run, tmp_path / "x.png")


def test_conv_autoencoder_and_vae_on_28px_images(tmp_path):
    """DCGAN-style nets on real 28x28 digits (mnist-5k), a few steps each: they train and draw."""
    ae = ex.train_run("ae", "mnist-5k", tmp_path / "ae", max_steps=3, batch_size=16, arch="conv", width=4,
                      latent_dim=3)
    assert ae.task.sample(2, generator=torch.Generator().manual_seed(0)).shape == (2, 1, 28, 28)
    vae = ex.train_run("vae", "mnist-5k", tmp_path / "vae", max_steps=3, batch_size=16, arch="conv", width=4,
                       latent_dim=3, likelihood="gaussian-learned")
    ex.vae_reconstruction(vae, tmp_path / "r.png", n=4)
    _png(tmp_path / "r.png")


def test_genlab_plot_latent_noise_takes_the_sigmas(ae_run, tmp_path, capsys):
    from genlab.cli import main

    out = tmp_path / "ln.png"
    assert main(["plot", str(ae_run.run_dir), "latent-noise", "--latent-noise", "0", "3", "--out", str(out)]) == 0
    _png(out)
    capsys.readouterr()
    assert main(["plot", str(ae_run.run_dir), "recon", "--latent-noise", "1", "--out", str(out)]) == 2
    assert "--latent-noise" in capsys.readouterr().err


def test_spread_samples_a_class_sorted_split_evenly():
    from genlab.data.dataset import Split

    labels = torch.arange(10).repeat_interleave(40)  # stored sorted by class, as mnist-5k is
    split = Split((torch.arange(400) % 256).to(torch.uint8).view(400, 1, 1, 1), labels)
    x, y = ex.spread(split, 100, torch.device("cpu"))
    assert x.shape == (100, 1, 1, 1) and float(x.max()) <= 1.0
    assert torch.bincount(y, minlength=10).tolist() == [10] * 10  # the first 100 would be classes 0-2 only
    assert y.tolist() == sorted(y.tolist())  # the split's order is kept
    everything, all_labels = ex.spread(split, None, torch.device("cpu"))
    assert len(everything) == 400 and torch.equal(all_labels, labels)
    assert torch.equal(ex.spread(split, 1000, torch.device("cpu"))[1], labels)


def test_evaluate_limit_takes_evenly_spaced_test_items(tmp_path):
    """mnist-5k's test split is stored sorted by class: `--limit 100` is 10 of every digit, not 100 zeros."""
    from genlab import data as gdata
    from genlab.training.evaluation import evaluate_run
    from genlab.training.loop import evaluate_split

    run = ex.train_run("ae", "mnist-5k", tmp_path / "run", max_steps=30, lr=3e-3, hidden=(32,), latent_dim=4,
                       validation=0)
    test = gdata.load("mnist-5k").test
    cpu = torch.device("cpu")
    limited = evaluate_run(run, device=cpu, limit=100)
    spread_out = evaluate_split(run.task, test.evenly(100), take=100, device=cpu)
    first = evaluate_split(run.task, test, take=100, device=cpu)
    assert limited["n_test"] == 100 and limited["loss"] == pytest.approx(spread_out["loss"], rel=1e-6)
    assert limited["loss"] != pytest.approx(first["loss"], rel=1e-2)  # the first 100 are all zeros
