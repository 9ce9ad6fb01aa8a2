"""Fetching dataset files over HTTP(S): try each mirror in turn, verify, then rename into place.

A file appears at its final path only when complete and verified (temp file + rename), so an
interrupted download never leaves a half file that a later run would trust.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

from genlab.errors import UsageError
from genlab.io import write_with


class DownloadError(UsageError):
    """No mirror could deliver a file; the message says which file and the last reason."""


def digest_of(path: Path, algorithm: str) -> str:
    """The hex digest of a file (hashlib's algorithm name: md5, sha256), read in 1 MiB blocks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch(url: str, tmp: Path, timeout: float) -> None:
    """url's body into tmp in 1 MiB blocks, with a progress display in bytes (total from Content-Length)."""
    from genlab.progress import Progress

    with urllib.request.urlopen(url, timeout=timeout) as response, open(tmp, "wb") as out:
        size = response.headers.get("Content-Length") if hasattr(response, "headers") else None
        total = int(size) if size and size.isdigit() else 0
        with Progress(total=total, desc=f"download {url.rsplit('/', 1)[-1]}", unit="B") as bar:
            for block in iter(lambda: response.read(1 << 20), b""):
                out.write(block)
                bar.update(len(block))


def download_files(base_urls: Sequence[str], filenames: Sequence[str], dest: Path, *,
                   md5: dict[str, str] | None = None, verify: Callable[[Path], None] | None = None,
                   timeout: float = 30.0) -> list[Path]:
    """Ensure dest/NAME exists for every name, downloading base_url + NAME from the first mirror that works.

    Files already present are reused. md5 (name -> hex digest) and `verify(tmp_path)` (raises on a bad
    file) check each download before it is renamed into place. Returns the final paths.
    Raises DownloadError (a UsageError) when every mirror fails for some file.
    """
    paths = []
    for name in filenames:
        target = Path(dest) / name
        if not target.is_file():
            _download_one(base_urls, name, target, md5=(md5 or {}).get(name), verify=verify, timeout=timeout)
        paths.append(target)
    return paths


def _download_one(base_urls: Sequence[str], name: str, target: Path, *, md5: str | None,
                  verify: Callable[[Path], None] | None, timeout: float) -> None:
    reasons = []
    for base in base_urls:
        url = base.rstrip("/") + "/" + name

        def fetch_and_check(tmp: Path, url: str = url) -> None:
            _fetch(url, tmp, timeout)
            if md5 is not None and digest_of(tmp, "md5") != md5:
                raise UsageError(f"checksum mismatch for {url}")
            if verify is not None:
                verify(tmp)

        try:
            write_with(target, fetch_and_check)
            return
        except (OSError, UsageError, ValueError) as exc:  # URLError and timeouts are OSErrors
            reasons.append(f"{url}: {_reason(exc)}")
    raise DownloadError(f"could not download {name} ({'; '.join(reasons) or 'no mirrors given'})")


def download_file(urls: Sequence[str], target: Path, *, sha256: str, timeout: float = 30.0) -> Path:
    """Ensure `target` exists: the first of `urls` (full URLs, mirrors of one file) whose body has the
    given SHA-256 is renamed into place. Raises DownloadError naming every mirror's reason."""
    target = Path(target)
    if target.is_file():
        return target
    reasons = []
    for url in urls:
        def fetch_and_check(tmp: Path, url: str = url) -> None:
            _fetch(url, tmp, timeout)
            if digest_of(tmp, "sha256") != sha256:
                raise UsageError(f"checksum mismatch for {url}")

        try:
            write_with(target, fetch_and_check)
            return target
        except (OSError, UsageError, ValueError) as exc:
            reasons.append(f"{url}: {_reason(exc)}")
    raise DownloadError(f"could not download {target.name} ({'; '.join(reasons) or 'no mirrors given'})")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__
