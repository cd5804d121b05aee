"""The solver matrix: the LP/MILP mixopt builds, solved by other solvers through Pyomo,
agrees with HiGHS and the published values (skipped, with the reason, where a solver is
not installed: Debian glpk-utils, coinor-cbc)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from mixopt import read, solve
from mixopt.cli import Exit, main
from mixopt.model.backend import SolveOptions, Status
from mixopt.model.backend.through_pyomo import available
from mixopt.testing import assert_objective, assert_rechecked
from tests.conftest import INSTANCES

CASES = {"can-body.toml": 1.5280321428571428, "can-body-and-end.toml": 25056866.53166322,
         "schoen-al6061.toml": 1286.369005, "westerberg-steel-milp.toml": 8495.0}
# CBC stops at its default tolerances (~1e-8 relative on these months); GLPK is exact here
RTOL = {"glpk": 1e-6, "cbc": 1e-6}


def _need(solver: str) -> None:
    if not available(solver):
        pytest.skip(f"{solver} is not installed here (Debian: "
                    f"{'glpk-utils' if solver == 'glpk' else 'coinor-cbc'})")


@pytest.mark.parametrize("solver", ["glpk", "cbc"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_other_solvers_reach_the_same_optimum(solver: str, name: str) -> None:
    _need(solver)
    r = solve(read(INSTANCES / name), SolveOptions(backend="pyomo", solver=solver))
    assert r.status == Status.OPTIMAL, r.message
    assert_objective(r.objective_value, CASES[name], RTOL[solver])
    assert_rechecked(r)
    assert r.dual_records is None and r.raw.solver["name"] == solver


@pytest.mark.parametrize("name", ["infeasible-fe.toml", "infeasible-lots.toml"])
def test_cbc_says_infeasible(name: str) -> None:
    _need("cbc")
    r = solve(read(INSTANCES / name), SolveOptions(backend="pyomo", solver="cbc"))
    assert r.status == Status.INFEASIBLE


def test_the_command_line_says_what_it_cannot_do() -> None:
    can = str(INSTANCES / "can-body.toml")
    r = CliRunner().invoke(main, ["solve", can, "--solver", "glpk"])
    assert r.exit_code == 2 and "add --backend pyomo" in r.stderr
    r = CliRunner().invoke(main, ["solve", can, "--backend", "pyomo", "--solver", "nosuch"])
    assert r.exit_code == Exit.INVALID_INPUT
    assert r.stderr == ("mixopt: 1 problem in the input:\n  - --solver: Pyomo finds no solver "
                        "'nosuch' on this machine (install it, e.g. Debian glpk-utils or "
                        "coinor-cbc)\n")
    if available("glpk"):
        r = CliRunner().invoke(main, ["solve", can, "--backend", "pyomo", "--solver", "glpk",
                                      "--confidence", "0.95"])
        assert r.exit_code == Exit.INVALID_INPUT and "cannot solve chance" in r.stderr
        r = CliRunner().invoke(main, ["solve", can, "--backend", "pyomo", "--solver", "glpk",
                                      "--format", "json"])
        doc = json.loads(r.stdout)
        assert doc["solver"]["name"] == "glpk" and doc["sensitivity_computed"] is False
