"""Independent models of a product whose slab is a decision (sold in a range), and of a
furnace correction (issue 22), for cross-checks only.

Written from the instance *fields* and the correction's contract, not through mixopt's
arrays, families, LP builder or its correction instance: the chemistry as homogeneous rows
on the metal made, each chance limit as a true second-order cone, solved by Clarabel (an
interior point on a conic model), and the mean case also by ``scipy.optimize.linprog``
(HiGHS through scipy, from dense rows of its own).

The correction's variables are the additions a_m (t charged) and the tapped tonnes r; the
metal after correction is (T - r) + Σ y_m a_m, its content of e (T - r) c_e + Σ y_m c_me
a_m, and with a confidence its spread the norm of ((T - r) σ_e, (y_m σ_me a_m)_m).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.special import ndtri

from mixopt import Instance


@dataclass(frozen=True)
class Reference:
    status: str  # "optimal" or "infeasible"
    objective: float | None
    additions: dict[str, float]
    tapped_t: float


def correction(inst: Instance, product: str, melt_t: float, sample: dict[str, float],
               heat_t: float, furnace_t: float, may_tap: bool = False,
               tap_cost: float = 0.0, minimise: str = "cost",
               sample_sd: dict[str, float] | None = None, confidence: float | None = None,
               supply_t: dict[str, float | None] | None = None,
               solver: str = "linprog") -> Reference:
    """The least-cost (additions + tapping) or least-footprint (additions, t CO2e)
    correction of ``melt_t`` t of ``sample`` (wt%) to ``product``'s alloy window and aims.
    ``solver``: "linprog" (mean chemistry only) or "clarabel" (with chance cones)."""
    mats = inst.materials
    M = len(mats)
    prod = next(p for p in inst.products if p.name == product)
    windows = dict(inst.alloys[prod.alloy])
    y = np.array([m.yield_ for m in mats])
    cost = np.array(inst.costs) if minimise == "cost" else np.array(
        [f.full if inst.objective.scope == "full" else f.scope12 for f in inst.footprints])
    # the variables: the additions, then r
    c = np.append(cost, tap_cost if minimise == "cost" else 0.0)
    ub, rhs = [], []  # rows: row @ v <= rhs

    def add(row: np.ndarray, b: float) -> None:
        ub.append(row)
        rhs.append(b)

    mass = np.append(y, -1.0)  # after-mass = T + mass @ v
    add(-mass, melt_t - heat_t)
    add(mass, furnace_t - melt_t)
    lo_r, hi_r = 0.0, melt_t if may_tap else 0.0
    socs = []
    a = confidence
    for limits, chance in ((windows, True), (dict(prod.aim), False)):
        for e, (lo, hi) in limits.items():
            ce = sample.get(e, 0.0)
            comp = np.array([m.composition.get(e, 0.0) for m in mats])
            sd = np.array([m.composition_sd.get(e, 0.0) for m in mats])
            s_melt = (sample_sd or {}).get(e, 0.0)
            spread = chance and a is not None and (sd.any() or s_melt > 0)
            for side, bound in (("max", hi), ("min", lo)):
                if (side == "max" and bound >= 100) or (side == "min" and bound <= 0):
                    continue
                sign = 1.0 if side == "max" else -1.0
                # sign * (content - bound * mass) <= 0, content and mass both with the melt
                row = sign * np.append(y * (comp - bound), -(ce - bound))
                const = sign * melt_t * (ce - bound)
                if spread:
                    socs.append((row, const, e))
                else:
                    add(row, -const)
    bounds = []
    for m in mats:
        most = m.available.max if supply_t is None or m.name not in supply_t else \
            supply_t[m.name]
        bounds.append((0.0, most))
    bounds.append((lo_r, hi_r))
    if solver == "linprog":
        assert not socs, "chance limits need the conic model"
        res = linprog(c, A_ub=np.array(ub), b_ub=np.array(rhs), bounds=bounds,
                      method="highs")
        if res.status == 2:
            return Reference("infeasible", None, {}, 0.0)
        assert res.status == 0, res.message
        v = res.x
        obj = float(res.fun)
    else:
        v, obj = _clarabel(c, ub, rhs, bounds, socs, inst, sample_sd or {}, melt_t, a)
        if v is None:
            return Reference("infeasible", None, {}, 0.0)
    return Reference("optimal", obj, {m.name: float(v[i]) for i, m in enumerate(mats)},
                     float(v[M]))


def _clarabel(c: np.ndarray, ub: list, rhs: list, bounds: list, socs: list, inst: Instance,
              sample_sd: dict[str, float], melt_t: float, a: float | None):
    import clarabel

    n = len(c)
    mats = inst.materials
    y = np.array([m.yield_ for m in mats])
    rows, b = list(ub), list(rhs)
    for j, (lo, hi) in enumerate(bounds):
        e = np.zeros(n)
        e[j] = -1.0
        rows.append(e)
        b.append(-lo)
        if hi is not None:
            rows.append(-e)
            b.append(hi)
    cones = [clarabel.NonnegativeConeT(len(rows))]
    z = float(ndtri(a)) if a is not None else 0.0
    for row, const, e in socs:
        # -(row @ v + const) >= z ||((T - r) s_melt, (y_m s_me a_m)_m)||
        sd = np.array([m.composition_sd.get(e, 0.0) for m in mats])
        s_melt = sample_sd.get(e, 0.0)
        rows.append(row)
        b.append(-const)
        spread = np.zeros((len(mats) + 1, n))
        spread[np.arange(len(mats)), np.arange(len(mats))] = -z * y * sd
        spread[len(mats), len(mats)] = z * s_melt  # (T - r) s: T s - s r
        rows += list(spread)
        b += [0.0] * len(mats) + [z * s_melt * melt_t]
        cones.append(clarabel.SecondOrderConeT(1 + len(mats) + 1))
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_gap_abs = settings.tol_gap_rel = 1e-10
    settings.tol_feas = 1e-10
    solver = clarabel.DefaultSolver(sp.csc_matrix((n, n)), c, sp.csc_matrix(np.array(rows)),
                                    np.array(b, dtype=float), cones, settings)
    sol = solver.solve()
    if "Solved" not in str(sol.status):
        return None, None
    v = np.array(sol.x)
    return v, float(c @ v)


def sold_month(inst: Instance, solver: str = "linprog") -> Reference:
    """The least net cost (purchases less revenue) of an instance of one product sold in a
    range, its windows, aims and (clarabel) chance limits on the slab made."""
    prod = inst.products[0]
    lo_t, hi_t = prod.tonnes_min or 0.0, prod.tonnes_max
    mats = inst.materials
    y = np.array([m.yield_ for m in mats])
    obj = np.array(inst.costs) - (prod.price or 0.0) * y
    ub, rhs, socs = [], [], []
    ub.append(-y), rhs.append(-lo_t)
    if hi_t is not None:
        ub.append(y), rhs.append(hi_t)
    a = prod.confidence or inst.objective.confidence
    for limits, chance in ((inst.alloys[prod.alloy], True), (prod.aim, False)):
        for e, (lo, hi) in limits.items():
            comp = np.array([m.composition.get(e, 0.0) for m in mats])
            sd = np.array([m.composition_sd.get(e, 0.0) for m in mats])
            for side, bound in (("max", hi), ("min", lo)):
                if (side == "max" and bound >= 100) or (side == "min" and bound <= 0):
                    continue
                sign = 1.0 if side == "max" else -1.0
                row = sign * y * (comp - bound)
                if chance and a is not None and sd.any():
                    socs.append((row, e))
                else:
                    ub.append(row), rhs.append(0.0)
    bounds = [(m.available.min, m.available.max) for m in mats]
    if solver == "linprog":
        res = linprog(obj, A_ub=np.array(ub), b_ub=np.array(rhs), bounds=bounds,
                      method="highs")
        if res.status == 2:
            return Reference("infeasible", None, {}, 0.0)
        assert res.status == 0, res.message
        return Reference("optimal", float(res.fun),
                         {m.name: float(res.x[i]) for i, m in enumerate(mats)}, 0.0)
    # the melt-free conic model: the same cones with no melt column (bounded at 0)
    n = len(mats) + 1
    c = np.append(obj, 0.0)
    ub2 = [np.append(r, 0.0) for r in ub]
    socs2 = [(np.append(r, 0.0), 0.0, e) for r, e in socs]
    v, val = _clarabel(c, ub2, rhs, [*bounds, (0.0, 0.0)], socs2, inst, {}, 0.0, a)
    if v is None:
        return Reference("infeasible", None, {}, 0.0)
    assert n == len(v)
    return Reference("optimal", val, {m.name: float(v[i]) for i, m in enumerate(mats)}, 0.0)
