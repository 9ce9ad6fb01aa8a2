"""The GAN-losses comparison's figure and its medians, from metrics.jsonl rows written here."""

import json

import pytest

from genlab.experiments.gan_losses import LOSSES, considerations_figure, train_rows


def _write(run_dir, rows):
    run_dir.mkdir()
    lines = [json.dumps(r) for r in rows] + [json.dumps({"split": "validation", "step": 99, "d_real": 0.5})]
    (run_dir / "metrics.jsonl").write_text("\n".join(lines) + "\n")


def test_medians_are_over_the_second_half_and_the_figure_is_written(tmp_path):
    runs = {}
    for name in LOSSES:
        critic = name != "non-saturating"
        rows = [{"split": "train", "step": s, "grad_norm_g": float(s),
                 **({"score_real": 1.0, "score_fake": 0.0} if critic else {"d_real": 0.8, "d_fake": 0.3})}
                for s in (4, 1, 3, 2)]  # out of order: train_rows sorts by step
        _write(tmp_path / name, rows)
        runs[name] = tmp_path / name
    assert [r["step"] for r in train_rows(runs["hinge"])] == [1, 2, 3, 4]
    medians = considerations_figure(runs, tmp_path / "considerations.png")
    assert medians == {name: pytest.approx(3.5) for name in LOSSES}  # median of steps 3 and 4
    assert (tmp_path / "considerations.png").stat().st_size > 0
