"""Workbooks: template, read, convert both ways (lossless), results, and errors at cells."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from mixopt import InputError, read, solve
from mixopt.cli import Exit, main
from mixopt.io.schema import field_registry
from mixopt.io.spreadsheet import save_workbook as save
from mixopt.io.template import instance_workbook
from mixopt.io.workbook import read_workbook
from mixopt.testing import assert_objective
from tests.conftest import INSTANCES

CAN = INSTANCES / "can-body.toml"


def test_template_has_every_sheet_and_the_registry(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    r = CliRunner().invoke(main, ["template", str(out)])
    assert r.exit_code == 0, r.stderr
    wb = load_workbook(out)
    assert wb.sheetnames == ["README", "settings", "products", "alloys", "aims", "materials",
                             "composition", "composition_sd", "power", "labels", "processes",
                             "capacities", "rules", "process_inputs", "scenarios"]
    lists = {dv.formula1 for dv in wb["materials"].data_validations.dataValidation}
    assert '"post-consumer,pre-consumer"' in lists  # dropdowns where a cell takes a word
    readme = [tuple(c.value or "" for c in row) for row in wb["README"].iter_rows(min_row=5)]
    assert readme == [tuple(r) for r in field_registry()]  # empty cells read back as None
    fields = {(s, c) for s, c, *_ in field_registry()}
    assert ("materials", "available_max") in fields and ("products", "min_recycled") in fields
    units = {c: u for s, c, u, *_ in field_registry() if s == "materials"}
    assert units["cost"] == "currency/t" and units["yield"] == "t/t"
    heads = [c.value for c in wb["materials"][1]]
    assert heads[:5] == ["name", "kind", "route", "recycled", "cost [USD/t]"]  # units
    assert wb["materials"]["A2"].value.startswith("(example)")  # a row to type over
    assert wb["materials"]["E1"].comment.text.startswith("price per charged t")  # registry notes


@pytest.mark.parametrize("name", ["can-body.toml", "can-body-and-end.toml",
                                  "can-body-electrolysis.toml", "westerberg-steel-milp.toml",
                                  "can-body-csv/can-body.toml"])
def test_toml_to_xlsx_to_toml_is_lossless(name: str, tmp_path: Path) -> None:
    runner = CliRunner()
    xlsx, back = tmp_path / "i.xlsx", tmp_path / "back.toml"
    assert runner.invoke(main, ["convert", str(INSTANCES / name), str(xlsx)]).exit_code == 0
    assert runner.invoke(main, ["convert", str(xlsx), str(back)]).exit_code == 0
    original = read(INSTANCES / name)
    assert read(xlsx) == original
    assert read(back) == original
    assert_objective(solve(read(xlsx)).objective_value,
                     solve(original).objective_value)


def test_solve_reads_a_workbook(tmp_path: Path) -> None:
    xlsx = tmp_path / "i.xlsx"
    save(instance_workbook(read(CAN)), xlsx)
    r = CliRunner().invoke(main, ["solve", str(xlsx), "--format", "json"])
    assert r.exit_code == 0 and '"can-body-2026-06"' in r.stdout


def _broken(tmp_path: Path, sheet: str, cell: str, value: object) -> Path:
    xlsx = tmp_path / "b.xlsx"
    wb = instance_workbook(read(CAN))
    wb[sheet][cell] = value
    save(wb, xlsx, force=True)
    return xlsx


def test_errors_point_at_sheet_and_cell(tmp_path: Path) -> None:
    wb = instance_workbook(read(CAN))
    comp = wb["composition"]
    header = [c.value for c in comp[1]]
    col = "ABCDEFGHIJ"[header.index("Fe [wt%]")]
    comp[f"{col}3"] = "n/a"
    wb["materials"]["E4"] = -5  # cost of the third material
    wb["products"]["C2"] = "lots"  # tonnes
    xlsx = tmp_path / "b.xlsx"
    save(wb, xlsx)
    with pytest.raises(InputError) as info:
        read_workbook(xlsx)
    msgs = [str(p) for p in info.value.problems]
    # in the workbook's words: sheet, Excel row (and its name), column header, A1 cell
    assert any(f"sheet 'composition', row 3 ('Process scrap 3xxx'), column 'Fe' (cell "
               f"{col}3): 'n/a' is not a number" in m for m in msgs), msgs
    assert any("sheet 'materials', row 4 ('INERTA'), column 'cost' (cell E4): Input should "
               "be greater than or equal to 0" in m for m in msgs), msgs
    assert any("sheet 'products', row 2 ('AA3104 slab'), column 'tonnes' (cell C2): 'lots' "
               "is not a number" in m for m in msgs), msgs
    r = CliRunner().invoke(main, ["validate", str(xlsx)])
    assert r.exit_code == Exit.INVALID_INPUT and "Traceback" not in r.stderr


def test_unknown_setting_and_missing_sheet(tmp_path: Path) -> None:
    xlsx = _broken(tmp_path, "settings", "A20", "objective.colour")
    with pytest.raises(InputError, match=r"sheet 'settings', row 20 \('objective.colour'\), "
                                         r"column 'key' \(cell A20\): unknown setting"):
        read_workbook(xlsx)
    wb = instance_workbook(read(CAN))
    del wb["materials"]
    save(wb, tmp_path / "m.xlsx")
    with pytest.raises(InputError, match="has no sheet 'materials'"):
        read_workbook(tmp_path / "m.xlsx")


def test_not_a_workbook_and_size_guard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "x.xlsx"
    bad.write_text("not a zip")
    with pytest.raises(InputError, match="is not an .xlsx workbook"):
        read(bad)
    from mixopt.io import spreadsheet as excel
    good = tmp_path / "g.xlsx"
    save(instance_workbook(read(CAN)), good)
    monkeypatch.setattr(excel, "MAX_UNCOMPRESSED_BYTES", 1000)
    with pytest.raises(InputError, match="unpacks to"):
        read(good)


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    src = CAN.read_text().replace('name = "UBC bales"', 'name = "=HYPERLINK(1)"') \
        .replace('"materials.UBC bales.cost"', '"materials.=HYPERLINK(1).cost"')
    toml = tmp_path / "f.toml"
    toml.write_text(src)
    inst = read(toml)
    xlsx = tmp_path / "f.xlsx"
    save(instance_workbook(inst), xlsx)
    assert read_workbook(xlsx) == inst  # the input workbook keeps the name as text
    out = tmp_path / "r.xlsx"
    r = CliRunner().invoke(main, ["solve", str(toml), "--format", "xlsx", "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    mix = load_workbook(out)["mix"]
    cells = {row[1].value: row[1] for row in mix.iter_rows(min_row=2)}
    assert cells["=HYPERLINK(1)"].data_type == "s"  # the name exactly, stored as text
    assert all(c.data_type == "s" for c in cells.values())


def test_results_workbook(tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    r = CliRunner().invoke(main, ["solve", str(CAN), "--format", "xlsx", "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    wb = load_workbook(out)
    assert {"summary", "mix", "chemistry", "footprint by kind", "shadow prices",
            "material sensitivity"} <= set(wb.sheetnames)
    result = solve(read(CAN))
    assert wb.sheetnames[0] == "summary"
    summary = {row[0].value: (row[1].value, row[2].value, row[1].number_format)
               for row in wb["summary"].iter_rows(min_row=2)}
    assert_objective(summary["Objective"][0], result.objective_value)
    assert summary["Objective"][1] == "t CO2e/t slab"
    assert summary["Cost"][1:] == ("USD", "#,##0")  # money with thousands separators
    assert summary["Metal charged"][1:] == ("t", "#,##0.0")
    assert summary["Recycled"][1:] == ("%", "0.0%")
    mix = wb["mix"]
    assert [c.value for c in mix[1]] == ["Product", "Material", "Kind", "Charged [t]",
                                         "Share of the product's charge [%]"]
    assert mix["D2"].number_format == "#,##0.0" and mix["E2"].number_format == "0.0%"
    for ws in wb:  # headers frozen and printed on every page, one page wide
        assert ws.freeze_panes == "A2" and ws.print_title_rows in ("1:1", "$1:$1")
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert all(ws.column_dimensions[c].width >= 8 for c in "AB")
    assert [c.value for c in wb["chemistry"][1]][2:5] == ["Min [wt%]", "Achieved [wt%]",
                                                         "Max [wt%]"]
    assert wb["chemistry"]["D2"].number_format == "0.0000"
    sp_heads = [c.value for c in wb["shadow prices"][1]]
    words = {r[sp_heads.index("Limit")].value: r[-1].value
             for r in wb["shadow prices"].iter_rows(min_row=2)}
    assert "AA3104 slab: Mn min 0.8 wt%" in words
    assert words["INERTA: at most 1,050 t available"] == "1 t more saves 3.9 t CO2e"
    chem = wb["chemistry"]
    rows = {row[1].value: row for row in chem.iter_rows(min_row=2)}
    assert rows["Mn"][5].value == "min"
    assert rows["Mn"][0].fill.fgColor.rgb.endswith("FFE08A")  # binding row highlighted
    assert rows["Fe"][0].fill.fgColor.rgb in (None, "00000000")
    r = CliRunner().invoke(main, ["solve", str(CAN), "--format", "xlsx"])
    assert r.exit_code == 2 and "-o" in r.stderr


def test_compare_and_pareto_workbooks(tmp_path: Path) -> None:
    for cmd in (["compare", str(CAN), "--all"], ["pareto", str(CAN)]):
        out = tmp_path / f"{cmd[0]}.xlsx"
        r = CliRunner().invoke(main, [*cmd, "--format", "xlsx", "-o", str(out)])
        assert r.exit_code == 0, r.stderr
        ws = load_workbook(out).worksheets[0]
        assert ws.max_row >= 4
        heads = [c.value for c in ws[1]]
        assert "Cost [USD]" in heads and "Footprint [t CO2e/t slab]" in heads
        cost = heads.index("Cost [USD]") + 1
        assert ws.cell(row=2, column=cost).number_format == "#,##0"


def test_planner_workflow_without_toml(tmp_path: Path) -> None:
    """template -> fill in the workbook -> solve -> results workbook and report."""
    runner = CliRunner()
    book = tmp_path / "june.xlsx"
    assert runner.invoke(main, ["template", str(book)]).exit_code == 0
    wb = load_workbook(book)
    settings = {row[0].value: row[0].row for row in wb["settings"].iter_rows(min_row=2)}
    wb["settings"][f"B{settings['name']}"] = "june"
    wb["settings"][f"B{settings['objective.minimise']}"] = "cost"
    wb["settings"][f"B{settings['casting.footprint.full']}"] = 0.25  # required: no silent 0
    wb["settings"][f"B{settings['casting.footprint.scope12']}"] = 0.2
    wb["products"].append(["slab", "AA3104", 1000])  # alloy from the shipped library
    heads = [str(c.value).split(" [")[0] for c in wb["materials"][1]]
    for row in ({"name": "UBC", "kind": "UBC bales", "route": "post-consumer scrap",
                 "cost": 1850, "footprint_full": 0.5, "footprint_scope12": 0.3,
                 "available_max": 800, "yield": 0.88},
                {"name": "Hydro P1020", "kind": "hydro primary",
                 "route": "carbon-anode primary", "cost": 2600, "footprint_full": 5.9,
                 "footprint_scope12": 4.0},
                {"name": "AlMn75", "kind": "master alloy", "route": "master alloy",
                 "cost": 3200, "footprint_full": 7.0, "footprint_scope12": 5.0, "yield": 0.98},
                {"name": "Mg", "kind": "master alloy", "route": "master alloy", "cost": 3500,
                 "footprint_full": 39.3, "footprint_scope12": 30.0}):
        wb["materials"].append([row.get(h) for h in heads])  # by header, as a planner types
    comp = wb["composition"]
    for c, name in enumerate(["material", "Si", "Fe", "Cu", "Mn", "Mg"], start=1):
        comp.cell(row=1, column=c, value=name)
    comp.append(["UBC", 0.25, 0.5, 0.15, 0.9, 1.6])
    comp.append(["Hydro P1020", 0.06, 0.15])
    comp.append(["AlMn75", None, None, None, 75.0])
    comp.append(["Mg", None, None, None, None, 99.8])
    wb.save(book)
    results, report = tmp_path / "june-results.xlsx", tmp_path / "june.html"
    r = runner.invoke(main, ["solve", str(book), "--format", "xlsx", "-o", str(results)])
    assert r.exit_code == 0, r.stderr
    summary = {row[0].value: row[1].value for row in load_workbook(results)["summary"]
               .iter_rows()}
    assert summary["Status"] == "optimal" and summary["Slab produced"] == pytest.approx(1000)
    assert runner.invoke(main, ["report", str(book), "-o", str(report)]).exit_code == 0
    assert "june" in report.read_text()
