"""Forced failure paths: each ends in its own status and exit code, never in an
optimal-looking result."""

from __future__ import annotations

import json
from pathlib import Path

import highspy
import numpy as np
import pytest
import scipy.sparse as sp
from click.testing import CliRunner

from mixopt import SolveOptions, Status, read, solve
from mixopt.cli import STATUS_EXIT, Exit, main
from mixopt.model.backend.highs import HighsSession
from mixopt.model.lp import Block, LinearProgram
from mixopt.testing import assert_rechecked
from tests.conftest import INSTANCES
from tests.helpers import inst, lots_milp, to_toml


def _first_stop_with_a_plan(attempt: object) -> object:
    """``attempt(limit)`` under time limits doubling from 10 ms until one stops with the
    starting plan taken (before it, the limit cuts in before the start is read; long
    after it, optimality is proven): on any machine, fast or loaded, one of them does."""
    limit = 0.01
    while True:
        got = attempt(limit)
        status = getattr(got, "status", got)
        if str(status) != "time_limit_no_solution" or limit > 60:
            return got
        limit *= 2


def test_time_limit_with_a_plan() -> None:
    milp = inst(lots_milp())
    first = solve(milp)
    # a feasible starting plan and a limit too short to improve it or prove it optimal
    r = _first_stop_with_a_plan(lambda limit: solve(
        milp, SolveOptions(time_limit_s=limit, mip_rel_gap=0.0), start=first.plan))
    assert r.status == Status.TIME_LIMIT_FEASIBLE
    assert r.status.has_solution and not r.status.is_optimal
    assert_rechecked(r)
    assert STATUS_EXIT[r.status] == Exit.LIMIT_FEASIBLE
    assert r.duals_conditional  # sensitivity still computed, with the time limit lifted


def test_time_limit_without_a_plan() -> None:
    r = solve(inst(lots_milp()), SolveOptions(time_limit_s=1e-6))
    assert r.status == Status.TIME_LIMIT_NO_SOLUTION
    assert r.evaluations is None and r.objective_value is None
    assert STATUS_EXIT[r.status] == Exit.LIMIT_NO_SOLUTION


def test_cli_time_limit_exit_codes(tmp_path: Path) -> None:
    src = tmp_path / "lots.toml"
    src.write_text(to_toml(lots_milp()))
    plan = tmp_path / "plan.json"
    assert CliRunner().invoke(main, ["solve", str(src), "--format", "json", "-o",
                                     str(plan)]).exit_code == 0

    def attempt(limit: float) -> object:
        r = CliRunner().invoke(main, ["solve", str(src), "--format", "json", "--start",
                                      str(plan), "--time-limit", str(limit), "--mip-gap", "0"])
        r.status = json.loads(r.stdout)["status"]
        return r

    r = _first_stop_with_a_plan(attempt)
    assert r.exit_code == Exit.LIMIT_FEASIBLE, r.stderr
    doc = json.loads(r.stdout)
    assert doc["status"] == "time_limit_feasible" and doc["mix"]
    assert "time_limit_feasible" in r.stderr


def _unbounded_lp() -> LinearProgram:
    # min -a + b  s.t.  a + b >= 1,  a, b >= 0: a grows without limit
    return LinearProgram(
        A=sp.csr_matrix(np.array([[1.0, 1.0]])), row_lo=np.array([1.0]),
        row_hi=np.array([np.inf]), col_lo=np.zeros(2), col_hi=np.full(2, np.inf),
        c=np.array([-1.0, 1.0]), offset=0.0, integer=np.zeros(2, dtype=bool),
        rows=(Block("mass_balance", 0, (("p",),)),),
        cols=(Block("charge", 0, (("p", "a"), ("p", "b"))),), objective_unit="currency")


def test_unbounded_model_is_reported_as_such() -> None:
    # a validated instance cannot be unbounded (costs and footprints >= 0, orders > 0), so
    # the path is forced on the solver layer directly
    r = HighsSession(_unbounded_lp()).solve()
    assert r.status == Status.UNBOUNDED and r.x is None and r.objective is None
    assert STATUS_EXIT[Status.UNBOUNDED] == Exit.UNBOUNDED


def test_negative_prices_that_would_unbound_are_rejected_at_input() -> None:
    from mixopt import InputError
    from tests.helpers import two_material
    with pytest.raises(InputError, match="greater than or equal to 0"):
        inst(two_material(materials__0__cost=-5))


def test_solver_error_is_not_a_result(monkeypatch: pytest.MonkeyPatch) -> None:
    # HiGHS's bad day: run() returns without having solved anything
    monkeypatch.setattr(highspy.Highs, "run", lambda self: highspy.HighsStatus.kError)
    r = solve(read(INSTANCES / "can-body.toml"))
    assert r.status == Status.SOLVER_ERROR
    assert r.evaluations is None and r.objective_value is None
    res = CliRunner().invoke(main, ["solve", str(INSTANCES / "can-body.toml")])
    assert res.exit_code == Exit.SOLVER_FAILURE


def test_a_plan_that_fails_the_recheck_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # HiGHS's other bad day: an "optimal" plan that breaks a rule
    import mixopt.model.backend.highs as solver_mod
    real = solver_mod.HighsSession.solve

    def corrupt(self, *args, **kwargs):
        raw = real(self, *args, **kwargs)
        raw.x[0] += 50.0  # 50 t more of one material than the plan said
        return raw

    monkeypatch.setattr(solver_mod.HighsSession, "solve", corrupt)
    res = CliRunner().invoke(main, ["solve", str(INSTANCES / "can-body.toml")])
    assert res.exit_code == Exit.RECHECK_FAILED
    assert "fails the independent recheck" in res.stderr and "mass_balance" in res.stderr


def test_time_limit_is_per_solve_in_a_persistent_session() -> None:
    # HiGHS measures its time limit over the life of the instance; a session re-solving
    # under a limit must not find it already spent by earlier solves: each solve gives
    # HiGHS the limit plus the time it has already run (checked on the option itself, so
    # that no machine's speed decides the test)
    from dataclasses import replace

    from mixopt.dev.generate import generate
    from mixopt.model.arrays import to_arrays
    from mixopt.model.formulation import build_lp

    session = HighsSession(build_lp(to_arrays(generate(300, 10, 10)), "cost"))
    session.options = replace(session.options, time_limit_s=1000.0)
    for _ in range(3):
        session.highs.clearSolver()
        again = session.solve(sensitivity=False)
        assert again.status == Status.OPTIMAL, again.message
        spent = session.highs.getRunTime()
        assert spent > 0
        given = session.highs.getOptionValue("time_limit")
        given = given[-1] if isinstance(given, tuple) else given  # (status, value)
        assert spent + 1000.0 - again.solve_time_s - 1.0 <= given <= spent + 1000.0
