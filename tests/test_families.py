"""The constraint-family template: for every registered family (a period's, and those that
link periods), its LP rows and its solver-free recheck agree on random plans, and its other
parts (words, dual, relaxation) work. A new family is covered by these tests as soon as it
is in the registry; a family that no random instance exercises fails
``test_every_family_is_exercised``.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from mixopt.analysis.elastic import merged
from mixopt.dev.docs import DOCUMENT, generated
from mixopt.io.periods import read_plan
from mixopt.io.validate import TableOrigin, instance_from_dict
from mixopt.io.variants import apply_overrides
from mixopt.model.evaluate import recheck
from mixopt.model.families import ALL, BY_BLOCK, BY_NAME, FAMILIES, LINKING
from mixopt.model.formulation import build_window, columns_from_plan
from mixopt.model.plan import plan_of, whole
from mixopt.model.schema.horizon import Horizon

#: A row counts as clearly broken (or clearly met) beyond this share of its limit's size;
#: plans within it of a limit are not judged (the row and the recheck scale differently).
MARGIN = 1e-3


def random_instance(rng: np.random.Generator, k: int = 0) -> dict:
    """A small month that has a row of every family (limits drawn around random values):
    spreads on two constituents, held by chance constraints (even ``k``) or by a robust
    margin (odd ``k``); aims on one."""
    els = ["Si", "Fe", "Cu", "Mn"]
    mats = []
    for i in range(6):
        m = {"name": f"m{i}", "cost": float(rng.uniform(1000, 3000)),
             "footprint": {"full": float(rng.uniform(0.3, 12)),
                           "scope12": float(rng.uniform(0.1, 8))},
             "yield": float(rng.uniform(0.8, 1.0)),
             "available": {"min": float(rng.uniform(0, 20)), "max": float(rng.uniform(60, 200))},
             "composition": {e: float(rng.uniform(0, 1.5)) for e in els},
             "composition_sd": {e: float(rng.uniform(0, 0.3)) for e in els[2:]}}
        if i in (0, 1):
            m["recycled"] = "post-consumer" if i == 0 else "pre-consumer"
        if i == 2:
            m["lot"] = float(rng.choice([5.0, 7.5, 10.0]))
        if i == 3:
            m["min_order"] = float(rng.uniform(20, 60))
        if i == 4:
            m["min_charge"] = float(rng.uniform(10, 40))
        mats.append(m)
    prods = [{"name": f"p{p}", "alloy": f"A{p}", "tonnes": float(rng.uniform(80, 150)),
              "footprint_cap": float(rng.uniform(2, 8)),
              "min_recycled": float(rng.uniform(0.1, 0.5))}
             for p in range(2)]
    alloys = {f"A{p}": {e: sorted([float(rng.uniform(0, 0.8)), float(rng.uniform(0.5, 1.5))])
                        for e in els} for p in range(2)}
    prods[0]["max_materials"] = int(rng.integers(3, 6))
    prods[1]["returns"] = {"material": "m1", "share": 0.3}  # home scrap, pre-consumer
    for p in range(2):
        lo, hi = alloys[f"A{p}"]["Fe"]
        prods[p]["aim"] = {"Fe": [lo + (hi - lo) / 4, hi - (hi - lo) / 4]}
    uncertainty = ({"confidence": float(rng.uniform(0.6, 0.99))} if k % 2 == 0
                   else {"margin_sd": float(rng.uniform(0.5, 2))})
    # energy behind two materials (one on a partly renewable grid), an inert-anode metal,
    # and labels that set every kind of limit
    for i, power in ((4, "grid"), (5, "hydro")):
        mats[i].pop("footprint")
        mats[i]["energy"] = {"electricity_mwh_per_t": float(rng.uniform(5, 15)),
                             "power": power, "direct_t_co2e_per_t": float(rng.uniform(0, 2)),
                             "upstream_t_co2e_per_t": float(rng.uniform(0, 2))}
    mats[5]["route"] = "inert-anode primary"
    labels = {"L1": {"scope12_max": float(rng.uniform(1, 6)),
                     "recycled_min": float(rng.uniform(0.1, 0.5))},
              "L2": {"full_max": float(rng.uniform(2, 9)),
                     "renewable_electricity_min": float(rng.uniform(0.2, 0.9)),
                     "post_consumer_min": float(rng.uniform(0.05, 0.3)),
                     "inert_anode_min": float(rng.uniform(0.05, 0.3))}}
    prods[0]["labels"], prods[1]["labels"] = ["L1"], ["L2", "L1"]
    return {"name": "random", "objective": {"minimise": "cost", **uncertainty,
                                            "footprint_cap": float(rng.uniform(2, 8))},
            "casting": {"footprint": {"full": 0.2, "scope12": 0.1}},
            "power": {"grid": {"t_co2e_per_mwh": float(rng.uniform(0.1, 0.9)),
                               "renewable_share": float(rng.uniform(0.1, 0.6))},
                      "hydro": {"t_co2e_per_mwh": 0.01, "renewable_share": 1.0}},
            "labels": labels, "alloys": alloys, "products": prods, "materials": mats,
            "capacities": [{"name": "scrap furnace", "materials": ["m0", "m1"],
                            "max": float(rng.uniform(30, 250))}],
            "rules": [{"name": "m1 needs m2", "if_any": ["m1"], "then_all": ["m2", "m5"],
                       "products": ["p1"]}]}


def random_horizon(rng: np.random.Generator) -> dict:
    """Three periods of a small month whose stored materials have every linking limit:
    purchase bounds, storage limits, a final stock, whole lots, minimum orders, home scrap
    returning into one, and a take-or-pay contract and a plain one."""
    periods = ["2027-01", "2027-02", "2027-03"]
    mats = []
    for i in range(5):
        m = {"name": f"m{i}", "route": "post-consumer scrap" if i < 2 else
             "pre-consumer scrap" if i == 2 else "master alloy",
             "cost": {p: float(rng.uniform(1000, 3000)) for p in periods},
             "footprint": {"full": float(rng.uniform(0.3, 12)), "scope12": 0.1},
             "composition": {"Fe": float(rng.uniform(0, 1.5))}}
        if i < 3:  # stored, each with its own purchase rules
            m["available"] = {"min": {p: float(rng.uniform(0, 10)) for p in periods},
                              "max": {p: float(rng.uniform(60, 200)) for p in periods}}
            m["stock"] = {"initial": float(rng.uniform(0, 40)),
                          "max": {p: float(rng.uniform(40, 120)) for p in periods},
                          "final": float(rng.uniform(0, 30)), "holding_cost": 5.0}
            if i == 1:
                m["lot"] = {p: float(rng.choice([5.0, 7.5])) for p in periods}
            if i == 2:
                m["min_order"] = {p: float(rng.uniform(10, 40)) for p in periods}
        if i in (0, 3):
            lo = float(rng.uniform(50, 150))
            m["contract"] = {"min": lo, "max": lo + float(rng.uniform(0, 300)),
                             "take_or_pay": i == 0}
        mats.append(m)
    return {"name": "random-horizon", "periods": periods, "objective": {"minimise": "cost"},
            "alloys": {"W": {"Fe": [0.0, 1.0]}},
            "products": [{"name": "p", "alloy": "W", "tonnes": {p: float(rng.uniform(60, 150))
                                                                   for p in periods},
                          "returns": {"material": "m2", "share": 0.3}}],
            "materials": mats}


def random_plan(rng: np.random.Generator, d, balanced: bool) -> np.ndarray:
    """Random charges; each product's slab equals its order when ``balanced``."""
    x = rng.uniform(0, 60, size=d.shape[:2]) * (rng.random(d.shape[:2]) < 0.7)
    x[:, 0] += 1.0  # never an empty product
    if balanced:
        x *= (d.slab_tonnes / (x @ d.yield_t_per_t))[:, None]
    return x


def row_verdicts(lp, x_full: np.ndarray) -> dict[str, dict[tuple, bool]]:
    """Per row block: {(key, side): clearly broken?}, leaving out rows too close to call.
    (``columns_from_plan`` sets each spread column at the plan's spread, so a chance
    limit's anchor row measures its cone.)"""
    act = lp.A @ x_full
    out: dict[str, dict[tuple, bool]] = defaultdict(dict)
    for b in lp.rows:
        for i in range(len(b.keys)):
            key = tuple(b.keys[i])
            r = b.start + i
            lo, hi, a = lp.row_lo[r], lp.row_hi[r], act[r]
            sides = ([("equal", abs(a - lo), lo)] if lo == hi else
                     [(s, v, lim) for s, v, lim in (("min", lo - a, lo), ("max", a - hi, hi))
                      if np.isfinite(lim)])
            for side, excess, lim in sides:
                size = MARGIN * max(1.0, abs(lim))
                if excess > size:
                    out[b.name][(key, side)] = True
                elif excess < -size or (side == "equal" and excess < 1e-9):
                    out[b.name][(key, side)] = False
    return out


def _cases(n: int = 40):
    """(horizon, window LP, plan, whether each product makes its order) of random months and
    random three-period horizons with random purchases of their stored materials."""
    rng = np.random.default_rng(20261125)
    for k in range(n):
        cap = None
        if k % 5 == 4:
            h = read_plan(random_horizon(rng), TableOrigin("random"), [], warn=False)
            balanced, cap = True, float(rng.uniform(2, 8))  # and the frontier's cap
        else:
            h = Horizon.month(instance_from_dict(random_instance(rng, k)))
            balanced = k % 4 != 0
        w = whole(h, cap)
        mixes = [random_plan(rng, d, balanced) for d in w.arrays]
        bought = {m: rng.uniform(0, 150, size=len(h.periods)) * (rng.random(len(h.periods))
                                                                  < 0.8) for m in w.stocked()}
        plan = plan_of(w, mixes, bought)
        yield h, build_window(h, cap_t_co2e_per_t=cap), plan, balanced


@pytest.mark.parametrize("family", ALL, ids=[f.name for f in ALL])
def test_rows_agree_with_the_recheck_on_random_plans(family) -> None:
    judged = 0
    for _, wlp, plan, balanced in _cases():
        verdicts = row_verdicts(wlp.lp, columns_from_plan(wlp, plan))
        _, bad = recheck(plan)
        broken = {(tuple(v.key), v.side) for v in bad if v.family == family.name}
        if "constituent" in family.keys and not balanced:
            continue  # chemistry rows are per t ordered, the recheck per t made: equal only
            #           by (MB)
        for (key, side), row_broken in verdicts.get(family.name, {}).items():
            assert ((key, side) in broken) == row_broken, (family.name, key, side, row_broken)
            judged += 1
        for block in family.blocks:  # extra blocks: their rows are implied by others
            if any(verdicts.get(block, {}).values()):
                assert bad, (block, "broken, but the recheck finds nothing")
    assert judged >= (5 if not family.keys else 10), f"{family.name}: only {judged} rows"


def test_every_family_is_exercised() -> None:
    seen: set[str] = set()
    for _, wlp, _, _ in _cases(10):
        seen |= {BY_BLOCK[b.name].name for b in wlp.lp.rows}
    assert seen == {f.name for f in ALL}


def _context(family, b, wlp):
    return wlp.window.arrays[b.part] if family.scope == "period" else wlp.window


@pytest.mark.parametrize("family", ALL, ids=[f.name for f in ALL])
def test_words_name_the_limit(family) -> None:
    wlp, block = next((wlp, b) for _, wlp, _, _ in _cases(10)
                      if (b := wlp.lp.row_block(family.name)) is not None)
    key = block.local_key(0)
    for side in ("min", "max"):
        text = family.words(key, side, _context(family, block, wlp))
        assert all(str(k) in text for k in key), text
        assert family.reached_words(key, side, _context(family, block, wlp))


@pytest.mark.parametrize("family", [f for f in ALL if f.elastic is not None],
                         ids=[f.name for f in ALL if f.elastic is not None])
def test_relaxations_name_a_real_field(family) -> None:
    """What a family's relaxation asks for is a path and value the plan accepts, taken
    together with the relaxations of the plan's other broken limits (as diagnose does:
    an aim may only widen past its alloy's window when the window widens too)."""
    from mixopt.analysis.elastic import at_period

    for h, _, plan, _ in _cases():
        evs, bad = recheck(plan)
        if not any(v.family == family.name for v in bad):
            continue
        rel = []
        for k, ev in enumerate(evs):
            for v in ev.violations:
                f = BY_NAME[v.family]
                if f.elastic is not None and (r := f.elastic.relax(v, ev, h.instances[k])):
                    rel.append(at_period(r, h.periods[k]) if h.has_periods else r)
        for f in LINKING:
            if f.elastic is not None:
                rel += [r for v in f.check(plan) if (r := f.elastic.relax(v, plan, h))]
        assert any(r.family == family.name for r in rel)
        apply_overrides(h, merged(tuple(rel)))
        return
    pytest.fail(f"no random plan broke {family.name}")


def test_every_dual_family_scales_to_its_unit() -> None:
    scaled = set()
    for _, wlp, plan, _ in _cases(10):
        evs, _ = recheck(plan)
        for f in ALL:
            b = wlp.lp.row_block(f.name)
            if f.dual is not None and b is not None:
                fig = evs[b.part] if f.scope == "period" else plan
                assert np.isfinite(f.dual.scale(fig, b.local_key(0))) and f.dual.per
                scaled.add(f.name)
    assert scaled == {f.name for f in ALL if f.dual is not None}


def test_the_math_document_is_generated_from_the_registry() -> None:
    text = DOCUMENT.read_text(encoding="utf-8")
    assert generated(text) == text, "run: python -m mixopt.dev.docs"
    for f in (*FAMILIES, *LINKING):
        assert f.define.__name__ in text
