"""`genlab datasets` end to end, in a real subprocess (`python -m genlab`)."""

import json

from PIL import Image

from tests.conftest import assert_one_line_error, run_cli
from tests.data import write_mnist_like


def test_datasets_json_lists_every_name():
    proc = run_cli("datasets", "--json", check=True)
    rows = json.loads(proc.stdout)
    names = [r["name"] for r in rows]
    assert {"fashion-mnist", "mnist", "mnist-5k", "digits", "lfw-faces", "celeba", "two-moons",
            "gauss-1d"} <= set(names)
    assert all({"available", "how_to_get", "shape", "train_size", "test_size", "num_classes"} <= set(r)
               for r in rows)


def test_datasets_table_in_process(capsys):
    from genlab.cli import main

    assert main(["datasets"]) == 0
    table = capsys.readouterr().out
    assert "two-moons" in table and "AVAILABLE" in table and "folder:PATH" in table


def test_datasets_show_writes_a_png(tmp_path):
    write_mnist_like(tmp_path / "set", n_train=20, n_test=16, size=8)
    out = tmp_path / "grid.png"
    proc = run_cli("datasets", "show", f"idx:{tmp_path / 'set' / 'train-images-idx3-ubyte.gz'}", "--out", str(out),
                   "--n", "16", "--split", "test", "--image-size", "16", check=True)
    assert "wrote" in proc.stdout
    with Image.open(out) as im:
        assert im.format == "PNG" and im.size == (4 * 18 + 2, 4 * 18 + 2)


def test_unknown_spec_is_exit_2_with_one_line(tmp_path):
    proc = run_cli("datasets", "show", "no-such-data", "--out", str(tmp_path / "x.png"))
    assert_one_line_error(proc, code=2, contains="no-such-data")
    assert "fashion-mnist" in proc.stderr and not (tmp_path / "x.png").exists()
