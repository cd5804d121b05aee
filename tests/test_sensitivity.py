"""Reduced costs and cost ranging mean what the output says (tested by re-solving)."""

from __future__ import annotations

import numpy as np
import pytest

from mixopt import read, solve
from mixopt.io.validate import instance_from_dict
from tests.conftest import INSTANCES


def _can_body_raw() -> dict:
    import tomllib
    return tomllib.loads((INSTANCES / "can-body.toml").read_text())


def _with_footprint(raw: dict, material: str, full: float) -> dict:
    for m in raw["materials"]:
        if m["name"] == material:
            m["footprint"] = {**m["footprint"], "full": full}
    return raw


def _use(result, material: str) -> float:
    i = result.evaluations[0].arrays.materials.index(material)
    return float(result.evaluations[0].mix_t[:, i].sum())


def test_reduced_cost_says_how_much_cleaner_an_unused_material_must_be() -> None:
    r = solve(read(INSTANCES / "can-body.toml"))
    cols = r.columns.set_index("material")
    rc = cols.loc["Coal P1020", "reduced_cost"]
    assert cols.loc["Coal P1020", "tonnes"] == 0 and rc == pytest.approx(20.0 - 5.9, rel=1e-6)
    just_short = solve(instance_from_dict(_with_footprint(_can_body_raw(), "Coal P1020",
                                                          20.0 - rc * 0.99)))
    assert _use(just_short, "Coal P1020") == pytest.approx(0.0, abs=1e-6)
    past = solve(instance_from_dict(_with_footprint(_can_body_raw(), "Coal P1020",
                                                    20.0 - rc * 1.01)))
    assert _use(past, "Coal P1020") > 1.0


def test_cost_range_keeps_the_mix_inside_and_changes_it_outside() -> None:
    r = solve(read(INSTANCES / "can-body.toml"))
    cols = r.columns.set_index("material")
    hi = cols.loc["INERTA", "coefficient_max"]
    assert hi == pytest.approx(5.9, rel=1e-6)  # INERTA stays in until it is as dirty as hydro
    base = r.evaluations[0].mix_t
    inside = solve(instance_from_dict(_with_footprint(_can_body_raw(), "INERTA", hi * 0.99)))
    np.testing.assert_allclose(inside.evaluations[0].mix_t, base, rtol=1e-7, atol=1e-7)
    outside = solve(instance_from_dict(_with_footprint(_can_body_raw(), "INERTA", hi * 1.01)))
    assert _use(outside, "INERTA") == pytest.approx(0.0, abs=1e-6)


def test_milp_sensitivity_is_conditional_on_purchase_decisions() -> None:
    r = solve(read(INSTANCES / "westerberg-steel-milp.toml"))
    assert r.duals_conditional and r.duals is not None and r.columns is not None
    # with the ingots fixed, the continuous alloys and scrap price the 5 % C row
    c_row = r.duals[(r.duals.family == "chemistry") & (r.duals.constituent == "C")].iloc[0]
    assert c_row.binding == "equal" and c_row.shadow_price != 0
    lp = solve(read(INSTANCES / "can-body.toml"))
    assert not lp.duals_conditional
