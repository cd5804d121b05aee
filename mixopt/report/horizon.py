"""A multi-period plan as a JSON document and as a terminal table (README, "Planning
several periods"). Every figure comes from the solver-free recheck of the plan.

JSON: ``mix`` rows carry ``period``; ``purchases`` rows are ``{material, period,
bought_t, charged_t, closing_stock_t}``; ``products`` rows carry ``period``;
``period_totals`` has one row per period; ``totals`` are the horizon's, with ``margin``
the negative of a cost objective's ``value`` (revenue less purchases, holding, carbon
and take-or-pay).
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from mixopt.model.multiperiod import HorizonResult, money
from mixopt.report.document import SCHEMA_VERSION
from mixopt.report.frames import clean, number, plan_mix_records, summary_figures

#: The summary figures that are sums (the rest are per t or shares, recomputed).
_SUMS = ("slab_t", "charged_t", "footprint_t", "carbon_cost", "revenue")


def _totals(figures: list[dict[str, Any]], cash: list[dict[str, float]]) -> dict[str, Any]:
    """Horizon totals from the periods' figures and money."""
    out: dict[str, Any] = {k: float(sum(f[k] for f in figures)) for k in _SUMS}
    slab = out["slab_t"]
    out["footprint_per_t"] = out["footprint_t"] / slab if slab > 0 else None
    out["cost"] = float(sum(c["purchases"] for c in cash))
    out["holding_cost"] = float(sum(c["holding"] for c in cash))
    out["take_or_pay_cost"] = float(sum(c["take_or_pay"] for c in cash))
    out["margin"] = (out["revenue"] - out["cost"] - out["holding_cost"] - out["carbon_cost"]
                     - out["take_or_pay_cost"])
    return out


def purchases_records(result: HorizonResult) -> list[dict[str, Any]]:
    """Per material and period: t bought, t charged (and fed to processes), closing stock."""
    plan = result.plan
    if plan is None:
        return []
    w, out = plan.window, []
    for mat in result.horizon.first.materials:
        m = mat.name
        stored = m in result.horizon.stocked
        closing = plan.closing_t(m) if stored else np.zeros(len(w.ks))
        for k in w.ks:
            out.append({"material": m, "period": w.period(k),
                        "bought_t": float(plan.bought_t[m][k]),
                        "charged_t": float(plan.used_t[m][k]),
                        "closing_stock_t": float(closing[k]), "stored": stored})
    return out


def to_json_dict(result: HorizonResult, ahead: HorizonResult | None = None) -> dict[str, Any]:
    """The documented JSON document of a horizon's plan; ``ahead``: the myopic or rolling
    plan it is compared with (the value of planning ahead)."""
    h, raw = result.horizon, result.raw
    obj = h.first.objective
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION, "instance": h.name, "currency": h.first.currency,
        "periods": list(result.periods), "method": result.method,
        "status": str(result.status), "message": result.message,
        "problem_class": "MILP" if h.is_milp else "LP",
        "objective": {"minimise": obj.minimise, "scope": obj.scope,
                      "carbon_price": obj.carbon_price,
                      "value": number(result.objective_value), "unit": result.objective_unit},
        "mip_gap": number(raw.mip_gap) if raw is not None else None,
        "footprint_unknown_materials": list(h.first.unknown_footprints),
        "totals": None, "period_totals": [], "products": [], "mix": [], "purchases": [],
        "duals": None, "sensitivity_computed": result.dual_records is not None,
        "solver": raw.solver if raw is not None else None,
        "timings_s": {k: round(v, 6) for k, v in result.timings_s.items()},
    }
    if ahead is not None:
        doc["planning_ahead"] = planning_ahead(result, ahead)
    if result.plan is None or result.evaluations is None:
        return doc
    cash = money(result.plan, result.evaluations)
    figures = []
    for k, (inst, ev) in enumerate(zip(h.instances, result.evaluations, strict=True)):
        period = result.periods[k]
        f = summary_figures(ev, slice(None))
        figures.append(f)
        doc["period_totals"].append({"period": period, **f, **_period_money(cash[k])})
        for p, prod in enumerate(inst.products):
            doc["products"].append({"period": period, "name": prod.name, "alloy": prod.alloy,
                                    "tonnes": prod.tonnes, "tonnes_min": prod.tonnes_min,
                                    "tonnes_max": prod.tonnes_max, "price": prod.price,
                                    "footprint_cap": prod.footprint_cap,
                                    "min_recycled": prod.min_recycled,
                                    **summary_figures(ev, p),
                                    "composition": {e: float(ev.composition_wt_pct[p, i])
                                                    for i, e in
                                                    enumerate(ev.arrays.constituents)},
                                    "limits": {e: list(v) for e, v in
                                               inst.alloys[prod.alloy].items()}})
        doc["mix"] += [{"period": period, **{k2: v for k2, v in r.items() if k2 != "share"}}
                       for r in plan_mix_records(inst, ev)]
    doc["totals"] = _totals(figures, cash)
    doc["purchases"] = purchases_records(result)
    if result.dual_records is not None:
        doc["duals"] = [clean(r) for r in result.dual_records]
    return doc


def _period_money(c: dict[str, float]) -> dict[str, float]:
    """A period's money in the names of the totals (``cost``: its purchases)."""
    return {"cost": c["purchases"], "holding_cost": c["holding"],
            "take_or_pay_cost": c["take_or_pay"],
            "margin": c["revenue"] - c["purchases"] - c["holding"] - c["carbon"]
            - c["take_or_pay"]}


def planning_ahead(joint: HorizonResult, other: HorizonResult) -> dict[str, Any]:
    """What planning all periods together is worth against ``other`` (myopic, rolling)."""
    a, b = joint.objective_value, other.objective_value
    return {"method": other.method, "status": str(other.status), "message": other.message,
            "objective_value": number(b), "joint_objective_value": number(a),
            "value_of_planning_ahead": number(b - a) if a is not None and b is not None
            else None, "unit": joint.objective_unit}


def render_table(result: HorizonResult, ahead: HorizonResult | None = None) -> str:
    """The plan for people: per period the figures, per material the purchases and stock."""
    from rich.console import Console
    from rich.table import Table

    doc = to_json_dict(result, ahead)
    con = Console(record=True, width=120, file=io.StringIO())
    obj = doc["objective"]
    con.print(f"[bold]{doc['instance']}[/bold]: {doc['status']} ({result.method}, "
              f"{len(doc['periods'])} periods) — {doc['message']}")
    if doc["totals"] is None:
        return con.file.getvalue()
    value = f"{obj['value']:,.2f}" if obj["minimise"] == "cost" else f"{obj['value']:.6g}"
    con.print(f"objective: {value} {obj['unit']} (minimise {obj['minimise']}); "
              f"margin {doc['totals']['margin']:,.2f} {doc['currency']}")
    t = Table(title="per period", title_justify="left")
    for c in ("period", "slab t", "purchases", "holding", "revenue", "margin",
              "t CO2e/t slab"):
        t.add_column(c, justify="left" if c == "period" else "right")
    for r in doc["period_totals"]:
        t.add_row(r["period"], f"{r['slab_t']:,.1f}", f"{r['cost']:,.0f}",
                  f"{r['holding_cost']:,.0f}", f"{r['revenue']:,.0f}", f"{r['margin']:,.0f}",
                  f"{r['footprint_per_t']:.4f}" if r["footprint_per_t"] is not None else "-")
    con.print(t)
    t = Table(title="purchases and stock (t)", title_justify="left")
    for c in ("material", "period", "bought", "charged", "closing stock"):
        t.add_column(c, justify="left" if c in ("material", "period") else "right")
    for r in doc["purchases"]:
        if r["bought_t"] > 1e-9 or r["charged_t"] > 1e-9 or r["closing_stock_t"] > 1e-9:
            t.add_row(r["material"], r["period"], f"{r['bought_t']:,.1f}",
                      f"{r['charged_t']:,.1f}", f"{r['closing_stock_t']:,.1f}")
    con.print(t)
    if "planning_ahead" in doc:
        pa = doc["planning_ahead"]
        v = pa["value_of_planning_ahead"]
        con.print(f"value of planning ahead against the {pa['method']} plan: "
                  + (f"{v:,.2f} {pa['unit']}" if v is not None else f"- ({pa['message']})"))
    return con.file.getvalue()
