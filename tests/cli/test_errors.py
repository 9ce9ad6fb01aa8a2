"""Bad input: one line on stderr, exit 2, no traceback, nothing already written lost."""

import os

import pytest
import torch

from tests.conftest import assert_one_line_error, run_cli

TINY = ["--hidden", "16", "--latent-dim", "2", "--batch-size", "64", "--max-steps", "3", "--quiet"]


@pytest.mark.parametrize("args, fragment", [
    (["train", "ae", "--data", "no-such-data", "--out", "{tmp}/r"], "no-such-data"),
    (["train", "ae", "--data", "digits", "--out", "{tmp}/r", "--batch-size", "0"], "--batch-size"),
    (["train", "ae", "--data", "digits", "--out", "{tmp}/r", "--lr", "-1"], "--lr"),
    (["train", "ae", "--data", "digits", "--out", "{tmp}/r", "--latent-dim", "0"], "--latent-dim"),
    (["train", "ae", "--data", "digits", "--out", "{tmp}/r", "--recon", "l1"], "--recon"),
    (["train", "nosuchmodel", "--data", "digits", "--out", "{tmp}/r"], "nosuchmodel"),
    (["train", "ae", "--data", "idx:{tmp}/missing-images-idx3-ubyte", "--out", "{tmp}/r"], "missing"),
    (["train", "ae", "--data", "folder:{tmp}/empty", "--out", "{tmp}/r"], "empty"),
    (["train", "ae", "--data", "digits", "--out", "{tmp}/r", "--epochs", "abc"], "--epochs"),
    (["train", "ae", "--data", "digits", "--out", "{tmp}/r", "--device", "cpu", "--precision", "fp16"],
     "--precision fp16"),
])
def test_bad_training_input_is_one_line_exit_2(tmp_path, args, fragment):
    (tmp_path / "empty").mkdir()
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    proc = run_cli(*args[:2], *TINY, *args[2:])  # the option under test comes last, so it wins
    assert_one_line_error(proc)
    assert fragment.split(":")[0] in proc.stderr or fragment in proc.stderr


def test_out_dir_with_another_run_is_refused_and_kept(tmp_path):
    run = tmp_path / "run"
    run_cli("train", "ae", "--data", "digits", "--out", str(run), *TINY, check=True)
    before = (run / "model.safetensors").read_bytes()
    proc = run_cli("train", "ae", "--data", "digits", "--out", str(run), *TINY)
    assert_one_line_error(proc, contains="already holds a run")
    assert (run / "model.safetensors").read_bytes() == before
    # --resume with a different model config is refused too, and the run is untouched
    proc = run_cli("train", "ae", "--data", "digits", "--out", str(run), "--resume",
                   *[a if a != "2" else "3" for a in TINY])
    assert_one_line_error(proc, contains="different config")
    assert (run / "model.safetensors").read_bytes() == before
    # --force replaces it
    run_cli("train", "ae", "--data", "digits", "--out", str(run), *TINY, "--seed", "5", "--force", check=True)
    assert (run / "model.safetensors").read_bytes() != before


def test_corrupt_checkpoint_on_resume_is_one_line(tmp_path):
    run = tmp_path / "run"
    run_cli("train", "ae", "--data", "digits", "--out", str(run), *TINY, check=True)
    state = run / "checkpoint" / "state.safetensors"
    state.write_bytes(state.read_bytes()[:100])
    proc = run_cli("train", "ae", "--data", "digits", "--out", str(run), *TINY, "--max-steps", "6",
                   "--resume")
    assert_one_line_error(proc, contains="safetensors")


def test_non_finite_loss_stops_with_one_line_and_keeps_last_checkpoint(tmp_path):
    run = tmp_path / "run"
    args = ["train", "ae", "--data", "digits", "--out", str(run), "--hidden", "16", "--latent-dim", "2",
            "--batch-size", "64", "--quiet", "--recon", "mse", "--log-every", "1", "--checkpoint-every", "1"]
    run_cli(*args, "--max-steps", "2", check=True)
    good = (run / "checkpoint" / "state.safetensors").read_bytes()
    proc = run_cli(*args, "--max-steps", "40", "--resume", "--lr", "1e30")
    assert proc.returncode == 2, proc.stderr
    # --lr is part of the config, so resume refuses first; a fresh run shows the divergence message
    fresh = tmp_path / "fresh"
    proc = run_cli(*[a if a != str(run) else str(fresh) for a in args], "--max-steps", "40", "--lr", "1e30")
    assert_one_line_error(proc, contains="non-finite")
    assert (run / "checkpoint" / "state.safetensors").read_bytes() == good
    if (fresh / "checkpoint" / "state.safetensors").exists():  # whatever was saved is finite
        from genlab.training import checkpoint

        tensors, _ = checkpoint.read_safetensors(fresh / "checkpoint" / "state.safetensors")
        assert all(torch.isfinite(t).all() for k, t in tensors.items() if t.is_floating_point())


# --- places genlab cannot write, and values that name none ----------------------------------------------------

def test_out_paths_that_cannot_be_used_are_bad_usage_not_internal_errors(tmp_path, capsys):
    from tests.training.test_vae_cli import Result

    (tmp_path / "afile").write_text("x")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        cases = [(["train", "vae", "--data", "digits", "--out", str(tmp_path / "afile" / "sub"), "--quiet",
                   "--max-steps", "1"], "Not a directory")]
        if os.geteuid() != 0:  # root writes through 0500
            cases.append((["train", "vae", "--data", "digits", "--out", str(locked / "run"), "--quiet",
                           "--max-steps", "1"], "Permission denied"))
        for argv, fragment in cases:
            assert_one_line_error(Result(argv, capsys), contains=fragment)
    finally:
        locked.chmod(0o700)


def test_an_out_file_that_is_a_folder_and_a_bad_nrow_are_one_line(tmp_path, capsys):
    from tests.training.test_vae_cli import Result

    run = tmp_path / "run"
    assert Result(["train", "vae", "--data", "digits", "--hidden", "8", "--latent-dim", "2", "--max-steps", "1",
                   "--quiet", "--out", str(run)], capsys).returncode == 0
    assert_one_line_error(Result(["sample", str(run), "--n", "4", "--out", str(run)], capsys),
                          contains="is a folder")
    assert_one_line_error(Result(["sample", str(run), "--n", "4", "--nrow", "0", "--out",
                                  str(tmp_path / "x.png")], capsys), contains="--nrow 0")
    assert_one_line_error(Result(["report", str(run), "--out", str(run)], capsys), contains="is a folder")


def test_debug_is_accepted_after_the_command(tmp_path, capsys):
    from tests.training.test_vae_cli import Result

    result = Result(["sample", str(tmp_path / "none"), "--out", str(tmp_path / "x.png"), "--debug"], capsys)
    assert result.returncode == 2
    assert "Traceback" in result.stderr and "not a genlab run folder" in result.stderr


@pytest.mark.parametrize("family", ["vae", "ae"])
@pytest.mark.parametrize("data", ["gauss-1d", "two-moons"])
def test_the_image_families_refuse_toy_data(tmp_path, capsys, family, data):
    from tests.training.test_vae_cli import Result

    out = tmp_path / "run"
    assert_one_line_error(Result(["train", family, "--data", data, "--max-steps", "2", "--out", str(out)], capsys),
                          contains=f"the {family} family models images")
    assert not out.exists()


def test_options_that_would_be_ignored_are_refused(tmp_path, capsys):
    from tests.training.test_vae_cli import Result

    run = tmp_path / "run"
    train = ["train", "vae", "--data", "digits", "--hidden", "8", "--latent-dim", "2", "--max-steps", "1",
             "--quiet", "--out", str(run)]
    assert Result(train, capsys).returncode == 0
    assert_one_line_error(Result([*train, "--resume", "--force"], capsys), contains="give one")
    assert_one_line_error(Result(["evaluate", str(run), "--k", "5"], capsys), contains="--k applies to --nll")
    assert_one_line_error(Result(["evaluate", str(run), "--n", "10"], capsys), contains="--n applies to --fid")
    assert Result(["evaluate", str(run), "--nll", "--k", "2", "--limit", "4", "--json"], capsys).returncode == 0
    ae = tmp_path / "ae"
    assert Result(["train", "ae", "--data", "digits", "--hidden", "8", "--latent-dim", "2", "--max-steps", "1",
                   "--quiet", "--out", str(ae)], capsys).returncode == 0
    assert_one_line_error(Result(["plot", str(ae), "latent-noise", "--latent-noise", "nan", "--out",
                                  str(tmp_path / "n.png")], capsys), contains="--latent-noise nan")


def test_print_config_refuses_a_dataset_that_training_would(capsys):
    from tests.training.test_vae_cli import Result

    assert_one_line_error(Result(["train", "vae", "--data", "nonsense", "--print-config"], capsys),
                          contains="unknown dataset 'nonsense'")
    assert Result(["train", "vae", "--data", "digits", "--print-config"], capsys).returncode == 0


def test_empty_splits_and_a_class_that_is_not_a_number_are_one_line(tmp_path, capsys):
    import numpy as np
    from PIL import Image

    import genlab
    from tests.training.test_vae_cli import Result

    folder = tmp_path / "one"
    folder.mkdir()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(folder / "0.png")
    run = tmp_path / "run"
    assert Result(["train", "vae", "--data", f"folder:{folder}", "--hidden", "8", "--latent-dim", "2",
                   "--max-steps", "1", "--quiet", "--out", str(run)], capsys).returncode == 0
    assert_one_line_error(Result(["evaluate", str(run), "--nll", "--k", "2"], capsys), contains="test split is empty")
    from genlab.config.run import validation_items

    with pytest.raises(genlab.UsageError, match="train split is empty"):
        validation_items(None, 0)
    cgan = tmp_path / "cgan"
    assert Result(["train", "gan", "--data", "digits", "--image-size", "28", "--conditional", "--ngf", "4",
                   "--ndf", "4", "--max-steps", "1", "--quiet", "--out", str(cgan)], capsys).returncode == 0
    loaded = genlab.load(cgan)
    for bad in ("3", True, 2.0):
        with pytest.raises(genlab.UsageError, match="class number"):
            loaded.sample(2, klass=bad)
    assert loaded.sample(2, klass=np.int64(3)).shape[0] == 2


def test_the_python_api_checks_images_labels_and_options_as_the_cli_does(tmp_path, capsys):
    import numpy as np

    import genlab
    from tests.training.test_vae_cli import Result

    vae, cvae = tmp_path / "vae", tmp_path / "cvae"
    for out, extra in ((vae, []), (cvae, ["--conditional"])):
        assert Result(["train", "vae", "--data", "digits", "--hidden", "8", "--latent-dim", "2", "--max-steps", "1",
                       "--quiet", "--out", str(out), *extra], capsys).returncode == 0
    run, crun = genlab.load(vae), genlab.load(cvae)
    x = np.full((3, 1, 8, 8), 0.5, np.float32)
    assert tuple(run.reconstruct(x).shape) == (3, 1, 8, 8)
    assert tuple(run.reconstruct((x * 255).astype(np.uint8)).shape) == (3, 1, 8, 8)
    for bad, fragment in ((x * 255, "divide by 255"), ((x * 255).astype(np.int64), "divide by 255"),
                          (np.full_like(x, np.nan), "give floats in [0, 1]"), (x > 0, "torch.bool")):
        with pytest.raises(genlab.UsageError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
            run.reconstruct(bad)
    with pytest.raises(genlab.UsageError, match="labels apply to a class-conditional run"):
        run.reconstruct(x, labels=[0, 1, 2])
    assert tuple(crun.reconstruct(x, labels=np.array([0, 1, 9])).shape) == (3, 1, 8, 8)
    for labels, fragment in ((None, "give the images' labels"), ([0, 1], r"shape \(3,\)"),
                             ([0.0, 1.0, 2.0], "whole class numbers"), ([0, 1, 10], "classes are 0..9")):
        with pytest.raises(genlab.UsageError, match=fragment):
            crun.reconstruct(x, labels=labels)
    for kwargs, fragment in (({"k": 5}, "--k applies to --nll"), ({"n": 10}, "--n applies to --fid"),
                             ({"nll": True, "k": 2.5}, "--k 2.5: must be a whole number"),
                             ({"limit": 0}, "--limit 0: must be at least 1")):
        with pytest.raises(genlab.UsageError, match=fragment):
            run.evaluate(**kwargs)
    assert run.evaluate(nll=True, k=2, limit=np.int64(4))["n_test"] == 4
    with pytest.raises(genlab.UsageError, match="takes no option nrow; it takes: n, seed"):
        run.plot("samples", nrow=4)
    with pytest.raises(genlab.UsageError, match="takes no option n; it takes: none"):
        run.plot("curves", n=4)
