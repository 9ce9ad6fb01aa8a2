"""Feature nets: train a tiny one on `digits`, save/load without pickle, and FD that grows with noise."""

import hashlib
import itertools
import json

import pytest
import torch

from genlab import data
from genlab.errors import UsageError
from genlab.metrics import featurenet as fnet
from genlab.metrics.frechet import frechet_distance_features

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


@pytest.fixture(scope="module")
def trained(digits, tmp_path_factory):
    net, record = fnet.train(digits, epochs=0, max_steps=120, batch_size=64, lr=3e-3, seed=0, device=CPU)
    out = tmp_path_factory.mktemp("featurenet")
    return net, fnet.save(out, net, record, image_size=None), out


def test_trains_to_a_useful_classifier_and_records_it(trained):
    _, record, out = trained
    assert record["test_accuracy"] > 0.8               # chance is 0.1; a broken net or labels stay near it
    assert record["steps"] == 120 and record["dataset"] == "digits" and record["image_shape"] == [1, 8, 8]
    assert record["sha256"] == hashlib.sha256((out / fnet.WEIGHTS).read_bytes()).hexdigest()
    assert json.loads((out / fnet.META).read_text()) == record


def test_load_gives_the_same_features_and_checks_the_hash(trained, digits, tmp_path):
    net, record, out = trained
    loaded, meta = fnet.load(out, device=CPU)
    x = data.to_float(digits.test.images[:50])
    with torch.no_grad():
        assert torch.equal(loaded.features(x), net.features(x))
    assert meta["path"] == str(out) and meta["sha256"] == record["sha256"]
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / fnet.META).write_text((out / fnet.META).read_text())
    blob = bytearray((out / fnet.WEIGHTS).read_bytes())
    blob[-1] ^= 1                                       # one flipped bit in the last weight
    (bad / fnet.WEIGHTS).write_bytes(bytes(blob))
    with pytest.raises(UsageError, match="sha256"):
        fnet.load(bad, device=CPU)
    with pytest.raises(UsageError, match="no feature net"):
        fnet.load(tmp_path / "missing", device=CPU)


def test_frechet_distance_grows_with_added_noise(trained, digits):
    # Heusel et al. 2017, fig. 1: FD between real images and Gaussian-noise-disturbed copies of them grows with
    # the noise level. Copies of the same 1438 images keep set-to-set sampling noise out (d = 128 features).
    net = trained[0]
    images = data.to_float(digits.train.images)          # (1438, 1, 8, 8)
    noise = torch.randn(images.shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ref = net.features(images)
        fds = [frechet_distance_features(ref, net.features((images + sigma * noise).clamp(0, 1)))
               for sigma in (0.0, 0.02, 0.05, 0.1, 0.2, 0.4)]
    assert abs(fds[0]) < 1e-6
    assert all(a < b for a, b in itertools.pairwise(fds)), fds


def test_dataset_keys():
    assert fnet.dataset_key("fashion-mnist", None) == "fashion-mnist"
    assert fnet.dataset_key("fashion-mnist", 32) == "fashion-mnist-32px"
    key = fnet.dataset_key("idx:/data/my images/train-images-idx3-ubyte", None)
    assert "/" not in key and " " not in key
    assert key != fnet.dataset_key("idx:/other/train-images-idx3-ubyte", None)
    assert fnet.train_command("digits", 16) == "genlab featurenet train --data digits --image-size 16"


def test_unlabelled_or_toy_data_is_refused():
    toy = data.load("two-moons")
    with pytest.raises(UsageError, match="image data"):
        fnet.train(toy, epochs=1, max_steps=1, batch_size=8, lr=1e-3, seed=0, device=CPU)
