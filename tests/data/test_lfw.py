"""`lfw`: the real archive layout (lfw/PERSON/PERSON_NNNN.jpg in a .tgz), served from a file:// URL the test
writes, checked by SHA-256, unpacked safely, decoded and cached; offline it names lfw-faces."""

from __future__ import annotations

import hashlib
import io
import tarfile

import numpy as np
import pytest
from PIL import Image

from genlab import data as gdata
from genlab.data import lfw
from genlab.errors import UsageError

PEOPLE = {"Ann_Smith": 4, "Bo_Li": 3, "Cy_Young": 5}


def _jpeg(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (250, 250, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG")
    return buf.getvalue()


def _archive(path):
    with tarfile.open(path, "w:gz") as tar:
        def add(name: str, payload: bytes, kind=tarfile.REGTYPE):
            info = tarfile.TarInfo(name)
            info.size, info.type = len(payload), kind
            tar.addfile(info, io.BytesIO(payload))

        add("lfw", b"", tarfile.DIRTYPE)
        seed = 0
        for person, n in PEOPLE.items():
            for i in range(1, n + 1):
                add(f"lfw/{person}/{person}_{i:04d}.jpg", _jpeg(seed))
                seed += 1
        add("../escape.jpg", _jpeg(99))              # outside the folder: never written
        info = tarfile.TarInfo("lfw/Ann_Smith/link.jpg")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)                             # a link: never followed
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def served(tmp_path, monkeypatch):
    monkeypatch.setenv("GENLAB_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path / "cache"))
    archive = tmp_path / "mirror" / "lfw.tgz"
    archive.parent.mkdir()
    digest = _archive(archive)
    monkeypatch.setattr(lfw, "SHA256", digest)
    monkeypatch.setattr(lfw, "URLS", (archive.as_uri(),))
    return tmp_path, archive


def test_download_unpack_decode_and_cache(served):
    tmp_path, _ = served
    ds = gdata.load("lfw")
    total = sum(PEOPLE.values())
    assert len(ds.train) + len(ds.test) == total and len(ds.test) >= 1
    assert tuple(ds.train.images.shape[1:]) == (3, 64, 64) and ds.train.images.dtype.is_floating_point is False
    root = tmp_path / "data" / "lfw"
    assert len(lfw.image_files(root)) == total
    assert not (tmp_path / "data" / "escape.jpg").exists() and not (root / "lfw" / "Ann_Smith" / "link.jpg").exists()
    assert (root / ".unpacked").read_text().strip() == str(total)
    again = gdata.load("lfw", image_size=32)             # another size: decoded from the unpacked photos
    assert tuple(again.test.images.shape[1:]) == (3, 32, 32)


def test_a_wrong_checksum_is_refused_and_nothing_is_kept(served, monkeypatch):
    tmp_path, _ = served
    monkeypatch.setattr(lfw, "SHA256", "0" * 64)
    with pytest.raises(UsageError, match="checksum mismatch.*lfw-faces"):
        gdata.load("lfw")
    assert not (tmp_path / "data" / "lfw" / "lfw.tgz").exists()


def test_offline_is_one_line_naming_lfw_faces(served, monkeypatch, tmp_path):
    monkeypatch.setattr(lfw, "URLS", ((tmp_path / "nowhere" / "lfw.tgz").as_uri(),))
    with pytest.raises(UsageError) as err:
        gdata.load("lfw")
    assert "--data lfw-faces" in str(err.value) and "\n" not in str(err.value)


def test_catalog_says_how_to_get_it(served):
    entry = next(e for e in gdata.catalog() if e["name"] == "lfw")
    assert entry["available"] is False and "downloaded on first use" in entry["how_to_get"]
