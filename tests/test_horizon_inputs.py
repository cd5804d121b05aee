"""Per-period fields of a converted quarter honoured in every period, and names and label
limits that cannot mean anything refused (issue 20)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from mixopt import InputError, read, solve
from mixopt.cli import main
from mixopt.io.columns import split_header
from mixopt.io.variants import variant
from mixopt.testing import assert_objective
from tests.conftest import INSTANCES

QUARTER = INSTANCES / "can-body-quarter.toml"
LOTS = {"2027-01": 300, "2027-02": 70, "2027-03": 450}


def _bought(result, material: str) -> list[float]:
    p = result.purchases
    return list(p[p.material == material].bought_t)


def test_a_per_period_lot_of_a_stored_material_holds_in_each_period() -> None:
    """Was: period 1's lot applied in every period (io/periods.py::_linking)."""
    h = variant(read(QUARTER), assignments={f"materials.UBC bales.lot.{p}": v
                                            for p, v in LOTS.items()})
    assert h.stocked["UBC bales"].lot_t == (300.0, 70.0, 450.0)
    r = solve(h)  # the recheck (every period's lot) runs inside solve
    bought = _bought(r, "UBC bales")
    assert bought == pytest.approx([9000.0, 8680.0, 3150.0], abs=1e-6)
    for b, lot in zip(bought, LOTS.values(), strict=True):
        assert abs(b / lot - round(b / lot)) < 1e-9
    assert bought[1] % 300 != 0  # not period 1's lot
    assert_objective(r.objective_value, 67784634.3308033)


def test_a_per_period_minimum_order_holds_in_its_period() -> None:
    h = variant(read(QUARTER), assignments={"materials.UBC bales.min_order.2027-02": 9000,
                                            "materials.UBC bales.available.max.2027-02": 9500})
    assert h.stocked["UBC bales"].min_order(0) is None
    assert h.stocked["UBC bales"].min_order(1) == 9000
    r = solve(h)
    bought = _bought(r, "UBC bales")
    assert bought[1] == pytest.approx(9000.0, abs=1e-6)
    assert_objective(r.objective_value, 67784779.83383992)


def test_per_period_lots_typed_in_a_converted_quarter(tmp_path: Path) -> None:
    """The planner types each month's lot in the workbook's period rows: the same plan as
    the per-period edit of the TOML, rechecked."""
    book = tmp_path / "q.xlsx"
    assert CliRunner().invoke(main, ["convert", str(QUARTER), str(book)]).exit_code == 0
    wb = load_workbook(book)
    ws = wb["materials"]
    head = {split_header(c.value)[0]: c.column for c in ws[1]}
    for r in range(2, ws.max_row + 1):
        if ws.cell(row=r, column=1).value == "UBC bales":
            period = ws.cell(row=r, column=head["period"]).value
            if period in LOTS:
                ws.cell(row=r, column=head["lot"]).value = LOTS[period]
    wb.save(book)
    h = read(book)
    assert h.stocked["UBC bales"].lot_t == (300.0, 70.0, 450.0)
    assert_objective(solve(h).objective_value, 67784634.3308033)


def test_a_per_period_stock_max_below_a_later_start_is_a_limit_of_that_period() -> None:
    """Was: refused as if the initial stock (500 t) had to fit every period's store."""
    h = variant(read(QUARTER), assignments={"materials.UBC bales.stock.max.2027-02": 100})
    r = solve(h)
    closing = list(r.purchases[r.purchases.material == "UBC bales"].closing_stock_t)
    assert closing[1] == pytest.approx(100.0, abs=1e-6)
    assert_objective(r.objective_value, 68112279.24203214)


def test_a_stock_problem_is_said_once(tmp_path: Path) -> None:
    """Was: listed once per period."""
    text = QUARTER.read_text().replace("holding_cost = 12", "holding_cost = -12")
    (tmp_path / "q.toml").write_text(text)
    with pytest.raises(InputError) as info:
        read(tmp_path / "q.toml")
    msgs = [str(p) for p in info.value.problems]
    assert len(msgs) == 1 and "field 'stock.holding_cost'" in msgs[0], msgs


def test_two_processes_of_one_name_are_refused(tmp_path: Path) -> None:
    """Was: accepted, and a --set then changed only the first."""
    src = (INSTANCES / "can-body-electrolysis.toml").read_text()
    block = src[src.index("[[processes]]"):src.index("[scenarios.")]
    second = block.replace('output = "Scrap-electrolysis P1020"', 'output = "Spare metal"')
    spare = ('\n[[materials]]\nname = "Spare metal"\nroute = "scrap electrolysis"\n'
             'recycled = "post-consumer"\ncomposition = { Fe = 0.1 }\n\n')
    text = src.replace(block, block + second + spare)
    (tmp_path / "e.toml").write_text(text)
    with pytest.raises(InputError) as info:
        read(tmp_path / "e.toml")
    msgs = [str(p) for p in info.value.problems]
    assert any("table 'processes', row 2 ('scrap electrolysis'), field 'name': duplicate "
               "name 'scrap electrolysis' (first used in row 1)" in m for m in msgs), msgs


@pytest.mark.parametrize("sheet", ["power", "labels"])
def test_two_rows_of_one_name_in_a_keyed_sheet_are_refused(tmp_path: Path, sheet) -> None:
    book = tmp_path / "m.xlsx"
    src = INSTANCES / "can-body.toml"
    assert CliRunner().invoke(main, ["convert", str(src), str(book)]).exit_code == 0
    wb = load_workbook(book)
    ws = wb[sheet]
    ws.append([c.value for c in ws[2]])
    wb.save(book)
    with pytest.raises(InputError) as info:
        read(book)
    name = wb[sheet].cell(row=2, column=1).value
    msgs = [str(p) for p in info.value.problems]
    assert any(f"sheet '{sheet}', row {ws.max_row} ({name!r}), column 'name' (cell "
               f"A{ws.max_row}): duplicate name {name!r} (first used in row 2)" in m
               for m in msgs), msgs


def test_a_renewable_label_without_energy_data_is_refused(tmp_path: Path) -> None:
    """Was: solved with no word (the row is 0 >= 0), then the declaration said met: false."""
    src = INSTANCES / "can-body.toml"
    h = read(src)
    with pytest.raises(InputError) as info:
        variant(h, assignments={"products.AA3104 slab.labels": ["Green Power"]})
    msgs = [str(p) for p in info.value.problems]
    assert len(msgs) == 1
    assert "table 'labels', field 'Green Power.renewable_electricity_min': a renewable " \
           "electricity share of at least 0.99 (asked by product 'AA3104 slab') cannot be " \
           "measured" in msgs[0]
    # with energy data (the electrolysis month) the same label is a limit of the plan
    e = read(INSTANCES / "can-body-electrolysis.toml")
    r = solve(variant(e, assignments={"products.AA3104 slab.labels": ["Green Power"]}))
    assert r.status in ("optimal", "infeasible")


def test_the_shipped_quarter_reads_from_its_converted_workbook_unchanged(tmp_path) -> None:
    book = tmp_path / "q.xlsx"
    assert CliRunner().invoke(main, ["convert", str(QUARTER), str(book)]).exit_code == 0
    shutil.copy(book, tmp_path / "again.xlsx")
    assert read(tmp_path / "again.xlsx") == read(QUARTER)
