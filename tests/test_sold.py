"""Products sold in a range (issue 13): the slab made is a decision, windows and caps
hold on it, revenue enters the cost objective. Checked against the independent model of
``tests/multiperiod_reference.py`` on one-period instances."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tomlkit
from click.testing import CliRunner

from mixopt.cli import main
from mixopt.errors import InputError
from mixopt.io.read import read
from mixopt.model.evaluate import evaluate
from mixopt.model.planner import solve
from tests.multiperiod_reference import reference_objective


def _month(rng: np.random.Generator) -> dict:
    els = ("Fe", "Mn")
    mats = [{"name": f"m{i}", "route": "post-consumer scrap" if i % 2 else
             "carbon-anode primary", "cost": round(float(rng.uniform(1500, 2600)), 1),
             "footprint": {"full": round(float(rng.uniform(0.3, 12)), 3), "scope12": 0.1},
             "yield": round(float(rng.uniform(0.85, 1.0)), 3),
             "composition": {e: round(float(rng.uniform(0, 1.5)), 3) for e in els},
             "available": {"max": round(float(rng.uniform(50, 500)), 1)}}
            for i in range(int(rng.integers(3, 7)))]
    mats.append({"name": "AlMn", "route": "master alloy", "cost": 3200,
                 "footprint": {"full": 7.0, "scope12": 5.0}, "composition": {"Mn": 75.0}})
    mats.append({"name": "pure", "route": "carbon-anode primary", "cost": 2500,
                 "footprint": {"full": 9.0, "scope12": 7.0}, "composition": {}})
    prods = [{"name": "order", "alloy": "w", "tonnes": round(float(rng.uniform(100, 300)), 1),
              "min_recycled": round(float(rng.uniform(0, 0.3)), 2)},
             {"name": "sold", "alloy": "w", "tonnes_min": round(float(rng.uniform(0, 50)), 1),
              "tonnes_max": round(float(rng.uniform(100, 600)), 1),
              "price": round(float(rng.uniform(2000, 4000)), 1),
              "min_recycled": round(float(rng.uniform(0, 0.3)), 2)}]
    if rng.random() < 0.5:
        prods[1]["footprint_cap"] = round(float(rng.uniform(2.5, 8)), 2)
    obj: dict = {"minimise": "cost", "carbon_price": round(float(rng.uniform(0, 100)), 1)}
    if rng.random() < 0.5:
        obj["footprint_cap"] = round(float(rng.uniform(3, 8)), 2)
    return {"name": "sold", "objective": obj, "casting": {"footprint": {"full": 0.25,
                                                                        "scope12": 0.2}},
            "alloys": {"w": {"Fe": [0.0, 0.7], "Mn": [0.4, 1.2]}},
            "products": prods, "materials": mats}


@pytest.mark.parametrize("seed", range(16))
def test_sold_months_equal_an_independent_model(tmp_path: Path, seed: int) -> None:
    raw = _month(np.random.default_rng(100 + seed))
    path = tmp_path / "m.toml"
    path.write_text(tomlkit.dumps(raw))
    r = solve(read(path))
    status, want = reference_objective({**raw, "periods": ["m"]})
    assert str(r.status) == status
    if status == "optimal":
        assert r.objective_value == pytest.approx(want, rel=1e-6)
        ev = r.evaluations[0]
        sold = ev.slab_t[1]
        assert raw["products"][1]["tonnes_min"] - 1e-6 <= sold
        assert sold <= raw["products"][1]["tonnes_max"] + 1e-6
        assert ev.revenue[1] == pytest.approx(raw["products"][1]["price"] * sold)


SOLD = '''
name = "s"
[objective]
minimise = "cost"
[alloys.w]
Fe = [0, 0.5]
[[products]]
name = "P"
alloy = "w"
tonnes_max = 300
price = 2500
footprint_cap = 4.5
[[materials]]
name = "scrap"
route = "post-consumer scrap"
cost = 1500
footprint = { full = 0.5, scope12 = 0.3 }
composition = { Fe = 0.9 }
available = { max = 100 }
[[materials]]
name = "primary"
route = "carbon-anode primary"
cost = 2300
footprint = { full = 8, scope12 = 6 }
composition = { Fe = 0.1 }
'''


def test_a_sold_product_makes_as_much_as_pays(tmp_path: Path) -> None:
    """Hand-worked. Scrap (Fe 0.9, 1500, 100 t) and primary (Fe 0.1, 2300) sell at 2500:
    both earn, primary too, so the plan makes as much as its limits allow. Fe 0.5 admits
    s <= p; the cap 4.5 (0.5 s + 8 p <= 4.5 (s + p)) admits p <= s / 0.875 and binds:
    s = 100, p = 114.2857, slab 214.2857 t, margin 214.2857 x 2500 - 150,000 -
    114.2857 x 2300 = 122,857.14."""
    path = tmp_path / "s.toml"
    path.write_text(SOLD)
    r = solve(read(path))
    p = 100 / 0.875
    assert r.evaluations[0].slab_t[0] == pytest.approx(100 + p)
    assert r.objective_value == pytest.approx(-(2500 * (100 + p) - 150000 - 2300 * p))
    # one more t of scrap admits 1/0.875 t more primary
    sup = next(d for d in r.dual_records if d["family"] == "supply" and d["binding"])
    gain = 2500 * (1 + 1 / 0.875) - 1500 - 2300 / 0.875
    assert sup["shadow_price"] == pytest.approx(-gain)
    # the cap's shadow price (per t CO2e/t of the cap) is the finite difference
    cap = next(d for d in r.dual_records if d["family"] == "product_footprint_cap")
    looser = solve(read(path).first.model_copy(update={"products": (
        read(path).first.products[0].model_copy(update={"footprint_cap": 4.5 + 1e-4}),)}))
    slope = (looser.objective_value - r.objective_value) / 1e-4
    assert cap["shadow_price"] == pytest.approx(slope, rel=1e-4)
    # the recheck holds a sold product to its range
    over = evaluate(r.horizon.first, np.array([[250.0, 250.0]]))
    assert any(v.family == "mass_balance" and v.side == "max" for v in over.violations)


@pytest.mark.parametrize(("change", "says"), [
    ('minimise = "cost"', "'footprint' cannot be minimised with products sold"),
    ("footprint_cap = 4.5", "not available for a product sold in a range yet (its slab"),
    ("price = 2500", "give tonnes (an order) or tonnes_max, price (a sold product), not both"),
])
def test_what_a_sold_product_cannot_take_is_refused(tmp_path: Path, change: str,
                                                    says: str) -> None:
    text = SOLD
    if "footprint" in says:
        text = text.replace(change, 'minimise = "footprint"')
    elif "range yet" in says:
        text = text.replace(change, 'labels = ["L"]\n[labels.L]\nrecycled_min = 0.1\n'
                            '[[products]]\nname = "Q"\nalloy = "w"\ntonnes = 10')
    else:
        text = text.replace("tonnes_max = 300", "tonnes = 100\ntonnes_max = 300")
    path = tmp_path / "s.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=says.replace("(", r"\(").replace(")", r"\)")):
        read(path)


def test_unbounded_sale_is_exit_4_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(SOLD.replace("tonnes_max = 300\n", "").replace(
        "available = { max = 100 }\n", ""))
    res = CliRunner().invoke(main, ["solve", str(path), "--format", "json"])
    assert res.exit_code == 4
    doc = json.loads(res.stdout)
    assert doc["status"] == "unbounded"
    assert "P is sold at 2500 per t with no tonnes_max" in doc["diagnosis"]["notes"][0]


def _sold_with_spreads(rng: np.random.Generator, confidence: float | None) -> dict:
    mats = [{"name": f"m{i}", "route": "post-consumer scrap", "footprint": {"full": 0.5,
                                                                          "scope12": 0.3},
             "cost": round(float(rng.uniform(1500, 2600)), 1),
             "yield": round(float(rng.uniform(0.85, 1.0)), 3),
             "composition": {"Fe": round(float(rng.uniform(0.2, 1.2)), 3),
                             "Mn": round(float(rng.uniform(0.3, 1.5)), 3)},
             "composition_sd": {"Fe": round(float(rng.uniform(0.0, 0.15)), 3),
                                "Mn": round(float(rng.uniform(0.0, 0.15)), 3)},
             "available": {"max": round(float(rng.uniform(50, 300)), 1)}}
            for i in range(int(rng.integers(3, 6)))]
    mats.append({"name": "pure", "route": "carbon-anode primary", "cost": 2500,
                 "footprint": {"full": 9.0, "scope12": 7.0}, "composition": {"Fe": 0.1},
                 "composition_sd": {"Fe": 0.02}})
    prod = {"name": "sold", "alloy": "w", "tonnes_min": round(float(rng.uniform(0, 50)), 1),
            "tonnes_max": round(float(rng.uniform(200, 800)), 1),
            "price": round(float(rng.uniform(2400, 3500)), 1), "aim": {"Mn": [0.7, 1.1]}}
    obj: dict = {"minimise": "cost"}
    if confidence is not None:
        obj["confidence"] = confidence
    return {"name": "sold-spreads", "objective": obj,
            "alloys": {"w": {"Fe": [0.0, 0.7], "Mn": [0.5, 1.3]}},
            "products": [prod], "materials": mats}


@pytest.mark.parametrize("seed", range(8))
def test_sold_windows_aims_and_confidences_equal_an_independent_model(tmp_path: Path,
                                                                      seed: int) -> None:
    """A sold product's windows and aims (mean) and its chance limits (the homogeneous
    cone Σ y (c - hi) x + z ‖y σ x‖ <= 0) against an independent model of the same
    product: linprog for the mean, Clarabel on true second-order cones for the chance."""
    from tests.correction_reference import sold_month

    rng = np.random.default_rng(500 + seed)
    raw = _sold_with_spreads(rng, 0.9 if seed % 2 else None)
    path = tmp_path / "s.toml"
    path.write_text(tomlkit.dumps(raw))
    inst = read(path)
    r = solve(inst)
    ref = sold_month(inst.first, "clarabel" if seed % 2 else "linprog")
    assert str(r.status) == ref.status
    if ref.status == "optimal":
        assert r.objective_value == pytest.approx(ref.objective, rel=1e-6, abs=1e-3)
        ev = r.evaluations[0]
        p = ev.composition_wt_pct[0, ev.arrays.constituents.index("Mn")]
        assert 0.7 - 1e-6 <= p <= 1.1 + 1e-6  # the aim holds on the slab made
