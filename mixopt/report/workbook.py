"""Results workbooks (.xlsx): what a planner opens in Excel after a solve (a summary sheet
first), and table workbooks for pareto, compare and sweep. Headers in words with units,
number formats by unit (``mixopt.report.labels``), widths, frozen headers, printed to the
width of a page. Text cells are stored as text: never read as a formula."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from mixopt.io.spreadsheet import header, put
from mixopt.model.planner import Result
from mixopt.report.document import to_json_dict
from mixopt.report.frames import footprint_by_kind, materials_sensitivity, mix_table
from mixopt.report.labels import column, confidence_words, worth_words

_BINDING = PatternFill("solid", fgColor="FFE08A")
#: Column widths in characters: at least the header's words, at most this.
MAX_WIDTH = 60


def frame_sheet(wb: Workbook, title: str, df: Any, currency: str = "",
                 objective_unit: str = "") -> Any:
    """A table sheet for people: headers with units, a number format per unit, widths
    that fit, the header row frozen and repeated on every printed page, printed to the
    width of one page (landscape)."""
    ws = wb.create_sheet(title)
    cols = [column(str(c)) for c in df.columns]
    header(ws, [c.header(currency, objective_unit) for c in cols])
    widths = [len(c.header(currency, objective_unit)) for c in cols]
    for r, row in enumerate(df.itertuples(index=False), start=2):
        for c, v in enumerate(row, start=1):
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            v = v.item() if hasattr(v, "item") else v
            cell = put(ws, r, c, v)
            if isinstance(v, int | float) and not isinstance(v, bool):
                cell.number_format = cols[c - 1].number_format
                widths[c - 1] = max(widths[c - 1], len(f"{v:,.2f}"))
            else:
                widths[c - 1] = max(widths[c - 1], len(str(v)))
    fit_layout(ws, widths)
    return ws


def fit_layout(ws: Any, widths: list[int]) -> None:
    for c, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = min(max(w + 2, 8), MAX_WIDTH)
        if w > MAX_WIDTH:
            for (cell,) in ws.iter_rows(min_row=2, min_col=c, max_col=c):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


#: Product fields shown per period in a plan of several periods.
PRODUCT_FIELDS = ("period", "name", "alloy", "slab_t", "cost", "revenue", "footprint_per_t",
                  "recycled_share", "inert_anode_share", "materials_used")


def results_workbook(result: Result, ahead: Result | None = None) -> Workbook:
    """Summary, (periods,) mix, (purchases and stock, products,) chemistry against limits
    (binding cells highlighted), footprint by material and kind, sensitivity; every text
    cell safe from formula injection. ``ahead``: the myopic or rolling plan compared."""
    doc = to_json_dict(result, ahead)
    h = result.horizon
    cur, obj_unit = h.currency, ("t CO2e" if h.objective.minimise == "footprint"
                                 else h.currency)
    wb = Workbook()
    _summary(wb.active, doc, cur)
    if result.evaluations is None:
        return wb
    if result.named:
        frame_sheet(wb, "periods", pd.DataFrame(doc["period_totals"]), cur)
    frame_sheet(wb, "mix", mix_table(result), cur)
    if result.named:
        frame_sheet(wb, "purchases", pd.DataFrame(doc["purchases"]), cur)
        frame_sheet(wb, "products", pd.DataFrame([{k: p.get(k) for k in PRODUCT_FIELDS}
                                                  for p in doc["products"]]), cur)
    chem = _chemistry_rows(result)
    cws = frame_sheet(wb, "chemistry", pd.DataFrame(chem), cur)
    first = 2 if result.named else 1
    for r, row in enumerate(chem, start=2):
        if row["binding"]:
            for c in range(first, first + 6):
                cws.cell(row=r, column=c).fill = _BINDING
    fp = mix_table(result)
    if len(fp):
        foot = {(k, m): f for k, d in enumerate(h.arrays)
                for m, f in zip(d.materials, d.footprint_t_co2e_per_t, strict=True)}
        ks = ([h.periods.index(p) for p in fp.period] if result.named else [0] * len(fp))
        fp["footprint_t"] = [t * foot[(k, m)] for k, m, t in zip(ks, fp.material, fp.tonnes,
                                                                 strict=True)]
        frame_sheet(wb, "footprint by material", fp.drop(columns="share"), cur)
    frame_sheet(wb, "footprint by kind", footprint_by_kind(result), cur)
    if result.duals is not None:
        duals = result.duals.assign(in_words=[
            worth_words(sp, per, obj_unit) if b else ""
            for sp, per, b in zip(result.duals.shadow_price, result.duals.per,
                                  result.duals.binding.notna(), strict=True)])
        frame_sheet(wb, "shadow prices", duals, cur, obj_unit)
    if result.columns is not None:
        frame_sheet(wb, "material sensitivity", materials_sensitivity(result), cur,
                    obj_unit)
    return wb


def _chemistry_rows(result: Result) -> list[dict[str, Any]]:
    """Per (period,) product and limited constituent: the window, what is achieved, whether
    it binds, and with spreads its sd and the chances of falling outside."""
    chem = []
    for k, ev in enumerate(result.evaluations):
        d = ev.arrays
        for p, prod in enumerate(result.horizon.instances[k].products):
            bind = ev.binding(p)
            risk = ({(lim.constituent, lim.bound): lim for lim in result.risk[k][p].limits}
                    if result.risk else None)
            for e in np.flatnonzero(d.limited[p]):
                el = d.constituents[e]
                row = {**result.period_of(k), "product": prod.name, "constituent": el,
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
    return chem


def _summary(ws: Any, doc: dict[str, Any], currency: str) -> None:
    """The first sheet: what was solved and the plan's totals, label | value | unit."""
    ws.title = "summary"
    obj = doc["objective"]
    rows: list[tuple[str, Any, str, str]] = [
        ("Instance", doc["instance"], "", ""), ("Status", doc["status"], "", ""),
        ("Message", doc["message"], "", "")]
    if "periods" in doc:
        rows += [("Plan", doc["method"], "", ""), ("Periods", ", ".join(doc["periods"]), "", "")]
    rows += [("Minimise", obj["minimise"], "", ""),
             ("Footprint scope", obj["scope"], "", ""),
             ("Objective", obj["value"], obj["unit"], "#,##0.0000"),
             ("Footprint cap", obj["footprint_cap"], "t CO2e/t slab", "0.000"),
             ("Confidence", confidence_words(_Words(obj), tuple(
                 _Words({"name": p["name"], "confidence": p["confidence"]})
                 for p in doc["products"] if p.get("confidence") not in (None,
                                                                         obj["confidence"])))
              or "limits held on the mean", "", "")]
    for key, value in (doc["totals"] or {}).items():
        c = column(key)
        rows.append((c.label, value, c.shown_unit(currency), c.number_format))
    for prod in doc["products"]:
        where = f" in {prod['period']}" if "period" in prod else ""
        if prod.get("labels"):
            rows.append((f"Labels, {prod['name']}{where}", "; ".join(
                f"{lab['label']}{' (asked)' if lab['asked'] else ''}: {lab['status']}"
                for lab in prod["labels"]), "", ""))
        if "risk" in prod:
            where = f" in {prod['period']}" if "period" in prod else ""
            rows.append((f"Off-spec heats, {prod['name']}{where}",
                         prod["risk"]["off_spec_heat_probability"], "%", "0.00%"))
    pa = doc.get("planning_ahead")
    if pa:
        rows.append((f"Value of planning ahead (against {pa['method']})",
                     pa["value_of_planning_ahead"], pa["unit"], "#,##0.00"))
    item_sheet(ws, rows)


class _Words:
    """A JSON record read as the attributes ``confidence_words`` asks of an objective."""

    def __init__(self, record: dict[str, Any]) -> None:
        self.__dict__.update(record)


def item_sheet(ws: Any, rows: list[tuple[str, Any, str, str]]) -> None:
    """A summary sheet: item | value | unit, each value in its number format."""
    header(ws, ["Item", "Value", "Unit"])
    for r, (label, value, unit, fmt) in enumerate(rows, start=2):
        put(ws, r, 1, label).font = Font(bold=True)
        cell = put(ws, r, 2, value)
        if fmt and isinstance(value, int | float):
            cell.number_format = fmt
        put(ws, r, 3, unit)
    fit_layout(ws, [max(len(str(x[0])) for x in rows), 24, 14])


def frame_workbook(sheets: dict[str, Any], currency: str = "") -> Workbook:
    """A workbook of tables for people (pareto, compare, sweep)."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, df in sheets.items():
        frame_sheet(wb, title, df, currency)
    return wb
