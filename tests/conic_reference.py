"""An independent second-order-cone model of a chance-constrained instance, for Clarabel.

Built from the *instance fields* (not from mixopt's arrays, families or LP) as dense
rows, with every uncertain limit written as a true second-order cone, and solved by
Clarabel's interior point method: a different model, a different solver, a different
algorithm from mixopt's tangent cuts on HiGHS. Integer rules are not modelled (Clarabel
solves no MILP): the MILP cross-check enumerates the lot counts and fixes them here.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.special import ndtri

from mixopt import Instance

clarabel = __import__("pytest").importorskip(
    "clarabel", reason="the conic cross-check needs clarabel (pip install -e '.[test]')")


def conic_optimum(inst: Instance, fixed_use_t: dict[str, float] | None = None
                  ) -> tuple[str, float | None, np.ndarray | None]:
    """(Clarabel status, objective as mixopt reports it, plan P x M) of ``inst`` with its
    chance constraints as cones. ``fixed_use_t`` fixes the total use of named materials."""
    mats, prods = inst.materials, inst.products
    P, M = len(prods), len(mats)
    n = P * M
    obj = inst.objective
    scope = obj.scope
    f = np.array([fp.full if scope == "full" else fp.scope12 for fp in inst.footprints])
    k = np.array(inst.costs)
    y = np.array([m.yield_ for m in mats])
    r = np.array([m.recycled_as is not None for m in mats], dtype=float)
    cast = (inst.casting.footprint.full if scope == "full" else inst.casting.footprint.scope12)
    T = np.array([p.tonnes for p in prods])
    eq, ub, socs = [], [], []  # (row, rhs); (row, rhs); (anchor row, rhs, spread rows)

    def block(p: int, values: np.ndarray) -> np.ndarray:
        row = np.zeros(n)
        row[p * M:(p + 1) * M] = values
        return row

    for p, prod in enumerate(prods):
        eq.append((block(p, y / T[p]), 1.0))
        a = prod.confidence or obj.confidence
        limits = inst.alloys[prod.alloy]
        chance = []
        for el, (lo, hi) in limits.items():
            mean = np.array([m.composition.get(el, 0.0) for m in mats]) * y / T[p]
            sd = np.array([m.composition_sd.get(el, 0.0) for m in mats]) * y / T[p]
            for side, bound in (("min", lo), ("max", hi)):
                if (side == "min" and lo <= 0) or (side == "max" and hi >= 100):
                    continue
                if a is not None and sd.any():
                    chance.append((side, bound, mean, sd))
                else:
                    sign = 1.0 if side == "max" else -1.0
                    ub.append((block(p, sign * mean), sign * bound))
        for el, (lo, hi) in prod.aim.items():
            mean = np.array([m.composition.get(el, 0.0) for m in mats]) * y / T[p]
            ub.append((block(p, mean), hi))
            ub.append((block(p, -mean), -lo))
        if chance:
            a_l = a if obj.confidence_per == "limit" else 1 - (1 - a) / len(chance)
            z = float(ndtri(a_l))
            for side, bound, mean, sd in chance:
                sign = 1.0 if side == "max" else -1.0
                spread = np.zeros((M, n))
                spread[np.arange(M), p * M + np.arange(M)] = sd
                socs.append((block(p, sign * mean), sign * bound, z * spread))
        if prod.footprint_cap is not None:
            ub.append((block(p, f / T[p]), prod.footprint_cap - cast))
        if prod.min_recycled > 0:
            ub.append((block(p, -(r - prod.min_recycled) / T[p]), 0.0))
    for m, mat in enumerate(mats):
        row = np.zeros(n)
        row[m::M] = 1.0
        if fixed_use_t is not None and mat.name in fixed_use_t:
            eq.append((row, fixed_use_t[mat.name]))
            continue
        if mat.available.max is not None:
            ub.append((row, mat.available.max))
        if mat.available.min > 0:
            ub.append((-row, -mat.available.min))
    if obj.footprint_cap is not None:
        ub.append((np.tile(f, P) / T.sum(), obj.footprint_cap - cast))
    ub += [(-np.eye(n)[j], 0.0) for j in range(n)]  # x >= 0
    rows = [e[0] for e in eq] + [u[0] for u in ub]
    rhs = [e[1] for e in eq] + [u[1] for u in ub]
    cones = [clarabel.ZeroConeT(len(eq)), clarabel.NonnegativeConeT(len(ub))]
    for anchor, bound, spread in socs:  # bound - anchor x >= ||spread x||
        rows += [anchor, *(-spread)]
        rhs += [bound, *np.zeros(len(spread))]
        cones.append(clarabel.SecondOrderConeT(1 + len(spread)))
    c = np.tile(f if obj.minimise == "footprint" else k + obj.carbon_price * f, P)
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_gap_abs = settings.tol_gap_rel = 1e-10
    settings.tol_feas = 1e-10
    solver = clarabel.DefaultSolver(sp.csc_matrix((n, n)), c, sp.csc_matrix(np.array(rows)),
                                    np.array(rhs, dtype=float), cones, settings)
    sol = solver.solve()
    status = str(sol.status)
    if "Solved" not in status:
        return status, None, None
    x = np.maximum(np.array(sol.x), 0.0)
    total = float(c @ np.array(sol.x))
    if obj.minimise == "footprint":
        return status, (total + cast * T.sum()) / T.sum(), x.reshape(P, M)
    return status, total + obj.carbon_price * cast * T.sum(), x.reshape(P, M)
