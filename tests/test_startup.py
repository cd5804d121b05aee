"""Commands import what they need when they need it: the heavy libraries stay out of
``import mixopt``, ``mixopt --help`` and a JSON solve (timings: ``mixopt bench startup``)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import INSTANCES

HEAVY = ("pyomo", "matplotlib", "dask", "distributed", "scipy.stats", "scipy.special",
         "pandas", "openpyxl", "rich", "clarabel")

PROBE = """
import io, contextlib, json, sys
{code}
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)), file=sys.__stderr__)
"""


def loaded(code: str) -> list[str]:
    r = subprocess.run([sys.executable, "-c", PROBE.format(code=code, heavy=HEAVY)],
                       capture_output=True, text=True, timeout=120, check=True)
    return json.loads(r.stderr.strip().splitlines()[-1])


def _cli(*args: str) -> str:
    return ("from mixopt.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    try: main({list(args)!r})\n"
            "    except SystemExit: pass")


def test_import_mixopt_loads_nothing_heavy() -> None:
    assert loaded("import mixopt") == []


def test_help_loads_nothing_heavy() -> None:
    assert loaded(_cli("--help")) == []


def test_a_json_solve_loads_nothing_heavy() -> None:
    assert loaded(_cli("solve", str(INSTANCES / "can-body.toml"), "--format", "json")) == []


@pytest.mark.parametrize(("args", "needs"), [
    (("solve", "{can}"), {"rich"}),
    (("solve", "{can}", "--backend", "pyomo", "--format", "json"), {"pyomo"}),
])
def test_a_library_is_loaded_by_the_command_that_needs_it(args: tuple, needs: set) -> None:
    got = set(loaded(_cli(*(a.format(can=INSTANCES / "can-body.toml") for a in args))))
    assert needs <= got
    assert "matplotlib" not in got and "dask" not in got
