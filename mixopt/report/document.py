"""The JSON document of a solve: a published contract (``SCHEMA_VERSION``; fields are only
ever added; README "JSON output"). Every figure comes from the solver-free recheck.
"""

from __future__ import annotations

from typing import Any

from mixopt.model.pipeline import Result
from mixopt.report.frames import (
    footprint_by_kind,
    materials_sensitivity,
    mix_table,
    number,
    records,
    summary_figures,
)

SCHEMA_VERSION = 1


def to_json_dict(result: Result) -> dict[str, Any]:
    """The documented JSON document (see README, 'JSON output')."""
    inst, ev, raw = result.instance, result.evaluation, result.raw
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "instance": inst.name,
        "currency": inst.currency,
        "status": str(result.status),
        "message": result.message,
        "problem_class": "MILP" if inst.is_milp else "LP",
        "objective": {"minimise": inst.objective.minimise, "scope": inst.objective.scope,
                      "footprint_cap": inst.objective.footprint_cap,
                      "carbon_price": inst.objective.carbon_price,
                      "value": number(result.objective_value), "unit": result.objective_unit},
        "mip_gap": number(raw.mip_gap),
        "totals": None, "products": [], "mix": [], "footprint_by_kind": [], "duals": None,
        "duals_conditional_on_purchase_decisions": result.duals_conditional,
        "materials_sensitivity": None,
        "solver": raw.solver,
        "timings_s": {k: round(v, 6) for k, v in result.timings_s.items()},
    }
    if ev is None:
        return doc
    doc["totals"] = summary_figures(ev, slice(None))
    d = ev.arrays
    for p, prod in enumerate(inst.products):
        limits = inst.alloys[prod.alloy]
        doc["products"].append({
            "name": prod.name, "alloy": prod.alloy, "tonnes": prod.tonnes,
            "footprint_cap": prod.footprint_cap, "min_recycled": prod.min_recycled,
            **summary_figures(ev, p),
            "composition": {e: float(ev.composition_wt_pct[p, i])
                            for i, e in enumerate(d.constituents)},
            "limits": {e: list(w) for e, w in limits.items()},
            "binding": ev.binding(p),
        })
    doc["mix"] = mix_table(result).drop(columns="share").to_dict(orient="records")
    doc["footprint_by_kind"] = footprint_by_kind(result).to_dict(orient="records")
    if result.duals is not None:
        doc["duals"] = records(result.duals)
    if result.columns is not None:
        doc["materials_sensitivity"] = records(materials_sensitivity(result))
    return doc




def frontier_document(fr: Any) -> dict[str, Any]:
    """A frontier (``mixopt.analysis.frontier``) as a JSON document (README, 'pareto')."""
    inst = fr.instance
    rows = []
    for p, mac, ch in zip(fr.points, fr.mac(), fr.changes(), strict=True):
        rows.append({"cap_t_co2e_per_t": p.cap, "footprint_per_t": p.footprint_per_t,
                     "cost": p.cost, "mac_per_t_co2e": mac, "changes": ch,
                     "mix": mix_table(p.result).drop(columns="share")
                     .to_dict(orient="records")})
    return {"instance": inst.name, "currency": inst.currency, "scope": inst.objective.scope,
            "method": fr.method, "solves": fr.solves, "notes": list(fr.notes),
            "points": rows}
