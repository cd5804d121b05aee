"""Headers, units and numbers of a converted month edited the way planners do (issue 20):
every edit gives the plan meant, or a refusal naming the sheet (or file), column and cell.
"""

from __future__ import annotations

import logging
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from mixopt import InputError, read, solve
from mixopt.cli import main
from mixopt.io.columns import number_text, split_header
from mixopt.io.variants import variant
from mixopt.testing import assert_objective
from tests.conftest import INSTANCES

CAN = INSTANCES / "can-body.toml"
CSV_CASE = INSTANCES / "can-body-csv"


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("book") / "can-body.xlsx"
    r = CliRunner().invoke(main, ["convert", str(CAN), str(out)])
    assert r.exit_code == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def base() -> tuple[float, np.ndarray]:
    r = solve(read(CAN))
    return r.objective_value, r.evaluations[0].mix_t


def edited(month: Path, tmp: Path, edit: Callable[[dict[str, Worksheet]], None]) -> Path:
    out = tmp / "edited.xlsx"
    shutil.copy(month, out)
    wb = load_workbook(out)
    edit({ws.title: ws for ws in wb})
    wb.save(out)
    return out


def col_of(ws: Worksheet, header: str) -> int:
    return next(c.column for c in ws[1] if split_header(c.value)[0] == header)


def row_of(ws: Worksheet, name: str) -> int:
    return next(c.row for c in ws["A"] if c.value == name)


def problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        read(path)
    return [str(p) for p in info.value.problems]


def same_plan(path: Path, base: tuple[float, np.ndarray]) -> None:
    r = solve(read(path))
    assert_objective(r.objective_value, base[0])
    np.testing.assert_allclose(r.evaluations[0].mix_t, base[1], rtol=1e-9, atol=1e-9)


# -- headers ---------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["FE [wt%]", "fe", " Fe (wt%) ", "FE [%]"])
def test_a_constituent_header_in_any_case_or_unit_spelling_is_that_constituent(
        month, tmp_path, spelling) -> None:
    """Was: 'FE [wt%]' became a new constituent and Fe read as 0 everywhere."""
    def edit(s: dict[str, Worksheet]) -> None:
        s["composition"].cell(row=1, column=col_of(s["composition"], "Fe")).value = spelling
        alloys = s["alloys"]
        fe = next(r[0].row for r in alloys.iter_rows(min_row=2) if r[1].value == "Fe")
        alloys.cell(row=fe, column=4).value = 0.4  # Fe max 0.4: UBC's iron binds
    path = edited(month, tmp_path, edit)
    want = solve(variant(read(CAN), assignments={"alloys.AA3104.Fe": [0, 0.4]}))
    got = solve(read(path))
    assert_objective(got.objective_value, want.objective_value)
    assert got.objective_value == pytest.approx(1.6261144336, rel=1e-9)  # 1.52803 with Fe 0
    assert "Fe" in read(path).first.materials[0].composition  # canonical spelling
    assert "FE" not in read(path).first.constituents()


def test_a_header_that_names_nothing_is_refused_with_the_closest_name(month, tmp_path) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        s["composition"].cell(row=1, column=col_of(s["composition"], "Fe")).value = "Fee [wt%]"
        s["materials"].cell(row=1, column=col_of(s["materials"], "available_max")).value = \
            "availabel max [t]"
    msgs = problems(edited(month, tmp_path, edit))
    assert any("sheet 'composition', row 1, column 'Fee [wt%]' (cell C1): 'Fee' is not a "
               "column of this table" in m and "did you mean 'Fe'?" in m for m in msgs), msgs
    assert any("sheet 'materials', row 1, column 'availabel max [t]' (cell P1)" in m
               and "did you mean 'available_max'?" in m for m in msgs), msgs


def test_columns_of_notes_are_kept_and_not_read(month, tmp_path, base) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        for ws in (s["materials"], s["composition"]):
            c = ws.max_column + 1
            ws.cell(row=1, column=c).value = "note: checked by"
            ws.cell(row=2, column=c).value = "A. Planner"
    same_plan(edited(month, tmp_path, edit), base)


def test_a_column_given_twice_is_refused(month, tmp_path) -> None:
    """Was: the last 'cost' won and validate said valid (least cost 10,497 USD)."""
    def edit(s: dict[str, Worksheet]) -> None:
        ws = s["materials"]
        c = ws.max_column + 1
        ws.cell(row=1, column=c).value = "Cost [USD/t]"
        for r in range(2, ws.max_row + 1):
            ws.cell(row=r, column=c).value = 1
        comp = s["composition"]
        comp.cell(row=1, column=comp.max_column + 1).value = "MN"
    msgs = problems(edited(month, tmp_path, edit))
    assert any("sheet 'materials', row 1, column 'Cost [USD/t]'" in m and "names 'cost' "
               "again (first given as 'cost [USD/t]'): a column given twice is refused" in m
               for m in msgs), msgs
    assert any("sheet 'composition', row 1, column 'MN'" in m and "names 'Mn' again" in m
               for m in msgs), msgs


# -- units -----------------------------------------------------------------------------


def _scale(ws: Worksheet, column: str, header: str, factor: float) -> None:
    c = col_of(ws, column)
    ws.cell(row=1, column=c).value = header
    for r in range(2, ws.max_row + 1):
        cell = ws.cell(row=r, column=c)
        if isinstance(cell.value, int | float):
            cell.value, cell.number_format = cell.value * factor, "General"


def test_masses_and_prices_in_other_units_are_converted(month, tmp_path, base,
                                                        caplog) -> None:
    """Was: available_max [kg] planned 12,371 t of clippings; cost [USD/kg] costed a month
    at 23,754 USD."""
    def edit(s: dict[str, Worksheet]) -> None:
        _scale(s["materials"], "available_max", "available_max [kg]", 1000)
        _scale(s["materials"], "cost", "Cost [USD/kg]", 1 / 1000)
        _scale(s["products"], "tonnes", "tonnes [kt]", 1 / 1000)
        _scale(s["composition"], "Mn", "Mn [ppm]", 10000)
    path = edited(month, tmp_path, edit)
    with caplog.at_level(logging.INFO):
        h = read(path)
    assert h.first.materials[2].available.max == pytest.approx(1050, rel=1e-12)
    assert h.first.materials[0].cost == pytest.approx(1850, rel=1e-12)
    assert h.first.materials[0].composition["Mn"] == pytest.approx(0.9, rel=1e-12)
    assert h.first.products[0].tonnes == pytest.approx(10000, rel=1e-12)
    assert "available_max [kg] (kg -> t)" in caplog.text
    same_plan(path, base)
    least_cost = solve(variant(h, minimise="cost")).objective_value
    assert least_cost == pytest.approx(21840585.034, rel=1e-9)


def test_shares_in_percent_are_converted(month, tmp_path, base) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        _scale(s["materials"], "yield", "yield [%]", 100)
        _scale(s["products"], "min_recycled", "min recycled [%]", 100)
    same_plan(edited(month, tmp_path, edit), base)


def test_another_currency_or_unit_is_refused_by_column(month, tmp_path) -> None:
    """Was: cost [EUR/t] was reported as USD."""
    def edit(s: dict[str, Worksheet]) -> None:
        s["materials"].cell(row=1, column=col_of(s["materials"], "cost")).value = "cost [EUR/t]"
        s["materials"].cell(row=1, column=col_of(s["materials"], "lot")).value = "lot [lb]"
        s["products"].cell(row=1, column=col_of(s["products"], "tonnes")).value = "tonnes [t/h]"
    msgs = problems(edited(month, tmp_path, edit))
    assert any("column 'cost [EUR/t]' (cell E1): is in EUR, but the instance's prices are in "
               "USD" in m for m in msgs), msgs
    assert any("column 'lot [lb]'" in m and "write it in t or kt or kg" in m for m in msgs)
    assert any("sheet 'products'" in m and "column 'tonnes [t/h]'" in m for m in msgs)


def test_csv_tables_read_headers_and_units_by_the_same_rules(tmp_path, base) -> None:
    work = tmp_path / "m"
    shutil.copytree(CSV_CASE, work)
    mats = (work / "materials.csv").read_text().splitlines()
    head = mats[0].split(",")
    k = head.index("available_max")
    head[k] = "Available Max [kg]"
    rows = [r.split(",") for r in mats[1:]]
    for r in rows:
        if r[k]:
            r[k] = str(float(r[k]) * 1000)
    (work / "materials.csv").write_text("\n".join(",".join(r) for r in [head, *rows]) + "\n")
    comp = (work / "composition.csv").read_text().replace("Fe,", "FE [wt%],", 1)
    (work / "composition.csv").write_text(comp)
    same_plan(work / "can-body.toml", base)
    twice = ",".join([*head, "COST"]) + "\n" + "\n".join(",".join([*r, "1"]) for r in rows)
    (work / "materials.csv").write_text(twice + "\n")
    msgs = problems(work / "can-body.toml")
    assert any("materials.csv, table 'materials', field 'COST': names 'cost' again" in m
               for m in msgs), msgs


# -- numbers typed as text -------------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [
    ("1260", 1260.0), ("1,5", 1.5), ("0.125", 0.125), ("1.234,5", 1234.5),
    ("1,234.5", 1234.5), ("7 000", 7000.0), ("1.234.567", 1234567.0), ("-0,75", -0.75),
    (".5", 0.5), ("1e3", 1000.0)])
def test_numbers_as_text_read_as_meant(text: str, value: float) -> None:
    assert number_text(text) == value


@pytest.mark.parametrize("text", ["1.260", "1,260", "10.000", "-2,500"])
def test_a_separator_that_could_be_thousands_is_ambiguous(text: str) -> None:
    msg = number_text(text)
    assert isinstance(msg, str) and "ambiguous" in msg


def test_text_in_a_workbook_follows_the_csv_rules(month, tmp_path, base) -> None:
    """Was: text '1.260' in a workbook cell was read as 1.26 t."""
    def edit(s: dict[str, Worksheet]) -> None:
        m = s["materials"]
        m.cell(row=row_of(m, "INERTA"), column=col_of(m, "available_max")).value = "1.050"
    msgs = problems(edited(month, tmp_path, edit))
    assert len(msgs) == 1 and "column 'available_max' (cell P4): '1.050' is ambiguous" in msgs[0]

    def edit_ok(s: dict[str, Worksheet]) -> None:
        m = s["materials"]
        m.cell(row=row_of(m, "INERTA"), column=col_of(m, "available_max")).value = "1 050"
        c = s["composition"]
        c.cell(row=row_of(c, "UBC bales"), column=col_of(c, "Mn")).value = "0,9"
    same_plan(edited(month, tmp_path, edit_ok), base)


# -- blank composition cells -----------------------------------------------------------


def test_a_blank_composition_row_is_refused_not_pure_aluminium(month, tmp_path) -> None:
    """Was: a composition row with blank cells was read as pure aluminium, no word."""
    def edit(s: dict[str, Worksheet]) -> None:
        c = s["composition"]
        r = row_of(c, "UBC bales")
        for k in range(2, c.max_column + 1):
            c.cell(row=r, column=k).value = None
    msgs = problems(edited(month, tmp_path, edit))
    assert msgs == [(f"{tmp_path / 'edited.xlsx'}, sheet 'composition', row 2 ('UBC bales'), "
                    "column 'material' (cell A2): has no value in any constituent column: "
                    "write 0 to say none (0 in every column for pure metal)")]


def test_blank_cells_in_a_row_with_values_are_0_and_said_once(month, tmp_path, base,
                                                              caplog) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        c = s["composition"]
        for name in ("INERTA", "Hydro P1020"):
            c.cell(row=row_of(c, name), column=col_of(c, "Cu")).value = None
    path = edited(month, tmp_path, edit)
    with caplog.at_level(logging.WARNING):
        same_plan(path, base)
    said = [r.message for r in caplog.records if "blank cell" in r.message]
    assert len(said) == 1 and "2 blank cell(s) read as 0 (none)" in said[0]
    assert "INERTA: Cu" in said[0] and "Hydro P1020: Cu" in said[0]


def test_a_converted_month_reads_without_a_warning(month, caplog) -> None:
    with caplog.at_level(logging.WARNING):
        read(month)
    assert "blank" not in caplog.text


# -- header rows that cannot be found --------------------------------------------------


def test_a_title_row_above_the_header_is_one_message(month, tmp_path) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        s["materials"].insert_rows(1)
        s["materials"]["A1"] = "Materials June 2026"
    msgs = problems(edited(month, tmp_path, edit))
    assert len(msgs) == 1, msgs
    assert "sheet 'materials', row 1 (cell A1): has no header row with a 'name' column: its " \
           "first row holds 'Materials June 2026'" in msgs[0]
    assert "(name, kind, route, recycled, cost" in msgs[0]


def test_a_renamed_sheet_is_found_whatever_its_case(month, tmp_path, base) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        for name, title in (("materials", "Materials"), ("composition", "COMPOSITION")):
            s[name].title = "renamed"  # openpyxl refuses a title one case away from its own
            s[name].title = title
    same_plan(edited(month, tmp_path, edit), base)


def test_a_sheet_named_otherwise_is_one_message(month, tmp_path) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        s["materials"].title = "Materialien"
    msgs = problems(edited(month, tmp_path, edit))
    assert len(msgs) == 1 and "has no sheet 'materials' (is 'Materialien' it?" in msgs[0]


def test_a_csv_with_excels_sep_line_reads_as_meant(tmp_path, base) -> None:
    work = tmp_path / "m"
    shutil.copytree(CSV_CASE, work)
    text = (work / "composition.csv").read_text()
    german = "sep=;\n" + "\n".join(line.replace(",", ";").replace(".", ",")
                                   for line in text.splitlines()) + "\n"
    (work / "composition.csv").write_text(german)
    same_plan(work / "can-body.toml", base)


def test_a_csv_with_a_title_line_is_one_message(tmp_path) -> None:
    work = tmp_path / "m"
    shutil.copytree(CSV_CASE, work)
    p = work / "materials.csv"
    p.write_text("Scrap offers June\n" + p.read_text())
    msgs = problems(work / "can-body.toml")
    assert len(msgs) == 1 and "materials.csv, table 'materials': has no header row" in msgs[0]


# -- words of the workbook -------------------------------------------------------------


def test_first_use_of_a_duplicate_name_is_the_excel_row(month, tmp_path) -> None:
    """Was: 'first used in row 1' for a name first used in Excel row 2."""
    def edit(s: dict[str, Worksheet]) -> None:
        s["materials"].cell(row=row_of(s["materials"], "INERTA"), column=1).value = "UBC bales"
    msgs = problems(edited(month, tmp_path, edit))
    assert any("sheet 'materials', row 4 ('UBC bales'), column 'name' (cell A4): duplicate "
               "name 'UBC bales' (first used in row 2)" in m for m in msgs), msgs


def test_advice_in_a_workbook_speaks_of_sheets(month, tmp_path) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        s["products"].cell(row=2, column=col_of(s["products"], "alloy")).value = "AA9999"
    msgs = problems(edited(month, tmp_path, edit))
    assert any("unknown alloy 'AA9999': define it in sheet 'alloys' (a row per "
               "constituent" in m for m in msgs), msgs
    assert not any("[alloys" in m for m in msgs)


# -- the row cap -----------------------------------------------------------------------


def test_a_sheet_running_past_the_row_cap_is_refused_before_loading(month,
                                                                    tmp_path) -> None:
    """A sheet whose rows run to row 1,048,576 (one blank, formatted cell each) is refused
    by name, counting rows only up to the cap (it took 267 s and 9.1 GB in normal mode)."""
    path = tmp_path / "long.xlsx"
    shutil.copy(month, path)
    index = load_workbook(path, read_only=True).sheetnames.index("composition") + 1
    member = f"xl/worksheets/sheet{index}.xml"
    with zipfile.ZipFile(path) as z:
        items = {i.filename: z.read(i.filename) for i in z.infolist()}
    xml = items[member].decode()
    rows = "".join(f'<row r="{r}"><c r="A{r}" s="0"/></row>' for r in range(20, 1_048_577))
    items[member] = re.sub(r"</sheetData>", rows + "</sheetData>", xml, count=1).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items.items():
            z.writestr(name, data)
    msgs = problems(path)
    assert msgs == [(f"{path}, sheet 'composition': has more than 100,000 rows (blank rows "
                    "count: a formatted empty row is a row of the file): delete the rows "
                    "below the table, or move the sheet to another file")]


# -- TOML keys -------------------------------------------------------------------------


def test_toml_constituents_are_read_in_their_canonical_spelling(tmp_path, base) -> None:
    text = CAN.read_text().replace("Mn = 0.90", "MN = 0.90", 1)
    assert text != CAN.read_text()
    (tmp_path / "a.toml").write_text(text)
    same_plan(tmp_path / "a.toml", base)
    (tmp_path / "b.toml").write_text(CAN.read_text().replace("Mn = 0.90", "Mnn = 0.90", 1))
    msgs = problems(tmp_path / "b.toml")
    assert len(msgs) == 1 and "field 'composition.Mnn': 'Mnn' is not a chemical element nor " \
                              "a constituent the instance's alloys limit; did you mean 'Mn'?" \
           in msgs[0]


# -- more edits of the same families ---------------------------------------------------


def test_values_in_a_column_without_a_header_are_refused(month, tmp_path) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        m = s["materials"]
        m.cell(row=row_of(m, "INERTA"), column=m.max_column + 2).value = 900
    msgs = problems(edited(month, tmp_path, edit))
    assert len(msgs) == 1 and "holds values (the first in row 4) but no header" in msgs[0]


def test_percentages_typed_as_text_are_read_in_their_column(month, tmp_path, base) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        p = s["products"]
        p.cell(row=2, column=col_of(p, "min_recycled")).value = "50 %"
        c = s["composition"]
        c.cell(row=row_of(c, "UBC bales"), column=col_of(c, "Mn")).value = "0,9%"
    same_plan(edited(month, tmp_path, edit), base)


def test_a_deleted_column_is_said(month, tmp_path, caplog) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        s["materials"].delete_cols(col_of(s["materials"], "yield"))
    path = edited(month, tmp_path, edit)
    with caplog.at_level(logging.WARNING):
        read(path)
    assert "sheet 'materials': no column yield; every row takes the default" in caplog.text


def test_a_settings_unit_is_read(month, tmp_path) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        ws = s["settings"]
        r = row_of(ws, "objective.carbon_price")
        ws.cell(row=r, column=2).value = 0.05
        ws.cell(row=r, column=3).value = "USD/kg CO2e"
    assert read(edited(month, tmp_path, edit)).objective.carbon_price == pytest.approx(50)

    def edit_eur(s: dict[str, Worksheet]) -> None:
        ws = s["settings"]
        r = row_of(ws, "objective.carbon_price")
        ws.cell(row=r, column=2).value = 50
        ws.cell(row=r, column=3).value = "EUR/t CO2e"
    msgs = problems(edited(month, tmp_path, edit_eur))
    assert len(msgs) == 1 and "column 'unit'" in msgs[0] and "is in EUR" in msgs[0]


@pytest.mark.parametrize("header", ["Mn ppm", "MN_ppm", "Mn [mg/kg]"])
def test_a_lab_header_with_its_unit_unbracketed(tmp_path, header) -> None:
    from mixopt.io.spreads import read_analyses

    lab = tmp_path / "lab.csv"
    lab.write_text(f"material,{header},Si\nUBC bales,9000,0.25\nUBC bales,8800,0.24\n")
    t = read_analyses(lab).table
    mn = t[t.constituent == "Mn"].iloc[0]
    assert mn.mean_wt_pct == pytest.approx(0.89, rel=1e-12)


def test_a_detection_limit_is_refused_with_a_hint(tmp_path) -> None:
    lab = tmp_path / "lab.csv"
    lab.write_text("material,Mn,Pb\nUBC bales,0.9,<0.01\n")
    r = CliRunner().invoke(main, ["spreads", str(lab)])
    assert r.exit_code == 2 and "field 'Pb': '<0.01' is not a number (below a detection " \
                                "limit?" in r.stderr
