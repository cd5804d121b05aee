"""Capacities: a plant limit shared by a group of materials (single-period instances; the
multi-period plan of issue 13 is not built yet)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mixopt import InputError, read, solve
from mixopt.io.spreadsheet import save_workbook
from mixopt.io.template import instance_workbook
from mixopt.io.validate import instance_from_dict
from mixopt.io.write import write_instance
from mixopt.testing import assert_objective
from tests.helpers import two_material


def _capped(limit: float) -> dict:
    raw = two_material()
    raw["capacities"] = [{"name": "furnace", "materials": ["A"], "max": limit,
                          "source": "melting furnace"}]
    return raw


def test_a_capacity_binds_as_by_hand() -> None:
    r = solve(instance_from_dict(_capped(60.0)))
    use = dict(zip(r.evaluations[0].arrays.materials, r.evaluations[0].use_t, strict=True))
    assert use["A"] == pytest.approx(60.0) and use["B"] == pytest.approx(40.0)
    assert_objective(r.objective_value, 60 * 10 + 40 * 20)  # least cost without it: 1250
    (row,) = [d for d in r.dual_records if d["family"] == "capacities"]
    assert row["binding"] == "max" and row["shadow_price"] == pytest.approx(-10.0)
    assert row["limit"] == "capacity furnace: at most 60 t of A" and row["per"] == "t"
    loose = solve(instance_from_dict(_capped(1000.0)))
    assert_objective(loose.objective_value, 1250.0)


def test_a_capacity_nobody_can_meet_is_relaxed_by_diagnose() -> None:
    from mixopt.analysis.diagnose import diagnose

    raw = _capped(10.0)
    raw["capacities"][0]["materials"] = ["A", "B"]
    diag = diagnose(instance_from_dict(raw))
    assert diag.status == "infeasible"
    assert any(r.path == "capacities.furnace.max" for o in diag.options for r in o.relaxations)


def test_capacities_survive_toml_and_workbook(tmp_path: Path) -> None:
    inst = instance_from_dict(_capped(60.0))
    save_workbook(instance_workbook(inst), tmp_path / "c.xlsx")
    assert read(tmp_path / "c.xlsx").first == inst
    write_instance(inst, tmp_path / "c.toml")
    assert read(tmp_path / "c.toml").first == inst


def test_a_capacity_naming_an_unknown_material_is_refused() -> None:
    raw = _capped(60.0)
    raw["capacities"][0]["materials"] = ["A", "Z"]
    with pytest.raises(InputError) as info:
        instance_from_dict(raw, "c.toml")
    assert ("c.toml, table 'capacities', row 1 ('furnace'), field 'materials': names material "
            "'Z', which the instance does not have") in str(info.value)
