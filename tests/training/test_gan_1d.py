"""`genlab train gan-1d`: the 1-D family through the CLI, its snapshots and plots, the mixture target."""

import json

import pytest
import torch

from genlab.cli import main
from genlab.training import checkpoint

ONE_D = ["train", "gan-1d", "--batch-size", "64", "--epochs", "0", "--log-every", "5", "--quiet"]


def test_mixture_run_writes_fig1_snapshots_and_plots(tmp_path):
    run = tmp_path / "run"
    assert main([*ONE_D, "--data", "gauss-1d-mixture", "--out", str(run), "--max-steps", "40"]) == 0
    (snap_path,) = sorted((run / "samples").glob("stage_*.json"))
    snap = json.loads(snap_path.read_text())
    assert snap["step"] == 40 and len(snap["x"]) == len(snap["d"]) == len(snap["p_g"]) == len(snap["d_star"])
    x, p = torch.tensor(snap["x"]), torch.tensor(snap["p_data"])
    assert float(torch.trapezoid(p, x)) == pytest.approx(1.0, abs=1e-3)  # the exact mixture density, both modes
    assert float(p[(x - 2).abs().argmin()]) == pytest.approx(float(p[(x - 6).abs().argmin()]), rel=0.05)
    assert float(torch.trapezoid(torch.tensor(snap["p_g"]), x)) == pytest.approx(1.0, abs=0.02)  # KDE of G
    assert main(["sample", str(run), "--n", "4", "--out", str(tmp_path / "s.png")]) == 2  # 1-D: no image grid
    for kind in ("stages", "densities", "equilibrium", "game"):
        assert main(["plot", str(run), kind, "--out", str(tmp_path / f"{kind}.png")]) == 0
        assert (tmp_path / f"{kind}.png").stat().st_size > 0
    # a loaded model's densities are labelled with the step it was trained to, not this process's 0
    from genlab.training.runfolder import load_run

    loaded = load_run(run, device=torch.device("cpu"))
    assert loaded.task.snapshot(step=loaded.meta["step"])["step"] == 40


def test_frozen_affine_generator_does_not_move_and_has_exact_density(tmp_path):
    run = tmp_path / "run"
    assert main([*ONE_D, "--data", "gauss-1d", "--out", str(run), "--max-steps", "20", "--generator", "affine",
                 "--affine-init", "0.8", "3.5", "--freeze-generator"]) == 0
    tensors, _ = checkpoint.read_safetensors(run / "model.safetensors")
    assert float(tensors["generator.a"]) == pytest.approx(0.8) and float(tensors["generator.b"]) == pytest.approx(3.5)
    snap = json.loads(max((run / "samples").glob("stage_*.json")).read_text())
    assert snap["p_g_exact"] is True
    x = torch.tensor(snap["x"], dtype=torch.float64)
    expected = torch.exp(-0.5 * ((x - 3.5) / 0.8) ** 2) / (0.8 * (2 * torch.pi) ** 0.5)
    torch.testing.assert_close(torch.tensor(snap["p_g"], dtype=torch.float64), expected)


def test_gan_1d_rejects_image_data_and_an_affine_g_with_a_wide_latent(tmp_path, capsys):
    """In-process (the CLI's exit-2 path itself is covered by tests/training/test_gan.py through run_cli)."""
    assert main([*ONE_D, "--data", "digits", "--out", str(tmp_path / "a"), "--max-steps", "2"]) == 2
    assert main([*ONE_D, "--data", "gauss-1d", "--out", str(tmp_path / "b"), "--max-steps", "2",
                 "--generator", "affine", "--latent-dim", "3"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and "1-D toy data" in lines[0] and "--latent-dim 3" in lines[1], lines


def test_wasserstein_critic_run_reports_its_gap_and_plots_without_d_star(tmp_path, capsys):
    run = tmp_path / "run"
    assert main([*ONE_D, "--data", "gauss-1d", "--out", str(run), "--max-steps", "40", "--loss", "wgan-gp",
                 "--gp-one-sided", "--d-steps", "5"]) == 0
    config = json.loads((run / "config.json").read_text())
    assert config["config"]["model"]["loss"] == "wgan-gp" and config["config"]["model"]["gp_one_sided"] is True
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    val = [r for r in rows if r["split"] == "validation"][-1]
    assert val["critic_gap"] == pytest.approx(val["score_real"] - val["score_fake"]) and "d_real" not in val
    snap = json.loads(max((run / "samples").glob("stage_*.json")).read_text())
    assert snap["d"] is None and snap["d_star"] is None and len(snap["critic"]) == len(snap["x"])
    for kind in ("stages", "game"):
        assert main(["plot", str(run), kind, "--out", str(tmp_path / f"{kind}.png")]) == 0
    capsys.readouterr()
    assert main(["plot", str(run), "equilibrium", "--out", str(tmp_path / "eq.png")]) == 2  # no D(x) = 1/2 here
    assert "critic" in capsys.readouterr().err


def test_one_sided_penalty_needs_the_wgan_gp_loss(tmp_path, capsys):
    run = tmp_path / "run"
    assert main([*ONE_D, "--data", "gauss-1d", "--out", str(run), "--max-steps", "5", "--gp-one-sided"]) == 2
    assert "--gp-one-sided" in capsys.readouterr().err and not run.exists()
