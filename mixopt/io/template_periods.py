"""A multi-period instance as a workbook (``mixopt convert horizon.toml horizon.xlsx``):
the month workbook of its first period, with a ``periods`` setting and the products,
materials and capacities sheets as long tables (``mixopt.io.periods.fold_long`` reads them
back): one row per record with what every period shares (period blank), and one row per
period holding only what differs in it. Materials carry their stock and contract columns.
"""

from __future__ import annotations

import math
from typing import Any

from openpyxl import Workbook

from mixopt.errors import InputError, Problem
from mixopt.io.schema import (
    CONSTITUENT_TABLES,
    HORIZON_MATERIAL_COLUMNS,
    NAMED_SHEETS,
    PERIOD_COLUMN,
    PERIODS_KEY,
    PRODUCT_COLUMNS,
    flatten_record,
    units,
)
from mixopt.io.template import _rows_sheet, instance_workbook
from mixopt.io.write import instance_dict
from mixopt.model.schema.horizon import Contract, Horizon, Stock
from mixopt.model.schema.instance import Material, Product


def _stock_record(h: Horizon, name: str, k: int) -> dict[str, Any]:
    """What a stored material's period record lost to ``Stocked`` (its purchase fields
    and its stock), and its contract, as record fields."""
    rec: dict[str, Any] = {}
    s = h.stocked.get(name)
    if s is not None:
        rec["available"] = {"min": s.buy_min_t[k] or None,
                            "max": None if math.isinf(s.buy_max_t[k]) else s.buy_max_t[k]}
        rec["lot"], rec["min_order"] = s.lot_t, s.min_order_t
        rec["stock"] = {"initial": s.initial_t, "final": s.final_t,
                        "max": None if math.isinf(s.max_t[k]) else s.max_t[k],
                        "holding_cost": s.holding_cost[k]}
    c = h.contracts.get(name)
    if c is not None:
        rec["contract"] = c.model_dump()
    return rec


def _long_rows(per_period: list[list[dict[str, Any]]], columns: list[str],
               periods: tuple[str, ...]) -> list[list[Any]]:
    """Flat records per period (same records in the same order) as long-table rows: the
    shared values with a blank period, then per period only what differs."""
    rows = []
    for i in range(len(per_period[0])):
        recs = [p[i] for p in per_period]
        shared = {c: recs[0].get(c, "") for c in columns
                  if all(r.get(c, "") == recs[0].get(c, "") for r in recs)}
        rows.append([shared.get(c, "") if c not in (PERIOD_COLUMN,) else "" for c in columns])
        rows[-1][columns.index("name")] = recs[0]["name"]
        for k, r in enumerate(recs):
            if all(c in shared for c in columns if c not in ("name", PERIOD_COLUMN)):
                break
            row = ["" if c in shared else r.get(c, "") for c in columns]
            row[columns.index("name")], row[columns.index(PERIOD_COLUMN)] = r["name"], periods[k]
            rows.append(row)
    return rows


def horizon_workbook_input(h: Horizon) -> Workbook:
    """The workbook of a horizon (see the module doc); per-period compositions, aims and
    alloy windows are refused by name (their sheets are wide, not long)."""
    first = h.first
    for k, inst in enumerate(h.instances[1:], start=1):
        for what, a, b in (("alloys", first.alloys, inst.alloys),
                           ("aims", [p.aim for p in first.products],
                            [p.aim for p in inst.products]),
                           *((t, [getattr(m, t) for m in first.materials],
                              [getattr(m, t) for m in inst.materials])
                             for t in CONSTITUENT_TABLES)):
            if a != b:
                raise InputError([Problem(first.name, f"its {what} differ in period "
                                                      f"{h.periods[k]}: a workbook holds one "
                                                      f"{what} table for every period")])
    wb = instance_workbook(first)
    wb["settings"].append([PERIODS_KEY, ", ".join(h.periods), None])
    dicts = [instance_dict(i) for i in h.instances]
    mat_cols = ["name", PERIOD_COLUMN, *list(HORIZON_MATERIAL_COLUMNS)[1:]]
    flat = [[flatten_record({**m, **_stock_record(h, m["name"], k)}, HORIZON_MATERIAL_COLUMNS)
             for m in d["materials"]] for k, d in enumerate(dicts)]
    mat_units = {**units(Material, {c: p for c, p in HORIZON_MATERIAL_COLUMNS.items()
                                    if p[0] not in ("stock", "contract")}),
                 **{f"stock_{c}": u for c, u in units(Stock, {c[6:]: p[1:] for c, p in
                    HORIZON_MATERIAL_COLUMNS.items() if p[0] == "stock"}).items()},
                 **{f"contract_{c}": u for c, u in units(Contract, {c[9:]: p[1:] for c, p in
                    HORIZON_MATERIAL_COLUMNS.items() if p[0] == "contract"}).items()}}
    prod_cols = ["name", PERIOD_COLUMN, *list(PRODUCT_COLUMNS)[1:]]
    prods = [[{c: _cell(p.get(c)) for c in PRODUCT_COLUMNS} for p in d["products"]]
             for d in dicts]
    cap_model, cap_columns = NAMED_SHEETS["capacities"]
    caps = [[{c: _cell(v) for c, v in flatten_record(cp.model_dump(), cap_columns).items()}
             for cp in i.capacities] for i in h.instances]
    currency = first.currency
    for title, columns, per, col_units in (
            ("products", prod_cols, prods, units(Product, PRODUCT_COLUMNS)),
            ("materials", mat_cols, flat, mat_units),
            ("capacities", ["name", PERIOD_COLUMN, *list(cap_columns)[1:]], caps,
             units(cap_model, {c: p for c, p in cap_columns.items()}))):
        at = wb.sheetnames.index(title)
        wb.remove(wb[title])
        rows = _long_rows(per, columns, h.periods) if per and per[0] else []
        ws = _rows_sheet(wb, title, columns, rows, col_units, {}, currency)
        wb.move_sheet(ws, at - wb.sheetnames.index(title))
    return wb


def _cell(v: Any) -> Any:
    return ", ".join(v) if isinstance(v, list | tuple) else ("" if v is None else v)
