"""The MNIST downloader against a local HTTP server serving real-format IDX .gz files, and offline."""

import functools
import hashlib
import http.server
import socket
import threading

import numpy as np
import pytest
import torch

from genlab.data import load, mnist
from genlab.data.mnist import FILES, download_mnist
from genlab.errors import UsageError
from tests.data import write_mnist_like


@pytest.fixture
def server(tmp_path):
    """A local http.server in a thread; yields its base URL and the folder it serves."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", root
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


def _dead_url() -> str:
    """A URL on a local port nothing listens on: connection refused at once (no network needed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def test_download_tries_mirrors_in_order_and_verifies(tmp_path, server):
    url, served = server
    arrays = write_mnist_like(served, n_train=30, n_test=10)
    md5 = {name: hashlib.md5((served / name).read_bytes()).hexdigest() for name in FILES}
    dest = download_mnist([_dead_url(), url], tmp_path / "mnist", md5=md5, timeout=5)
    assert sorted(p.name for p in dest.iterdir()) == sorted(FILES)  # no temp files left behind
    (served / FILES[0]).unlink()
    assert download_mnist([url], dest, md5=md5) == dest  # present files are reused, not fetched
    assert (dest / FILES[1]).read_bytes() == (served / FILES[1]).read_bytes()
    assert arrays[FILES[0]].shape == (30, 28, 28)


def test_bad_download_is_not_kept(tmp_path, server):
    url, served = server
    write_mnist_like(served, n_train=10, n_test=10)
    (served / FILES[0]).write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(UsageError, match="mnist-5k"):
        download_mnist([url], tmp_path / "mnist", md5=None, timeout=5)
    assert not (tmp_path / "mnist" / FILES[0]).exists()
    assert not [p for p in (tmp_path / "mnist").iterdir() if p.name.endswith(".tmp")]


def test_checksum_mismatch_is_rejected(tmp_path, server):
    url, served = server
    write_mnist_like(served, n_train=10, n_test=10)
    with pytest.raises(UsageError, match="checksum mismatch"):
        download_mnist([url], tmp_path / "mnist", md5={FILES[0]: "0" * 32}, timeout=5)


def test_offline_message_is_one_line_naming_mnist_5k(tmp_path):
    with pytest.raises(UsageError) as info:
        download_mnist([_dead_url()], tmp_path / "mnist", timeout=5)
    assert "mnist-5k" in str(info.value) and "\n" not in str(info.value)


def test_load_mnist_spec_downloads_then_reuses(tmp_path, monkeypatch, server):
    url, served = server
    write_mnist_like(served, n_train=30, n_test=10)
    monkeypatch.setenv("GENLAB_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(mnist, "MNIST_MIRRORS", (url,))
    monkeypatch.setattr(mnist, "MNIST_MD5", None)
    ds = load("mnist")
    assert (len(ds.train), len(ds.test), ds.num_classes) == (30, 10, 10)
    for name in FILES:
        (served / name).unlink()  # the second load must not need the server
    assert torch.equal(load("mnist").train.images, ds.train.images)
    assert np.array_equal(ds.test.labels.numpy(), np.arange(10))


def test_fashion_mnist_offline_names_the_debian_package(tmp_path, monkeypatch):
    monkeypatch.setenv("GENLAB_DATA", str(tmp_path / "data"))
    monkeypatch.setattr(mnist, "DEBIAN_FASHION", tmp_path / "not-installed")
    monkeypatch.setattr(mnist, "FASHION_MIRRORS", (_dead_url(),))
    with pytest.raises(UsageError) as info:
        load("fashion-mnist")
    assert "apt install dataset-fashion-mnist" in str(info.value) and "\n" not in str(info.value)
