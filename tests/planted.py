"""Random instances with a planted feasible plan, and an independent LP of the same model.

``planted(draw)`` is a hypothesis strategy: random materials, a random mix, and every
limit drawn around what that mix achieves, so the planted mix is feasible and the
optimum can be no worse. ``independent_optimum`` builds the LP again from the
*instance* (not from mixopt's arrays or formulation) as dense matrices and solves it
with scipy's ``linprog``, a different code path from mixopt's Pyomo/HiGHS one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from scipy.optimize import linprog

from mixopt import Instance
from mixopt.io.validate import instance_from_dict

ELS = ("Si", "Fe", "Cu", "Mn", "Mg")


@st.composite
def planted(draw: st.DrawFn, milp: bool = False) -> tuple[dict[str, Any], np.ndarray]:
    """(raw instance dict, planted mix P x M)."""
    seed = draw(st.integers(0, 2**32 - 1))
    P = draw(st.integers(1, 3))
    M = draw(st.integers(2, 7))
    E = draw(st.integers(1, len(ELS)))
    minimise = draw(st.sampled_from(["cost", "footprint"]))
    rng = np.random.default_rng(seed)
    els = ELS[:E]
    comp = rng.uniform(0, 3, (M, E)) * (rng.random((M, E)) < 0.8)
    yld = rng.uniform(0.5, 1.0, M)
    x = rng.uniform(0, 100, (P, M)) * (rng.random((P, M)) < 0.7)
    x[:, 0] += 1.0  # every product gets something
    T = x @ yld
    got = (x * yld) @ comp / T[:, None]  # achieved wt%
    recycled = rng.random(M) < 0.5
    foot = rng.uniform(0, 10, M)
    use = x.sum(axis=0)
    mats = []
    for m in range(M):
        mat: dict[str, Any] = {
            "name": f"m{m}", "cost": float(rng.uniform(100, 3000)),
            "footprint": {"full": float(foot[m]), "scope12": float(foot[m] / 2)},
            "yield": float(yld[m]),
            "composition": {els[e]: float(comp[m, e]) for e in range(E) if comp[m, e] > 0},
            "available": {"max": float(use[m] * rng.uniform(1.0, 1.5) + 1e-3)},
        }
        if recycled[m]:
            mat["recycled"] = "post-consumer" if rng.random() < 0.5 else "pre-consumer"
        if milp and rng.random() < 0.4 and use[m] > 0:
            # a lot size that divides the planted use, so the planted plan stays feasible
            n = int(rng.integers(1, 4))
            mat["lot"] = float(use[m] / n)
            mat["available"] = {"max": float(use[m] / n * (n + int(rng.integers(0, 2))))}
        mats.append(mat)
    alloys, prods = {}, []
    share = (x @ recycled) / x.sum(axis=1)
    fp = x @ foot / T
    for p in range(P):
        lim = {}
        for e in range(E):
            if rng.random() < 0.7:
                lo = float(got[p, e] * rng.uniform(0.5, 1.0)) if rng.random() < 0.5 else 0.0
                hi = float(min(100.0, got[p, e] * rng.uniform(1.0, 1.5) + 1e-4))
                lim[els[e]] = [lo, hi]
        alloys[f"X{p}"] = lim
        prod: dict[str, Any] = {"name": f"p{p}", "alloy": f"X{p}", "tonnes": float(T[p])}
        if rng.random() < 0.3:
            prod["footprint_cap"] = float(fp[p] * rng.uniform(1.0, 1.3) + 1e-6)
        if rng.random() < 0.3 and share[p] > 0:
            prod["min_recycled"] = float(share[p] * rng.uniform(0.3, 1.0))
        prods.append(prod)
    raw = {"name": f"planted-{seed}", "objective": {"minimise": minimise}, "alloys": alloys,
           "products": prods, "materials": mats}
    if rng.random() < 0.3:
        raw["objective"]["footprint_cap"] = float((x @ foot).sum() / T.sum()
                                                  * rng.uniform(1.0, 1.2) + 1e-6)
    return raw, x


def planted_objective(inst: Instance, x: np.ndarray) -> float:
    foot = np.array([m.footprint.in_scope(inst.objective.scope) for m in inst.materials])
    cost = np.array([m.cost for m in inst.materials])
    T = sum(p.tonnes for p in inst.products)
    if inst.objective.minimise == "footprint":
        return float((x @ foot).sum() / T)
    return float((x @ cost).sum())


def build(raw: dict[str, Any]) -> Instance:
    return instance_from_dict(raw)


def independent_optimum(inst: Instance) -> tuple[int, float | None]:
    """(scipy status, objective as mixopt reports it) for an LP instance, built from the
    instance fields alone as dense rows ``A_ub x <= b_ub``, ``A_eq x = b_eq``."""
    mats, prods = inst.materials, inst.products
    P, M = len(prods), len(mats)
    scope = inst.objective.scope
    f = np.array([m.footprint.in_scope(scope) for m in mats])
    k = np.array([m.cost for m in mats])
    y = np.array([m.yield_ for m in mats])
    r = np.array([m.recycled_as is not None for m in mats], dtype=float)
    cast = inst.casting.footprint.in_scope(scope)
    T = np.array([p.tonnes for p in prods])
    n = P * M

    def col(p: int, m: int) -> int:
        return p * M + m

    A_ub, b_ub, A_eq, b_eq = [], [], [], []
    for p, prod in enumerate(prods):
        row = np.zeros(n)
        for m in range(M):
            row[col(p, m)] = y[m]
        A_eq.append(row)
        b_eq.append(T[p])
        for el, (lo, hi) in inst.alloys[prod.alloy].items():
            row = np.zeros(n)
            for m, mat in enumerate(mats):
                row[col(p, m)] = y[m] * mat.composition.get(el, 0.0)
            A_ub.append(row)
            b_ub.append(hi * T[p])
            A_ub.append(-row)
            b_ub.append(-lo * T[p])
        if prod.footprint_cap is not None:
            row = np.zeros(n)
            row[p * M:(p + 1) * M] = f
            A_ub.append(row)
            b_ub.append((prod.footprint_cap - cast) * T[p])
        if prod.min_recycled > 0:
            row = np.zeros(n)
            row[p * M:(p + 1) * M] = -(r - prod.min_recycled)
            A_ub.append(row)
            b_ub.append(0.0)
    for m, mat in enumerate(mats):
        row = np.zeros(n)
        row[[col(p, m) for p in range(P)]] = 1.0
        if mat.available.max is not None:
            A_ub.append(row)
            b_ub.append(mat.available.max)
        if mat.available.min > 0:
            A_ub.append(-row)
            b_ub.append(-mat.available.min)
    if inst.objective.footprint_cap is not None:
        A_ub.append(np.tile(f, P))
        b_ub.append((inst.objective.footprint_cap - cast) * T.sum())
    if inst.objective.minimise == "footprint":
        c = np.tile(f, P)
    else:
        c = np.tile(k + inst.objective.carbon_price * f, P)
    res = linprog(c, A_ub=np.array(A_ub) if A_ub else None, b_ub=b_ub or None,
                  A_eq=np.array(A_eq), b_eq=b_eq, bounds=(0, None), method="highs")
    if res.status != 0:
        return res.status, None
    if inst.objective.minimise == "footprint":
        return 0, float((res.fun + cast * T.sum()) / T.sum())
    return 0, float(res.fun + inst.objective.carbon_price * cast * T.sum())
