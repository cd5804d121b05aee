"""How much confidence a month can buy, and what it costs.

``highest_confidence`` bisects on one confidence for every product to find the highest
at which the instance still has a plan, and names the limits that stop it there.
``confidence_curve`` solves the instance at a ladder of confidences: the objective, the
cost, the footprint and the off-spec rate of each plan (the report charts it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mixopt.io.variants import apply_overrides
from mixopt.model.backend import SolveOptions
from mixopt.model.pipeline import Result, Session, solve
from mixopt.model.risk import DEFAULT_SAMPLES
from mixopt.model.schema.instance import Instance

#: Confidences of the curve in the report.
LEVELS = (0.5, 0.8, 0.9, 0.95, 0.975, 0.99, 0.995)
#: Bisection stops when the bracket is this narrow.
BISECTION_TOL = 1e-4


def at_confidence(instance: Instance, a: float | None) -> Instance:
    """``instance`` with one confidence for every product (None: limits on the mean)."""
    return apply_overrides(instance, {"objective.confidence": a,
                                      **{f"products.{p.name}.confidence": None
                                         for p in instance.products}}, "confidence")


@dataclass(frozen=True)
class Reachable:
    """The highest confidence with a plan, and the limits binding there."""

    asked: float
    confidence: float | None  # None: no plan even on the mean
    stops: tuple[str, ...]


def highest_confidence(instance: Instance, options: SolveOptions | None = None) -> Reachable:
    """Bisection on a common confidence in [0.5, asked] (instance infeasible at ``asked``)."""
    asked = max(p.confidence or instance.objective.confidence or 0.5
                for p in instance.products)
    if not solve(at_confidence(instance, 0.5), options, sensitivity=False).status.has_solution:
        return Reachable(asked, None, ())
    lo, hi = 0.5, asked
    while hi - lo > BISECTION_TOL:
        mid = (lo + hi) / 2
        if solve(at_confidence(instance, mid), options, sensitivity=False).status.has_solution:
            lo = mid
        else:
            hi = mid
    at = solve(at_confidence(instance, lo), options)
    stops: tuple[str, ...] = ()
    if at.duals is not None:
        rows = at.duals[(at.duals.family == "chance") & at.duals.binding.notna()]
        stops = tuple(rows.limit)
    return Reachable(asked, float(np.floor(lo / BISECTION_TOL) * BISECTION_TOL), stops)


def confidence_curve(instance: Instance, levels: Sequence[float] = LEVELS,
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
    ev = r.evaluation
    if ev is None:
        return out
    w = ev.slab_t / ev.slab_t.sum()
    out.update(cost=float(ev.cost.sum()),
               footprint_per_t=float(ev.footprint_t.sum() / ev.slab_t.sum()))
    if r.risk is not None:
        out.update(off_spec_heat_probability=float(
            w @ [p.off_spec_heat_probability for p in r.risk]),
            off_spec_heat_probability_exact=float(
                w @ [p.off_spec_heat_probability_exact for p in r.risk]))
    return out
