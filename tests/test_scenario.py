"""Scenarios, --set overrides, compare and grids (serial, and on a local Dask cluster)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from mixopt import InputError, apply_overrides, read, scenario, solve
from mixopt.analysis.compare import compare, grid_points, parse_grid, run_grid
from mixopt.cli import Exit, main
from mixopt.io.variants import parse_assignment, variants
from mixopt.testing import assert_objective
from tests.conftest import INSTANCES

CAN = INSTANCES / "can-body.toml"


@pytest.fixture(scope="module")
def can():
    return read(CAN).first


def test_override_paths_with_names_containing_spaces(can) -> None:
    v = apply_overrides(can, {"materials.UBC bales.cost": 2035.0,
                              "materials.INERTA.available.max": 2000,
                              "products.AA3104 slab.tonnes": 9000,
                              "objective.footprint_cap": 3.0,
                              "alloys.AA3104.Fe": [0.0, 0.7],
                              "materials.INERTA.composition.Fe": 0.1})
    names = [m.name for m in v.materials]
    assert v.materials[names.index("UBC bales")].cost == 2035.0
    assert v.materials[names.index("INERTA")].available.max == 2000
    assert v.materials[names.index("INERTA")].composition["Fe"] == 0.1
    assert v.products[0].tonnes == 9000 and v.objective.footprint_cap == 3.0
    assert v.alloys["AA3104"]["Fe"] == (0.0, 0.7)
    assert can.materials[names.index("UBC bales")].cost == 1850  # the original is untouched


@pytest.mark.parametrize(("path", "message"), [
    ("materials.NOPE.cost", "no material named by 'NOPE.cost'"),
    ("materials.INERTA.price", "unknown field 'price'"),
    ("objective.cap", "unknown field 'cap'"),
    ("furnace.temperature", "unknown field 'temperature'"),
    ("ladle.temperature", "unknown table 'ladle'"),
])
def test_unknown_paths_are_named(can, path: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        apply_overrides(can, {path: 1}, "--set")
    text = str(info.value)
    assert message in text and path in text


def test_invalid_override_value_is_validated(can) -> None:
    with pytest.raises(InputError, match="field 'yield'"):
        apply_overrides(can, {"materials.INERTA.yield": 1.5})


def test_set_values_are_parsed_as_toml_not_code() -> None:
    assert parse_assignment("a.b=2000") == ("a.b", 2000)
    assert parse_assignment("a.b=[0, 0.7]") == ("a.b", [0, 0.7])
    assert parse_assignment("a.b=cost") == ("a.b", "cost")
    assert parse_assignment("a.b=__import__('os')") == ("a.b", "__import__('os')")


def test_named_scenarios_solve_to_their_own_instances(can) -> None:
    v = scenario(can, "cost-cap3-dear-ubc")
    direct = apply_overrides(can, {"objective.minimise": "cost", "objective.footprint_cap": 3.0,
                                   "materials.UBC bales.cost": 2035})
    assert_objective(solve(v).objective_value, solve(direct).objective_value)


def test_bad_scenario_in_file_is_reported_by_the_reader(tmp_path) -> None:
    p = tmp_path / "s.toml"
    p.write_text(CAN.read_text() + '\n[scenarios.bad]\n"materials.NOPE.cost" = 1\n')
    with pytest.raises(InputError) as info:
        read(p)
    assert "table 'scenarios.bad', field 'materials.NOPE.cost'" in str(info.value)


def test_compare_against_base(can) -> None:
    df = compare(variants(can, ["no-inerta", "cost-cap1_5", "cost-cap1_5-more-inerta"]))
    rows = df.set_index("scenario")
    assert list(rows.index) == ["base", "no-inerta", "cost-cap1_5", "cost-cap1_5-more-inerta"]
    assert rows.loc["base", "inert_anode_t"] == pytest.approx(1050.0)
    assert rows.loc["no-inerta", "inert_anode_t"] == 0.0
    assert rows.loc["no-inerta", "footprint_per_t"] > rows.loc["base", "footprint_per_t"]
    assert "INERTA -1,050.0 t" in rows.loc["no-inerta", "largest_changes_vs_base"]
    assert rows.loc["cost-cap1_5", "status"] == "infeasible"
    assert rows.loc["cost-cap1_5-more-inerta", "status"] == "optimal"
    assert rows.loc["cost-cap1_5-more-inerta", "footprint_per_t"] == pytest.approx(1.5)


def test_grid_parsing() -> None:
    assert parse_grid("materials.UBC.cost=1700:2100:100") == (
        "materials.UBC.cost", [1700.0, 1800.0, 1900.0, 2000.0, 2100.0])
    assert parse_grid("objective.scope=full,scope12") == ("objective.scope", ["full", "scope12"])
    assert len(grid_points([("a", [1, 2]), ("b", [3, 4, 5])])) == 6
    with pytest.raises(InputError, match="step > 0"):
        parse_grid("a=1:0:1")


AXES = [("materials.UBC bales.cost", [1700.0, 1900.0, 2100.0]),
        ("objective.footprint_cap", [1.55, 2.0, 3.0])]


def _cost_instance(can):
    return apply_overrides(can, {"objective.minimise": "cost"})


def test_grid_matches_independent_solves(can) -> None:
    base = _cost_instance(can)
    df = run_grid(base, AXES)
    assert len(df) == 9 and (df.status == "optimal").all()
    for row in df.itertuples(index=False):
        point = {p: getattr(row, f"_{i}") for i, (p, _) in enumerate(AXES)}
        fresh = solve(apply_overrides(base, point))
        assert_objective(row.objective, fresh.objective_value)


def test_cli_solve_with_scenario_and_set() -> None:
    r = CliRunner().invoke(main, ["solve", str(CAN), "--scenario", "cost-cap3", "--set",
                                  "materials.UBC bales.cost=2035", "--format", "json"])
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["objective"]["minimise"] == "cost"
    assert_objective(doc["objective"]["value"], 23478898.103922423)
    r = CliRunner().invoke(main, ["solve", str(CAN), "--set", "materials.NOPE.cost=1"])
    assert r.exit_code == Exit.INVALID_INPUT and "materials.NOPE.cost" in r.stderr


def test_cli_compare_and_sweep_outputs(tmp_path) -> None:
    r = CliRunner().invoke(main, ["compare", str(CAN), "--all", "--format", "json"])
    assert r.exit_code == 0, r.stderr
    assert [x["scenario"] for x in json.loads(r.stdout)][:2] == ["base", "cost-cap3"]
    out = tmp_path / "grid.csv"
    r = CliRunner().invoke(main, ["sweep", str(CAN), "--minimise", "cost", "--grid",
                                  "objective.footprint_cap=2:3:0.5", "--format", "csv", "-o",
                                  str(out)])
    assert r.exit_code == 0, r.stderr
    lines = out.read_text().splitlines()
    assert lines[0].startswith("objective.footprint_cap,status,objective")
    # no progress bar when stderr is not a terminal: only the file written is said
    assert len(lines) == 4 and r.stderr == f"wrote {out}\n"
