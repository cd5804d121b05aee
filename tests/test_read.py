"""Reading and validating instances: every problem at once, each at its place."""

from __future__ import annotations

import copy
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from mixopt import InputError, read, solve
from mixopt.io.validate import instance_from_dict
from mixopt.model.schema.alloys import library
from mixopt.testing import assert_objective
from tests.conftest import INSTANCES
from tests.helpers import lots_milp, two_material


def problems_of(raw: dict) -> list[str]:
    with pytest.raises(InputError) as info:
        instance_from_dict(raw, "t.toml")
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(("changes", "expected"), [
    ({"materials__0__cost": -1},
     "row 1 ('A'), field 'cost': Input should be greater than or equal to 0"),
    ({"materials__0__cost": float("nan")}, "field 'cost': Input should be a finite number"),
    ({"products__0__tonnes": float("inf")}, "field 'tonnes': Input should be a finite number"),
    ({"materials__1__footprint": {"full": 1}},
     "field 'footprint.scope12': required, but not given"),
    ({"alloys": {"X": {"Cu": [2.0, 1.0]}}},
     "table 'alloys.X', field 'Cu': min (2) is above max (1)"),
    ({"materials__1__composition": {"Cu": 70, "Fe": 40}}, "composition adds up to 110 wt%"),
    ({"materials__1__composition": {"Cu": 101}}, "less than or equal to 100"),
    ({"products__0__alloy": "AA0000"}, "unknown alloy 'AA0000'"),
    ({"materials__1__yield": 0}, "field 'yield': Input should be greater than or equal to 0.01"),
    ({"materials__1__yield": 1.01}, "field 'yield': Input should be less than or equal to 1"),
    ({"materials__1__available": {"min": 5, "max": 1}}, "min (5) is above max (1)"),
    ({"materials__1__lot": 0}, "field 'lot'"),
    ({"products__0__tonnes": True}, "field 'tonnes': a true/false value is not a number"),
    ({"products__0__tonnes": 1e-300},
     "field 'tonnes': Input should be greater than or equal to 0.001"),
    ({"products__0__tonnes": 1e9},
     "field 'tonnes': Input should be less than or equal to 10000000"),
    ({"materials__0__cost": 1e308},
     "field 'cost': Input should be less than or equal to 10000000"),
    ({"materials__1__composition": {"Cu": 4.0, "Fe": 1e-12}}, "Fe below 1e-06 wt%"),
    ({"materials__1__composition": {}, "materials__1__lot": 1e-12}, "field 'lot'"),
    ({"materials__1__colour": "red"}, "field 'colour': Extra inputs are not permitted"),
    ({"products__0__min_recycled": 1.5}, "field 'min_recycled'"),
    ({"objective__minimise": "carbon"}, "table 'objective', field 'minimise'"),
    ({"materials__1__composition": {"1x": 1}}, "field 'composition.1x"),
])
def test_bad_input_message(changes: dict, expected: str) -> None:
    problems = problems_of(two_material(**changes))
    assert any(expected in p for p in problems), problems


def test_duplicate_names_and_all_problems_at_once() -> None:
    raw = two_material(materials__0__cost=-1, products__0__tonnes=0)
    raw["materials"][1]["name"] = "A"
    problems = problems_of(raw)
    assert len(problems) == 3, problems
    assert any("row 2 ('A'), field 'name': duplicate name 'A' (first used in row 1)" in p
               for p in problems)


def test_constituent_names_are_free_identifiers() -> None:
    raw = two_material(materials__1__composition={"Cu": 4.0, "GI": 0.1},
                       alloys={"X": {"Cu": [1, 2], "GI": [0, 0.05]}})
    assert solve(instance_from_dict(raw)).status == "optimal"


def test_library_alloy_resolves_and_instance_definition_wins() -> None:
    raw = two_material(products__0__alloy="AA3104")
    raw.pop("alloys")
    inst = instance_from_dict(raw)
    assert inst.alloys["AA3104"]["Mn"] == library()["AA3104"].limits_wt_pct["Mn"] == (0.8, 1.4)
    # an instance may redefine a library alloy, window by window, but not drop one: the
    # planner who deletes the Mn row of AA3104 must not get a plan with Mn unlimited
    own = {e: list(w) for e, w in library()["AA3104"].limits_wt_pct.items()}
    raw["alloys"] = {"AA3104": {**own, "Mn": [0.0, 2.0]}}
    assert instance_from_dict(raw).alloys["AA3104"]["Mn"] == (0.0, 2.0)
    del raw["alloys"]["AA3104"]["Mn"]
    with pytest.raises(InputError, match=r"table 'alloys.AA3104': omits Mn, which the shipped "
                                         r"AA3104 limits \(Mn \[0.8, 1.4\]\)"):
        instance_from_dict(raw)
    raw["alloys"]["AA3104"]["Mn"] = [0, 100]  # "no limit", written explicitly
    assert instance_from_dict(raw).alloys["AA3104"]["Mn"] == (0.0, 100.0)


def test_lots_above_supply_warn_and_solve(caplog: pytest.LogCaptureFixture) -> None:
    raw = two_material(materials__1__min_order=50, materials__1__available={"max": 10})
    raw["materials"].append({"name": "C", "cost": 30, "footprint": {"full": 1, "scope12": 1},
                             "composition": {"Cu": 2.0}})
    with caplog.at_level("WARNING"):
        inst = instance_from_dict(raw, "t.toml")
    assert ("t.toml, table 'materials', row 2 ('B'), field 'available': its min_order of 50 t "
            "is above the 10 t available: it cannot be bought this month") in caplog.text
    r = solve(inst)
    assert r.status == "optimal" and r.evaluations[0].use_t[1] == 0.0  # B is not bought
    assert_objective(r.objective_value, 50 * 10 + 50 * 30)  # A and C at Cu 1 wt%


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_milps_with_lots_above_supply_match_a_month_without_them(seed: int) -> None:
    """A material whose min_order or single lot exceeds its supply cannot be bought: the
    month solves to the optimum of the same month with that material taken away (a
    second formulation, built independently)."""
    import numpy as np

    raw = lots_milp(n_lots=14, n_products=2, seed=seed)
    rng = np.random.default_rng(seed)
    blocked = sorted(rng.choice(14, size=4, replace=False).tolist())
    for k, i in enumerate(blocked):
        m = raw["materials"][i]
        if k % 2:
            m["min_order"] = m["available"]["max"] + 7.3  # the minimum order is above supply
        else:
            m["lot"] = m["available"]["max"] * 1.5  # one lot is above supply
            m.pop("min_order")
    with_them = solve(instance_from_dict(raw, "t.toml"))
    without = copy.deepcopy(raw)
    without["materials"] = [m for i, m in enumerate(raw["materials"]) if i not in blocked]
    reference = solve(instance_from_dict(without, "ref.toml"))
    assert with_them.status == reference.status == "optimal"
    assert_objective(with_them.objective_value, reference.objective_value)
    assert all(with_them.evaluations[0].use_t[i] == 0.0 for i in blocked)


def test_library_is_read_from_models() -> None:
    lib = library()
    assert {"AA3104", "AA5182", "AA6061"} <= set(lib)
    assert lib["AA3104"].limits_wt_pct["Fe"] == (0.0, 0.8)
    assert "Teal Sheets" in lib["AA3104"].sources["Fe"]


def test_csv_split_instance_equals_inline() -> None:
    inline = read(INSTANCES / "can-body.toml")
    split = read(INSTANCES / "can-body-csv" / "can-body.toml")
    assert split == inline
    a, b = solve(inline), solve(split)
    assert_objective(b.objective_value, a.objective_value)
    np.testing.assert_array_equal(a.evaluations[0].mix_t, b.evaluations[0].mix_t)


def _write(tmp: Path, name: str, text: str) -> Path:
    p = tmp / name
    p.write_text(text)
    return p


HEAD = """name = "t"
[alloys.X]
Cu = [1, 2]
[[products]]
name = "P"
alloy = "X"
tonnes = 100
[files]
materials = "m.csv"
composition = "c.csv"
"""


def test_csv_errors_name_file_line_and_column(tmp_path: Path) -> None:
    toml = _write(tmp_path, "t.toml", HEAD)
    _write(tmp_path, "m.csv", "name,cost,footprint_full,footprint_scope12,weight\n"
                              "A,10,1,0.4,\nB,n/a,0.5,0.2,\n")
    _write(tmp_path, "c.csv", "material,Cu\nA,\nB,4\nZ,1\n")
    with pytest.raises(InputError) as info:
        read(toml)
    msgs = [str(p) for p in info.value.problems]
    assert any("m.csv, table 'materials', field 'weight': 'weight' is not a column of this "
               "table" in m for m in msgs), msgs
    assert any("m.csv, table 'materials', row 2 ('B'), field 'cost': 'n/a' is not a number"
               in m for m in msgs), msgs
    assert any("c.csv, table 'composition', row 3 ('Z'), field 'material'" in m for m in msgs)
    assert any("c.csv, table 'composition', row 1 ('A'), field 'material': has no value in "
               "any constituent column: write 0 to say none" in m for m in msgs), msgs


def test_toml_syntax_error(tmp_path: Path) -> None:
    p = _write(tmp_path, "bad.toml", "name = \n")
    with pytest.raises(InputError, match=r"bad.toml: is not valid TOML"):
        read(p)


def test_file_size_guard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mixopt.io.files as reader
    monkeypatch.setattr(reader, "MAX_FILE_BYTES", 10)
    p = _write(tmp_path, "big.toml", "name = 'a very long name'\n")
    with pytest.raises(InputError, match="over the limit of 10"):
        read(p)


def test_reading_and_solving_never_change_the_input(tmp_path: Path) -> None:
    src = tmp_path / "i"
    shutil.copytree(INSTANCES / "can-body-csv", src)
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in src.iterdir()}
    solve(read(src / "can-body.toml"))
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in src.iterdir()}
    assert before == after


def test_instance_is_frozen() -> None:
    inst = instance_from_dict(two_material())
    with pytest.raises(Exception, match="frozen"):
        inst.materials[0].cost = 5  # type: ignore[misc]


def test_instance_from_dict_leaves_the_callers_dict_alone() -> None:
    raw = two_material(products__0__alloy="AA3104")
    raw["alloys"] = {}
    before = repr(raw)
    assert "AA3104" in instance_from_dict(raw).alloys
    assert repr(raw) == before


def test_table_size_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    import mixopt.io.validate as reader
    monkeypatch.setattr(reader, "MAX_ROWS", 1)
    with pytest.raises(InputError, match="table 'materials': has 2 rows, over the limit of 1"):
        instance_from_dict(two_material())
