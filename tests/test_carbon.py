"""Carbon from routes, energy and processes (issue 12): every share comes from a typed
route; derived footprints equal hand computations; labels are limits."""

from __future__ import annotations

import logging

import pytest

from mixopt import InputError, read, solve
from mixopt.io.validate import instance_from_dict
from mixopt.report.declaration import declarations
from tests.conftest import INSTANCES
from tests.helpers import two_material


def _can_raw() -> dict:
    import tomllib

    return tomllib.loads((INSTANCES / "can-body.toml").read_text())


def test_shares_come_from_routes_not_from_names() -> None:
    raw = _can_raw()
    for m in raw["materials"]:
        if m["name"] == "INERTA":
            m["name"], m["kind"] = "ELYSIS carbon-free primary", "carbon-free metal"
        if m["name"] == "UBC bales":
            m["name"], m["kind"] = "UBC, inert-gas fluxed", "UBC"
    raw["scenarios"] = {}
    renamed = solve(instance_from_dict(raw))
    base = solve(read(INSTANCES / "can-body.toml"))
    a, b = declarations(renamed)["products"][0], declarations(base)["products"][0]
    assert a["inert_anode_share"] == pytest.approx(b["inert_anode_share"], rel=1e-12)
    assert a["inert_anode_share"] == pytest.approx(1050 / 10885.4, rel=1e-4)
    assert a["recycled_post_consumer_share"] == pytest.approx(b["recycled_post_consumer_share"])
    assert a["primary_share"] == pytest.approx((1050 + 1015.83) / 10885.4, rel=1e-4)
    assert a["unknown_route_materials"] == []


def test_files_without_routes_read_with_each_inference_named(
        caplog: pytest.LogCaptureFixture) -> None:
    raw = two_material()
    raw["materials"][0]["recycled"] = "post-consumer"
    raw["materials"][1]["kind"] = "Master Alloy"  # exactly a route's name
    raw["materials"].append({"name": "C", "kind": "hydro metal", "cost": 30,
                             "footprint": {"full": 1, "scope12": 1}, "composition": {}})
    with caplog.at_level(logging.WARNING):
        inst = instance_from_dict(raw, "t.toml")
    text = caplog.text
    assert "taken from its 'recycled' class: 'A' -> post-consumer scrap" in text
    assert "taken from its kind (exactly a route's name): 'B' -> master alloy" in text
    assert "unknown (counted as 'other'; the declaration lists it): 'C' -> other" in text
    assert [m.route_known for m in inst.materials] == [
        ("post-consumer scrap", "recycled"), ("master alloy", "kind"), ("other", "unknown")]
    r = solve(inst)
    listed = declarations(r)["products"][0]["unknown_route_materials"]
    used = {m.name for m, t in zip(inst.materials, r.evaluations[0].use_t, strict=True) if t > 0}
    assert listed == sorted(used & {"C"})


@pytest.mark.parametrize(("change", "expected"), [
    ({"route": "recycled scrap"}, "field 'route': Input should be 'post-consumer scrap'"),
    ({"route": "pre-consumer scrap", "recycled": "post-consumer"},
     "recycled 'post-consumer' contradicts route 'pre-consumer scrap'"),
    ({"route": "inert-anode primary", "recycled": "post-consumer"},
     "contradicts route 'inert-anode primary'"),
])
def test_bad_routes_are_refused_by_row_and_field(change: dict, expected: str) -> None:
    raw = two_material()
    raw["materials"][1].update(change)
    with pytest.raises(InputError) as info:
        instance_from_dict(raw, "t.toml")
    msg = str(info.value)
    assert "t.toml, table 'materials', row 2 ('B')" in msg and expected in msg, msg


def test_scrap_electrolysis_counts_as_recycled_only_when_its_feed_says_so() -> None:
    raw = two_material()
    raw["objective"]["minimise"] = "cost"
    raw["products"][0]["min_recycled"] = 0.5
    raw["materials"][1].update(route="scrap electrolysis")
    assert solve(instance_from_dict(raw)).status == "infeasible"  # nothing recycled on offer
    raw["materials"][1]["recycled"] = "post-consumer"  # electrolysed from UBC
    r = solve(instance_from_dict(raw))
    ev = r.evaluations[0]
    assert r.status == "optimal"
    assert ev.recycled_post_t[0] / ev.charged_t[0] == pytest.approx(0.5, rel=1e-9)


def _energy_month() -> dict:
    """Two primaries whose footprints come from electricity, a scrap with scopes given,
    an alloy window that needs both primaries."""
    return {
        "name": "energy", "objective": {"minimise": "footprint", "scope": "full"},
        "casting": {"footprint": {"scope1": 0.2, "scope2": 0.05, "scope3": 0.0}},
        "power": {"hydro": {"t_co2e_per_mwh": 0.01, "renewable_share": 1.0, "source": "t"},
                  "coal grid": {"t_co2e_per_mwh": 0.9, "renewable_share": 0.1}},
        "alloys": {"X": {"Fe": [0.0, 0.35]}},
        "products": [{"name": "P", "alloy": "X", "tonnes": 100}],
        "materials": [
            {"name": "hydro metal", "route": "carbon-anode primary", "cost": 2600,
             "energy": {"electricity_mwh_per_t": 14.0, "power": "hydro",
                        "direct_t_co2e_per_t": 1.6, "upstream_t_co2e_per_t": 2.0},
             "available": {"max": 60}, "composition": {"Fe": 0.2}},
            {"name": "coal metal", "route": "carbon-anode primary", "cost": 2400,
             "energy": {"electricity_mwh_per_t": 15.0, "power": "coal grid",
                        "direct_t_co2e_per_t": 1.7, "upstream_t_co2e_per_t": 2.1},
             "composition": {"Fe": 0.1}},
            {"name": "scrap", "route": "post-consumer scrap", "cost": 1800,
             "footprint": {"scope1": 0.3, "scope2": 0.1, "scope3": 0.1},
             "available": {"max": 30}, "composition": {"Fe": 0.6}},
        ],
    }


def test_footprints_derived_from_energy_equal_hand_computations() -> None:
    inst = instance_from_dict(_energy_month())
    hydro, coal, scrap = inst.footprints
    assert (hydro.scope1, hydro.scope2, hydro.scope3) == (1.6, 14.0 * 0.01, 2.0)
    assert hydro.full == pytest.approx(1.6 + 0.14 + 2.0) and hydro.scope12 == pytest.approx(1.74)
    assert coal.full == pytest.approx(1.7 + 13.5 + 2.1) and coal.scope12 == pytest.approx(15.2)
    assert (scrap.full, scrap.scope12) == (pytest.approx(0.5), pytest.approx(0.4))
    assert inst.electricity_mwh_per_t == ((14.0, 14.0), (15.0, 1.5), (0.0, 0.0))


def test_the_plan_splits_scopes_and_electricity_by_hand() -> None:
    r = solve(instance_from_dict(_energy_month()))
    x = dict(zip(r.evaluations[0].arrays.materials, r.evaluations[0].use_t, strict=True))
    # least footprint: all the scrap and hydro metal it may, coal for the rest
    assert x["scrap"] == pytest.approx(30) and x["hydro metal"] == pytest.approx(60)
    assert x["coal metal"] == pytest.approx(10)
    d = declarations(r)["products"][0]
    s1 = (60 * 1.6 + 10 * 1.7 + 30 * 0.3) / 100 + 0.2
    s2 = (60 * 0.14 + 10 * 13.5 + 30 * 0.1) / 100 + 0.05
    s3 = (60 * 2.0 + 10 * 2.1 + 30 * 0.1) / 100
    assert d["footprint_scope1_t_co2e_per_t"] == pytest.approx(s1, rel=1e-9)
    assert d["footprint_scope2_t_co2e_per_t"] == pytest.approx(s2, rel=1e-9)
    assert d["footprint_scope3_t_co2e_per_t"] == pytest.approx(s3, rel=1e-9)
    assert d["footprint_full_t_co2e_per_t"] == pytest.approx(s1 + s2 + s3, rel=1e-9)
    assert d["embedded_direct_t_co2e_per_t"] == pytest.approx(s1, rel=1e-9)
    assert d["embedded_indirect_t_co2e_per_t"] == pytest.approx(s2, rel=1e-9)
    assert d["renewable_electricity_share"] == pytest.approx((60 * 14 + 10 * 1.5) /
                                                             (60 * 14 + 10 * 15), rel=1e-9)
    assert d["electricity_mwh_per_t"] == pytest.approx((60 * 14 + 10 * 15) / 100, rel=1e-9)


def test_a_coal_grid_what_if_is_one_override() -> None:
    from mixopt.io.variants import apply_overrides

    inst = instance_from_dict(_energy_month())
    dirty = apply_overrides(inst, {"materials.hydro metal.energy.power": "coal grid"}, "t")
    assert dirty.footprints[0].scope2 == pytest.approx(14.0 * 0.9)
    assert solve(dirty).objective_value > solve(inst).objective_value


@pytest.mark.parametrize(("change", "expected"), [
    (lambda r: r["materials"][0]["energy"].update(power="wind"),
     ("row 1 ('hydro metal'), field 'energy.power': unknown power source 'wind'; defined "
      "under [power]: ['coal grid', 'hydro']")),
    (lambda r: r["materials"][0]["energy"].update(electricity_mwh_per_t=-9),
     ("row 1 ('hydro metal'), field 'energy.electricity_mwh_per_t': Input should be greater "
      "than or equal to 0")),
    (lambda r: r["materials"][0].update(footprint={"full": 5, "scope12": 4}),
     "row 1 ('hydro metal'): give footprint or energy, not both"),
    (lambda r: r["materials"][2].update(footprint={"scope1": 0.3, "scope2": 0.1}),
     "row 3 ('scrap'), field 'footprint': give scope1, scope2 and scope3 together"),
    (lambda r: r["power"]["hydro"].update(renewable_share=1.5),
     "table 'power', field 'hydro.renewable_share': Input should be less than or equal to 1"),
])
def test_bad_energy_input_is_refused_by_name(change, expected: str) -> None:
    _refused(_energy_month(), change, expected)


def _refused(raw: dict, change, expected: str) -> None:
    change(raw)
    with pytest.raises(InputError) as info:
        instance_from_dict(raw, "e.toml")
    assert expected in str(info.value), str(info.value)


def _labelled(**label: float) -> dict:
    raw = _energy_month()
    raw["objective"]["minimise"] = "cost"
    raw["labels"] = {"ALLOW": {**label, "source": "RUSAL"}}
    raw["products"][0]["labels"] = ["ALLOW"]
    return raw


def test_a_scope12_label_equals_the_same_cap_written_by_hand() -> None:
    free = solve(instance_from_dict(_labelled(scope12_max=100.0)))
    labelled = solve(instance_from_dict(_labelled(scope12_max=4.0)))
    raw = _energy_month()
    raw["objective"].update(minimise="cost", scope="scope12")
    raw["products"][0]["footprint_cap"] = 4.0
    by_hand = solve(instance_from_dict(raw))
    assert labelled.objective_value > free.objective_value  # it binds under least cost
    from mixopt.testing import assert_objective

    assert_objective(labelled.objective_value, by_hand.objective_value, 1e-9)
    d = declarations(labelled)["products"][0]
    assert d["footprint_scope12_t_co2e_per_t"] == pytest.approx(4.0, rel=1e-9)
    (allow,) = d["labels"]
    assert allow["met"] is True and allow["limits"] == [
        {"criterion": "scope12_max", "limit": 4.0,
         "figure": pytest.approx(4.0, rel=1e-9), "met": True}]
    dual = [r for r in labelled.dual_records if r["family"] == "labels"]
    assert dual and dual[0]["binding"] == "max" and dual[0]["shadow_price"] < 0
    assert dual[0]["per"] == "t CO2e/t slab" and "label ALLOW scope12_max" in dual[0]["limit"]


@pytest.mark.parametrize(("label", "check"), [
    ({"renewable_electricity_min": 0.85},
     lambda d: d["renewable_electricity_share"] >= 0.85 - 1e-9),
    ({"post_consumer_min": 0.2}, lambda d: d["recycled_post_consumer_share"] >= 0.2 - 1e-9),
    ({"full_max": 5.0}, lambda d: d["footprint_full_t_co2e_per_t"] <= 5.0 + 1e-9),
])
def test_each_label_limit_holds_in_the_plan(label: dict, check) -> None:
    r = solve(instance_from_dict(_labelled(**label)))
    assert r.status == "optimal"
    d = declarations(r)["products"][0]
    assert check(d) and d["labels"][0]["met"] is True


def test_a_label_nobody_can_meet_is_named_by_diagnose() -> None:
    from mixopt.analysis.diagnose import diagnose

    inst = instance_from_dict(_labelled(scope12_max=0.5))
    diag = diagnose(inst)
    assert diag.status == "infeasible"
    paths = {r.path for o in diag.options for r in o.relaxations}
    assert "labels.ALLOW.scope12_max" in paths
    assert any("label ALLOW" in c for c in diag.conflict)


def test_a_label_nobody_defines_is_refused() -> None:
    raw = _labelled(scope12_max=4.0)
    raw["products"][0]["labels"] = ["ALLOW", "CIRCAL 75R"]
    with pytest.raises(InputError) as info:
        instance_from_dict(raw, "l.toml")
    assert ("l.toml, table 'products', row 1 ('P'), field 'labels': label 'CIRCAL 75R' is "
            "not defined under [labels] (defined: ['ALLOW'])") in str(info.value)
    raw["labels"]["ALLOW"] = {"source": "x"}
    with pytest.raises(InputError, match="a label sets at least one limit"):
        instance_from_dict(raw)


def _electrolysis_month(capacity: float = 40.0) -> dict:
    """Off-grade scrap (cheap, dirty, zero burden) electrolysed on hydro into clean metal
    that competes with hydro primary, for an alloy the scrap cannot go into directly."""
    return {
        "name": "se", "objective": {"minimise": "cost"},
        "power": {"hydro": {"t_co2e_per_mwh": 0.01, "renewable_share": 1.0}},
        "alloys": {"X": {"Fe": [0.0, 0.3]}},
        "products": [{"name": "P", "alloy": "X", "tonnes": 100}],
        "materials": [
            {"name": "off-grade scrap", "route": "post-consumer scrap", "cost": 800,
             "footprint": {"scope1": 0.02, "scope2": 0.01, "scope3": 0.02},
             "available": {"max": 50}, "composition": {"Fe": 3.0}},
            {"name": "SE P1020", "route": "scrap electrolysis", "composition": {"Fe": 0.1}},
            {"name": "hydro P1020", "route": "carbon-anode primary", "cost": 2600,
             "footprint": {"scope1": 1.5, "scope2": 0.2, "scope3": 2.2},
             "composition": {"Fe": 0.15}},
        ],
        "processes": [{"name": "scrap electrolysis", "inputs": {"off-grade scrap": 1.06},
                       "output": "SE P1020", "capacity_t": capacity, "cost_per_t": 900,
                       "electricity_mwh_per_t": 9.0, "power": "hydro",
                       "direct_t_co2e_per_t": 0.03, "source": "RUSAL Oct 2025 (~9 MWh/t)"}],
    }


def test_a_process_output_is_priced_and_footprinted_from_its_inputs() -> None:
    inst = instance_from_dict(_electrolysis_month())
    se = inst.footprints[1]
    assert se.scope1 == pytest.approx(1.06 * 0.02 + 0.03)
    assert se.scope2 == pytest.approx(1.06 * 0.01 + 9 * 0.01)
    assert se.scope3 == pytest.approx(1.06 * 0.02)
    assert inst.costs[1] == pytest.approx(1.06 * 800 + 900)
    assert inst.electricity_mwh_per_t[1] == (9.0, 9.0)
    assert inst.recycled_fractions[1] == (1.0, 0.0)  # all its mass is post-consumer scrap


def test_the_process_conserves_mass_and_competes_with_primary() -> None:
    r = solve(instance_from_dict(_electrolysis_month()))
    ev = r.evaluations[0]
    names = ev.arrays.materials
    use = dict(zip(names, ev.use_t, strict=True))
    fed = dict(zip(names, ev.fed_t, strict=True))
    charged = dict(zip(names, ev.mix_t[0], strict=True))
    assert charged["SE P1020"] == pytest.approx(40.0)  # at capacity: cheaper than primary
    assert fed["off-grade scrap"] == pytest.approx(1.06 * 40.0)  # 1.06 t in per t out
    assert use["off-grade scrap"] == pytest.approx(charged["off-grade scrap"] + 42.4)
    assert use["off-grade scrap"] <= 50 + 1e-9
    # an independent formulation (scipy's HiGHS on explicit variables: direct off-grade
    # d, electrolysis output z, primary h) gives the same optimum
    from scipy.optimize import linprog

    res = linprog(c=[800, 1.06 * 800 + 900, 2600],
                  A_ub=[[3.0 - 0.3, 0.1 - 0.3, 0.15 - 0.3], [1, 1.06, 0]], b_ub=[0, 50],
                  A_eq=[[1, 1, 1]], b_eq=[100], bounds=[(0, None), (0, 40), (0, None)])
    assert res.status == 0
    from mixopt.testing import assert_objective

    assert_objective(r.objective_value, res.fun, 1e-9)
    d = declarations(r)["products"][0]
    assert d["recycled_post_consumer_share"] == pytest.approx(
        (charged["off-grade scrap"] + 40) / 100, rel=1e-9)


def test_doubling_the_capacity_is_one_override() -> None:
    from mixopt.io.variants import apply_overrides

    inst = instance_from_dict(_electrolysis_month())
    more = apply_overrides(inst, {"processes.scrap electrolysis.capacity_t": 80}, "t")
    assert solve(more).objective_value < solve(inst).objective_value


@pytest.mark.parametrize(("change", "expected"), [
    (lambda r: r["materials"][1].update(cost=2000),
     ("row 2 ('SE P1020'), field 'cost': is made by process 'scrap electrolysis': its cost "
      "comes from the process")),
    (lambda r: r["materials"][1].update(available={"max": 10}),
     "row 2 ('SE P1020'), field 'available': is made by process"),
    (lambda r: r["processes"][0].update(inputs={"slag": 1.1}),
     ("table 'processes', row 1 ('scrap electrolysis'), field 'inputs.slag': names material "
      "'slag'")),
    (lambda r: r["processes"][0].update(electricity_mwh_per_t=-9),
     "field 'electricity_mwh_per_t': Input should be greater than or equal to 0"),
    (lambda r: r["processes"][0].update(inputs={"off-grade scrap": 0.9}),
     "a process cannot create mass"),
    (lambda r: r["processes"][0].update(power="wind"), "unknown power source 'wind'"),
    (lambda r: r["materials"][0].pop("cost"),
     ("row 1 ('off-grade scrap'), field 'cost': required, but not given")),
])
def test_bad_processes_are_refused_by_name(change, expected: str) -> None:
    _refused(_electrolysis_month(), change, expected)


def test_a_zero_casting_footprint_does_not_hide_the_scope_split() -> None:
    raw = _energy_month()
    raw.pop("casting")  # default: no casting emissions, nothing to split
    raw["materials"][2]["footprint"] = {"full": 0.1, "scope12": 0.0}  # burden-free scrap
    d = declarations(solve(instance_from_dict(raw)))["products"][0]
    assert d["footprint_scope1_t_co2e_per_t"] is not None
    assert d["footprint_scope1_t_co2e_per_t"] + d["footprint_scope2_t_co2e_per_t"] == \
        pytest.approx(d["footprint_scope12_t_co2e_per_t"], rel=1e-12)
    raw["materials"][2]["footprint"] = {"full": 0.5, "scope12": 0.4}  # not split: unknown
    d = declarations(solve(instance_from_dict(raw)))["products"][0]
    assert d["footprint_scope1_t_co2e_per_t"] is None
    assert d["footprint_scope3_t_co2e_per_t"] is not None
