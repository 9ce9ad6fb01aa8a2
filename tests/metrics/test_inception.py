"""The FID Inception-v3: its keys fit pytorch-fid's weights file, and only weights-only files load."""

import pickle

import pytest
import torch
from torchvision.models import inception_v3

from genlab.errors import UsageError
from genlab.metrics.inception import FEATURE_DIM, FIDInceptionV3, load_fid_inception, read_state_dict

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return FIDInceptionV3()


def test_state_dict_matches_the_pt_inception_layout(net):
    # pytorch-fid loads pt_inception-2015-12-05 strictly into torchvision's Inception3(1008 classes, no aux
    # head); our net must accept exactly those keys and shapes.
    reference = inception_v3(weights=None, num_classes=1008, aux_logits=False, init_weights=False).state_dict()
    ours = net.state_dict()
    assert list(ours) == list(reference)
    assert all(ours[k].shape == reference[k].shape for k in ours)


def test_weights_file_round_trip_and_features(net, tmp_path):
    path = tmp_path / "pt_inception-test.pth"
    torch.save(net.state_dict(), path)
    loaded = load_fid_inception(path, device=CPU)
    x = torch.rand(1, 1, 28, 28, generator=torch.Generator().manual_seed(1))     # grayscale, any size
    features = loaded.features(x)
    assert features.shape == (1, FEATURE_DIM) and torch.isfinite(features).all()
    assert torch.equal(features, net.features(x))


def test_safetensors_copy_loads_without_pickle(net, tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "inception.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    assert set(read_state_dict(path)) == set(net.state_dict())


class _NotAllowed:  # a pickled object of this class needs code execution to load: weights_only refuses it
    pass


@pytest.mark.parametrize("write", [
    lambda p: p.write_bytes(b"this is not a weights file"),
    lambda p: torch.save({"w": torch.zeros(2), "payload": _NotAllowed()}, p),
    lambda p: p.write_bytes(pickle.dumps({"w": [1, 2, 3]})),
    lambda p: torch.save({"fc.weight": torch.zeros(3, 3)}, p),
])
def test_wrong_formats_are_refused_with_one_line(tmp_path, write):
    path = tmp_path / "weights.pth"
    write(path)
    with pytest.raises(UsageError) as info:
        load_fid_inception(path, device=CPU)
    assert "--inception-weights" in str(info.value) and "\n" not in str(info.value)


def test_missing_file_says_it_is_never_downloaded(tmp_path):
    with pytest.raises(UsageError, match="never downloads"):
        read_state_dict(tmp_path / "absent.pth")
