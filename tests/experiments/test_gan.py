"""The GAN experiments against the exact 1-D answers, from real (small) training runs."""

import math

import pytest
import torch

from genlab import io
from genlab.experiments import gan as exp


def test_discriminator_against_a_fixed_affine_generator_converges_to_d_star(tmp_path):
    """Prop. 1: with G(z) = 0.8 z + 3.5 held fixed (p_g = N(3.5, 0.8^2)), a D trained to convergence is
    within 0.05 of D* = p_data / (p_data + p_g) on the data's central 95%; Thm. 1 holds at D*."""
    r = exp.optimum_experiment(tmp_path, a=0.8, b=3.5, seed=0)
    assert r["max_abs_error"] < 0.05, r["max_abs_error"]
    assert float(r["d_star"].max() - r["d_star"].min()) > 0.4  # D* varies a lot here: the match is not trivial
    assert r["value_at_d_star"] == pytest.approx(r["minus_log4_plus_2jsd"], abs=1e-2)
    # D* maximises V(., G): the trained D is below it, and close
    assert r["value_at_trained_d"] <= r["value_at_d_star"] + 1e-9
    assert r["value_at_trained_d"] == pytest.approx(r["value_at_d_star"], abs=2e-2)
    assert (tmp_path / "gan_optimum.png").stat().st_size > 0


def test_when_p_g_equals_p_data_the_trained_discriminator_is_one_half():
    """G(z) = 0.5 z + 4 has exactly the data's law N(4, 0.5^2): D* = 1/2 and V = -log 4."""
    r = exp.optimum_experiment(None, a=0.5, b=4.0, seed=1)
    torch.testing.assert_close(r["d_star"], torch.full_like(r["d_star"], 0.5), atol=1e-6, rtol=0)  # toy pdf: fp32
    assert r["max_abs_error"] < 0.05, r["max_abs_error"]
    assert r["value_at_d_star"] == pytest.approx(-math.log(4), abs=1e-5)


def test_minimax_generator_gradient_vanishes_while_d_is_confident(tmp_path):
    r = exp.saturation_experiment(tmp_path, steps=200, seed=0)
    mm, ns = r["minimax"], r["non-saturating"]
    assert mm["confident_rows"] > 5 and ns["confident_rows"] > 5  # both runs reached D(G(z)) < 0.1
    assert mm["median_grad_norm_g_while_confident"] < 0.05 * ns["median_grad_norm_g_while_confident"]
    assert (tmp_path / "gan_saturation.png").stat().st_size > 0


def test_stages_experiment_writes_fig1_snapshots_and_resumes_between_stages(tmp_path):
    r = exp.stages_experiment(tmp_path, steps=(1, 30, 60), seed=0)
    assert [s["step"] for s in r["stages"]] == [1, 30, 60]
    assert all(s["max_abs_d_minus_d_star"] is not None for s in r["stages"])
    assert (tmp_path / "gan_1d_stages.png").stat().st_size > 0
    assert (tmp_path / "gan_1d_equilibrium.png").stat().st_size > 0
    steps = [row["step"] for row in io.read_jsonl(tmp_path / "gan-1d-stages" / "metrics.jsonl")
             if row["split"] == "train"]
    assert steps == sorted(set(steps)) and steps[-1] == 60  # resumed twice, no step logged twice
