"""`genlab train vae` / `evaluate --nll` / `sample` / `plot` end to end, and their one-line errors."""

import json

import numpy as np
import pytest

from genlab.experiments.autoencoders import train_run
from tests.conftest import assert_one_line_error, run_cli

ONE_THREAD = {"OMP_NUM_THREADS": "1"}  # tiny nets on a shared 2-core machine: spin-waiting costs more


class Result:
    """What `genlab.cli.main` did in this process (no second torch import: these tests stay cheap)."""

    def __init__(self, argv, capsys):
        from genlab.cli import main

        capsys.readouterr()
        self.returncode = main(argv)
        captured = capsys.readouterr()
        self.stdout, self.stderr = captured.out, captured.err


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("vae") / "run"
    run_cli("train", "vae", "--data", "digits", "--out", str(run), "--hidden", "32", "--latent-dim", "2",
            "--batch-size", "64", "--max-steps", "40", "--epochs", "2", "--quiet", "--binarize",
            check=True, env=ONE_THREAD)
    return run


def test_evaluate_nll_prints_the_bound_and_the_estimate(vae_run):
    proc = run_cli("evaluate", str(vae_run), "--nll", "--k", "50", "--limit", "20", "--json", check=True,
                   env=ONE_THREAD)
    out = json.loads(proc.stdout)
    for key in ("elbo", "recon", "kl", "nll", "nll_stderr", "bits_per_dim"):
        assert isinstance(out[key], float), key
    assert out["n_test"] == 20 and out["nll_k"] == 50
    assert out["elbo"] == pytest.approx(-(out["recon"] + out["kl"]), rel=1e-5)
    assert out["kl"] >= 0 and out["nll"] > 0
    # log p(x) >= its K=50 importance-weighted estimate >= the ELBO (in expectation): -nll is above elbo
    assert -out["nll"] > out["elbo"] - 0.5, out


def test_manifold_plot_writes_a_png(vae_run, tmp_path, capsys):
    assert Result(["plot", str(vae_run), "manifold", "--out", str(tmp_path / "m.png")], capsys).returncode == 0
    assert (tmp_path / "m.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_k_below_one_is_one_line_exit_2(vae_run, capsys):
    assert_one_line_error(Result(["evaluate", str(vae_run), "--nll", "--k", "0"], capsys), contains="--k")


def test_nll_on_an_autoencoder_is_one_line_exit_2(tmp_path, capsys):
    train_run("ae", "digits", tmp_path / "ae", max_steps=2, hidden=(8,), latent_dim=2)
    proc = Result(["evaluate", str(tmp_path / "ae"), "--nll", "--limit", "5"], capsys)
    assert_one_line_error(proc, contains="--nll")


def test_data_of_another_shape_than_the_loaded_model_is_one_line_exit_2(tmp_path, capsys):
    """The images under a folder: spec change size after training; the weights no longer fit the data."""
    from PIL import Image

    folder = tmp_path / "imgs"
    folder.mkdir()
    rng = np.random.default_rng(0)

    def write(size):
        for i in range(24):
            Image.fromarray(rng.integers(0, 256, (size, size), dtype=np.uint8)).save(folder / f"{i}.png")

    write(28)
    train_run("vae", f"folder:{folder}", tmp_path / "run", max_steps=2, batch_size=8, hidden=(8,), latent_dim=2)
    write(32)
    proc = Result(["evaluate", str(tmp_path / "run"), "--limit", "5"], capsys)
    assert_one_line_error(proc, contains="(1, 32, 32)")


def test_a_face_dataset_that_is_absent_says_how_to_get_it(tmp_path, capsys):
    from genlab.data import celeba

    if celeba.is_present():
        pytest.skip("CelebA is installed here")
    proc = Result(["train", "vae", "--data", "celeba", "--arch", "conv", "--latent-dim", "200",
                   "--out", str(tmp_path / "faces")], capsys)
    assert_one_line_error(proc, contains="celeba")
    assert "img_align_celeba" in proc.stderr  # names what to put where


def test_plot_list_offers_the_manifold_only_for_a_2d_code(vae_run, tmp_path, capsys):
    assert "manifold" in Result(["plot", str(vae_run), "list"], capsys).stdout.split()
    run = tmp_path / "run3"
    assert Result(["train", "vae", "--data", "digits", "--hidden", "8", "--latent-dim", "3", "--max-steps", "1",
                   "--quiet", "--out", str(run)], capsys).returncode == 0
    listed = Result(["plot", str(run), "list"], capsys).stdout.split()
    assert "samples" in listed and "manifold" not in listed and "manifold-icdf" not in listed
    assert_one_line_error(Result(["plot", str(run), "manifold", "--out", str(tmp_path / "m.png")], capsys))
