"""The results workbook of a multi-period plan: a summary sheet first, then per period
its figures, the mix, purchases and stock, each product's figures and the shadow prices
(from the JSON document of the plan, so the same figures). Headers in words with units
and number formats from ``mixopt.report.labels``."""

from __future__ import annotations

from typing import Any

import pandas as pd
from openpyxl import Workbook

from mixopt.model.multiperiod import HorizonResult
from mixopt.report.horizon import to_json_dict
from mixopt.report.labels import column
from mixopt.report.workbook import frame_sheet, item_sheet

#: Product fields shown per period (the composition stays in the JSON).
PRODUCT_FIELDS = ("period", "name", "alloy", "slab_t", "cost", "revenue", "footprint_per_t",
                  "recycled_share", "inert_anode_share")


def horizon_workbook(result: HorizonResult, ahead: HorizonResult | None = None) -> Workbook:
    doc = to_json_dict(result, ahead)
    cur = doc["currency"]
    wb = Workbook()
    _summary(wb.active, doc)
    if doc["totals"] is None:
        return wb
    frame_sheet(wb, "periods", pd.DataFrame(doc["period_totals"]), cur)
    frame_sheet(wb, "mix", pd.DataFrame(doc["mix"]), cur)
    frame_sheet(wb, "purchases", pd.DataFrame(doc["purchases"]), cur)
    frame_sheet(wb, "products", pd.DataFrame([{k: p.get(k) for k in PRODUCT_FIELDS}
                                              for p in doc["products"]]), cur)
    if doc["duals"]:
        duals = pd.DataFrame([{k: d.get(k) for k in ("period", "family", "limit", "binding",
                                                     "shadow_price", "per")}
                              for d in doc["duals"] if d.get("binding")])
        if len(duals):
            frame_sheet(wb, "shadow prices", duals, cur, doc["objective"]["unit"])
    return wb


def _summary(ws: Any, doc: dict[str, Any]) -> None:
    ws.title = "summary"
    obj = doc["objective"]
    rows: list[tuple[str, Any, str, str]] = [
        ("Instance", doc["instance"], "", ""), ("Status", doc["status"], "", ""),
        ("Message", doc["message"], "", ""), ("Plan", doc["method"], "", ""),
        ("Periods", ", ".join(doc["periods"]), "", ""),
        ("Minimise", obj["minimise"], "", ""), ("Footprint scope", obj["scope"], "", ""),
        ("Objective", obj["value"], obj["unit"], "#,##0.00")]
    for key, value in (doc["totals"] or {}).items():
        c = column(key)
        rows.append((c.label, value, c.shown_unit(doc["currency"]), c.number_format))
    pa = doc.get("planning_ahead")
    if pa:
        rows.append((f"Value of planning ahead (against {pa['method']})",
                     pa["value_of_planning_ahead"], pa["unit"], "#,##0.00"))
    item_sheet(ws, rows)
