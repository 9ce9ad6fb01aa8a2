"""genlab.progress: tqdm on a terminal, tqdm.auto in a notebook, plain periodic lines otherwise, silent for
short jobs; and the long jobs that show it (evaluate --nll, featurenet train, folder decoding, downloads)."""

import io
import sys

from genlab import progress as gprogress
from genlab.progress import Progress


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_plain_lines_when_not_a_terminal(monkeypatch, capsys):
    bar = Progress(total=10, desc="nll (K=5)", unit="img", every_s=0.0)
    assert bar._bar is None
    bar.update(4, {"nll": 80.5})
    bar.close()
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("nll (K=5): img 4/10 nll=80.5") and "img/s eta" in lines[0]
    assert lines[-1].startswith("nll (K=5): img 4/10")  # the closing line


def test_a_short_job_prints_nothing_and_GENLAB_PROGRESS_0_silences(monkeypatch, capsys):
    with Progress(total=10, desc="quick", every_s=60.0) as bar:
        bar.update(10)
    monkeypatch.setenv(gprogress.QUIET_ENV, "0")
    with Progress(total=10, desc="off", every_s=0.0) as bar:
        bar.update(10)
    assert capsys.readouterr().err == ""


def test_tqdm_on_a_terminal_and_tqdm_auto_in_a_notebook(monkeypatch):
    import tqdm.auto
    import tqdm.std

    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    with Progress(total=10, desc="terminal", unit="img") as bar:
        assert isinstance(bar._bar, tqdm.std.tqdm)
        bar.update(10)
    assert "terminal" in term.getvalue() and "10/10" in term.getvalue()

    created = []
    monkeypatch.setattr(tqdm.auto, "tqdm", lambda **kw: created.append(kw) or tqdm.std.tqdm(**kw))
    monkeypatch.setattr(sys, "stderr", io.StringIO())           # a notebook's stderr is no terminal
    monkeypatch.setitem(sys.modules, "ipykernel", object())
    Progress(total=3, desc="notebook").close()
    assert [kw["desc"] for kw in created] == ["notebook"]


def _terminal(monkeypatch) -> _Terminal:
    """stderr as a terminal, set in the test body (pytest's capture resets sys.stderr after fixtures run)."""
    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    return term


def test_nll_summary_shows_images_done(monkeypatch):
    import torch

    from genlab import data as gdata
    from tests.training.test_vae import make_task

    task = make_task()
    terminal = _terminal(monkeypatch)
    split = gdata.load("digits").test
    out = task.nll_summary(split, take=30, k=5, device=torch.device("cpu"), batch=10)
    assert out["nll_k"] == 5
    assert "nll (K=5)" in terminal.getvalue() and "30/30" in terminal.getvalue()


def test_featurenet_training_and_folder_decoding_show_progress(monkeypatch, tmp_path):
    import numpy as np
    import torch
    from PIL import Image

    from genlab import data as gdata
    from genlab.data.folder import decode_images
    from genlab.metrics import featurenet as fnet

    terminal = _terminal(monkeypatch)
    files = []
    for i in range(6):
        files.append(tmp_path / f"{i}.png")
        Image.fromarray(np.full((8, 8), 40 * i, dtype=np.uint8)).save(files[-1])
    assert decode_images(files, image_size=None).shape == (6, 1, 8, 8)
    assert "decoding images" in terminal.getvalue() and "6/6" in terminal.getvalue()

    fnet.train(gdata.load("digits"), epochs=0, max_steps=3, batch_size=32, lr=1e-3, seed=0,
               device=torch.device("cpu"), log=lambda line: None)
    assert "featurenet train" in terminal.getvalue() and "3/3" in terminal.getvalue()


def test_download_shows_bytes(monkeypatch, tmp_path):
    from genlab.data.download import download_files

    terminal = _terminal(monkeypatch)
    # a file:// URL goes through the same urlopen path as http(s) and reports its length
    src = tmp_path / "src"
    src.mkdir()
    (src / "blob.bin").write_bytes(b"x" * 3_000_000)
    (path,) = download_files([src.as_uri()], ["blob.bin"], tmp_path / "dest")
    assert path.read_bytes() == b"x" * 3_000_000
    assert "download blob.bin" in terminal.getvalue()
