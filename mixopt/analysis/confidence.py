"""How much confidence a month can buy, and what it costs.

``highest_confidence`` bisects on one confidence for every product to find the highest
at which the instance still has a plan, and names the limits that stop it there.
``confidence_curve`` solves the instance at a ladder of confidences: the objective, the
cost, the footprint and the off-spec rate of each plan (the report charts it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mixopt.analysis.compare import off_spec
from mixopt.io.variants import apply_overrides
from mixopt.model.backend import SolveOptions
from mixopt.model.planner import Result, Session, solve
from mixopt.model.risk import DEFAULT_SAMPLES
from mixopt.model.schema.horizon import Horizon, as_horizon

#: Confidences of the curve in the report.
LEVELS = (0.5, 0.8, 0.9, 0.95, 0.975, 0.99, 0.995)
#: The highest confidence is found on this grid, exactly: it solves, one step more does not.
BISECTION_TOL = 1e-4


def at_confidence(plan: Horizon, a: float | None) -> Horizon:
    """``plan`` with one confidence for every product (None: limits on the mean)."""
    return apply_overrides(plan, {"objective.confidence": a,
                                  **{f"products.{p.name}.confidence": None
                                     for p in plan.first.products}}, "confidence")


@dataclass(frozen=True)
class Reachable:
    """The highest confidence with a plan, and the limits binding there."""

    asked: float
    confidence: float | None  # None: no plan even on the mean
    stops: tuple[str, ...]


def highest_confidence(instance: Horizon, options: SolveOptions | None = None) -> Reachable:
    """Bisection on a common confidence in [0.5, asked] (instance infeasible at
    ``asked``), on the grid of ``BISECTION_TOL``: the confidence reported has a plan
    (``--confidence`` with it solves) and one step of the grid more has none."""
    instance = as_horizon(instance)
    asked = max(p.confidence or instance.objective.confidence or 0.5
                for i in instance.instances for p in i.products)
    steps = round(1 / BISECTION_TOL)

    def solves(k: int) -> bool:
        return solve(at_confidence(instance, k / steps), options,
                     sensitivity=False).status.has_solution

    lo, hi = steps // 2, math.ceil(asked * steps - 1e-9)  # k / steps: 0.5 solves, asked not
    if not solves(lo):
        return Reachable(asked, None, ())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if solves(mid) else (lo, mid)
    at = solve(at_confidence(instance, lo / steps), options)
    stops: tuple[str, ...] = ()
    if at.duals is not None:
        rows = at.duals[(at.duals.family == "chance") & at.duals.binding.notna()]
        stops = tuple(rows.limit)
    return Reachable(asked, lo / steps, stops)


def confidence_curve(instance: Horizon, levels: Sequence[float] = LEVELS,
                     options: SolveOptions | None = None,
                     samples: int = DEFAULT_SAMPLES) -> pd.DataFrame:
    """One row per confidence: status, objective, cost, footprint per t and the off-spec
    rate of the plan (per t of slab, simulated and exact). At 0.5 every limit holds on the
    mean: the plan without chance constraints."""
    session = Session(options, sensitivity=False, risk_samples=samples)
    rows = []
    for a in levels:
        r = session.solve(at_confidence(instance, a))
        rows.append({"confidence": a, **_figures(r)})
    return pd.DataFrame.from_records(rows)


def _figures(r: Result) -> dict[str, float | str | None]:
    out: dict[str, float | str | None] = {
        "status": str(r.status), "objective": r.objective_value, "cost": None,
        "footprint_per_t": None, "off_spec_heat_probability": None,
        "off_spec_heat_probability_exact": None}
    tot = r.totals
    if tot is None:
        return out
    out.update(cost=tot["cost"], footprint_per_t=tot["footprint_per_t"])
    if r.risk is not None:
        slab = np.concatenate([ev.slab_t for ev in r.evaluations])
        exact = np.array([p.off_spec_heat_probability_exact for rs in r.risk for p in rs])
        out.update(off_spec_heat_probability=off_spec(r),
                   off_spec_heat_probability_exact=float(exact @ slab / slab.sum()))
    return out
