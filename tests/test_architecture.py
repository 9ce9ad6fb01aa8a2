"""The layering in docs/architecture.md, checked from the source: every import in src/genlab (module level,
inside functions and methods, under `if TYPE_CHECKING`, relative or absolute) goes to its own package or a
lower floor, and genlab's packages import each other without cycles at import time."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "genlab"

# One floor per unit (a top-level module or subpackage of genlab), lowest first. A module may import its own
# unit and any unit on a lower floor, never a higher one.
FLOORS = {
    # 0 foundation: torch-free basics that every layer may lean on.
    "genlab": 0,              # the package __init__: __version__ and the errors (its lazy re-export of
                              # genlab.api is the one allowed exception, see LAZY_UP_ALLOWED)
    "genlab.errors": 0,       # UsageError, which every layer raises on bad input
    "genlab.io": 0,           # atomic writes and JSON helpers, shared by data, train and report
    "genlab.paths": 0,        # cache and data folders from the environment
    "genlab.runtime": 0,      # process-wide settings the command applies once at start
    "genlab.progress": 0,     # progress bars / periodic lines for every long job (data, metrics, training)
    "genlab.config": 0,       # torch-free option declarations: the CLI builds its parser from them without
                              # importing a model, and every layer reads the configs it is given
    # 1 data: datasets are plain tensors; they know nothing of models or training.
    "genlab.data": 1,
    # 2 models: nn.Modules over data-shaped tensors; no losses, no loop.
    "genlab.models": 2,
    # 3 losses and measurements of models' outputs; same floor, so they may use each other (no cycle).
    "genlab.objectives": 3,
    "genlab.metrics": 3,
    # 4 train: the loop and the families put models, objectives and metrics together.
    "genlab.training": 4,
    # 5 report: figures and HTML from trained runs and their numbers.
    "genlab.report": 5,
    # 6 experiments: the lecture's experiments train runs and draw them with report's figures.
    "genlab.experiments": 6,
    # 7 entry points: the command line, the Python API and `python -m genlab` use everything below.
    "genlab.cli": 7,
    "genlab.api": 7,
    "genlab.datasets": 7,     # the Python API's face of genlab.data; code inside genlab imports genlab.data
    "genlab.__main__": 7,
}

# (importer unit, imported unit) pairs allowed to go up, and only inside a function (never at import time):
# genlab/__init__.py re-exports the Python API lazily (a module __getattr__), so `import genlab` stays light.
LAZY_UP_ALLOWED = {("genlab", "genlab.api")}


def _init_names() -> set[str]:
    """Names genlab/__init__.py binds when it runs (`__version__`, re-exported errors). `from genlab import
    NAME` for any other name that is not a submodule gets one of the API's lazy re-exports: genlab.api."""
    names = set()
    for node in ast.parse((PACKAGE / "__init__.py").read_text()).body:
        if isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


INIT_NAMES = _init_names()


@dataclass(frozen=True)
class Import:
    file: str          # path relative to src/
    line: int
    importer: str      # dotted module name of the importing file
    target: str        # dotted name imported (a module, or the package a name is taken from)
    module_level: bool # runs at import time (not inside a function, not under `if TYPE_CHECKING`)
    in_function: bool


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def unit_of(name: str) -> str:
    """genlab.training.loop -> genlab.training; genlab -> genlab; a non-genlab name -> ''."""
    parts = name.split(".")
    if parts[0] != "genlab":
        return ""
    return ".".join(parts[:2])


def _is_submodule(dotted: str) -> bool:
    rel = Path(*dotted.split("."))
    return (SRC / rel).with_suffix(".py").is_file() or (SRC / rel / "__init__.py").is_file()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_module_target(node: ast.AST) -> str | None:
    """`importlib.import_module("genlab.api")` -> genlab.api; `import_module(f"genlab.cli.{name}")` ->
    genlab.cli (the constant part, when it names a whole unit); anything else -> None."""
    if not (isinstance(node, ast.Call) and node.args and (
            getattr(node.func, "attr", None) == "import_module" or getattr(node.func, "id", None) == "import_module")):
        return None
    arg = node.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0], ast.Constant):
        prefix = str(arg.values[0].value)
        if prefix.count(".") >= 2:  # genlab.PKG. then a formatted name
            return prefix.rsplit(".", 1)[0]
    return None


def _resolve_from(node: ast.ImportFrom, importer: str, package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = importer.split(".") if package else importer.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(path: Path, source: str | None = None) -> list[Import]:
    """Every import statement in the file at `path` (or in `source`, read as if it were that file)."""
    importer = module_name(path)
    rel = str(path.relative_to(SRC))
    found: list[Import] = []

    def visit(node: ast.AST, *, module_level: bool, in_function: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(rel, node.lineno, importer, alias.name, module_level, in_function))
        elif isinstance(node, ast.ImportFrom):
            base = _resolve_from(node, importer, is_package(path))
            for alias in node.names:
                # `from pkg import sub` imports the submodule pkg.sub; `from genlab import X` with X not a
                # submodule is genlab.__version__ or an API re-export.
                full = f"{base}.{alias.name}"
                if _is_submodule(full):
                    target = full
                elif base == "genlab" and alias.name not in INIT_NAMES:
                    target = "genlab.api"
                else:
                    target = base
                found.append(Import(rel, node.lineno, importer, target, module_level, in_function))
        elif (target := _import_module_target(node)) is not None:
            found.append(Import(rel, node.lineno, importer, target, module_level, in_function))
        for child in ast.iter_child_nodes(node):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, module_level=False, in_function=True)
            elif isinstance(node, ast.If) and _is_type_checking(node.test) and child in node.body:
                visit(child, module_level=False, in_function=in_function)
            else:
                visit(child, module_level=module_level, in_function=in_function)

    tree = ast.parse(path.read_text() if source is None else source, filename=rel)
    visit(tree, module_level=True, in_function=False)
    return found


def all_imports() -> list[Import]:
    return [imp for path in sorted(PACKAGE.rglob("*.py")) for imp in imports_of(path)]


def test_every_unit_has_a_floor():
    units = {unit_of(module_name(p)) for p in PACKAGE.rglob("*.py")}
    missing = sorted(units - set(FLOORS))
    assert not missing, f"give these a floor in FLOORS (and docs/architecture.md): {missing}"


def test_the_parser_sees_every_kind_of_import():
    """Relative, function-level, method-level, TYPE_CHECKING, `from genlab import NAME` and import_module
    imports are found."""
    src = (
        "from typing import TYPE_CHECKING\n"
        "from ..models import mlp\n"
        "from . import loop\n"
        "import genlab.report.figures\n"
        "from genlab import __version__, run_experiment\n"
        "if TYPE_CHECKING:\n"
        "    from genlab.experiments import runner\n"
        "def f():\n"
        "    import genlab.cli\n"
        "class C:\n"
        "    def m(self):\n"
        "        from ..data import toy\n"
        "        importlib.import_module(f'genlab.cli.{name}')\n"
    )
    got = [(imp.line, imp.target, imp.module_level) for imp in imports_of(PACKAGE / "training" / "probe.py", src)]
    assert got == [
        (1, "typing", True),
        (2, "genlab.models.mlp", True),
        (3, "genlab.training.loop", True),
        (4, "genlab.report.figures", True),
        (5, "genlab", True),
        (5, "genlab.api", True),
        (7, "genlab.experiments.runner", False),
        (9, "genlab.cli", False),
        (12, "genlab.data.toy", False),
        (13, "genlab.cli", False),
    ]


def upward_imports(imports: list[Import]) -> list[str]:
    """One line per import that goes to a higher floor: file:line: importer (floor) -> imported (floor)."""
    lines = []
    for imp in imports:
        src_unit, dst_unit = unit_of(imp.importer), unit_of(imp.target)
        if not dst_unit or dst_unit == src_unit:
            continue
        if (src_unit, dst_unit) in LAZY_UP_ALLOWED and imp.in_function:
            continue
        # A unit missing from FLOORS fails test_every_unit_has_a_floor; here it counts as the top floor.
        src_floor, dst_floor = FLOORS.get(src_unit, 99), FLOORS.get(dst_unit, 99)
        if dst_floor > src_floor:
            line = (f"{imp.file}:{imp.line}: {imp.importer} (floor {src_floor}) -> "
                    f"{imp.target} (floor {dst_floor})")
            if line not in lines:  # `from x import a, b` is one import statement
                lines.append(line)
    return lines


def test_no_import_goes_up_a_floor():
    violations = upward_imports(all_imports())
    assert not violations, f"{len(violations)} upward import(s):\n" + "\n".join(violations)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one unit (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            connect(v)
    return out


def test_cycles_finder():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def import_cycles(imports: list[Import]) -> list[str]:
    """Each cycle between units through imports that run at import time, with the imports that make it."""
    edges: dict[str, set[str]] = {}
    where: dict[tuple[str, str], list[str]] = {}
    for imp in imports:
        src_unit, dst_unit = unit_of(imp.importer), unit_of(imp.target)
        # Every genlab module imports the package __init__ on the way, so edges into `genlab` say nothing.
        if not imp.module_level or not dst_unit or dst_unit in (src_unit, "genlab"):
            continue
        edges.setdefault(src_unit, set()).add(dst_unit)
        place = f"{imp.file}:{imp.line}: {imp.importer} -> {imp.target}"
        if place not in where.setdefault((src_unit, dst_unit), []):
            where[(src_unit, dst_unit)].append(place)
    report = []
    for component in _cycles(edges):
        report.append("cycle between " + ", ".join(component) + ":")
        members = set(component)
        for (a, b), places in sorted(where.items()):
            if a in members and b in members:
                report.extend(f"  {p}" for p in places)
    return report


def test_no_import_cycle_between_packages():
    """Only imports that run at import time make a cycle; a lazy import inside a function does not."""
    report = import_cycles(all_imports())
    assert not report, "\n".join(report)


def test_the_checks_report_every_violation():
    metrics = """
from genlab.objectives import elbo
import genlab.training.loop
def f():
    from genlab.cli import main
"""
    objectives = "from ..metrics import frechet\n"
    imports = imports_of(PACKAGE / "metrics" / "probe.py", metrics) + imports_of(
        PACKAGE / "objectives" / "probe.py", objectives)
    assert upward_imports(imports) == [
        "genlab/metrics/probe.py:3: genlab.metrics.probe (floor 3) -> genlab.training.loop (floor 4)",
        "genlab/metrics/probe.py:5: genlab.metrics.probe (floor 3) -> genlab.cli (floor 7)",
    ]
    assert import_cycles(imports) == [
        "cycle between genlab.metrics, genlab.objectives:",
        "  genlab/metrics/probe.py:2: genlab.metrics.probe -> genlab.objectives.elbo",
        "  genlab/objectives/probe.py:1: genlab.objectives.probe -> genlab.metrics.frechet",
    ]
    # genlab/__init__.py may re-export the API lazily, but not at import time.
    init = "import genlab.api\ndef __getattr__(name):\n    from genlab import api\n"
    assert upward_imports(imports_of(PACKAGE / "__init__.py", init)) == [
        "genlab/__init__.py:1: genlab (floor 0) -> genlab.api (floor 7)"]
