"""Charges a casthouse can run: max_materials, min_charge and charging rules.

Every optimum is checked against an independent one: the best of an enumeration of the
material subsets a product may charge, each solved as a plain cone program (or LP) by
``tests/conic_reference.py`` from the instance fields (a material outside the subset has
no supply; one inside with a least charge must be used that much). Counts, least charges
and rules are rechecked from the JSON a planner gets. Food Manufacture 2 (Williams) is
solved to its published profit by ``tests/test_regression.py`` (``published: true``).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mixopt import InputError, SolveOptions, Status, apply_overrides, read, solve
from mixopt.cli import main
from mixopt.testing import assert_objective, assert_rechecked
from tests.conftest import INSTANCES
from tests.helpers import inst

conic = pytest.importorskip("tests.conic_reference")


def best_subset(instance, product: str, k: int, rules=()) -> float:
    """The optimum of a one-product instance by enumeration: every subset of at most k
    materials (closed under ``rules``: (if_any, then_all)), solved without integers."""
    mats = instance.materials
    forced = {m.name for m in mats if m.available.min > 0}
    best = None
    for size in range(1, k + 1):
        for subset in itertools.combinations([m.name for m in mats], size):
            s = set(subset)
            if not forced <= s or any(s & set(a) and not set(c) <= s for a, c in rules):
                continue
            changes = {}
            for m in mats:
                if m.name not in s:
                    changes[f"materials.{m.name}.available"] = {"max": 0}
                elif m.min_charge is not None:
                    changes[f"materials.{m.name}.available.min"] = max(m.available.min,
                                                                       m.min_charge)
            _, value, _ = conic.conic_optimum(apply_overrides(instance, changes))
            if value is not None and (best is None or value < best):
                best = value
    assert best is not None, "no subset has a plan"
    return best


@pytest.mark.parametrize("a", [0.9, 0.99])
def test_max_materials_with_spreads_equals_the_best_subset(a: float) -> None:
    """The AA3104 month with its scrap spreads, at most 5 materials: outer approximation
    (HiGHS master, Clarabel per assignment) against all 382 subsets, each a cone program."""
    base = read(INSTANCES / "can-body.toml").first
    i = apply_overrides(base, {"objective.confidence": a,
                               "products.AA3104 slab.max_materials": 5})
    r = solve(i)
    assert r.status.is_optimal  # within --mip-gap (1e-6): the cuts approximate the cones
    assert_rechecked(r)
    assert r.raw.solver["conic_solves"] >= 1 and r.raw.mip_gap <= 1e-6
    assert_objective(r.objective_value, best_subset(i, "AA3104 slab", 5), 1e-6)
    assert (r.evaluations[0].mix_t > 1e-6).sum() <= 5
    cut = solve(i, SolveOptions(cones="cuts"))  # the second method: cuts only, on HiGHS
    assert_objective(cut.objective_value, r.objective_value, 1e-6)


def small_month(**extra) -> dict:
    """One product from seven materials whose cheap ones are dirty: the least-cost plan
    charges all seven; a limit on their number makes it choose."""
    mats = []
    for i, (cost, si, fe) in enumerate([(1000, 0.9, 0.6), (1100, 0.2, 0.7), (1200, 0.6, 0.1),
                                        (1300, 0.1, 0.4), (1500, 0.3, 0.05),
                                        (1800, 0.05, 0.05), (2600, 0.0, 0.0)]):
        mats.append({"name": f"m{i}", "cost": cost, "route": "post-consumer scrap"
                     if i < 6 else "carbon-anode primary",
                     "footprint": {"full": 0.5 + i, "scope12": 0.2},
                     "available": {"max": 60.0 if i < 6 else 500.0},
                     "composition": {"Si": si, "Fe": fe}})
    raw = {"name": "small", "objective": {"minimise": "cost"},
           "alloys": {"X": {"Si": [0.25, 0.4], "Fe": [0.0, 0.3]}},
           "products": [{"name": "P", "alloy": "X", "tonnes": 200}], "materials": mats}
    for path, value in extra.items():
        kind, name, field = path.split(".")
        rec = next(r for r in raw[kind] if r["name"] == name)
        rec[field] = value
    return raw


@pytest.mark.parametrize("k", [3, 4, 5])
def test_milp_equals_the_best_subset(k: int) -> None:
    raw = small_month(**{"products.P.max_materials": k, "materials.m2.min_charge": 30.0})
    raw["rules"] = [{"name": "m0 needs m5", "if_any": ["m0"], "then_all": ["m5"]}]
    i = inst(raw)
    r = solve(i)
    assert r.status == Status.OPTIMAL and r.raw.mip_gap <= 1e-6
    assert_rechecked(r)
    assert_objective(r.objective_value, best_subset(i, "P", k, [(["m0"], ["m5"])]), 1e-6)
    free = solve(inst(small_month()))
    used = (free.evaluations[0].mix_t > 1e-6).sum()
    assert used == 5  # the least-cost plan charges five: 3 and 4 bind, 5 only the rules
    assert r.objective_value > free.objective_value * (1 + 1e-6) or k == 5


def test_the_json_carries_what_a_recheck_needs(tmp_path: Path) -> None:
    """Counts, least charges and the rule, recomputed from the JSON mix alone."""
    raw = small_month(**{"products.P.max_materials": 3, "materials.m2.min_charge": 30.0})
    raw["rules"] = [{"name": "m0 needs m5", "if_any": ["m0"], "then_all": ["m5"]}]
    import tomli_w

    path = tmp_path / "m.toml"
    path.write_text(tomli_w.dumps(raw))
    out = CliRunner().invoke(main, ["solve", str(path), "--format", "json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    charged = {r["material"]: r["tonnes"] for r in doc["mix"] if r["tonnes"] > 1e-6}
    (prod,) = doc["products"]
    assert prod["materials_used"] == len(charged) <= prod["max_materials"] == 3
    assert charged.get("m2", 30.0) >= 30.0 - 1e-6
    assert "m0" not in charged or charged.get("m5", 0) >= 1e-3


def test_per_period_max_materials_in_a_horizon() -> None:
    """A quarter whose products may take 4, then 3, then 5 materials."""
    h = read(INSTANCES / "can-body-quarter.toml")
    name = h.first.products[0].name
    periods = h.periods
    limits = dict(zip(periods, [4, 3, 5], strict=True))
    v = apply_overrides(h, {f"products.{name}.max_materials.{p}": k for p, k in limits.items()})
    r = solve(v)
    assert r.status.has_solution
    assert_rechecked(r)
    for k, p in enumerate(periods):
        used = (r.evaluations[k].mix_t > 1e-6).sum(axis=1)
        assert used.max() <= limits[p]
    assert r.objective_value >= solve(h).objective_value * (1 - 1e-9)


@pytest.mark.parametrize(("change", "where", "says"), [
    ({"products.P.max_materials": 0}, "max_materials", "greater than or equal to 1"),
    ({"products.P.max_materials": -2}, "max_materials", "greater than or equal to 1"),
    ({"products.P.max_materials": 2.5}, "max_materials", "fractional part"),
    ({"materials.m1.min_charge": -1.0}, "min_charge", "greater than or equal to 0.001"),
    ({"materials.m1.min_charge": 61.0}, "min_charge", "above the 60 t available"),
])
def test_bad_charging_fields_are_refused_by_name(change: dict, where: str, says: str) -> None:
    with pytest.raises(InputError) as err:
        inst(small_month(**change))
    (problem,) = err.value.problems
    assert problem.field == where and says in problem.message, problem
    assert problem.row == (1 if where == "max_materials" else 2)


@pytest.mark.parametrize(("rule", "field", "says"), [
    ({"if_any": ["m0"], "then_all": ["nope"]}, "then_all", "names material 'nope'"),
    ({"if_any": ["zz"], "then_all": ["m1"]}, "if_any", "names material 'zz'"),
    ({"if_any": [], "then_all": ["m1"]}, "if_any", "an empty list"),
    ({"if_any": ["m0"], "then_all": ["m1"], "products": ["Q"]}, "products",
     "names product 'Q'"),
])
def test_bad_rules_are_refused_by_name(rule: dict, field: str, says: str) -> None:
    raw = small_month()
    raw["rules"] = [{"name": "r", **rule}]
    with pytest.raises(InputError) as err:
        inst(raw)
    (problem,) = err.value.problems
    assert problem.table == "rules" and problem.row == 1 and problem.field == field
    assert says in problem.message


def test_max_materials_below_the_forced_materials_is_diagnosed(tmp_path: Path) -> None:
    """Three materials must be used (available.min) but two may be charged: infeasible
    (exit 3). Three are not enough either (the scrap alone cannot make 200 t): the
    diagnosis offers the least number that works, four, verified."""
    raw = small_month(**{"products.P.max_materials": 2})
    for m in raw["materials"][:3]:
        m["available"] = {"min": 5.0, "max": 60.0}
    import tomli_w

    path = tmp_path / "forced.toml"
    path.write_text(tomli_w.dumps(raw))
    out = CliRunner().invoke(main, ["solve", str(path)])
    assert out.exit_code == 3, out.output
    diag = CliRunner().invoke(main, ["diagnose", str(path), "--format", "json"])
    doc = json.loads(diag.stdout)
    assert any("3 materials must be charged" in c for c in doc["checks"])
    assert doc["options"][0]["overrides"] == {"products.P.max_materials": 4}
    assert doc["options"][0]["verified"] == "optimal"
    three = apply_overrides(read(path), {"products.P.max_materials": 3})
    assert solve(three).status == Status.INFEASIBLE


def test_a_rule_can_be_dropped_by_set_and_a_workbook_keeps_rules(tmp_path: Path) -> None:
    raw = small_month(**{"products.P.max_materials": 3})
    raw["rules"] = [{"name": "m0 needs m6", "if_any": ["m0"], "then_all": ["m6"]}]
    i = inst(raw)
    off = apply_overrides(i, {"rules.m0 needs m6.products": []})
    assert solve(off).objective_value <= solve(i).objective_value * (1 + 1e-9)
    import tomli_w

    path, book = tmp_path / "r.toml", tmp_path / "r.xlsx"
    path.write_text(tomli_w.dumps(raw))
    assert CliRunner().invoke(main, ["convert", str(path), str(book)]).exit_code == 0
    back = read(book).first
    assert back.rules == i.rules and back.products[0].max_materials == 3
    assert_objective(solve(back).objective_value, solve(i).objective_value, 1e-9)
