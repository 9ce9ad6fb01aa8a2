"""Where genlab keeps downloaded data and caches; both can be moved with environment variables."""

import os
from pathlib import Path


def data_dir() -> Path:
    """Downloaded/placed datasets: $GENLAB_DATA, else ~/.local/share/genlab."""
    env = os.environ.get("GENLAB_DATA")
    return Path(env) if env else Path.home() / ".local" / "share" / "genlab"


def cache_dir() -> Path:
    """Decoded-dataset caches and default feature nets: $GENLAB_CACHE, else ~/.cache/genlab."""
    env = os.environ.get("GENLAB_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "genlab"
