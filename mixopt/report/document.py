"""The JSON document of a solve: a published contract (``SCHEMA_VERSION``; fields are only
ever added; README "JSON output"). Every figure comes from the solver-free recheck.
"""

from __future__ import annotations

from typing import Any

from mixopt.model.evaluate import Evaluation
from mixopt.model.pipeline import Result
from mixopt.model.risk import DEFAULT_SAMPLES, ProductRisk, plan_risk
from mixopt.model.schema.instance import Instance
from mixopt.report.frames import (
    clean,
    footprint_by_kind_records,
    materials_sensitivity_records,
    mix_records,
    number,
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
                      "confidence": inst.objective.confidence,
                      "confidence_per": inst.objective.confidence_per,
                      "margin_sd": inst.objective.margin_sd,
                      "value": number(result.objective_value), "unit": result.objective_unit},
        "mip_gap": number(raw.mip_gap),
        # materials without a footprint (allowed where nothing reads one): counted as 0
        "footprint_unknown_materials": list(inst.unknown_footprints),
        "totals": None, "products": [], "mix": [], "footprint_by_kind": [], "duals": None,
        "duals_conditional_on_purchase_decisions": result.duals_conditional,
        "materials_sensitivity": None,
        "sensitivity_computed": result.dual_records is not None,
        "solver": raw.solver,
        "timings_s": {k: round(v, 6) for k, v in result.timings_s.items()},
    }
    if ev is None:
        return doc
    doc["totals"] = summary_figures(ev, slice(None))
    doc["products"] = products_document(inst, ev, result.risk)
    doc["mix"] = [{k: v for k, v in r.items() if k != "share"} for r in mix_records(result)]
    doc["footprint_by_kind"] = footprint_by_kind_records(result)
    if result.dual_records is not None:
        doc["duals"] = [clean(r) for r in result.dual_records]
    if result.column_arrays is not None:
        doc["materials_sensitivity"] = [clean(r) for r in
                                        materials_sensitivity_records(result)]
    return doc


def products_document(inst: Instance, ev: Evaluation,
                      risk: tuple[ProductRisk, ...] | None) -> list[dict[str, Any]]:
    """Per product: its order, figures, chemistry against its window and aims, and its
    off-spec risk (instances with spreads)."""
    d = ev.arrays
    out = []
    for p, prod in enumerate(inst.products):
        out.append({
            "name": prod.name, "alloy": prod.alloy, "tonnes": prod.tonnes,
            "tonnes_min": prod.tonnes_min, "tonnes_max": prod.tonnes_max, "price": prod.price,
            "footprint_cap": prod.footprint_cap, "min_recycled": prod.min_recycled,
            **summary_figures(ev, p),
            "composition": {e: float(ev.composition_wt_pct[p, i])
                            for i, e in enumerate(d.constituents)},
            "limits": {e: list(w) for e, w in inst.alloys[prod.alloy].items()},
            "aim": {e: list(w) for e, w in prod.aim.items()},
            "confidence": prod.confidence or inst.objective.confidence,
            "binding": ev.binding(p),
        })
        if risk is not None:
            out[-1]["risk"] = risk_document(risk[p])
    return out


def verification_document(inst: Instance, ev: Evaluation, solution: str,
                          samples: int = DEFAULT_SAMPLES) -> dict[str, Any]:
    """``mixopt verify --format json``: a plan's figures, the rules it breaks, its risk."""
    risk = plan_risk(ev, samples) if inst.has_spreads else None
    return {"schema_version": SCHEMA_VERSION, "instance": inst.name, "solution": solution,
            "currency": inst.currency, "feasible": ev.feasible,
            "violations": [{"family": v.family, "side": v.side, "where": v.where,
                            "amount": v.amount, "unit": v.unit, "detail": v.detail}
                           for v in ev.violations],
            "totals": summary_figures(ev, slice(None)),
            "products": products_document(inst, ev, risk)}


def risk_document(risk: ProductRisk) -> dict[str, Any]:
    """One product's off-spec risk (README, 'Plans that hold in the furnace')."""
    return {"off_spec_heat_probability": risk.off_spec_heat_probability,
            "off_spec_heat_probability_exact": risk.off_spec_heat_probability_exact,
            "standard_error": risk.standard_error, "samples": risk.samples, "seed": risk.seed,
            "limits": [{"constituent": lim.constituent, "bound": lim.bound,
                        "limit_wt_pct": lim.limit_wt_pct, "mean_wt_pct": lim.mean_wt_pct,
                        "sd_wt_pct": lim.sd_wt_pct,
                        "probability_outside": lim.probability_outside}
                       for lim in risk.limits]}


def frontier_document(fr: Any) -> dict[str, Any]:
    """A frontier (``mixopt.analysis.frontier``) as a JSON document (README, 'pareto')."""
    inst = fr.instance
    rows = []
    for p, mac, ch in zip(fr.points, fr.mac(), fr.changes(), strict=True):
        rows.append({"cap_t_co2e_per_t": p.cap, "footprint_per_t": p.footprint_per_t,
                     "cost": p.cost, "mac_per_t_co2e": mac, "changes": ch,
                     "mix": [{k: v for k, v in r.items() if k != "share"}
                             for r in mix_records(p.result)]})
    return {"instance": inst.name, "currency": inst.currency, "scope": inst.objective.scope,
            "method": fr.method, "solves": fr.solves, "notes": list(fr.notes),
            "points": rows}
