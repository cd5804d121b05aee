"""The solver-free recheck finds each broken rule and sizes it."""

from __future__ import annotations

import numpy as np
import pytest

from mixopt import evaluate
from tests.helpers import inst, two_material


def rules(raw: dict, mix: list[list[float]]) -> dict[tuple[str, str], float]:
    """{(family, side): amount} of every broken rule."""
    ev = evaluate(inst(raw), np.array(mix, dtype=float))
    return {(v.family, v.side): v.amount for v in ev.violations}


def test_good_mix_has_no_violation_and_right_figures() -> None:
    ev = evaluate(inst(two_material()), np.array([[75.0, 25.0]]))
    assert ev.feasible
    assert ev.cost[0] == 1250.0
    assert ev.footprint_t[0] == 75 * 1.0 + 25 * 0.5
    assert ev.composition_wt_pct[0, 0] == pytest.approx(1.0, rel=1e-12)


def test_mass_balance() -> None:
    assert rules(two_material(), [[70.0, 25.0]]) == {("mass_balance", "equal"): pytest.approx(5.0)}


def test_chemistry_min_and_max() -> None:
    assert rules(two_material(), [[90.0, 10.0]]) == {("chemistry", "min"): pytest.approx(0.6)}
    assert rules(two_material(), [[40.0, 60.0]]) == {("chemistry", "max"): pytest.approx(0.4)}


def test_supply_caps_share_and_purchase_rules() -> None:
    raw = two_material(materials__1__available={"min": 30, "max": 40}, materials__1__lot=15,
                       products__0__footprint_cap=0.7, objective__footprint_cap=0.7)
    raw["materials"][1]["min_order"] = 28
    got = rules(raw, [[75.0, 25.0]])
    assert got["supply", "min"] == pytest.approx(5.0)
    assert got["lot", "equal"] == pytest.approx(1 / 3)
    assert got["min_order", "min"] == pytest.approx(3.0)
    assert got["product_footprint_cap", "max"] == pytest.approx(0.875 - 0.7)
    assert got["footprint_cap", "max"] == pytest.approx(0.875 - 0.7)
    assert rules(raw, [[55.0, 45.0]])["supply", "max"] == pytest.approx(5.0)


def test_recycled_share_and_negative_charge() -> None:
    raw = two_material(products__0__min_recycled=0.9)
    raw["materials"][0]["recycled"] = "pre-consumer"
    assert rules(raw, [[75.0, 25.0]]) == {("recycled_share", "min"): pytest.approx(0.15)}
    assert ("non_negative", "min") in rules(two_material(), [[101.0, -1.0]])


def test_within_tolerance_is_accepted() -> None:
    assert rules(two_material(), [[75.0 + 1e-5, 25.0]]) == {}
    assert ("mass_balance", "equal") in rules(two_material(), [[75.0 + 1e-3, 25.0]])


def test_shape_is_checked() -> None:
    with pytest.raises(ValueError, match="expected"):
        evaluate(inst(two_material()), np.zeros((2, 2)))
