"""The README's Python example runs as written (on real Fashion-MNIST, in a fresh folder)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def python_example() -> str:
    section = README.read_text().split("## Python API", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "the README's Python API section has no ```python block"
    return match.group(1)


@pytest.mark.slow
def test_readme_python_example_runs(tmp_path):
    if not Path("/usr/share/datasets/fashion-mnist").exists() and "GENLAB_DATA" not in os.environ:
        pytest.fail("Fashion-MNIST is missing: `make setup` installs Debian's dataset-fashion-mnist")
    script = "import matplotlib\nbackend = matplotlib.get_backend()\n" + python_example() + (
        "\nassert samples.shape == (64, 1, 28, 28) and 0 <= float(samples.min()) <= float(samples.max()) <= 1"
        "\nassert recon.shape == x.shape"
        "\nassert numbers['nll'] <= -numbers['elbo'] + 1e-3 and numbers['n_test'] == 500"
        "\nassert type(fig).__name__ == 'Figure' and matplotlib.get_backend() == backend"
        "\nimport sys; assert 'matplotlib.pyplot' not in sys.modules\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "runs" / "vae" / "model.safetensors").exists() and (tmp_path / "manifold.png").exists()
