"""Options declared once: the CLI, the Python API and config files all read the same declarations."""

from __future__ import annotations

import dataclasses
import json

import pytest

import genlab
from genlab.cli import main
from genlab.config import DataConfig, TrainConfig, families
from genlab.config.command import train_argv
from genlab.config.fields import declared, flag_of, option
from genlab.errors import UsageError

BAD = [  # (family, CLI args, the one line both the CLI and the API give)
    ("vae", ["--beta", "-1"], "--beta -1: must be at least 0"),
    ("vae", ["--latent-dim", "0"], "--latent-dim 0: must be at least 1"),
    ("vae", ["--likelihood", "gaussian", "--binarize"], "--binarize needs --likelihood bernoulli"),
    ("ae", ["--hidden", "8", "0"], "--hidden 8 0: must be at least 1"),
    ("gan", ["--betas", "0.5", "1.0"], "--betas 0.5 1: must be less than 1"),
    ("gan", ["--ema", "1.5"], "--ema 1.5: must be less than 1"),
    ("gan-1d", ["--generator", "affine", "--latent-dim", "2"], "the affine generator maps a 1-D z"),
    ("dann", ["--train-on-target", "--adversarial"], "--train-on-target trains on labelled target data"),
    ("vae", ["--lr", "0"], "--lr 0: must be greater than 0"),
    ("vae", ["--epochs", "0"], "--epochs 0 needs --max-steps"),
]


def _api_options(args: list[str]) -> dict:
    """The CLI args above as Python keyword arguments."""
    out, i = {}, 0
    while i < len(args):
        name = args[i][2:].replace("-", "_")
        values = []
        i += 1
        while i < len(args) and not args[i].startswith("--") or (i < len(args) and args[i].startswith("-") and
                                                                   args[i][1:2].isdigit()):
            values.append(args[i])
            i += 1
        parsed = [float(v) if "." in v else int(v) if v.lstrip("-").isdigit() else v for v in values]
        out[name] = True if not parsed else parsed[0] if len(parsed) == 1 and name not in ("hidden", "betas") \
            else tuple(parsed)
    return out


@pytest.mark.parametrize(("family", "args", "message"), BAD)
def test_bad_values_give_the_same_line_on_the_cli_and_in_python(family, args, message, tmp_path, capsys):
    code = main(["train", family, "--data", "digits", "--out", str(tmp_path / "run"), *args])
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "run").exists()  # checked before the run folder is touched
    with pytest.raises(UsageError, match=message.replace("(", r"\(").split(":")[0]):
        genlab.configure(family, data="digits", **_api_options(args))


def test_unknown_option_in_python_names_the_accepted_ones():
    with pytest.raises(UsageError, match=r"unknown option 'latent' for 'vae'; accepted: .*latent_dim"):
        genlab.configure("vae", data="digits", latent=2)


@pytest.mark.parametrize("name", list(families.FAMILIES))
def test_every_declared_option_is_on_the_command_line_with_help(name, capsys):
    with pytest.raises(SystemExit):
        main(["train", name, "--help"])
    text = capsys.readouterr().out
    family = families.get(name)
    for cls in (DataConfig, TrainConfig, family.config):
        for f, _ in declared(cls):
            if f.metadata.get("families") and name not in f.metadata["families"]:
                assert flag_of(f) not in text
                continue
            assert f.metadata["help"], f"{cls.__name__}.{f.name} has no help text"
            assert flag_of(f) in text, f"{flag_of(f)} missing from `genlab train {name} --help`"


def test_family_defaults_reach_the_help_and_the_config(capsys):
    with pytest.raises(SystemExit):
        main(["train", "gan", "--help"])
    assert "learning rate (default: 0.0002)" in " ".join(capsys.readouterr().out.split())
    assert genlab.configure("gan", data="digits").train.lr == 2e-4


def test_print_config_shows_the_resolved_config_and_writes_nothing(tmp_path, capsys):
    code = main(["train", "vae", "--data", "digits", "--latent-dim", "3", "--hidden", "16", "8",
                 "--out", str(tmp_path / "run"), "--print-config"])
    shown = json.loads(capsys.readouterr().out)
    assert code == 0 and not (tmp_path / "run").exists()
    assert shown == _json(genlab.configure("vae", data="digits", latent_dim=3, hidden=(16, 8)))


def _json(config) -> dict:
    return json.loads(json.dumps(config.to_dict()))  # tuples as JSON lists, as --print-config shows them


def _print_config(capsys, *argv) -> dict:
    assert main(["train", *argv, "--print-config"]) == 0
    return json.loads(capsys.readouterr().out)


def test_config_file_json_toml_and_a_runs_config_json(tmp_path, capsys):
    toml = tmp_path / "vae.toml"
    toml.write_text('family = "vae"\ndata = "digits"\nlatent_dim = 3\nepochs = 2\n[model]\nbeta = 0.5\n')
    from_toml = _print_config(capsys, "--config", str(toml))
    assert from_toml == _json(genlab.configure("vae", data="digits", latent_dim=3, epochs=2, beta=0.5))
    # command-line options override the file, option by option
    over = _print_config(capsys, "vae", "--config", str(toml), "--latent-dim", "5")
    assert over["model"]["latent_dim"] == 5 and over["model"]["beta"] == 0.5
    # a run's own config.json (provenance keys around "config") re-runs that run exactly
    run_json = tmp_path / "config.json"
    run_json.write_text(json.dumps({"config": from_toml, "seed": 0, "argv": ["x"], "versions": {}}))
    assert _print_config(capsys, "--config", str(run_json)) == from_toml
    assert _json(genlab.configure("vae", config=run_json)) == from_toml


@pytest.mark.parametrize(("text", "message"), [
    ('{"family": "vae", "data": "digits", "latnt_dim": 2}', "unknown option 'latnt_dim'"),
    ('{"family": "gan", "data": "digits"}', "configures a 'gan' model, not 'vae'"),
    ('{"family": "vae", "data": "digits", "model": {"beta": -2}}', "--beta -2: must be at least 0"),
    ("{not json", "not valid JSON"),
    ('{"family": "vae", "data": "digits", "lr": 0.001, "train": {"lr": 0.002}}',
     "'lr' set both at the top level and in [train]; give one"),
])
def test_a_bad_config_file_is_one_line_exit_2(text, message, tmp_path, capsys):
    path = tmp_path / "c.json"
    path.write_text(text)
    assert main(["train", "vae", "--config", str(path), "--print-config"]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


CONFIGS = [
    ("vae", {"data": "fashion-mnist", "latent_dim": 2, "hidden": (512, 256), "epochs": 0, "max_steps": 6000}),
    ("ae", {"data": "lfw-faces", "image_size": 32, "arch": "conv", "recon": "mse", "lr": 3e-4, "seed": 4}),
    ("gan", {"data": "fashion-mnist", "ngf": 32, "channels_last": False, "betas": (0.0, 0.9), "lr_g": 1e-4}),
    ("gan-1d", {"data": "gauss-1d", "generator": "affine", "affine_init": (0.8, 3.5), "freeze_generator": True}),
    ("dann", {"data": "two-moons", "reversal_lambda": 4.0, "lambda_schedule": "ganin", "label_hidden": ()}),
    ("dann", {"data": "mnist-5k", "train_on_target": True, "target": "mnist-5k-m-like"}),
    ("dann", {"data": "mnist-5k", "reversal_lambda": 0.3}),
    ("dann", {"data": "two-moons", "betas": (0.5, 0.99)}),
]


@pytest.mark.parametrize(("family", "options"), CONFIGS)
def test_the_generated_command_line_rebuilds_the_same_config(family, options, capsys):
    config = genlab.configure(family, **options)
    argv = train_argv(config)
    assert argv[:3] == ["genlab", "train", family]
    assert _print_config(capsys, *argv[2:]) == _json(config)


def test_a_new_option_is_one_declaration():
    """What adding an option costs: one field. Its flag, help, bounds and check come from the declaration."""
    @dataclasses.dataclass(frozen=True)
    class Demo:
        dropout: float = option(0.0, "dropout rate", min=0, below=1)

        def __post_init__(self):
            from genlab.config.fields import check

            check(self)

    import argparse

    from genlab.cli.options import add_config_options, given_options

    parser = argparse.ArgumentParser()
    add_config_options(parser, Demo, section="model", family="demo")
    assert given_options(parser.parse_args(["--dropout", "0.25"])) == {"model": {"dropout": 0.25}}
    assert "dropout rate (default: 0)" in parser.format_help()
    with pytest.raises(UsageError, match="--dropout 1: must be less than 1"):
        Demo(dropout=1.0)


def test_flat_options_take_the_cli_names_too_and_refuse_other_families_options():
    """README: the Python API's options are the CLI's with underscores; config.json's field names work too."""
    import genlab

    assert genlab.configure("vae", data="digits", objective="iwae", k=3).model.iwae_k == 3
    assert genlab.configure("vae", data="digits", objective="iwae", iwae_k=3).model.iwae_k == 3
    assert genlab.configure("dann", data="two-moons", **{"lambda": 0.5}).model.reversal_lambda == 0.5
    for bad, fragment in [({"target": "mnist-5k"}, "option of dann only"), ({"k": 3, "iwae_k": 4}, "same option"),
                          ({"spec": "digits"}, "unknown option 'spec'")]:
        with pytest.raises(genlab.UsageError, match=fragment):
            genlab.configure("vae", **{"data": "digits", **bad})


@pytest.mark.parametrize("family, given, fragment", [
    ("vae", {"k": 50}, "--k applies with --objective iwae"),
    ("gan", {"gp_weight": 3.0}, "--gp-weight applies with --loss wgan-gp"),
    ("gan-1d", {"gp_weight": 2.0}, "--gp-weight applies with --loss wgan-gp"),
    ("gan-1d", {"affine_init": (1.0, 2.0)}, "--affine-init applies with --generator affine"),
    ("gan-1d", {"optimizer": "sgd", "betas": (0.9, 0.99)}, "--betas applies with --optimizer adam"),
])
def test_an_option_given_where_it_does_nothing_is_refused(family, given, fragment, tmp_path, capsys):
    import genlab
    from genlab.cli import main

    data = {"vae": "digits", "gan": "fashion-mnist"}.get(family, "gauss-1d")
    with pytest.raises(genlab.UsageError, match=fragment):
        genlab.configure(family, data=data, **given)
    # a config file lists every option: re-running one with the same value set is no error
    config = genlab.configure(family, data=data)
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"config": config.to_dict()}))
    assert genlab.configure(family, config=path) == config
    assert main(["train", family, "--config", str(path), "--print-config"]) == 0
    capsys.readouterr()


def test_the_same_option_with_what_it_needs_is_accepted():
    import genlab

    assert genlab.configure("vae", data="digits", objective="iwae", k=50).model.iwae_k == 50
    assert genlab.configure("gan-1d", data="gauss-1d", loss="wgan-gp", gp_weight=5.0).model.gp_weight == 5.0


def test_a_config_file_setting_an_option_that_does_nothing_is_refused(tmp_path):
    import genlab

    path = tmp_path / "needs.toml"
    path.write_text('family = "vae"\ndata = "digits"\nk = 7\n')
    with pytest.raises(genlab.UsageError, match="--k applies with --objective iwae"):
        genlab.configure("vae", config=path)


def test_seeds_and_counts_are_checked_numbers():
    import numpy as np

    import genlab

    assert genlab.configure("vae", data="digits", latent_dim=np.int64(2)).model.latent_dim == 2
    with pytest.raises(genlab.UsageError, match="--seed"):
        genlab.configure("vae", data="digits", seed=2**70)
    with pytest.raises(genlab.UsageError, match="dataset spec None"):
        genlab.datasets.load(None)
