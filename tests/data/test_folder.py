"""`folder:PATH`: real image files written by the test with PIL."""

import numpy as np
import pytest
import torch
from PIL import Image

from genlab.data import load
from genlab.errors import UsageError


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path / "cache"))


def _save(path, size=(12, 10), mode="L", value=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    channels = {"L": (), "RGB": (3,)}[mode]
    pixels = np.full((size[1], size[0], *channels), value, dtype=np.uint8)
    Image.fromarray(pixels, mode=mode).save(path)


def test_recursive_scan_skips_non_images_with_one_warning(tmp_path, capsys):
    root = tmp_path / "imgs"
    for i in range(8):
        _save(root / "a" / "deep" / f"{i}.png", value=i)
    _save(root / "top.bmp", value=99)
    _save(root / "x.gif", value=7)
    (root / "notes.txt").write_text("hello")
    (root / "a" / "meta.json").write_text("{}")
    ds = load(f"folder:{root}")
    assert len(ds.train) + len(ds.test) == 10 and len(ds.test) == 1
    assert ds.sample_shape == (1, 10, 12) and ds.train.images.dtype == torch.uint8
    assert ds.classes is None and ds.train.labels is None
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln]
    assert len(err) == 1 and "skipped 2 non-image" in err[0]


def test_class_subfolders_become_labels_and_rgb_wins(tmp_path):
    root = tmp_path / "zoo"
    for i in range(5):
        _save(root / "cat" / f"{i}.png", value=10)
        _save(root / "dog" / f"{i}.jpg", mode="RGB", value=200)
    ds = load(f"folder:{root}")
    assert ds.classes == ("cat", "dog") and ds.sample_shape == (3, 10, 12)
    labels = torch.cat([ds.train.labels, ds.test.labels])
    images = torch.cat([ds.train.images, ds.test.images])
    assert labels.bincount().tolist() == [5, 5]
    assert (images[labels == 0].float().mean() - 10).abs() < 2 and (images[labels == 1].float().mean() - 200).abs() < 3


def test_mixed_sizes_need_an_image_size(tmp_path):
    root = tmp_path / "mixed"
    _save(root / "a.png", size=(12, 10))
    _save(root / "b.png", size=(20, 30))
    with pytest.raises(UsageError, match="differ in size.*--image-size"):
        load(f"folder:{root}")
    ds = load(f"folder:{root}", image_size=8)
    assert ds.sample_shape == (1, 8, 8)


def test_empty_missing_and_broken(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.md").write_text("no images here")
    with pytest.raises(UsageError, match="no images found"):
        load(f"folder:{tmp_path / 'empty'}")
    with pytest.raises(UsageError, match="no such folder"):
        load(f"folder:{tmp_path / 'absent'}")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "fake.png").write_bytes(b"not a png")
    with pytest.raises(UsageError, match="fake.png: not a readable image"):
        load(f"folder:{tmp_path / 'broken'}")


def test_truncated_image_names_the_file(tmp_path):
    root = tmp_path / "trunc"
    _save(root / "ok.png", value=5)
    _save(root / "cut.png", value=9)
    data = (root / "cut.png").read_bytes()
    (root / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(UsageError, match="cut.png: not a readable image"):
        load(f"folder:{root}")


def test_16_bit_grayscale_is_one_channel_scaled_to_8_bits(tmp_path):
    ramp = np.linspace(0, 65535, 256).reshape(16, 16).astype(np.uint16)
    folder = tmp_path / "g16"
    folder.mkdir()
    for i in range(4):
        Image.fromarray(ramp).save(folder / f"{i}.png")
    d = load(f"folder:{folder}")
    assert d.train.images.shape[1:] == (1, 16, 16)
    expected = torch.from_numpy(np.round(ramp / 257.0).astype(np.uint8))
    assert torch.equal(d.train.images[0, 0], expected)  # 0..255 as the ramp, not clipped white


def test_symlinked_class_folders_are_followed_and_a_link_loop_ends(tmp_path):
    real = tmp_path / "real"
    for name in ("cat", "dog"):
        for i in range(3):
            _save(real / name / f"{i}.png")
    data = tmp_path / "data"
    data.mkdir()
    for name in ("cat", "dog"):
        (data / name).symlink_to(real / name, target_is_directory=True)
    (real / "cat" / "loop").symlink_to(data, target_is_directory=True)  # data/cat/loop -> data
    (data / "broken.png").symlink_to(tmp_path / "nowhere.png")
    from genlab.data.folder import scan

    files, skipped = scan(data)
    assert len(files) == 6 and skipped == 1  # each real folder once; the broken link is counted, not lost
    d = load(f"folder:{data}")
    assert d.classes == ("cat", "dog")


def test_an_image_beside_class_folders_warns_that_the_set_is_unlabelled(tmp_path, capsys):
    data = tmp_path / "data"
    for name in ("a", "b"):
        _save(data / name / "0.png")
    _save(data / "stray.png")
    assert load(f"folder:{data}").train.labels is None
    assert "stray.png" in capsys.readouterr().err
