"""The JSON document of a plan: a published contract (``SCHEMA_VERSION``; fields are only
ever added; README "JSON output"). Every figure comes from the solver-free recheck.

A month's document has no period anywhere; a plan of several periods adds ``periods``,
``method``, ``period_totals``, ``purchases`` and a ``period`` in every row of
``products``, ``mix``, ``footprint_by_kind``, ``duals`` and ``materials_sensitivity``.
"""

from __future__ import annotations

from typing import Any

from mixopt.model.evaluate import Evaluation
from mixopt.model.families.charges import materials_used
from mixopt.model.figures import Violation, summary
from mixopt.model.planner import Result
from mixopt.model.risk import ProductRisk, plan_risk
from mixopt.model.schema.instance import Instance
from mixopt.report.declaration import label_status
from mixopt.report.frames import (
    clean,
    footprint_by_kind_records,
    materials_sensitivity_records,
    number,
)

SCHEMA_VERSION = 1


def to_json_dict(result: Result, ahead: Result | None = None) -> dict[str, Any]:
    """The documented JSON document (see README, 'JSON output'); ``ahead``: the myopic or
    rolling plan of a horizon, compared with this joint one (the value of planning ahead)."""
    h, raw = result.horizon, result.raw
    obj = h.objective
    doc: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "instance": h.name,
                           "currency": h.currency}
    if result.named:
        doc.update(periods=list(h.periods), method=result.method)
    doc.update({
        "status": str(result.status),
        "message": result.message,
        "problem_class": "MILP" if h.is_milp else "LP",
        "objective": {"minimise": obj.minimise, "scope": obj.scope,
                      "footprint_cap": obj.footprint_cap,
                      "carbon_price": obj.carbon_price,
                      "confidence": obj.confidence,
                      "confidence_per": obj.confidence_per,
                      "margin_sd": obj.margin_sd,
                      "value": number(result.objective_value), "unit": result.objective_unit},
        "mip_gap": number(result.mip_gap),
        # materials without a footprint (allowed where nothing reads one): counted as 0
        "footprint_unknown_materials": list(h.unknown_footprints),
        "totals": None, **({"period_totals": []} if result.named else {}),
        "products": [], "mix": [], **({"purchases": []} if result.named else {}),
        "footprint_by_kind": [], "duals": None,
        "duals_conditional_on_purchase_decisions": result.duals_conditional,
        "materials_sensitivity": None,
        "sensitivity_computed": result.dual_records is not None,
        "solver": raw.solver if raw is not None else None,
        "timings_s": {k: round(v, 6) for k, v in result.timings_s.items()},
    })
    if ahead is not None:
        doc["planning_ahead"] = planning_ahead(result, ahead)
    if result.evaluations is None:
        return doc
    doc["totals"] = result.totals
    if result.named:
        doc["period_totals"] = [{"period": p, **result.figures(k)}
                                for k, p in enumerate(h.periods)]
        doc["purchases"] = result.purchase_records()
    doc["products"] = [rec for k in range(len(h.periods))
                       for rec in products_document(result, k)]
    doc["mix"] = [{k: v for k, v in r.items() if k != "share"} for r in result.mix_records()]
    if any(p.returns is not None for i in h.instances for p in i.products):
        doc["returns"] = result.return_records()
    doc["footprint_by_kind"] = footprint_by_kind_records(result)
    if result.dual_records is not None:
        doc["duals"] = [clean(r) for r in result.dual_records]
    if result.column_arrays is not None:
        doc["materials_sensitivity"] = [clean(r) for r in
                                        materials_sensitivity_records(result)]
    return doc


def products_document(result: Result, k: int) -> list[dict[str, Any]]:
    """Per product of period k: its order, figures, chemistry against its window and aims,
    and its off-spec risk (instances with spreads)."""
    return [{**result.period_of(k), **rec} for rec in product_records(
        result.horizon.instances[k], result.evaluations[k],
        result.risk[k] if result.risk is not None else None)]


def product_records(inst: Instance, ev: Evaluation,
                    risk: tuple[ProductRisk, ...] | None) -> list[dict[str, Any]]:
    """Per product of one period's plan: its order, figures, chemistry against its window
    and aims, its off-spec risk."""
    d = ev.arrays
    used = materials_used(ev)
    out = []
    for p, prod in enumerate(inst.products):
        out.append({
            "name": prod.name, "alloy": prod.alloy, "tonnes": prod.tonnes,
            "tonnes_min": prod.tonnes_min, "tonnes_max": prod.tonnes_max, "price": prod.price,
            "footprint_cap": prod.footprint_cap, "min_recycled": prod.min_recycled,
            **summary((ev,), p),
            "materials_used": int(used[p]), "max_materials": prod.max_materials,
            "composition": {e: float(ev.composition_wt_pct[p, i])
                            for i, e in enumerate(d.constituents)},
            "limits": {e: list(w) for e, w in inst.alloys[prod.alloy].items()},
            "aim": {e: list(w) for e, w in prod.aim.items()},
            "confidence": prod.confidence or inst.objective.confidence,
            "binding": ev.binding(p),
        })
        if inst.labels:  # every label against this product's plan
            out[-1]["labels"] = [{"label": n, "asked": asked, "status": said}
                                 for n, said, asked in label_status(inst, ev, p)]
        if risk is not None:
            out[-1]["risk"] = risk_document(risk[p])
    return out


def planning_ahead(joint: Result, other: Result) -> dict[str, Any]:
    """What planning all periods together is worth against ``other`` (myopic, rolling),
    and ``other``'s plan itself: its mix and purchases."""
    a, b = joint.objective_value, other.objective_value
    return {"method": other.method, "status": str(other.status), "message": other.message,
            "objective_value": number(b), "joint_objective_value": number(a),
            "value_of_planning_ahead": number(b - a) if a is not None and b is not None
            else None, "unit": joint.objective_unit,
            "totals": other.totals,
            "mix": [{k: v for k, v in r.items() if k != "share"}
                    for r in other.mix_records()],
            "purchases": other.purchase_records()}


def violations_document(violations: list[Violation] | tuple[Violation, ...]
                        ) -> list[dict[str, Any]]:
    return [{"family": v.family, "side": v.side, "where": v.where, "amount": v.amount,
             "unit": v.unit, "detail": v.detail} for v in violations]


def verification_document(result: Result, violations: list[Violation],
                          solution: str) -> dict[str, Any]:
    """``mixopt verify --format json``: a plan's figures, the rules it breaks, its risk
    (``result``: the plan read from ``solution``, rechecked; a plan of several periods
    adds its periods and its objective recomputed)."""
    h = result.horizon
    doc: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "instance": h.name,
                           "solution": solution, "currency": h.currency}
    if result.named:
        doc.update(periods=list(h.periods), objective={"value": result.objective_value,
                                                       "unit": result.objective_unit})
    doc.update(feasible=not violations, violations=violations_document(violations),
               totals=result.totals,
               products=[rec for k in range(len(h.periods)) for rec in products_document(
                   result, k)])
    if result.named:
        doc["purchases"] = result.purchase_records()
    return doc


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
    h = fr.instance
    rows = []
    for p, mac, ch in zip(fr.points, fr.mac(), fr.changes(), strict=True):
        rows.append({"cap_t_co2e_per_t": p.cap, "footprint_per_t": p.footprint_per_t,
                     "cost": p.cost, "mac_per_t_co2e": mac, "changes": ch,
                     "mix": [{k: v for k, v in r.items() if k != "share"}
                             for r in p.result.mix_records()]})
    doc = {"instance": h.name, "currency": h.currency}
    if h.has_periods:
        doc["periods"] = list(h.periods)
    return {**doc, "scope": h.objective.scope, "method": fr.method, "solves": fr.solves,
            "notes": list(fr.notes), "points": rows}


__all__ = ["SCHEMA_VERSION", "frontier_document", "plan_risk", "planning_ahead",
           "product_records", "products_document", "risk_document", "to_json_dict",
           "verification_document"]
