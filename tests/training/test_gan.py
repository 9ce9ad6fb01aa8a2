"""`genlab train gan`: errors through the CLI, a real tiny DCGAN run on Fashion-MNIST, exact resume with EMA."""

import math

import pytest
import torch

from genlab import io
from genlab.cli import main
from genlab.training import checkpoint
from tests.conftest import assert_one_line_error, run_cli

DIGITS = ["train", "gan", "--data", "digits", "--batch-size", "32", "--ngf", "8", "--ndf", "8", "--latent-dim", "8",
          "--max-steps", "4", "--quiet"]


@pytest.mark.parametrize("extra, fragment", [
    (["--loss", "wasserstein"], "--loss"),
    (["--d-steps", "0"], "--d-steps 0"),
    (["--image-size", "20"], "image size 20"),
    (["--lr-d", "1e30"], "the discriminator diverged"),
    (["--lr-g", "1e30"], "the generator diverged"),
])
def test_bad_gan_input_and_divergence_are_one_line_exit_2(tmp_path, extra, fragment):
    proc = run_cli(*DIGITS, "--out", str(tmp_path / "run"), *extra)
    assert_one_line_error(proc, contains=fragment)


def _weights(run_dir):
    return checkpoint.read_safetensors(run_dir / "model.safetensors")[0]


FMNIST = ["train", "gan", "--data", "fashion-mnist", "--batch-size", "64", "--ngf", "16", "--ndf", "16",
          "--latent-dim", "16", "--ema", "0.9", "--d-steps", "2", "--epochs", "0", "--log-every", "1",
          "--checkpoint-every", "2", "--eval-limit", "64", "--quiet"]


def test_tiny_dcgan_on_fashion_mnist_writes_grids_checkpoints_and_resumes_exactly(tmp_path, fashion_mnist_available):
    """A few steps on real Fashion-MNIST (28 px, built directly from a 7x7 map); stopping at step 3 and resuming
    to 6 gives the same weights, EMA generator included, as 6 steps in one go."""
    whole, part = tmp_path / "whole", tmp_path / "part"
    assert main([*FMNIST, "--out", str(whole), "--max-steps", "6"]) == 0
    assert main([*FMNIST, "--out", str(part), "--max-steps", "3"]) == 0
    assert main([*FMNIST, "--out", str(part), "--max-steps", "6", "--resume"]) == 0
    a, b = _weights(whole), _weights(part)
    assert any(k.startswith("generator_ema.") for k in a)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["generator_ema.net.0.weight"], a["generator.net.0.weight"])  # EMA lags G
    extra = checkpoint.read_safetensors(part / "checkpoint" / "state.safetensors")[0]
    assert int(extra["extra.ema_updates"]) == 3  # 6 steps, --d-steps 2: three G updates, kept across the resume
    assert (whole / "checkpoint" / "state.safetensors").exists()
    assert (whole / "samples" / "epoch_0000.png").stat().st_size > 0
    rows = [r for r in io.read_jsonl(part / "metrics.jsonl") if r["split"] == "train"]
    assert [r["step"] for r in rows] == [1, 2, 3, 4, 5, 6]
    for key in ("loss_d", "loss_g", "d_real", "d_fake", "grad_norm_d", "grad_norm_g"):
        assert all(key in r for r in rows), key
    assert rows[0]["grad_norm_g"] == 0.0 and rows[1]["grad_norm_g"] > 0  # --d-steps 2: G first moves at step 2


def test_sample_and_plots_from_a_trained_run(tmp_path):
    run = tmp_path / "run"
    assert main([*DIGITS, "--out", str(run), "--log-every", "1"]) == 0
    assert main(["sample", str(run), "--n", "16", "--out", str(tmp_path / "s.png")]) == 0
    assert main(["plot", str(run), "game", "--out", str(tmp_path / "game.png")]) == 0
    assert main(["plot", str(run), "samples", "--out", str(tmp_path / "grid.png")]) == 0
    for name in ("s.png", "game.png", "grid.png"):
        assert (tmp_path / name).stat().st_size > 0


def test_divergence_mid_run_names_the_net_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch, capsys):
    run = tmp_path / "run"
    args = [*DIGITS, "--out", str(run), "--checkpoint-every", "2"]
    assert main([*args, "--max-steps", "2"]) == 0
    good = checkpoint.read_safetensors(run / "checkpoint" / "state.safetensors")
    from genlab.training import gan

    clean = gan.draw_noise
    monkeypatch.setattr(gan, "draw_noise", lambda *a, **k: clean(*a, **k) * float("nan"))  # G(z) turns NaN
    assert main([*args, "--max-steps", "4", "--resume"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "the generator diverged" in err[0], err
    tensors, meta = checkpoint.read_safetensors(run / "checkpoint" / "state.safetensors")
    assert meta["step"] == 2 and all(torch.equal(tensors[k], good[0][k]) for k in good[0])


def test_wgan_gp_and_hinge_with_spectral_norm_train_finite_and_resume_exactly(tmp_path):
    """--loss wgan-gp (layer norm in D, chosen by default) and --loss hinge --spectral-norm on real digits:
    finite critic rows, and a wgan-gp run stopped and resumed ends with the same weights."""
    from genlab import io as _io
    from genlab.cli import main as _main
    from genlab.config.families import from_options

    assert from_options("gan", {"data": "digits", "loss": "wgan-gp"}).model.d_norm == "layer"
    base = ["train", "gan", "--data", "mnist-5k", "--image-size", "32", "--ngf", "8", "--ndf", "8",
            "--batch-size", "16", "--epochs", "0", "--log-every", "2", "--quiet"]
    wgan = [*base, "--loss", "wgan-gp", "--d-steps", "2", "--betas", "0", "0.9"]
    assert _main([*wgan, "--max-steps", "6", "--out", str(tmp_path / "whole")]) == 0
    assert _main([*wgan, "--max-steps", "3", "--out", str(tmp_path / "part")]) == 0
    assert _main([*wgan, "--max-steps", "6", "--out", str(tmp_path / "part"), "--resume"]) == 0
    a, _ = checkpoint.read_safetensors(tmp_path / "whole" / "model.safetensors")
    b, _ = checkpoint.read_safetensors(tmp_path / "part" / "model.safetensors")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert _main([*base, "--loss", "hinge", "--spectral-norm", "--max-steps", "4",
                  "--out", str(tmp_path / "hinge")]) == 0
    rows = _io.read_jsonl(tmp_path / "hinge" / "metrics.jsonl")
    assert any("score_real" in r and math.isfinite(r["loss_d"]) for r in rows if r["split"] == "train")
    assert any("critic_gap" in r for r in rows if r["split"] == "validation")


def test_a_gan_run_without_compile_never_imports_dynamo(tmp_path):
    """The GAN's updates clear gradients inside dynamo_unimported too (torch.optim would import
    torch._dynamo, ~1.5 s of start-up, only to keep the compiler off zero_grad)."""
    import subprocess
    import sys

    code = (f"import sys\nfrom genlab.cli import main\nassert main(['train', 'gan', '--data', 'digits', '--net', "
            f"'mlp', '--hidden', '16', '--epochs', '0', '--max-steps', '3', '--quiet', '--out', {str(tmp_path / 'r')!r}]"
            ") == 0\nassert 'torch._dynamo' not in sys.modules, 'imported'\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
