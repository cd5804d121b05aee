"""The cost-carbon frontier: least cost as a function of the footprint cap.

The cap F (t CO2e per t of slab, casting included) is over every product and every period
of the plan (``families.periods.HORIZON_CAP``; for a month, over the month, replacing
the instance's own ``objective.footprint_cap``). For an LP, cost(F) is convex and
piecewise linear. ``lp_frontier`` finds its breakpoints exactly with the
sandwich method: it keeps solved points with their slopes (the cap's shadow
price is a subgradient), intersects the supporting lines of two neighbours, and
solves there. When the curve meets the intersection, that is a breakpoint and the
curve is linear on both sides; otherwise the new point splits the interval. Every
solve is a warm re-solve of one persistent LP (``Session``).

For a MILP the curve is neither convex nor continuous, and under chance constraints it is
convex but curved: ``sampled_frontier`` solves an epsilon-constraint grid and keeps the
non-dominated points, and says it is sampled.

Cost is the instance's cost objective (carbon price included when the instance sets
one); footprint is in the instance's scope, casting included.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mixopt.io.variants import apply_overrides
from mixopt.model.backend import SolveOptions, Status
from mixopt.model.families import BY_NAME
from mixopt.model.planner import Result, Session
from mixopt.model.schema.horizon import Horizon, as_horizon
from mixopt.model.schema.instance import Instance

log = logging.getLogger(__name__)

#: The family of the swept cap (its shadow price is the frontier's slope).
CAP = "horizon_footprint_cap"

#: Two costs agree when within this relative tolerance (HiGHS optima are far tighter).
COST_RTOL = 1e-7
#: Caps closer than this (relative) are the same cap.
CAP_RTOL = 1e-9


class FrontierError(RuntimeError):
    """The frontier cannot be traced (the instance has no feasible plan at all)."""


@dataclass(frozen=True)
class Point:
    cap: float  # t CO2e/t slab
    result: Result

    @property
    def cost(self) -> float:
        return float(self.result.objective_value)

    @property
    def footprint_per_t(self) -> float:
        return float(self.result.totals["footprint_per_t"])

    @property
    def slope(self) -> float:
        """d cost / d cap (<= 0): the cap's shadow price (currency per t CO2e/t slab)."""
        d = self.result.duals
        if d is None:
            return math.nan
        row = d[d["family"] == CAP]
        return float(row["shadow_price"].iloc[0]) if len(row) else 0.0


@dataclass(frozen=True)
class Frontier:
    instance: Horizon
    method: str  # "exact" (LP breakpoints) or "sampled" (MILP epsilon-constraint)
    points: tuple[Point, ...]  # by increasing cap: least footprint first
    solves: int
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def slab_t(self) -> float:
        return float(sum(p.tonnes for i in self.instance.instances for p in i.products))

    def mac(self) -> list[float | None]:
        """Marginal abatement cost of the segment below each point (towards less footprint),
        currency per t CO2e avoided; None for the first point."""
        out: list[float | None] = [None]
        for a, b in zip(self.points, self.points[1:], strict=False):
            df = b.footprint_per_t - a.footprint_per_t
            out.append((a.cost - b.cost) / (df * self.slab_t) if df > 0 else None)
        return out

    def changes(self) -> list[str]:
        """What changes in the plan on the segment below each point (from it to the tighter
        point before it): the segment its ``mac`` prices. The first point is the least
        footprint reachable; the last, the least cost, where no cap binds."""
        out = []
        for k, p in enumerate(self.points):
            words = [] if k == 0 else [_changes(self.points[k - 1].result, p.result)]
            if k == 0:
                words.insert(0, "least footprint reachable")
            if k == len(self.points) - 1 and k > 0:
                words.insert(0, "least cost, no cap binding; below it:")
            out.append(" ".join(w for w in words if w))
        return out

    def table(self) -> pd.DataFrame:
        mac = self.mac()
        return pd.DataFrame({
            "cap_t_co2e_per_t": [p.cap for p in self.points],
            "footprint_per_t": [p.footprint_per_t for p in self.points],
            "cost": [p.cost for p in self.points],
            "mac_per_t_co2e": mac,
            "changes": self.changes(),
        })


def _used(r: Result) -> set[str]:
    bought = r.plan.bought_t.sum(axis=0)
    return {m for m, t in zip(r.plan.window.materials, bought, strict=True) if t > 1e-6}


def _binding(r: Result) -> set[str]:
    """Every binding limit of the plan but the swept cap itself, in its family's words
    (a period's with its period in front, when the plan has periods)."""
    if r.duals is None:
        return set()
    out = set()
    h = r.horizon
    rows = r.duals[r.duals.binding.isin(["min", "max"]) & (r.duals.family != CAP)]
    for row in rows.to_dict(orient="records"):
        family = BY_NAME[row["family"]]
        key = tuple(row[k] for k in family.keys)
        if family.scope != "period":
            out.add(family.reached_words(key, row["binding"], r.plan.window))
            continue
        k = h.periods.index(row["period"]) if r.named else 0
        words = family.reached_words(key, row["binding"], h.arrays[k])
        out.add(f"{row['period']}: {words}" if r.named else words)
    return out


def _changes(tight: Result, loose: Result) -> str:
    """Differences of the tighter plan against the looser one, in words."""
    words = [f"{m} enters" for m in sorted(_used(tight) - _used(loose))]
    words += [f"{m} leaves" for m in sorted(_used(loose) - _used(tight))]
    words += sorted(_binding(tight) - _binding(loose))
    words += [f"no longer: {b}" for b in sorted(_binding(loose) - _binding(tight))]
    return "; ".join(words)


class _Tracer:
    """Solves cost(F) at caps, warm, counting solves."""

    def __init__(self, instance: Horizon, options: SolveOptions | None) -> None:
        self.base = apply_overrides(instance, {"objective.minimise": "cost",
                                               "objective.footprint_cap": None}, "pareto")
        self.session = Session(options, sensitivity=True)
        self.solves = 0

    def at(self, cap: float | None) -> Result:
        self.solves += 1
        return self.session.solve(self.base, cap_t_co2e_per_t=math.inf if cap is None
                                  else cap)

    def least_footprint(self) -> float:
        self.solves += 1
        r = self.session.solve(apply_overrides(self.base, {"objective.minimise": "footprint"},
                                               "pareto"), cap_t_co2e_per_t=math.inf)
        if not r.status.has_solution:
            raise FrontierError(f"no plan at any footprint: {r.status} ({r.message})")
        return float(r.objective_value)

    def span(self, need_optimal: bool) -> tuple[float, float]:
        """(least footprint, footprint of the least-cost plan), both per t of slab."""
        f_min = self.least_footprint()
        free = self.at(None)
        ok = free.status.is_optimal if need_optimal else free.status.has_solution
        if not ok:
            raise FrontierError(f"least cost without a cap: {free.status} ({free.message})")
        return f_min, float(free.totals["footprint_per_t"])

    def point(self, cap: float) -> Point | None:
        r = self.at(cap)
        if r.status == Status.INFEASIBLE:
            return None
        if not r.status.is_optimal:
            raise FrontierError(f"at cap {cap:.9g}: {r.status} ({r.message})")
        return Point(cap, r)


def _same_cost(a: float, b: float) -> bool:
    return abs(a - b) <= COST_RTOL * max(1.0, abs(a), abs(b))


def lp_frontier(instance: Horizon, options: SolveOptions | None = None,
                max_solves: int = 500) -> Frontier:
    """Exact breakpoints of least cost against the footprint cap (LP instances)."""
    tr = _Tracer(instance, options)
    f_min, f_max = tr.span(need_optimal=True)
    lo = None
    for eps in (CAP_RTOL, 1e-8, 1e-7, 1e-6):  # the least footprint itself, within tolerance
        lo = tr.point(f_min * (1 + eps))
        if lo is not None:
            break
    if lo is None:
        raise FrontierError(f"no plan at the least footprint {f_min:.9g}")
    if f_max <= lo.cap * (1 + CAP_RTOL):
        return Frontier(instance, "exact", (lo,), tr.solves,
                        ("no trade-off: the least-cost plan is also the least-footprint plan",))
    hi = tr.point(f_max)
    assert hi is not None  # the free optimum meets this cap
    breakpoints = {lo.cap: lo, hi.cap: hi}

    def refine(a: Point, b: Point) -> None:
        if tr.solves >= max_solves:
            raise FrontierError(f"more than {max_solves} solves: stopped")
        sa, sb = a.slope, b.slope
        if _same_cost(sa * (b.cap - a.cap), sb * (b.cap - a.cap)):
            return  # one line from a to b
        f_star = (b.cost - a.cost + sa * a.cap - sb * b.cap) / (sa - sb)
        width = b.cap - a.cap
        if not (a.cap + CAP_RTOL * width < f_star < b.cap - CAP_RTOL * width):
            return  # the kink is at an end point already held
        m = tr.point(f_star)
        assert m is not None  # between two feasible caps
        breakpoints[m.cap] = m
        if _same_cost(m.cost, a.cost + sa * (f_star - a.cap)):
            return  # the supporting lines meet on the curve: m is the breakpoint
        refine(a, m)
        refine(m, b)

    refine(lo, hi)
    pts = [breakpoints[c] for c in sorted(breakpoints)]
    # keep only true breakpoints: drop points in the middle of a straight segment
    kept = [pts[0]]
    for k in range(1, len(pts) - 1):
        a, m, b = kept[-1], pts[k], pts[k + 1]
        on_line = a.cost + (b.cost - a.cost) * (m.cap - a.cap) / (b.cap - a.cap)
        if not _same_cost(m.cost, on_line):
            kept.append(m)
    kept.append(pts[-1])
    log.info("frontier: %d breakpoints from %d solves", len(kept), tr.solves)
    return Frontier(instance, "exact", tuple(kept), tr.solves)


def sampled_frontier(instance: Horizon, points: int = 11,
                     options: SolveOptions | None = None) -> Frontier:
    """A sampled frontier: least cost at ``points`` caps from least footprint to least cost,
    dominated points removed. Not exact: a MILP's curve may jump between samples, and
    chance constraints curve it (no straight segments to find)."""
    tr = _Tracer(instance, options)
    f_min, f_max = tr.span(need_optimal=False)
    caps = np.linspace(f_min * (1 + 1e-7), max(f_max, f_min * (1 + 1e-7)), max(2, points))
    got = []
    why = ("MILP optima between samples are not shown" if instance.is_milp else
           "chance constraints curve the frontier between samples")
    notes = [f"sampled: epsilon-constraint on {len(caps)} caps; {why}"]
    for cap in caps:
        r = tr.at(float(cap))
        if r.status.has_solution:
            got.append(Point(float(cap), r))
            if r.status != Status.OPTIMAL:
                notes.append(f"cap {cap:.6g}: {r.status} ({r.message})")
        else:
            notes.append(f"cap {cap:.6g}: {r.status}")
    kept = [p for p in got if not any(
        q.cost <= p.cost and q.footprint_per_t <= p.footprint_per_t
        and (q.cost < p.cost or q.footprint_per_t < p.footprint_per_t) for q in got)]
    uniq: dict[tuple[float, float], Point] = {}
    for p in sorted(kept, key=lambda p: p.cap):
        uniq.setdefault((round(p.footprint_per_t, 9), round(p.cost, 6)), p)
    return Frontier(instance, "sampled", tuple(uniq.values()), tr.solves, tuple(notes))


def frontier(instance: Horizon | Instance, points: int = 11,
             options: SolveOptions | None = None) -> Frontier:
    """Exact breakpoints for an LP; a sampled frontier for a MILP or under chance
    constraints (a cone program's frontier is curved)."""
    instance = as_horizon(instance)
    if instance.unknown_footprints:
        raise FrontierError(f"{', '.join(instance.unknown_footprints)} give no footprint: "
                            "there is no cost-carbon trade-off to trace")
    sold = instance.sold
    if sold:
        raise FrontierError(f"a frontier needs every product's tonnes; {', '.join(sold)} "
                            "sold in a range make the footprint per t a ratio of decisions")
    if instance.is_milp or any(d.has_chance for d in instance.arrays):
        return sampled_frontier(instance, points, options)
    return lp_frontier(instance, options)
