"""Results workbooks (.xlsx): what a planner opens in Excel after a solve, and plain table
workbooks for pareto, compare and sweep. Text cells never start a formula."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from mixopt.io.spreadsheet import formula_safe, header
from mixopt.model.pipeline import Result
from mixopt.report.document import to_json_dict
from mixopt.report.frames import footprint_by_kind, materials_sensitivity, mix_table

_BINDING = PatternFill("solid", fgColor="FFE08A")


def _frame_sheet(wb: Workbook, title: str, df: Any) -> Any:
    ws = wb.create_sheet(title)
    header(ws, [str(c) for c in df.columns])
    for r, row in enumerate(df.itertuples(index=False), start=2):
        for c, v in enumerate(row, start=1):
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            ws.cell(row=r, column=c, value=formula_safe(v.item() if hasattr(v, "item") else v))
    for c in range(1, len(df.columns) + 1):
        ws.column_dimensions[get_column_letter(c)].width = 18
    return ws


def results_workbook(result: Result) -> Workbook:
    """Summary, mix, chemistry against limits (binding cells highlighted), footprint by
    material and kind, sensitivity; every text cell safe from formula injection."""
    doc = to_json_dict(result)
    wb = Workbook()
    ws = wb.active
    ws.title = "summary"
    rows = [("instance", doc["instance"]), ("status", doc["status"]),
            ("message", doc["message"]), ("minimise", doc["objective"]["minimise"]),
            ("scope", doc["objective"]["scope"]),
            ("objective", doc["objective"]["value"]), ("unit", doc["objective"]["unit"]),
            ("footprint cap (t CO2e/t)", doc["objective"]["footprint_cap"])]
    rows += [(k, v) for k, v in (doc["totals"] or {}).items()]
    for prod in doc["products"]:
        if "risk" in prod:
            rows.append((f"off-spec heats, {prod['name']}",
                         prod["risk"]["off_spec_heat_probability"]))
    for r, (k, v) in enumerate(rows, start=1):
        ws.cell(row=r, column=1, value=formula_safe(k)).font = Font(bold=True)
        ws.cell(row=r, column=2, value=formula_safe(v))
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 40
    ev = result.evaluation
    if ev is None:
        return wb
    _frame_sheet(wb, "mix", mix_table(result))
    d = ev.arrays
    chem = []
    for p, prod in enumerate(result.instance.products):
        bind = ev.binding(p)
        risk = {(lim.constituent, lim.bound): lim for lim in result.risk[p].limits} \
            if result.risk else None
        for e in range(len(d.constituents)):
            if d.limited[p, e]:
                el = d.constituents[e]
                row = {"product": prod.name, "constituent": el,
                       "min_wt_pct": d.limit_min_wt_pct[p, e],
                       "achieved_wt_pct": ev.composition_wt_pct[p, e],
                       "max_wt_pct": d.limit_max_wt_pct[p, e],
                       "binding": bind.get(el, "")}
                if risk is not None:
                    lim = risk.get((el, "min")) or risk.get((el, "max"))
                    row.update(sd_wt_pct=lim.sd_wt_pct if lim else None,
                               p_below_min=risk[(el, "min")].probability_outside
                               if (el, "min") in risk else None,
                               p_above_max=risk[(el, "max")].probability_outside
                               if (el, "max") in risk else None)
                chem.append(row)
    cws = _frame_sheet(wb, "chemistry", pd.DataFrame(chem))
    for r, row in enumerate(chem, start=2):
        if row["binding"]:
            for c in range(1, 7):
                cws.cell(row=r, column=c).fill = _BINDING
    fp = mix_table(result)
    if len(fp):
        foot = dict(zip(d.materials, d.footprint_t_co2e_per_t, strict=True))
        fp["footprint_t"] = [t * foot[m] for m, t in zip(fp.material, fp.tonnes, strict=True)]
        _frame_sheet(wb, "footprint by material", fp.drop(columns="share"))
    _frame_sheet(wb, "footprint by kind", footprint_by_kind(result))
    if result.duals is not None:
        _frame_sheet(wb, "shadow prices", result.duals)
    if result.columns is not None:
        _frame_sheet(wb, "material sensitivity", materials_sensitivity(result))
    return wb


def frame_workbook(sheets: dict[str, Any]) -> Workbook:
    """A workbook of plain tables (for pareto and compare)."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, df in sheets.items():
        _frame_sheet(wb, title, df)
    return wb
