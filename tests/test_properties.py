"""Properties that must hold on every instance (hypothesis), metamorphic relations, and a
cross-check against an independent formulation. Each test counts the instances it solved,
so none can pass vacuously.

Profiles: the default runs a few dozen examples per property (a couple of minutes at
most); ``HYPOTHESIS_PROFILE=thorough`` runs hundreds (on demand).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given, settings

from mixopt import Status, evaluate, solve
from mixopt.testing import assert_objective, assert_rechecked
from tests.planted import build, independent_optimum, planted, planted_objective

EXAMPLES = settings().max_examples  # the profile of tests/conftest.py




@given(case=planted())
def _planted_lp(seen: list, case) -> None:
    raw, x = case
    inst = build(raw)
    r = solve(inst)
    assert r.status == Status.OPTIMAL, r.message
    assert_rechecked(r)
    assert evaluate(inst, x).feasible  # the plant is feasible: the test is about the solver
    planted_value = planted_objective(inst, x)
    assert r.objective_value <= planted_value * (1 + 1e-6) + 1e-9
    seen.append(r.objective_value)


def test_planted_lp_solves_no_worse_than_the_plant() -> None:
    seen: list = []
    _planted_lp(seen)
    assert len(seen) >= 0.9 * EXAMPLES


@given(case=planted(milp=True))
def _planted_milp(seen: list, case) -> None:
    raw, x = case
    inst = build(raw)
    r = solve(inst)
    assert r.status in (Status.OPTIMAL, Status.OPTIMAL_WITHIN_GAP), r.message
    assert_rechecked(r)
    assert r.objective_value <= planted_objective(inst, x) * (1 + 1e-5) + 1e-9
    seen.append(r.objective_value)


def test_planted_milp_solves_no_worse_than_the_plant() -> None:
    seen: list = []
    _planted_milp(seen)
    assert len(seen) >= 0.9 * EXAMPLES


@given(case=planted())
def _cross_check(seen: list, case) -> None:
    raw, _ = case
    inst = build(raw)
    status, value = independent_optimum(inst)
    assert status == 0
    assert_objective(solve(inst).objective_value, value)
    seen.append(value)


def test_optimum_agrees_with_an_independent_formulation() -> None:
    seen: list = []
    _cross_check(seen)
    assert len(seen) >= 0.9 * EXAMPLES


# -- metamorphic relations ---------------------------------------------------------------


@given(case=planted())
def _metamorphic(seen: list, case) -> None:
    raw, _ = case
    raw["objective"]["minimise"] = "cost"
    base = solve(build(raw))
    assert base.status == Status.OPTIMAL
    T = sum(p["tonnes"] for p in raw["products"])
    fp = base.evaluations[0].footprint_t.sum() / T

    # tightening the cap never lowers the optimal cost
    tight = copy.deepcopy(raw)
    cap = raw["objective"].get("footprint_cap")
    tight["objective"]["footprint_cap"] = (min(cap, fp) if cap else fp) * 0.999
    r = solve(build(tight))
    assert r.status == Status.INFEASIBLE or r.objective_value >= base.objective_value * (
        1 - 1e-7)

    # scaling every tonnage by k scales the cost by k
    k = 3.7
    scaled = copy.deepcopy(raw)
    for p in scaled["products"]:
        p["tonnes"] *= k
    for m in scaled["materials"]:
        m["available"] = {key: v * k for key, v in m["available"].items()}
        if "lot" in m:
            m["lot"] *= k
    assert_objective(solve(build(scaled)).objective_value, k * base.objective_value, 1e-6)

    # reordering materials and products changes nothing
    shuffled = copy.deepcopy(raw)
    shuffled["materials"].reverse()
    shuffled["products"].reverse()
    assert_objective(solve(build(shuffled)).objective_value, base.objective_value)

    # a dominated material (dearer, dirtier, same chemistry and yield as one whose supply
    # is not exhausted at the optimum) changes nothing
    use = base.evaluations[0].mix_t.sum(axis=0)
    slack = [m for m, mat in enumerate(raw["materials"])
             if use[m] < mat["available"]["max"] * (1 - 1e-6) and "lot" not in mat]
    dom = copy.deepcopy(raw)
    twin = copy.deepcopy(dom["materials"][slack[0] if slack else 0])
    twin["available"] = {"max": 0.0} if not slack else twin["available"]
    twin["name"] = "dominated twin"
    twin["cost"] *= 1.5
    twin["footprint"] = {s: v * 1.5 + 0.1 for s, v in twin["footprint"].items()}
    twin.pop("lot", None)
    twin.pop("recycled", None)  # not recycled: cannot help a recycled minimum either
    dom["materials"].append(twin)
    assert_objective(solve(build(dom)).objective_value, base.objective_value)

    # making a material cleaner never raises the least footprint
    least = copy.deepcopy(raw)
    least["objective"] = {"minimise": "footprint"}
    for p in least["products"]:
        p.pop("footprint_cap", None)
    before = solve(build(least)).objective_value
    least["materials"][1]["footprint"]["full"] *= 0.5
    after = solve(build(least)).objective_value
    assert after <= before * (1 + 1e-9)
    seen.append(base.objective_value)


def test_metamorphic_relations() -> None:
    seen: list = []
    _metamorphic(seen)
    assert len(seen) >= 0.9 * EXAMPLES


def test_generated_month_agrees_with_independent_formulation() -> None:
    from mixopt.dev.generate import generate
    inst = generate(40, 3, 8, seed=11)
    status, value = independent_optimum(inst)
    assert status == 0
    assert_objective(solve(inst).objective_value, value)


@pytest.mark.parametrize("k", [0.001, 1000.0])
def test_can_body_scales(k: float) -> None:
    from mixopt import apply_overrides, read
    from tests.conftest import INSTANCES
    inst = apply_overrides(read(INSTANCES / "can-body.toml"),
                           {"objective.minimise": "cost"})
    over = {"products.AA3104 slab.tonnes": 10000 * k}
    for m in inst.first.materials:
        if m.available.max is not None:
            over[f"materials.{m.name}.available.max"] = m.available.max * k
    base, scaled = solve(inst), solve(apply_overrides(inst, over))
    assert_objective(scaled.objective_value, k * base.objective_value)
    np.testing.assert_allclose(scaled.evaluations[0].composition_wt_pct,
                               base.evaluations[0].composition_wt_pct, rtol=1e-6, atol=1e-9)
