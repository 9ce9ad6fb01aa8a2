"""`genlab evaluate DIR --fid` end to end on tiny runs, and its one-line errors (exit 2)."""

import hashlib
import json

import pytest

from genlab.cli import main
from genlab.metrics import featurenet as fnet
from genlab.paths import cache_dir
from tests.conftest import assert_one_line_error, run_cli


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A 3-step VAE on digits, and a digits feature net in the (test) cache, both made in-process."""
    run = tmp_path_factory.mktemp("fid") / "vae"
    assert main(["train", "vae", "--data", "digits", "--out", str(run), "--hidden", "16", "--latent-dim", "2",
                 "--max-steps", "3", "--quiet"]) == 0
    if not (fnet.default_dir("digits", None) / fnet.META).exists():
        assert main(["featurenet", "train", "--data", "digits", "--max-steps", "60", "--quiet"]) == 0
    return run


def test_featurenet_train_refuses_to_replace_without_force(run_dir, capsys):
    capsys.readouterr()
    assert main(["featurenet", "train", "--data", "digits", "--max-steps", "1", "--quiet"]) == 2
    assert "--force" in capsys.readouterr().err


def test_evaluate_fid_reports_metrics_floor_and_featurenet(run_dir):
    proc = run_cli("evaluate", str(run_dir), "--fid", "--n", "200", "--json", check=True)
    out = json.loads(proc.stdout)
    record = json.loads((cache_dir() / "featurenets" / "digits" / fnet.META).read_text())
    assert out["featurenet"]["sha256"] == record["sha256"]
    assert out["n_samples"] == 200 and out["n_reference"] == out["n_floor"] == 179
    for key in ("fid", "kid", "kid_std", "precision", "recall", "inception_score", "inception_score_std"):
        assert isinstance(out[key], float) and isinstance(out[f"floor_{key}"], float)
    for key in ("precision", "recall", "floor_precision", "floor_recall"):
        assert 0.0 <= out[key] <= 1.0
    # real test images against real test images beat a VAE trained for 3 steps, by a wide margin
    assert out["floor_fid"] < out["fid"] / 3
    assert out["floor_kid"] < out["kid"] and out["floor_precision"] > out["precision"]
    assert 1.0 <= out["inception_score"] <= 10.0 and out["floor_inception_score"] > out["inception_score"]


def test_fid_without_a_feature_net_names_the_command(run_dir, tmp_path):
    proc = run_cli("evaluate", str(run_dir), "--fid", env={"GENLAB_CACHE": str(tmp_path / "empty")})
    assert_one_line_error(proc, contains="genlab featurenet train --data digits")


def test_too_few_samples_says_how_many(run_dir):
    assert_one_line_error(run_cli("evaluate", str(run_dir), "--fid", "--n", "50"), contains="at least 129")


def test_inception_weights_in_a_wrong_format_is_refused(run_dir, tmp_path):
    weights = tmp_path / "pt_inception.pth"
    weights.write_bytes(b"<html>not a state dict</html>")
    assert_one_line_error(run_cli("evaluate", str(run_dir), "--inception-weights", str(weights)),
                          contains="--inception-weights")


def test_inception_part_compares_samples_and_floor_with_the_reference(tmp_path):
    # The 2048-d network itself is tested in test_inception.py; here a cheap stand-in checks the wiring.
    import torch

    from genlab.metrics.sample_quality import _inception_part

    class Flatten:
        def features(self, x):
            return x.flatten(1)

    weights = tmp_path / "w.pth"
    weights.write_bytes(b"weights")
    gen = torch.Generator().manual_seed(0)
    reference, floor = (torch.randint(0, 256, (40, 1, 2, 2), generator=gen, dtype=torch.uint8) for _ in "ab")
    fakes = torch.randint(7, 10, (40, 1, 2, 2), generator=gen, dtype=torch.uint8)   # a far, narrow cluster
    out = _inception_part(Flatten(), weights, fakes, reference, floor, device=torch.device("cpu"))
    assert out["floor_inception_fid"] < out["inception_fid"]
    assert out["inception_weights"]["sha256"] == hashlib.sha256(b"weights").hexdigest()


def test_inception_needs_more_samples_than_its_2048_features():
    from genlab.errors import UsageError
    from genlab.metrics.sample_quality import check_sizes

    with pytest.raises(UsageError, match="at least 2049"):
        check_sizes(n=2000, reference=5000, floor=5000, dim=2048, what="Inception network", test_size=10000)
    with pytest.raises(UsageError, match="4098 test images"):
        check_sizes(n=5000, reference=1000, floor=1000, dim=2048, what="Inception network", test_size=2000)


def test_reference_features_are_cached_by_net_dataset_and_split(run_dir, capsys):
    """The real test split's features are computed once per (feature net, dataset, split, pixels); a later
    --fid reads them and gives the same numbers; a damaged cache file is recomputed, not trusted."""
    import shutil

    shutil.rmtree(cache_dir() / "fid-features", ignore_errors=True)
    args = ["evaluate", str(run_dir), "--fid", "--n", "200", "--json"]

    def evaluate():
        capsys.readouterr()
        assert main(args) == 0
        return json.loads(capsys.readouterr().out)

    first, second = evaluate(), evaluate()
    assert first["reference_features"]["cached"] is False and second["reference_features"]["cached"] is True
    path = first["reference_features"]["path"]
    sha = json.loads((fnet.default_dir("digits", None) / fnet.META).read_text())["sha256"]
    assert path.endswith(".safetensors") and "digits-test-net" + sha[:16] in path
    for key in ("fid", "kid", "precision", "recall", "floor_fid", "floor_kid", "inception_score"):
        assert first[key] == second[key], key
    with open(path, "r+b") as f:  # damage it: the next call recomputes
        f.write(b"\xff" * 16)
    third = evaluate()
    assert third["reference_features"]["cached"] is False and third["fid"] == first["fid"]


def test_featurenet_fid_alone_equals_the_full_evaluations_fid(tmp_path):
    """The lean FID for curves over training is the same number `evaluate --fid` reports."""
    import torch as _torch

    from genlab import data as _gdata
    from genlab.experiments.autoencoders import train_run
    from genlab.metrics import featurenet as _fnet
    from genlab.metrics.sample_quality import evaluate_run, featurenet_fid

    dataset = _gdata.load("digits")
    net, record = _fnet.train(dataset, epochs=0, max_steps=30, batch_size=64, lr=3e-3, seed=0,
                              device=_torch.device("cpu"))
    _fnet.save(tmp_path / "fnet", net, record, image_size=None)
    run = train_run("vae", "digits", tmp_path / "vae", max_steps=20, hidden=(16,), latent_dim=2)
    full = evaluate_run(run, dataset, n=None, featurenet_dir=tmp_path / "fnet", inception_weights=None,
                        device=_torch.device("cpu"), seed=0, fid=True)["fid"]
    lean = featurenet_fid(run.task, dataset, featurenet_dir=tmp_path / "fnet", image_size=None,
                          device=_torch.device("cpu"))
    assert abs(full - lean) < 1e-9 * max(1.0, abs(full))
