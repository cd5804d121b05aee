"""Carbon from routes, energy and processes (issue 12): every share comes from a typed
route; derived footprints equal hand computations; labels are limits."""

from __future__ import annotations

import logging

import pytest

from mixopt import InputError, read_instance, solve
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
    base = solve(read_instance(INSTANCES / "can-body.toml"))
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
    used = {m.name for m, t in zip(inst.materials, r.evaluation.use_t, strict=True) if t > 0}
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
    ev = r.evaluation
    assert r.status == "optimal"
    assert ev.recycled_post_t[0] / ev.charged_t[0] == pytest.approx(0.5, rel=1e-9)
