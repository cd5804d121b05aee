"""The cost-carbon trade-off of a multi-period instance: the least net cost under a cap
on the footprint over the whole horizon (t CO2e per t of slab, casting included), for
caps sampled evenly from the least footprint to the footprint of the least-cost plan.

Sampled, not exact between points (the single-period frontier's parametric breakpoints
are not carried over to horizons); the marginal abatement cost of each segment is its
slope. Every point is a rechecked plan; products sold in a range are refused (their
footprint per t is not linear in the plan).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from mixopt.analysis.frontier import FrontierError
from mixopt.io.variants import with_overrides
from mixopt.model.backend import SolveOptions
from mixopt.model.multiperiod import solve_horizon
from mixopt.model.schema.horizon import Horizon


def _with(h: Horizon, **settings: Any) -> Horizon:
    return dataclasses.replace(h, instances=tuple(with_overrides(i, **settings)
                                                  for i in h.instances))


def _per_t(r: Any) -> float:
    return float(sum(ev.footprint_t.sum() for ev in r.evaluations)
                 / sum(ev.slab_t.sum() for ev in r.evaluations))


def horizon_frontier(h: Horizon, points: int = 11,
                     options: SolveOptions | None = None) -> dict[str, Any]:
    """The frontier as a document: ``points`` of (cap, footprint per t, net cost, MAC)."""
    if h.first.unknown_footprints:
        raise FrontierError(f"{', '.join(h.first.unknown_footprints)} give no footprint: "
                            "there is no cost-carbon trade-off to trace")
    if any(p.sold for i in h.instances for p in i.products):
        raise FrontierError("a frontier needs every product's tonnes: products sold in a "
                            "range make the footprint per t a ratio of decisions")
    low = solve_horizon(_with(h, minimise="footprint"), options, sensitivity=False)
    if low.plan is None:
        raise FrontierError(f"even the least-footprint plan is {low.status}")
    costly = _with(h, minimise="cost")
    high = solve_horizon(costly, options, sensitivity=False)
    f_lo, f_hi = low.objective_value, _per_t(high)
    slab = sum(float(ev.slab_t.sum()) for ev in high.evaluations)
    caps = [f_hi] if f_hi <= f_lo * (1 + 1e-9) else list(np.linspace(f_lo, f_hi, points))
    rows: list[dict[str, Any]] = []
    for cap in caps:
        r = solve_horizon(costly, options, sensitivity=False, cap_t_co2e_per_t=float(cap))
        if r.plan is None:  # the least footprint itself, within the solver's tolerance
            r = solve_horizon(costly, options, sensitivity=False,
                              cap_t_co2e_per_t=float(cap) * (1 + 1e-9))
        row = {"cap_t_co2e_per_t": float(cap), "status": str(r.status),
               "footprint_per_t": _per_t(r) if r.plan else None,
               "cost": r.objective_value, "mac_per_t_co2e": None}
        prev = rows[-1] if rows else None
        if prev is not None and row["cost"] is not None and prev["cost"] is not None:
            avoided = (row["footprint_per_t"] - prev["footprint_per_t"]) * slab  # t CO2e
            row["mac_per_t_co2e"] = ((prev["cost"] - row["cost"]) / avoided
                                     if avoided > 1e-9 else None)
        rows.append(row)
    notes = [] if len(caps) > 1 else [
        "the least-cost plan is also the least-footprint one: no trade-off"]
    return {"instance": h.name, "currency": h.first.currency, "periods": list(h.periods),
            "scope": h.first.objective.scope, "method": "sampled", "solves": 2 + len(rows),
            "notes": notes, "points": rows}
