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


def test_time_limit_with_a_plan() -> None:
    milp = inst(lots_milp())
    first = solve(milp)
    # a feasible starting plan and a limit too short to improve or prove it
    # (proving optimality takes ~0.7 s here; taking the start takes well under 0.05 s)
    r = solve(milp, SolveOptions(time_limit_s=0.05, mip_rel_gap=0.0),
              start=first.plan)
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
    r = CliRunner().invoke(main, ["solve", str(src), "--format", "json", "--start", str(plan),
                                  "--time-limit", "0.05", "--mip-gap", "0"])
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
    # under a limit must not find it already spent by earlier solves
    from dataclasses import replace

    from mixopt.dev.generate import generate
    from mixopt.model.arrays import to_arrays
    from mixopt.model.formulation import build_lp

    session = HighsSession(build_lp(to_arrays(generate(300, 10, 10)), "cost"))
    first = session.solve(sensitivity=False)
    assert first.status == Status.OPTIMAL and first.solve_time_s > 0.05
    # the same solve from scratch three more times, each with 2.5x the time it needs: by the
    # third the instance's total run time is past 2.5x, and each must still finish
    session.options = replace(session.options, time_limit_s=first.solve_time_s * 2.5)
    for k in range(3):
        session.highs.clearSolver()
        again = session.solve(sensitivity=False)
        assert again.status == Status.OPTIMAL, (k, again.message)
