"""`lfw`: all of Labeled Faces in the Wild (Huang et al. 2007): 13,233 photos of 5,749 people, 250x250 RGB.

Downloaded once into data_dir()/lfw from the standard archive (`lfw.tgz`, 180,566,744 bytes, checked by
SHA-256; the mirror scikit-learn uses, then the original host), unpacked there (only the regular JPEG files
under lfw/PERSON/, nothing outside the folder), then decoded once into the dataset cache: each photo
centre-cropped to 125x125 (the face; LFW's photos are centred on the detected face) and resized to 64x64,
or to --image-size. Offline, `lfw-faces` (the 100 faces scikit-image ships) is the choice.
Train/test: 90% / 10% of the photos, carved by a fixed seed; no labels (identities are not classes here).
"""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import TYPE_CHECKING

from genlab.data.celeba import decode_all
from genlab.data.download import DownloadError, download_file
from genlab.errors import UsageError
from genlab.paths import data_dir

if TYPE_CHECKING:
    from genlab.data.dataset import Dataset

ARCHIVE = "lfw.tgz"
URLS = ("https://ndownloader.figshare.com/files/5976018", "http://vis-www.cs.umass.edu/lfw/lfw.tgz")
SHA256 = "055f7d9c632d7370e6fb4afc7468d40f970c34a80d4c6f50ffec63f5a8d536c0"
IMAGES = 13233
CROP = 125
DEFAULT_SIZE = 64

def lfw_dir() -> Path:
    return data_dir() / "lfw"

def image_files(root: Path | None = None) -> list[Path]:
    """The unpacked photos, in a fixed order: root/lfw/PERSON/PERSON_NNNN.jpg."""
    return sorted((root or lfw_dir()).glob("lfw/*/*.jpg"))

def is_present(root: Path | None = None) -> bool:
    root = root or lfw_dir()
    return (root / ".unpacked").is_file() or (root / ARCHIVE).is_file()

def unpack(archive: Path, dest: Path) -> int:
    """Extract the regular .jpg members under lfw/ into dest (refusing anything else: no links, no paths
    outside dest); returns how many. A marker file records a complete extraction."""
    count = 0
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                parts = Path(member.name).parts
                if not (member.isfile() and len(parts) == 3 and parts[0] == "lfw" and member.name.endswith(".jpg")
                        and ".." not in parts and not Path(member.name).is_absolute()):
                    continue
                target = dest / Path(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                target.write_bytes(source.read())
                count += 1
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise UsageError(f"lfw: {archive} is not a readable LFW archive ({exc}); delete it to download again") \
            from None
    if not count:
        raise UsageError(f"lfw: {archive} holds no lfw/PERSON/*.jpg photos; delete it to download again")
    (dest / ".unpacked").write_text(f"{count}\n")
    return count

def fetch(root: Path | None = None) -> Path:
    """Download (once) and unpack (once) into root; returns root."""
    root = root or lfw_dir()
    if (root / ".unpacked").is_file():
        return root
    root.mkdir(parents=True, exist_ok=True)
    try:
        archive = download_file(URLS, root / ARCHIVE, sha256=SHA256)
    except DownloadError as exc:
        raise UsageError(f"lfw: {exc}; offline, use --data lfw-faces (100 LFW faces that scikit-image ships)") \
            from None
    unpack(archive, root)
    return root

def load_lfw(*, image_size: int | None = None) -> Dataset:
    import torch

    from genlab.data.cache import cache_key, cached
    from genlab.data.dataset import Dataset, Split, carve_test

    root = fetch()
    files = image_files(root)
    if not files:
        raise UsageError(f"lfw: no photos under {root}/lfw; delete {root} to download again")
    size = image_size or DEFAULT_SIZE

    def build() -> Dataset:
        images = decode_all(files, size, crop=CROP, dataset="lfw", desc="lfw: decoding")
        train, test = carve_test(Split(torch.from_numpy(images)), 0.1, seed=0, in_place=True)
        return Dataset(name="lfw", train=train, test=test, classes=None, kind="image",
                       source_note=f"Labeled Faces in the Wild, {len(files)} photos, centre {CROP}px -> {size}px")

    return cached(cache_key("lfw", [root / ".unpacked"], image_size=size), build)
