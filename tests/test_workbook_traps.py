"""A planner's ordinary edits of a month converted to a workbook by mixopt itself: each is
read as meant (the same plan) or refused by sheet, column, Excel row and cell."""

from __future__ import annotations

import datetime
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
from mixopt.cli import Exit, main
from mixopt.testing import assert_objective
from tests.conftest import INSTANCES

CAN = INSTANCES / "can-body.toml"


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The can-body month as mixopt writes it (``mixopt convert``)."""
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


def row_of(ws: Worksheet, name: str, column: int = 1) -> int:
    return next(c.row for c in ws.iter_cols(min_col=column, max_col=column).__next__()
                if c.value == name)


def col_of(ws: Worksheet, header: str) -> int:
    return next(c.column for c in ws[1] if str(c.value).split(" [")[0] == header)


def _letter(book: Path, sheet: str, header: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col_of(load_workbook(book)[sheet], header))


def problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        read(path)
    return [str(p) for p in info.value.problems]


def same_plan(path: Path, base: tuple[float, np.ndarray]) -> None:
    r = solve(read(path))
    assert_objective(r.objective_value, base[0])
    np.testing.assert_allclose(r.evaluations[0].mix_t, base[1], rtol=1e-9, atol=1e-9)


def test_the_converted_month_solves_to_the_same_plan(month: Path, base) -> None:
    same_plan(month, base)


def test_percent_formatted_wt_pct_cell_is_the_percentage_typed(month, tmp_path, base) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        ws = s["composition"]
        cell = ws.cell(row=row_of(ws, "UBC bales"), column=col_of(ws, "Mn"))
        assert cell.value == 0.9
        cell.value, cell.number_format = 0.009, "0.00%"  # Excel after typing "0.9%"
    same_plan(edited(month, tmp_path, edit), base)


def test_percent_formatted_share_cell_is_the_fraction_shown(month, tmp_path, base) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        ws = s["products"]
        cell = ws.cell(row=2, column=col_of(ws, "min_recycled"))
        assert cell.value == 0.5
        cell.number_format = "0%"  # shows 50 %
    same_plan(edited(month, tmp_path, edit), base)


def test_percent_format_in_a_tonnes_column_is_refused(month, tmp_path) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        s["materials"].cell(row=row_of(s["materials"], "INERTA"),
                            column=col_of(s["materials"], "available_max")).number_format = "0%"
    msgs = problems(edited(month, tmp_path, edit))
    cell = f"{_letter(month, 'materials', 'available_max')}4"
    assert any(f"sheet 'materials', row 4 ('INERTA'), column 'available_max' (cell {cell})" in m
               and "formatted as a percentage" in m for m in msgs), msgs


def test_a_deleted_composition_row_is_refused_not_pure_aluminium(month, tmp_path) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        s["composition"].delete_rows(row_of(s["composition"], "UBC bales"))
    msgs = problems(edited(month, tmp_path, edit))
    assert msgs == [(f"{tmp_path / 'edited.xlsx'}, sheet 'materials', row 2 ('UBC bales'), "
                     "column 'name' (cell A2): has no row in sheet 'composition': add one (0 in "
                     "every column for pure metal)")]


def test_a_deleted_alloy_row_the_library_limits_is_refused(month, tmp_path) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        ws = s["alloys"]
        mn = next(r[0].row for r in ws.iter_rows(min_row=2) if r[1].value == "Mn")
        ws.delete_rows(mn)
    msgs = problems(edited(month, tmp_path, edit))
    assert len(msgs) == 1 and "sheet 'alloys'" in msgs[0] and "Mn" in msgs[0], msgs
    assert "[0, 100]" in msgs[0]  # how to lift a limit on purpose


def test_blank_casting_footprint_is_refused(month, tmp_path) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        ws = s["settings"]
        ws.cell(row=row_of(ws, "casting.footprint.full"), column=2).value = None
    msgs = problems(edited(month, tmp_path, edit))
    assert len(msgs) == 1 and "sheet 'settings'" in msgs[0]
    assert "('casting.footprint.full'), column 'value'" in msgs[0] and "required" in msgs[0]


def test_convert_writes_every_setting_even_at_its_default(month) -> None:
    keys = {r[0].value: r[1].value for r in load_workbook(month)["settings"].iter_rows(min_row=2)}
    assert keys["currency"] == "USD" and keys["objective.minimise"] == "footprint"
    assert keys["objective.scope"] == "full"
    assert {"casting.footprint.full", "casting.footprint.scope12"} <= set(keys)


def test_a_formula_without_a_saved_result_is_refused_by_cell(month, tmp_path) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        ws = s["composition"]
        ws.cell(row=row_of(ws, "UBC bales"), column=col_of(ws, "Mn")).value = "=0.8+0.1"
    msgs = problems(edited(month, tmp_path, edit))
    assert len(msgs) == 1 and "sheet 'composition', row 2" in msgs[0]
    assert "(cell E2)" in msgs[0] and "=0.8+0.1 with no saved result" in msgs[0]


def test_a_date_in_a_number_column_is_refused(month, tmp_path) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        ws = s["materials"]
        ws.cell(row=row_of(ws, "INERTA"), column=col_of(ws, "cost")).value = \
            datetime.datetime(2026, 3, 1)  # "1.3" typed in a German Excel
    msgs = problems(edited(month, tmp_path, edit))
    assert len(msgs) == 1 and "column 'cost' (cell E4)" in msgs[0]
    assert "holds a date or time" in msgs[0]


def test_numbers_stored_as_text_and_trailing_spaces_read_as_meant(month, tmp_path,
                                                                  base) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        ws = s["composition"]
        r = row_of(ws, "UBC bales")
        ws.cell(row=r, column=col_of(ws, "Mn")).value = " 0.9 "  # a number stored as text
        ws.cell(row=r, column=1).value = "UBC bales  "  # trailing spaces
        m = s["materials"]
        m.cell(row=row_of(m, "INERTA"), column=col_of(m, "available_max")).value = "1050"
    same_plan(edited(month, tmp_path, edit), base)


def test_text_that_is_not_a_number_is_refused_by_cell(month, tmp_path) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        m = s["materials"]
        m.cell(row=row_of(m, "INERTA"), column=col_of(m, "available_max")).value = "1,050 t"
    msgs = problems(edited(month, tmp_path, edit))
    cell = f"{_letter(month, 'materials', 'available_max')}4"
    assert len(msgs) == 1 and f"column 'available_max' (cell {cell})" in msgs[0], msgs


def test_merged_cells_are_refused(month, tmp_path) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        s["composition"].merge_cells("B2:C2")
    msgs = problems(edited(month, tmp_path, edit))
    assert any("sheet 'composition'" in m and "cells B2:C2 are merged" in m for m in msgs)


def test_hidden_rows_are_read_with_a_warning(month, tmp_path, base,
                                             caplog: pytest.LogCaptureFixture) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        s["materials"].row_dimensions[3].hidden = True
    path = edited(month, tmp_path, edit)
    with caplog.at_level(logging.WARNING):
        same_plan(path, base)
    assert "sheet 'materials': rows 3 are hidden; they are read like any other" in caplog.text


def test_a_spreadsheet_error_is_refused(month, tmp_path) -> None:
    path = edited(month, tmp_path, lambda s: None)
    _rewrite_sheet(path, "composition",
                   lambda xml: re.sub(r'(<c r="E2"[^>]*?)(?: t="\w+")?>\s*<v>[^<]*</v>',
                                      r'\1 t="e"><v>#N/A</v>', xml, count=1))
    msgs = problems(path)
    assert len(msgs) == 1 and "(cell E2)" in msgs[0] and "spreadsheet error #N/A" in msgs[0]


def _rewrite_sheet(path: Path, title: str, change: Callable[[str], str]) -> None:
    """Rewrite one sheet's XML inside the .xlsx (what another program might write)."""
    index = load_workbook(path, read_only=True).sheetnames.index(title) + 1
    member = f"xl/worksheets/sheet{index}.xml"
    with zipfile.ZipFile(path) as z:
        items = {i.filename: z.read(i.filename) for i in z.infolist()}
    old = items[member].decode()
    new = change(old)
    assert new != old, "the sheet XML did not change"
    items[member] = new.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items.items():
            z.writestr(name, data)


def test_a_stale_dimension_drops_no_row(month, tmp_path, base) -> None:
    path = edited(month, tmp_path, lambda s: None)
    _rewrite_sheet(path, "materials",
                   lambda xml: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:C3"', xml))
    assert load_workbook(path, read_only=True)["materials"].max_row == 3  # the trap
    same_plan(path, base)


def test_example_rows_are_skipped(month, tmp_path, base) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        s["materials"].append(["(example) scrap", "post-consumer scrap", "post-consumer",
                               1, 0.1, 0.1, None, 99999])
    same_plan(edited(month, tmp_path, edit), base)


def test_every_problem_at_once_exit_2(month, tmp_path) -> None:
    def edit(s: dict[str, Worksheet]) -> None:
        s["composition"].delete_rows(row_of(s["composition"], "INERTA"))
        ws = s["settings"]
        ws.cell(row=row_of(ws, "casting.footprint.scope12"), column=2).value = None
        m = s["materials"]
        m.cell(row=row_of(m, "UBC bales"), column=col_of(m, "cost")).value = "n/a"
    path = edited(month, tmp_path, edit)
    r = CliRunner().invoke(main, ["solve", str(path)])
    assert r.exit_code == Exit.INVALID_INPUT
    assert "3 problems in the input" in r.stderr
    assert "(cell A4)" in r.stderr and "(cell E2)" in r.stderr
