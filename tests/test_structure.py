"""The shape of the code: imports point one way (also those inside functions), no module
is over 450 lines, the code is lint-clean, and start-up loads nothing heavy."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "mixopt"
#: Layers, lowest first: a module may import its own layer and the ones below only.
LAYERS = {"errors": 0, "signals": 0, "model": 1, "io": 2, "analysis": 3, "report": 4,
          "dev": 4, "cli": 5,
          "__main__": 6, "pytest_plugin": 6,
          "testing": 5, "api": 5}
MAX_MODULE_LINES = 450


def _modules() -> dict[str, Path]:
    out = {}
    for f in PACKAGE.rglob("*.py"):
        name = ".".join(f.relative_to(ROOT).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = f
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every mixopt module ``name`` imports, at any depth of its code."""
    pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        found |= {t for t in targets if t in known and t != name}
    return found


def _layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS[parts[1]] if len(parts) > 1 else max(LAYERS.values())


def test_imports_point_one_way_and_form_no_cycle() -> None:
    mods = _modules()
    graph = {m: _imports(m, f, set(mods)) for m, f in mods.items()}
    upward = [(m, t) for m, ts in graph.items() for t in ts
              if m != "mixopt" and _layer(t) > _layer(m)]
    assert not upward, f"imports against the pipeline: {upward}"
    # a cycle is a path back to where it started (depth-first search with colours)
    colour: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        colour[m] = 1
        for t in sorted(graph[m]):
            if colour.get(t) == 1 and not (m.startswith(t + ".") or t == "mixopt"):
                pytest.fail("import cycle: " + " -> ".join([*path, m, t]))
            if t not in colour:
                visit(t, [*path, m])
        colour[m] = 2

    for m in sorted(graph):
        if m not in colour:
            visit(m, [])


def test_no_module_is_over_450_lines() -> None:
    big = {m: n for m, f in _modules().items()
           if (n := len(f.read_text().splitlines())) > MAX_MODULE_LINES}
    assert not big


def test_lint_clean() -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]' installs it)")
    r = subprocess.run([ruff, "check", "mixopt", "tests"], cwd=ROOT, capture_output=True,
                       text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr


HEAVY = ("pyomo", "matplotlib", "distributed", "dask", "scipy.stats", "openpyxl", "pandas")


@pytest.mark.parametrize("code", [
    "import mixopt",
    ("import sys; from mixopt.cli import main; sys.argv = ['mixopt', '--help']\n"
     "try:\n    main()\nexcept SystemExit:\n    pass"),
], ids=["import", "help"])
def test_start_up_imports_nothing_heavy(code: str) -> None:
    probe = code + "\nimport sys\nprint(','.join(sorted(m for m in sys.modules)))"
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
                       check=False)
    assert r.returncode == 0, r.stderr
    loaded = set(r.stdout.strip().splitlines()[-1].split(","))
    assert not {m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY}
