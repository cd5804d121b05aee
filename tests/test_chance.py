"""Plans that hold in the furnace: chance constraints, robust margins, aims and risk.

Hand-computable cases, an independent cone program solved by Clarabel on random and
realistic instances (LP and MILP), every limit's probability recomputed from the plan,
and the Monte Carlo off-spec rate against its exact value.
"""

from __future__ import annotations

import itertools
import logging

import numpy as np
import pytest
from scipy.special import ndtr, ndtri

from mixopt import InputError, SolveOptions, Status, apply_overrides, read, solve
from mixopt.testing import assert_objective, assert_rechecked
from tests.conftest import INSTANCES
from tests.helpers import inst, two_material

conic = pytest.importorskip("tests.conic_reference")


def _z(a: float) -> float:
    return float(ndtri(a))


# -- hand-computable -----------------------------------------------------------------------


def test_chance_constraint_by_hand() -> None:
    """Cu >= 1 wt% with 95%: 4 xB - z 0.5 xB >= 100, so xB = 100 / (4 - 0.5 z)."""
    raw = two_material(objective__confidence=0.95)
    raw["materials"][1]["composition_sd"] = {"Cu": 0.5}
    r = solve(inst(raw))
    xb = 100 / (4 - 0.5 * _z(0.95))
    assert_objective(r.objective_value, 10 * (100 - xb) + 20 * xb, 1e-9)
    assert_rechecked(r)
    # the limit holds with exactly the confidence asked
    (lim,) = [lim for lim in r.risk[0][0].limits if lim.bound == "min"]
    assert lim.probability_outside == pytest.approx(0.05, abs=1e-7)
    assert lim.mean_wt_pct == pytest.approx(4 * xb / 100, rel=1e-9)
    assert lim.sd_wt_pct == pytest.approx(0.5 * xb / 100, rel=1e-9)


def test_confidence_of_one_half_is_the_mean() -> None:
    raw = two_material(objective__confidence=0.5)
    raw["materials"][1]["composition_sd"] = {"Cu": 0.5}
    assert_objective(solve(inst(raw)).objective_value, 1250.0, 1e-9)


def test_robust_margin_by_hand() -> None:
    """K = 2, sd 0.5: B counts as 3 wt% Cu for the minimum, 5 for the maximum."""
    raw = two_material(objective__margin_sd=2.0)
    raw["materials"][1]["composition_sd"] = {"Cu": 0.5}
    r = solve(inst(raw))
    assert_objective(r.objective_value, 10 * (100 - 100 / 3) + 20 * 100 / 3, 1e-9)
    assert_rechecked(r)


def test_margin_is_at_least_as_conservative_as_the_chance_constraint_of_equal_z() -> None:
    base = read(INSTANCES / "can-body.toml")
    z = _z(0.95)
    chance = solve(apply_overrides(base, {"objective.confidence": 0.95}))
    box = solve(apply_overrides(base, {"objective.margin_sd": z}))
    assert box.objective_value >= chance.objective_value * (1 - 1e-9)


def test_aim_window_by_hand() -> None:
    """An aim of Cu [1.5, 2] inside the alloy's [1, 2]: B = 37.5 t."""
    raw = two_material()
    raw["products"][0]["aim"] = {"Cu": [1.5, 2.0]}
    r = solve(inst(raw))
    assert_objective(r.objective_value, 62.5 * 10 + 37.5 * 20, 1e-9)
    assert_rechecked(r)


def test_per_heat_splits_the_confidence_over_the_limits() -> None:
    raw = two_material(objective__confidence=0.9, objective__confidence_per="heat")
    raw["materials"][1]["composition_sd"] = {"Cu": 0.5}
    r = solve(inst(raw))
    # two chance limits (Cu min and max): each holds with 1 - 0.1 / 2 = 0.95
    xb = 100 / (4 - 0.5 * _z(0.95))
    assert_objective(r.objective_value, 10 * (100 - xb) + 20 * xb, 1e-9)
    assert 1 - r.risk[0][0].off_spec_heat_probability_exact >= 0.9 - 1e-7


# -- against an independent conic solver ----------------------------------------------------


def random_chance_instance(seed: int) -> dict:
    """A month with spreads and a planted plan that meets every limit with z up to 2.4
    (feasible at every confidence up to 0.99), limits drawn around it."""
    rng = np.random.default_rng(seed)
    els = ["Si", "Fe", "Cu", "Mn"]
    P, M = int(rng.integers(1, 3)), int(rng.integers(3, 7))
    comp = rng.uniform(0, 2, (M, len(els))) * (rng.random((M, len(els))) < 0.8)
    sd = comp * rng.uniform(0.02, 0.3, comp.shape) * (rng.random(comp.shape) < 0.7)
    yld = rng.uniform(0.85, 1.0, M)
    x = rng.uniform(5, 100, (P, M)) * (rng.random((P, M)) < 0.8)
    x[:, 0] += 1.0
    T = x @ yld
    mean = (x * yld) @ comp / T[:, None]
    spread = np.sqrt((x ** 2) @ ((yld[:, None] * sd) ** 2)) / T[:, None]
    mats = [{"name": f"m{m}", "cost": float(rng.uniform(1000, 3000)),
             "footprint": {"full": float(rng.uniform(0.3, 12)), "scope12": 1.0},
             "yield": float(yld[m]), "available": {"max": float(x[:, m].sum() * 1.3 + 1)},
             "composition": {e: float(comp[m, i]) for i, e in enumerate(els) if comp[m, i]},
             "composition_sd": {e: float(sd[m, i]) for i, e in enumerate(els) if sd[m, i]}}
            for m in range(M)]
    alloys = {}
    for p in range(P):
        lim = {}
        for i, e in enumerate(els):
            margin = 2.4 * spread[p, i] + 1e-3
            lo = float(max(mean[p, i] - margin - rng.uniform(0, 0.2), 0)) if rng.random() < .6 \
                else 0.0
            lim[e] = [lo, float(min(mean[p, i] + margin + rng.uniform(0, 0.2), 100))]
        alloys[f"A{p}"] = lim
    return {"name": f"chance-{seed}", "alloys": alloys,
            "objective": {"minimise": "cost" if seed % 2 else "footprint",
                          "confidence": [0.5, 0.8, 0.9, 0.95, 0.99][seed % 5]},
            "products": [{"name": f"p{p}", "alloy": f"A{p}", "tonnes": float(T[p])}
                         for p in range(P)],
            "materials": mats}


def assert_limits_hold(result, a_of=None) -> None:
    """Recompute every chance limit's probability from the plan, by hand."""
    i = result.horizon.first
    x = result.evaluations[0].mix_t
    y = np.array([m.yield_ for m in i.materials])
    for p, prod in enumerate(i.products):
        a = prod.confidence or i.objective.confidence
        slab = x[p] @ y
        for el, (lo, hi) in i.alloys[prod.alloy].items():
            c = np.array([m.composition.get(el, 0.0) for m in i.materials])
            s = np.array([m.composition_sd.get(el, 0.0) for m in i.materials])
            mean = (x[p] * y) @ c / slab
            sd = np.sqrt(((x[p] * y * s) ** 2).sum()) / slab
            if sd == 0:
                continue
            need = a if a_of is None else a_of
            if hi < 100:
                assert ndtr((hi - mean) / sd) >= need - 1e-6, (prod.name, el, "max")
            if lo > 0:
                assert ndtr((mean - lo) / sd) >= need - 1e-6, (prod.name, el, "min")


@pytest.mark.parametrize("seed", range(24))
def test_optimum_equals_clarabels_on_random_instances(seed: int) -> None:
    i = inst(random_chance_instance(seed))
    r = solve(i)
    status, ref, _ = conic.conic_optimum(i)
    assert r.status == Status.OPTIMAL and "Solved" in status, (r.status, status)
    assert_objective(r.objective_value, ref, 1e-6)
    assert_rechecked(r)
    assert_limits_hold(r)


@pytest.mark.parametrize("a", [0.5, 0.8, 0.9, 0.95, 0.99])
def test_optimum_equals_clarabels_on_the_can_body_month(a: float) -> None:
    base = read(INSTANCES / "can-body.toml")
    assert base.has_spreads, "the shipped month gives its scrap spreads"
    for variant in ({"objective.confidence": a},
                    {"objective.confidence": a, "objective.minimise": "cost",
                     "objective.footprint_cap": 3.0},
                    {"objective.confidence": a, "objective.confidence_per": "heat"}):
        i = apply_overrides(base, variant)
        r = solve(i)
        _, ref, _ = conic.conic_optimum(i.first)
        assert_objective(r.objective_value, ref, 1e-6)
        assert_rechecked(r)
        if variant.get("objective.confidence_per") == "heat":
            assert all(1 - p.off_spec_heat_probability_exact >= a - 1e-6 for p in r.risk[0])
        else:
            assert_limits_hold(r)


def test_milp_optimum_equals_the_best_clarabel_over_its_lot_counts() -> None:
    raw = random_chance_instance(3)
    use = {m["name"]: m["available"]["max"] for m in raw["materials"]}
    lotted = [m for m in raw["materials"][:2]]
    for m in lotted:
        m["lot"] = round(use[m["name"]] / 4, 3)
        m["available"] = {"max": m["lot"] * 4}
    i = inst(raw)
    r = solve(i)
    assert r.status == Status.OPTIMAL
    assert_rechecked(r)
    assert_limits_hold(r)
    best = None
    for counts in itertools.product(range(5), repeat=len(lotted)):
        fixed = {m["name"]: n * m["lot"] for m, n in zip(lotted, counts, strict=True)}
        _, value, _ = conic.conic_optimum(i, fixed)
        if value is not None and (best is None or value < best):
            best = value
    assert best is not None
    assert_objective(r.objective_value, best, 1e-6)


def test_the_conic_solve_and_the_cut_loop_report_their_work() -> None:
    i = inst(random_chance_instance(4))
    r = solve(i)
    assert r.raw.solver["name"] == "Clarabel" and r.raw.solver["conic_iterations"] >= 5
    assert r.raw.solver["cones"] >= 1 and r.raw.solver["cone_cut_rounds"] is None
    c = solve(i, SolveOptions(cones="cuts"))
    assert c.raw.solver["cone_cut_rounds"] >= 1 and c.raw.solver["cone_cuts"] >= 1
    assert solve(inst(two_material())).raw.solver["cone_cut_rounds"] is None


@pytest.mark.parametrize("seed", range(12))
def test_clarabel_and_the_cut_loop_agree_on_random_months(seed: int) -> None:
    """Parity of the two methods (a conic interior point, tangent cuts on HiGHS): the
    same optimum, and both plans meet every limit with its confidence."""
    i = inst(random_chance_instance(100 + seed))
    a, b = solve(i), solve(i, SolveOptions(cones="cuts"))
    assert a.status == b.status == Status.OPTIMAL
    assert_objective(a.objective_value, b.objective_value, 1e-6)
    for r in (a, b):
        assert_rechecked(r)
        assert_limits_hold(r)


# -- risk -----------------------------------------------------------------------------------


def test_deterministic_plan_rides_the_limit_and_half_its_heats_are_off_spec() -> None:
    r = solve(read(INSTANCES / "can-body.toml"))
    ((risk,),) = r.risk
    mn = next(lim for lim in risk.limits if lim.constituent == "Mn" and lim.bound == "min")
    assert mn.mean_wt_pct == pytest.approx(0.8, rel=1e-9)  # exactly on its minimum
    assert mn.probability_outside == pytest.approx(0.5, abs=1e-9)
    assert risk.off_spec_heat_probability > 0.5


@pytest.mark.parametrize("seed", range(6))
def test_monte_carlo_matches_the_exact_joint_probability(seed: int) -> None:
    r = solve(inst(random_chance_instance(seed)), risk_samples=20_000, risk_seed=seed)
    for p in r.risk[0]:
        assert abs(p.off_spec_heat_probability - p.off_spec_heat_probability_exact) \
            <= 4 * p.standard_error + 1e-12
        assert p.samples == 20_000


def test_monte_carlo_is_seeded() -> None:
    i = read(INSTANCES / "can-body.toml")
    a = solve(i, risk_seed=7).risk[0][0].off_spec_heat_probability
    assert a == solve(i, risk_seed=7).risk[0][0].off_spec_heat_probability
    assert a != solve(i, risk_seed=8).risk[0][0].off_spec_heat_probability


def test_no_spreads_no_risk() -> None:
    assert solve(inst(two_material())).risk is None


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "message"), [
    ({"objective__confidence": 1.0}, "less than 1"),
    ({"objective__confidence": 0.4}, "greater than or equal to 0.5"),
    ({"objective__confidence_per": "month"}, "'limit' or 'heat'"),
    ({"objective__margin_sd": -1}, "greater than or equal to 0"),
])
def test_bad_confidence_settings_are_refused(change: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        inst(two_material(**change))


def test_negative_spread_is_refused_by_name() -> None:
    raw = two_material()
    raw["materials"][1]["composition_sd"] = {"Cu": -0.1}
    with pytest.raises(InputError) as info:
        inst(raw)
    assert "row 2 ('B'), field 'composition_sd.Cu'" in str(info.value)


def test_spread_without_a_mean_warns(caplog: pytest.LogCaptureFixture) -> None:
    raw = two_material()
    raw["materials"][1]["composition_sd"] = {"Fe": 0.1}
    with caplog.at_level(logging.WARNING):
        inst(raw)
    assert "field 'composition_sd.Fe'" in caplog.text and "mean is taken as 0" in caplog.text


def test_aim_outside_the_alloy_window_is_refused() -> None:
    raw = two_material()
    raw["products"][0]["aim"] = {"Cu": [0.5, 1.5]}
    with pytest.raises(InputError, match=r"field 'aim.Cu': aim \[0.5, 1.5\] wt% is not inside"):
        inst(raw)


def test_the_shadow_price_of_a_chance_limit_is_the_conic_dual() -> None:
    """Clarabel's dual of the binding chance limit (Mn min at 95%) is the change of the
    optimum per wt% more of the limit: a finite difference of two solves agrees."""
    i = apply_overrides(read(INSTANCES / "can-body.toml").first, {"objective.confidence": 0.95})
    r = solve(i)
    (rec,) = [d for d in r.dual_records if d["family"] == "chance" and d["side"] == "min"
              and d["constituent"] == "Mn"]
    assert rec["binding"] == "min" and rec["per"] == "wt%" and rec["shadow_price"] > 1.0
    step = 1e-4
    bumped = solve(apply_overrides(i, {"alloys.AA3104.Mn": [0.8 + step, 1.4]}))
    slab_t = r.totals["slab_t"]  # the objective is per t of slab; the price per the month
    fd = (bumped.objective_value - r.objective_value) / step * slab_t
    assert fd == pytest.approx(rec["shadow_price"], rel=1e-4)
