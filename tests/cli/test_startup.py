"""Start-up (issue 16): help, the dataset listing and every `COMMAND --help` run without importing torch.

Each command runs as its own process under `python -X importtime`, whose stderr names every module the
process imported; the test fails when torch (or any torch.* module) is among them. No timing is asserted here
(bench/startup.py measures the times)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from genlab.cli import COMMANDS
from genlab.config.families import FAMILIES


def imported_modules(argv: list[str]) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run `python -X importtime ARGV...` and return the process and the names of the modules it imported."""
    proc = subprocess.run([sys.executable, "-X", "importtime", *argv], capture_output=True, text=True,
                          check=False, timeout=120, env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"})
    names = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
             if line.startswith("import time:")}
    return proc, names


def torch_modules(names: set[str]) -> list[str]:
    return sorted(n for n in names if n == "torch" or n.startswith("torch."))


CLI_COMMANDS = ([["--help"], [], ["datasets"], ["datasets", "--json"], ["datasets", "list"],
                 ["datasets", "list", "--json"], ["datasets", "show", "--help"], ["train", "--help"]]
                + [[name, "--help"] for name in COMMANDS]
                + [["train", family, "--help"] for family in FAMILIES])


def test_the_check_sees_torch_when_it_is_imported():
    """The detector itself: a process that imports torch (through genlab's data loaders) is caught."""
    proc, names = imported_modules(["-c", "import genlab.data.toy"])
    assert proc.returncode == 0, proc.stderr
    assert "torch" in torch_modules(names)


@pytest.mark.parametrize("args", CLI_COMMANDS, ids=lambda a: " ".join(a) or "(no command)")
def test_command_does_not_import_torch(args):
    proc, names = imported_modules(["-m", "genlab", *args])
    assert proc.returncode == (2 if not args else 0), proc.stderr[-2000:]
    assert "genlab.cli" in names  # the real command ran
    assert not torch_modules(names), f"genlab {' '.join(args)} imported {torch_modules(names)[:5]}"


def test_listing_is_complete_without_torch():
    """`genlab datasets --json` lists every registered name (the DANN domains too), torch-free."""
    proc, names = imported_modules(["-m", "genlab", "datasets", "--json"])
    assert proc.returncode == 0 and not torch_modules(names)
    listed = [row["name"] for row in json.loads(proc.stdout)]
    assert {"fashion-mnist", "mnist-5k", "celeba", "two-moons", "two-moons-rotated", "mnist-m-like"} <= set(listed)
    code = "import genlab.data as d, sys; print(','.join(d.names())); assert 'torch' not in sys.modules"
    registered = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert listed == registered.stdout.strip().split(",")


def test_a_loader_still_loads_through_the_lazy_registry():
    """Registering imports no loader; loading a spec imports it and returns the data."""
    from genlab import data

    dataset = data.load("two-moons-rotated")
    assert dataset.name == "two-moons-rotated" and len(dataset.train) == 150
    assert data.to_float is data.images.to_float
