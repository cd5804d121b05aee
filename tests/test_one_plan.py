"""One plan type (issue 18): a month is a horizon of one period, so every command, every
solver route and every way of changing an instance works on several periods exactly as
on a month: the quarter through HiGHS (arrays and Pyomo) and CBC/GLPK, per-period
``--set`` edits equal to the same edits written in the file, export, compare, sweep,
declaration, check, conversions both ways, ``--start``, and the Python API."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import highspy
import numpy as np
import pytest
import tomlkit
from click.testing import CliRunner

import mixopt
from mixopt import InputError, SolveOptions, apply_overrides, read, solve
from mixopt.cli import Exit, main
from mixopt.model.backend.through_pyomo import available
from mixopt.testing import assert_objective, assert_rechecked
from tests.conftest import INSTANCES

QUARTER = INSTANCES / "can-body-quarter.toml"
WILLIAMS = INSTANCES / "williams-food-manufacture-1.toml"


def _run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture(scope="module")
def joint() -> float:
    return solve(read(QUARTER)).objective_value


@pytest.mark.parametrize(("backend", "solver"), [("highspy", "highs"), ("pyomo", "highs"),
                                                 ("pyomo", "cbc"), ("pyomo", "glpk")])
def test_the_quarter_through_every_solver_route(joint: float, backend: str,
                                                solver: str) -> None:
    """Every period reaches every backend: the Pyomo model names each period's blocks
    apart (``chemistry@2027-02``), so no period overwrites another."""
    if solver != "highs" and not available(solver):
        pytest.skip(f"Pyomo finds no {solver} on this machine (Debian: glpk-utils, "
                    "coinor-cbc; .ci/run installs them where it can)")
    r = solve(read(QUARTER), SolveOptions(backend=backend, solver=solver))
    assert str(r.status) == "optimal"
    assert_objective(r.objective_value, joint, 1e-6)
    assert_rechecked(r)


def test_pyomo_names_every_period_apart() -> None:
    from mixopt.model.backend.through_pyomo import to_pyomo
    from mixopt.model.formulation import build_window

    lp = build_window(read(QUARTER)).lp
    model = to_pyomo(lp)
    for period in ("2027-01", "2027-02", "2027-03"):
        assert model.component(f"mass_balance@{period}") is not None
    assert sum(len(model.component(b.label)) for b in lp.rows) == lp.A.shape[0]


def _edited(tmp: Path, source: Path, edit) -> Path:
    doc = tomlkit.parse(source.read_text())
    edit(doc)
    path = tmp / f"edited-{len(list(tmp.iterdir()))}.toml"
    path.write_text(tomlkit.dumps(doc))
    return path


def _material(doc, name: str):
    return next(m for m in doc["materials"] if m["name"] == name)


PER = ("2027-01", "2027-02", "2027-03")
#: (--set path and value, the same edit written in the file)
EDITS = [
    ("materials.UBC bales.cost.2027-02=2100",
     lambda d: _material(d, "UBC bales")["cost"].update({"2027-02": 2100})),
    ("materials.UBC bales.cost=2000",  # a per-period field without a period: every period
     lambda d: _material(d, "UBC bales").__setitem__("cost", 2000)),
    ("materials.UBC bales.available.max=5000",  # stored: what is bought, as in the file
     lambda d: _material(d, "UBC bales")["available"].__setitem__("max", 5000)),
    ("materials.UBC bales.available.max.2027-01=6000",
     lambda d: _material(d, "UBC bales")["available"].__setitem__(
         "max", {"2027-01": 6000, "2027-02": 9000, "2027-03": 9000})),
    ("materials.Hydro P1020.cost.2027-03=2300",
     lambda d: _material(d, "Hydro P1020").__setitem__(
         "cost", {"2027-01": 2600, "2027-02": 2600, "2027-03": 2300})),
    ("materials.Process scrap 3xxx.available.max.2027-02=900",
     lambda d: _material(d, "Process scrap 3xxx")["available"]["max"].update(
         {"2027-02": 900})),
    ("materials.UBC bales.stock.max.2027-02=1500",
     lambda d: _material(d, "UBC bales")["stock"].__setitem__(
         "max", {"2027-01": 4000, "2027-02": 1500, "2027-03": 4000})),
    ("materials.UBC bales.stock.holding_cost=30",
     lambda d: _material(d, "UBC bales")["stock"].__setitem__("holding_cost", 30)),
    ("materials.UBC bales.stock.final=300",
     lambda d: _material(d, "UBC bales")["stock"].__setitem__("final", 300)),
    ("materials.INERTA.contract.min=3000",
     lambda d: _material(d, "INERTA")["contract"].__setitem__("min", 3000)),
    ("materials.INERTA.contract.max=2500",
     lambda d: _material(d, "INERTA")["contract"].__setitem__("max", 2500)),
    ("products.AA3104 slab.tonnes.2027-03=9000",
     lambda d: d["products"][0]["tonnes"].update({"2027-03": 9000})),
    ("capacities.scrap melting furnace.max.2027-01=7000",
     lambda d: d["capacities"][0].__setitem__("max", {"2027-01": 7000, "2027-02": 8500,
                                                      "2027-03": 8500})),
]


@pytest.mark.parametrize(("assignment", "edit"), EDITS, ids=[e[0] for e in EDITS])
def test_a_set_gives_the_plan_of_the_same_edit_in_the_file(tmp_path: Path, assignment: str,
                                                             edit) -> None:
    code, out, err = _run("solve", str(QUARTER), "--set", assignment, "--format", "json")
    in_file = _edited(tmp_path, QUARTER, edit)
    code2, out2, err2 = _run("solve", str(in_file), "--format", "json")
    assert code == code2, (err, err2)
    a, b = json.loads(out), json.loads(out2)
    assert a["status"] == b["status"]
    if a["objective"]["value"] is not None:
        assert a["objective"]["value"] == pytest.approx(b["objective"]["value"], rel=1e-9)
        assert [r["bought_t"] for r in a["purchases"]] == pytest.approx(
            [r["bought_t"] for r in b["purchases"]], abs=1e-6)


def test_a_sold_products_price_per_period(tmp_path: Path) -> None:
    def edit(d):
        d["products"][0]["price"] = {p: 150 + 10 * k for k, p in enumerate(
            read(WILLIAMS).periods)}

    h = read(WILLIAMS)
    sets = {f"products.blended oil.price.{p}": 150 + 10 * k for k, p in enumerate(h.periods)}
    a = solve(apply_overrides(h, sets))
    b = solve(read(_edited(tmp_path, WILLIAMS, edit)))
    assert_objective(a.objective_value, b.objective_value, 1e-9)


@pytest.mark.parametrize(("path", "assignment", "says"), [
    (QUARTER, "materials.UBC bales.cost.2027-13=1",
     "period '2027-13' is not one of the instance's periods"),
    (QUARTER, "objective.footprint_cap.2027-02=3",
     "holds for every period: it takes no period"),
    (QUARTER, "materials.INERTA.contract.min.2027-01=3", "holds for every period"),
    (QUARTER, "materials.UBC bales.stock.initial.2027-02=3", "holds for every period"),
    (INSTANCES / "can-body.toml", "materials.UBC bales.cost.2027-02=1",
     "the instance has no periods"),
    (QUARTER, "materials.UBC bales.colour=red", "unknown field 'colour'"),
])
def test_a_set_that_cannot_mean_anything_is_refused_by_path(path: Path, assignment: str,
                                                           says: str) -> None:
    code, _, err = _run("solve", str(path), "--set", assignment)
    assert code == Exit.INVALID_INPUT and says in err
    assert assignment.split("=")[0] in err


def test_export_the_quarter_and_solve_it_in_plain_highs(tmp_path: Path, joint: float) -> None:
    for suffix in (".mps", ".lp"):
        target = tmp_path / f"q{suffix}"
        code, _, err = _run("export", str(QUARTER), "-o", str(target))
        assert code == 0, err
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        assert h.readModel(str(target)) == highspy.HighsStatus.kOk
        h.run()
        assert_objective(h.getInfo().objective_function_value, joint, 1e-9)
        text = target.read_text()
        assert "charge.2027_02.AA3104_slab.UBC_bales" in text  # named by period
        assert "stock_balance.2027_03.UBC_bales" in text  # and the links by period too


def test_compare_and_sweep_on_the_quarter(tmp_path: Path, joint: float) -> None:
    q = tmp_path / "q.toml"
    q.write_text(QUARTER.read_text() + '\n[scenarios.cheap-feb]\n'
                 '"materials.UBC bales.cost.2027-02" = 1700\n')
    code, out, err = _run("compare", str(q), "--all", "--format", "json")
    assert code == 0, err
    rows = {r["scenario"]: r for r in json.loads(out)}
    assert rows["base"]["objective"] == pytest.approx(joint, rel=1e-9)
    cheap = solve(apply_overrides(read(QUARTER), {"materials.UBC bales.cost.2027-02": 1700}))
    assert rows["cheap-feb"]["objective"] == pytest.approx(cheap.objective_value, rel=1e-9)
    code, out, err = _run("sweep", str(QUARTER), "--grid",
                          "materials.UBC bales.cost.2027-02=1700,1950", "--format", "json")
    assert code == 0, err
    objectives = [r["objective"] for r in json.loads(out)]
    assert objectives == pytest.approx([cheap.objective_value, joint], rel=1e-9)


def test_declaration_per_period_and_for_the_horizon() -> None:
    code, out, err = _run("solve", str(QUARTER), "--format", "declaration")
    assert code == 0, err
    doc = json.loads(out)
    assert [p["period"] for p in doc["products"]] == list(PER)
    (over,) = doc["horizon"]
    slab = sum(p["slab_t"] for p in doc["products"])
    assert over["slab_t"] == pytest.approx(slab)
    full = sum(p["footprint_full_t_co2e_per_t"] * p["slab_t"] for p in doc["products"]) / slab
    assert over["footprint_full_t_co2e_per_t"] == pytest.approx(full, rel=1e-12)


def test_check_runs_a_scenario_with_an_override(tmp_path: Path) -> None:
    shutil.copy(INSTANCES / "can-body.toml", tmp_path)
    shutil.copy(QUARTER, tmp_path)
    want = solve(apply_overrides(apply_overrides(read(INSTANCES / "can-body.toml"), {
        "objective.minimise": "cost", "objective.footprint_cap": 3.0}), {
        "materials.INERTA.cost": 2500})).objective_value
    (tmp_path / "expected.json").write_text(json.dumps({"runs": [
        {"id": "scenario+override", "path": "can-body.toml", "scenario": "cost-cap3",
         "overrides": {"materials.INERTA.cost": 2500}, "status": "optimal",
         "objective": want},
        {"id": "quarter-per-period", "path": "can-body-quarter.toml",
         "overrides": {"materials.UBC bales.cost.2027-02": 2100, "minimise": "cost"},
         "status": "optimal", "objective": 68841079.24203214}]}))
    code, out, err = _run("check", str(tmp_path), "--format", "json")
    assert code == 0, out + err
    assert json.loads(out)["passed"] == 2


def test_the_quarter_converts_to_toml_and_csv_and_back(tmp_path: Path, joint: float) -> None:
    for how in ("inline", "csv"):
        target = tmp_path / how / "q.toml"
        target.parent.mkdir()
        code, _, err = _run("convert", str(QUARTER), str(target), "--tables", how)
        assert code == 0, err
        assert read(target) == read(QUARTER)


def test_per_period_composition_and_aims_survive_a_workbook_and_csv(tmp_path: Path) -> None:
    """A composition and an aim that differ by period, in TOML, in a workbook (a period
    column in its composition and aims sheets) and in CSV tables, read back equal."""
    h = apply_overrides(read(QUARTER), {"materials.UBC bales.composition.Fe.2027-02": 0.55,
                                        "products.AA3104 slab.aim.Mn.2027-03": [0.9, 1.3]})
    assert h.instances[1].materials[0].composition["Fe"] == 0.55
    assert h.instances[0].materials[0].composition["Fe"] == 0.50
    assert "Mn" in h.instances[2].products[0].aim and "Mn" not in h.first.products[0].aim
    from mixopt.io.spreadsheet import save_workbook
    from mixopt.io.template import instance_workbook
    from mixopt.io.write import write_instance

    book = tmp_path / "h.xlsx"
    save_workbook(instance_workbook(h), book)
    assert read(book) == h
    assert_objective(solve(read(book)).objective_value, solve(h).objective_value, 1e-12)
    # TOML has no word for "no aim in this period": refused by name, never dropped
    with pytest.raises(InputError, match="aim.Mn is given in some periods only"):
        write_instance(h, tmp_path / "h.toml", csv_tables=True)
    h = apply_overrides(h, {"products.AA3104 slab.aim.Mn": None})
    write_instance(h, tmp_path / "h.toml", csv_tables=True)
    assert "period" in (tmp_path / "h.composition.csv").read_text().splitlines()[0]
    assert read(tmp_path / "h.toml") == h


def test_a_period_a_workbook_does_not_list_is_named_by_cell(tmp_path: Path) -> None:
    import openpyxl

    book = tmp_path / "q.xlsx"
    _run("convert", str(QUARTER), str(book))
    wb = openpyxl.load_workbook(book)
    ws = wb["composition"]
    heads = [c.value for c in ws[1]]
    ws.append(["UBC bales", "2027-07", *([0.1] * (len(heads) - 2))])
    wb.save(book)
    with pytest.raises(InputError) as err:
        read(book)
    text = str(err.value)
    assert "sheet 'composition'" in text and "period '2027-07' is not in periods" in text
    assert f"(cell B{ws.max_row})" in text


def test_start_and_myopic_report_whole_plans(tmp_path: Path, joint: float) -> None:
    plan = tmp_path / "plan.json"
    code, out, err = _run("solve", str(QUARTER), "--format", "json", "-o", str(plan))
    assert code == 0, err
    code, out, err = _run("solve", str(QUARTER), "--start", str(plan), "--myopic",
                          "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["objective"]["value"] == pytest.approx(joint, rel=1e-9)
    ahead = doc["planning_ahead"]
    assert ahead["mix"] and ahead["purchases"]
    myopic = ahead["objective_value"]
    assert ahead["value_of_planning_ahead"] == pytest.approx(myopic - joint, rel=1e-9)
    for rows in (doc["purchases"], ahead["purchases"]):  # opening + bought - charged
        for r in rows:
            assert r["closing_stock_t"] == pytest.approx(
                r["opening_stock_t"] + r["bought_t"] - r["charged_t"] if r["stored"]
                else 0.0, abs=1e-6)


def test_the_python_api_reads_and_solves_months_and_horizons() -> None:
    month = mixopt.solve(str(INSTANCES / "can-body.toml"), minimise="cost", cap=3.0)
    assert_objective(month.objective_value, 22183898.103922423)
    assert list(month.mix.columns) == ["product", "material", "kind", "charged_t",
                                       "share_of_charge"]
    h = mixopt.read(QUARTER)
    r = mixopt.solve(h, overrides={"materials.UBC bales.cost.2027-02": 2100})
    assert_objective(r.objective_value, 68841079.24203214)
    assert r.mix.columns[0] == "period" and set(r.mix.period) == set(PER)
    p = r.purchases
    assert {"material", "period", "opening_stock_t", "bought_t", "charged_t",
            "closing_stock_t"} <= set(p.columns)
    ubc = p[p.material == "UBC bales"]
    np.testing.assert_allclose(ubc.closing_stock_t, ubc.opening_stock_t + ubc.bought_t
                               - ubc.charged_t, atol=1e-6)
    assert "footprint_t_co2e_per_t_slab" in r.products.columns
    sp = r.shadow_prices
    assert {"period", "family", "limit", "shadow_price", "per"} <= set(sp.columns)
    assert (sp.family == "purchase").any()
