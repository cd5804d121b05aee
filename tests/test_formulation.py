"""Each constraint family on a case small enough to solve by hand (see helpers.two_material)."""

from __future__ import annotations

import pytest

from mixopt import Status, solve
from mixopt.model.arrays import to_arrays
from mixopt.model.formulation import build_lp
from mixopt.testing import assert_objective, assert_rechecked
from tests.helpers import inst, two_material


def mix(result):
    ev = result.evaluations[0]
    return dict(zip(ev.arrays.materials, ev.mix_t.sum(axis=0), strict=True))


def test_mass_balance_and_chemistry_min_least_cost() -> None:
    r = solve(inst(two_material()))
    assert r.status == Status.OPTIMAL
    assert_objective(r.objective_value, 1250.0)
    assert mix(r)["B"] == pytest.approx(25.0, rel=1e-9)
    assert_rechecked(r)


def test_chemistry_max_least_footprint() -> None:
    r = solve(inst(two_material(objective__minimise="footprint")))
    assert_objective(r.objective_value, 0.75)
    assert r.objective_unit == "t CO2e/t slab"


def test_yield_scales_metal_not_charge() -> None:
    r = solve(inst(two_material(materials__1__yield=0.5)))
    # 0.5 xB x 4 % >= 100 t x 1 %  ->  xB = 50, xA = 75
    assert_objective(r.objective_value, 750 + 50 * 20)
    assert mix(r)["A"] == pytest.approx(75.0, rel=1e-9)


def test_recycled_share() -> None:
    raw = two_material(objective__minimise="footprint", products__0__min_recycled=0.7)
    raw["materials"][0]["recycled"] = "post-consumer"
    r = solve(inst(raw))
    assert_objective(r.objective_value, 0.85)  # A >= 70 t, so B = 30 t (Cu max would allow 50)


def test_instance_footprint_cap() -> None:
    r = solve(inst(two_material(objective__footprint_cap=0.8)))
    assert_objective(r.objective_value, 60 * 10 + 40 * 20)


def test_product_footprint_cap_with_casting_is_infeasible() -> None:
    raw = two_material(products__0__footprint_cap=0.8)
    raw["casting"] = {"footprint": {"full": 0.1, "scope12": 0.1}}
    # materials may emit at most 70 t -> B >= 60 t, but Cu max allows B <= 50 t
    assert solve(inst(raw)).status == Status.INFEASIBLE


def test_scope12_is_used_for_caps_and_objective() -> None:
    raw = two_material(objective__minimise="footprint", objective__scope="scope12")
    assert_objective(solve(inst(raw)).objective_value, (50 * 0.4 + 50 * 0.2) / 100)


def test_supply_max() -> None:
    r = solve(inst(two_material(materials__1__available={"max": 20})))
    assert r.status == Status.INFEASIBLE


def test_supply_min_forces_use() -> None:
    r = solve(inst(two_material(materials__1__available={"min": 40})))
    assert_objective(r.objective_value, 60 * 10 + 40 * 20)


def test_carbon_price_enters_cost() -> None:
    r = solve(inst(two_material(objective__carbon_price=100.0)))
    # A costs 110/t, B 70/t with carbon: B up to its Cu max (50 t)
    assert_objective(r.objective_value, 50 * 110 + 50 * 70)


def test_lot_rule() -> None:
    r = solve(inst(two_material(materials__1__lot=30)))
    assert r.status == Status.OPTIMAL
    assert_objective(r.objective_value, 70 * 10 + 30 * 20)
    assert_rechecked(r)


def test_min_order_rule() -> None:
    r = solve(inst(two_material(materials__1__min_order=40)))
    assert_objective(r.objective_value, 60 * 10 + 40 * 20)


def test_min_order_allows_zero() -> None:
    raw = two_material(materials__1__min_order=40)
    raw["materials"].append({"name": "C", "cost": 12, "footprint": {"full": 1, "scope12": 1},
                             "composition": {"Cu": 1.5}})
    r = solve(inst(raw))
    assert mix(r)["B"] == pytest.approx(0.0, abs=1e-9)  # B at 40 t (1400) loses to A + C
    assert_objective(r.objective_value, 3400 / 3)  # 1/3 A + 2/3 C reaches Cu 1 %


def test_shared_supply_across_products() -> None:
    raw = two_material(materials__1__available={"max": 60})
    raw["products"].append({"name": "Q", "alloy": "X", "tonnes": 100})
    assert_objective(solve(inst(raw)).objective_value, 2 * 1250.0)
    raw["alloys"]["X"]["Cu"] = [2.0, 2.0]  # each product now needs 50 t of B
    assert solve(inst(raw)).status == Status.INFEASIBLE


def test_row_blocks_are_labelled_in_instance_terms() -> None:
    lp = build_lp(to_arrays(inst(two_material(materials__1__lot=30))), "cost")
    names = [b.name for b in lp.rows]
    assert names == ["mass_balance", "chemistry", "lot"]
    assert lp.row_block("chemistry").keys == (("P", "Cu"),)
    assert lp.is_mip and lp.col_block("lots").keys == (("B",),)
    # (CH) in wt% of the 100 t order: [1, 2], B's coefficient y x c / T = 4 / 100
    r = lp.row_block("chemistry").start
    assert (lp.row_lo[r], lp.row_hi[r]) == (1.0, 2.0)
    assert lp.A[r, 1] == 0.04 and lp.A[r, 0] == 0.0


def test_free_window_makes_no_row() -> None:
    lp = build_lp(to_arrays(inst(two_material(alloys={"X": {"Cu": [0, 100]}}))), "cost")
    assert lp.row_block("chemistry") is None
