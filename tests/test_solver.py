"""Statuses are mapped from every HiGHS model status; shadow prices mean what they say."""

from __future__ import annotations

import highspy
import pytest

from mixopt import SolveOptions, Status, read, solve
from mixopt.model.backend.highs_status import HMS, map_status
from tests.conftest import INSTANCES
from tests.helpers import inst, two_material


@pytest.mark.parametrize(("ms", "has", "mip", "gap", "expected"), [
    (HMS.kOptimal, True, False, None, Status.OPTIMAL),
    (HMS.kOptimal, True, True, 0.0, Status.OPTIMAL),
    (HMS.kOptimal, True, True, 0.004, Status.OPTIMAL_WITHIN_GAP),
    (HMS.kInfeasible, False, False, None, Status.INFEASIBLE),
    (HMS.kUnbounded, False, False, None, Status.UNBOUNDED),
    (HMS.kUnboundedOrInfeasible, False, False, None, Status.INFEASIBLE_OR_UNBOUNDED),
    (HMS.kTimeLimit, True, True, 0.2, Status.TIME_LIMIT_FEASIBLE),
    (HMS.kTimeLimit, False, True, None, Status.TIME_LIMIT_NO_SOLUTION),
    (HMS.kIterationLimit, True, False, None, Status.STOPPED_FEASIBLE),
    (HMS.kInterrupt, False, False, None, Status.STOPPED_NO_SOLUTION),
    (HMS.kSolveError, False, False, None, Status.NUMERICAL_FAILURE),
    (HMS.kUnknown, False, False, None, Status.NUMERICAL_FAILURE),
    (HMS.kModelError, False, False, None, Status.SOLVER_ERROR),
    (HMS.kLoadError, False, False, None, Status.SOLVER_ERROR),
])
def test_status_map(ms: highspy.HighsModelStatus, has: bool, mip: bool, gap: float | None,
                    expected: Status) -> None:
    assert map_status(ms, has, mip, gap)[0] == expected


def test_every_highs_status_is_mapped_explicitly() -> None:
    from mixopt.model.backend.highs_status import (
        ERROR_STATUSES,
        NUMERICAL_STATUSES,
        STOPPED_STATUSES,
    )
    named = {HMS.kOptimal, HMS.kInfeasible, HMS.kUnbounded, HMS.kUnboundedOrInfeasible,
             HMS.kTimeLimit} | set(STOPPED_STATUSES) | set(ERROR_STATUSES) | set(NUMERICAL_STATUSES)
    every = {getattr(HMS, k) for k in dir(HMS) if k.startswith("k")}
    assert len(every) == 20 and every == named


def test_iteration_limit_is_not_reported_as_optimal() -> None:
    r = solve(read(INSTANCES / "can-body.toml"),
              SolveOptions(highs_options={"simplex_iteration_limit": 1, "presolve": "off"}))
    assert r.status in (Status.STOPPED_NO_SOLUTION, Status.STOPPED_FEASIBLE)
    assert r.status != Status.OPTIMAL


def test_mip_gap_is_reported() -> None:
    r = solve(read(INSTANCES / "westerberg-steel-milp.toml"))
    assert r.raw.mip_gap is not None and r.raw.mip_gap <= 1e-6
    assert r.raw.solver["mip_nodes"] is not None


def _fd(raw: dict, bump: dict, h: float) -> float:
    base = solve(inst(raw))
    after = solve(inst({**raw, **bump}))
    tot = sum(p["tonnes"] for p in raw["products"])
    to_total = tot if raw["objective"]["minimise"] == "footprint" else 1.0
    return (after.objective_value - base.objective_value) * to_total / h


def test_supply_shadow_price_matches_finite_difference() -> None:
    raw = two_material(objective__minimise="footprint", materials__1__available={"max": 40})
    r = solve(inst(raw))
    d = r.duals.set_index(["family", "material"])
    y = d.loc[("supply", "B"), "shadow_price"]
    assert d.loc[("supply", "B"), "binding"] == "max"
    assert ("supply", "A") not in d.index  # unlimited material: no supply limit to price
    bumped = two_material(objective__minimise="footprint", materials__1__available={"max": 41})
    fd = _fd(raw, {"materials": bumped["materials"]}, 1.0)
    assert y == pytest.approx(fd, rel=1e-6)
    assert y == pytest.approx(-0.5, rel=1e-6)  # one more t of B replaces 1 t of A: -0.5 t CO2e


def test_cap_shadow_price_matches_finite_difference() -> None:
    raw = two_material(objective__footprint_cap=0.8)
    y = solve(inst(raw)).duals.set_index("family").loc["footprint_cap", "shadow_price"]
    h = 0.01
    bumped = two_material(objective__footprint_cap=0.8 + h)
    fd = _fd(raw, {"objective": bumped["objective"]}, h)
    assert y == pytest.approx(fd, rel=1e-6)
    assert y < 0  # a looser cap makes the mix cheaper


def test_recycled_share_shadow_price_matches_finite_difference() -> None:
    def raw_at(s: float) -> dict:
        raw = two_material(objective__minimise="footprint", products__0__min_recycled=s)
        raw["materials"][0]["recycled"] = "post-consumer"
        return raw

    raw = raw_at(0.7)
    d = solve(inst(raw)).duals.set_index("family")
    y = d.loc["recycled_share", "shadow_price"]
    assert d.loc["recycled_share", "binding"] == "min"
    h = 0.01
    fd = _fd(raw, {"products": raw_at(0.7 + h)["products"]}, h)
    assert y == pytest.approx(fd, rel=1e-6)
    assert y == pytest.approx(50.0, rel=1e-6)  # 1.0 more share moves 100 t from B to A: +50 t


def test_chemistry_shadow_price_matches_finite_difference() -> None:
    raw = two_material()  # least cost: Cu min binds
    d = solve(inst(raw)).duals
    row = d[(d.family == "chemistry") & (d.constituent == "Cu")].iloc[0]
    assert row.binding == "min"
    h = 0.01
    fd = _fd(raw, {"alloys": {"X": {"Cu": [1.0 + h, 2.0]}}}, h)
    assert row.shadow_price == pytest.approx(fd, rel=1e-6)
    assert row.shadow_price == pytest.approx(250.0, rel=1e-6)  # 25 t more B per wt%, +10/t


def test_milp_with_purchase_rules_solves_and_rechecks() -> None:
    from mixopt.testing import assert_rechecked
    from tests.helpers import lots_milp
    r = solve(inst(lots_milp()))
    assert r.status == Status.OPTIMAL and r.raw.mip_gap <= 1e-6
    assert_rechecked(r)
    use = r.evaluations[0].mix_t.sum(axis=0)[:-1]
    lots = use / 7.3
    assert abs(lots - lots.round()).max() < 1e-6  # whole lots
    assert ((use < 1e-6) | (use >= 14.6 - 1e-6)).all()  # minimum orders


def test_time_limit_without_a_plan_is_reported_as_such() -> None:
    from tests.helpers import lots_milp
    r = solve(inst(lots_milp()), SolveOptions(time_limit_s=1e-6))
    assert r.status == Status.TIME_LIMIT_NO_SOLUTION
    assert r.evaluations is None and r.objective_value is None
