"""The two ways into HiGHS (arrays straight in, or through the Pyomo model built from
the same arrays) give the same answers, and so do the LP algorithms."""

from __future__ import annotations

import pytest

from mixopt import Session, SolveOptions, read, solve, with_overrides
from mixopt.testing import assert_objective, assert_rechecked
from tests.conftest import INSTANCES

FEASIBLE = ["can-body.toml", "can-body-and-end.toml", "schoen-al6061.toml",
            "westerberg-steel-milp.toml"]


@pytest.mark.parametrize("name", FEASIBLE)
def test_pyomo_backend_agrees(name: str) -> None:
    inst = read(INSTANCES / name)
    a = solve(inst, SolveOptions(backend="highspy"))
    b = solve(inst, SolveOptions(backend="pyomo"))
    assert a.status == b.status == "optimal"
    assert_objective(b.objective_value, a.objective_value, 1e-9)
    assert_rechecked(b)
    assert "pyomo" in b.raw.solver["interface"] and "highspy" in a.raw.solver["interface"]
    if b.duals is not None:
        binding = b.duals[b.duals.binding.notna()]
        other = a.duals[a.duals.binding.notna()]
        assert sorted(binding.shadow_price.round(6)) == sorted(other.shadow_price.round(6))


@pytest.mark.parametrize("algorithm", ["simplex", "ipm", "pdlp"])
def test_lp_algorithms_agree(algorithm: str) -> None:
    inst = read(INSTANCES / "can-body.toml")
    r = solve(inst, SolveOptions(lp_solver=algorithm))
    assert r.raw.solver["lp_solver"] == algorithm
    assert_rechecked(r)
    # PDLP is a first-order method: its optimum is only as tight as its tolerance
    assert_objective(r.objective_value, solve(inst).objective_value,
                     1e-4 if algorithm == "pdlp" else 1e-9)


def test_pyomo_backend_re_solves_in_place() -> None:
    base = read(INSTANCES / "can-body.toml")
    s = Session(SolveOptions(backend="pyomo"))
    for cap in (3.0, 2.0, 1.6):
        v = with_overrides(base, minimise="cost", cap=cap)
        assert_objective(s.solve(v).objective_value, solve(v).objective_value)
    assert s.rebuilds == 1
