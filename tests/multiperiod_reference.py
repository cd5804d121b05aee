"""An independent model of multi-period instances, for cross-checks only.

Written straight from the issue's contract on the raw TOML (``tomllib``), not through
mixopt's reader, arrays, families or LP builder: one dense LP in the natural variables
(t charged per period, product and material; t bought, t in stock; take-or-pay
shortfall), solved by ``scipy.optimize.linprog``. Only alloy windows of the shipped
library are taken from mixopt (data, not formulation). Covers what the tests use:
costs, supplies, yields, chemistry windows, stock, contracts, capacities, recycled
minimums, product footprint caps, ordered and sold products, and home scrap (issue 22:
a product's ``returns = {material, share}``: share x its slab made comes back; into the
material's stock at the end of the period, charged from the next period on, or, for a
material without stock, as a supply of the period).
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from mixopt.model.schema.alloys import library

RECYCLED_ROUTES = ("post-consumer scrap", "pre-consumer scrap")


def _at(value: Any, period: str, default: Any = None) -> Any:
    if value is None:
        return default
    return value[period] if isinstance(value, dict) else value


def reference_objective(path: Path | dict,
                        horizon_cap: float | None = None) -> tuple[str, float | None]:
    """("optimal", objective) as mixopt reports it (net cost, or t CO2e per t of slab),
    or (status, None); ``horizon_cap``: footprint per t of slab over all periods (every
    product ordered)."""
    raw = path if isinstance(path, dict) else tomllib.loads(Path(path).read_text())
    periods = raw["periods"]
    K = len(periods)
    mats, prods = raw["materials"], raw["products"]
    M, P = len(mats), len(prods)
    obj = raw.get("objective", {})
    sense, scope = obj.get("minimise", "footprint"), obj.get("scope", "full")
    price_c = obj.get("carbon_price", 0.0)
    cast = raw.get("casting", {}).get("footprint", {"full": 0.0, "scope12": 0.0})[scope]
    alloys = {**{k: v.limits_wt_pct for k, v in library().items()}, **raw.get("alloys", {})}
    names = [m["name"] for m in mats]
    stocked = [i for i, m in enumerate(mats) if "stock" in m]
    take = [i for i, m in enumerate(mats) if m.get("contract", {}).get("take_or_pay")]
    # columns: x[k,p,m], then buy[k,i] and s[k,i] per stocked i, then u[i] per take-or-pay
    nx = K * P * M

    def x(k: int, p: int, m: int) -> int:
        return (k * P + p) * M + m

    def buy(k: int, j: int) -> int:
        return nx + k * len(stocked) + j

    def st(k: int, j: int) -> int:
        return nx + K * len(stocked) + k * len(stocked) + j

    nu0 = nx + 2 * K * len(stocked)
    lotted = [j for j, m in enumerate(stocked) if "lot" in mats[m]]  # whole lots bought
    nn0 = nu0 + len(take)
    n = nn0 + K * len(lotted)
    c = np.zeros(n)
    lo, hi = np.zeros(n), np.full(n, np.inf)
    A_ub, b_ub, A_eq, b_eq = [], [], [], []
    const = 0.0

    def row() -> np.ndarray:
        return np.zeros(n)

    fp = [m.get("footprint", {}).get(scope, 0.0) for m in mats]

    def back(k: int, m: int) -> np.ndarray:
        """The row of the t of material m that comes back as home scrap in period k."""
        r = row()
        for p, prod in enumerate(prods):
            ret = prod.get("returns")
            if ret is not None and ret["material"] == names[m]:
                for i, mat in enumerate(mats):
                    r[x(k, p, i)] += _at(ret["share"], periods[k]) * mat.get("yield", 1.0)
        return r

    for k, per in enumerate(periods):
        for p, prod in enumerate(prods):
            y = [m.get("yield", 1.0) for m in mats]
            T = _at(prod.get("tonnes"), per)
            v = _at(prod.get("price"), per, 0.0)
            for m, mat in enumerate(mats):
                cost = _at(mat.get("cost"), per, 0.0) if m not in stocked else 0.0
                if sense == "cost":
                    c[x(k, p, m)] = cost + price_c * (fp[m] + (cast * y[m] if T is None else 0))
                    c[x(k, p, m)] -= v * y[m]
                else:
                    c[x(k, p, m)] = fp[m] + (cast * y[m] if T is None else 0.0)
            if T is not None:
                const += cast * T * (price_c if sense == "cost" else 1.0)
            r = row()
            for m in range(M):
                r[x(k, p, m)] = y[m]
            if T is not None:
                A_eq.append(r)
                b_eq.append(T)
            else:
                A_ub.append(-r)
                b_ub.append(-_at(prod.get("tonnes_min"), per, 0.0))
                tmax = _at(prod.get("tonnes_max"), per)
                if tmax is not None:
                    A_ub.append(r)
                    b_ub.append(tmax)
            for e, (a, b) in alloys[prod["alloy"]].items():
                for bound, sign in ((a, -1.0), (b, 1.0)):
                    r = row()  # sum y (c - bound) x  (<= 0 for max, >= 0 for min)
                    for m, mat in enumerate(mats):
                        r[x(k, p, m)] = sign * y[m] * (mat["composition"].get(e, 0.0) - bound)
                    A_ub.append(r)
                    b_ub.append(0.0)
            share = _at(prod.get("min_recycled"), per, 0.0)
            if share > 0:
                r = row()
                for m, mat in enumerate(mats):
                    rec = float(mat.get("route") in RECYCLED_ROUTES or "recycled" in mat)
                    r[x(k, p, m)] = share - rec
                A_ub.append(r)
                b_ub.append(0.0)
            cap = _at(prod.get("footprint_cap"), per)
            if cap is not None:
                r = row()
                for m in range(M):
                    r[x(k, p, m)] = fp[m] - (cap - cast) * y[m]
                A_ub.append(r)
                b_ub.append(0.0)
        cap_all = obj.get("footprint_cap")
        if cap_all is not None:  # over all products of the period, casting included
            r = row()
            rhs = 0.0
            for p, prod in enumerate(prods):
                T = _at(prod.get("tonnes"), per)
                for m, mat in enumerate(mats):
                    y = mat.get("yield", 1.0)
                    r[x(k, p, m)] = fp[m] - ((cap_all - cast) * y if T is None else 0.0)
                if T is not None:
                    rhs += (cap_all - cast) * T
            A_ub.append(r)
            b_ub.append(rhs)
        for capy in raw.get("capacities", []):
            r = row()
            for name in capy["materials"]:
                for p in range(P):
                    r[x(k, p, names.index(name))] = 1.0
            A_ub.append(r)
            b_ub.append(_at(capy["max"], per))
        for m, mat in enumerate(mats):
            av = mat.get("available", {})
            amin, amax = _at(av.get("min"), per, 0.0), _at(av.get("max"), per)
            if m in stocked:
                j = stocked.index(m)
                lo[buy(k, j)] = amin
                hi[buy(k, j)] = math.inf if amax is None else amax
                s = mat["stock"]
                hi[st(k, j)] = math.inf if s.get("max") is None else _at(s["max"], per)
                if sense == "cost":
                    c[buy(k, j)] = _at(mat["cost"], per)
                    c[st(k, j)] = _at(s.get("holding_cost"), per, 0.0)
                r = row()  # s[k-1] + buy + returned - charged - s[k] = 0
                r[buy(k, j)], r[st(k, j)] = 1.0, -1.0
                for p in range(P):
                    r[x(k, p, m)] = -1.0
                r += back(k, m)
                if k > 0:
                    r[st(k - 1, j)] = 1.0
                A_eq.append(r)
                b_eq.append(-s.get("initial", 0.0) if k == 0 else 0.0)
                if back(k, m).any():  # charged <= what was in stock and bought
                    r = row()
                    r[buy(k, j)] = -1.0
                    for p in range(P):
                        r[x(k, p, m)] = 1.0
                    if k > 0:
                        r[st(k - 1, j)] = -1.0
                    A_ub.append(r)
                    b_ub.append(s.get("initial", 0.0) if k == 0 else 0.0)
                if k == K - 1 and s.get("final") is not None:
                    lo[st(k, j)] = s["final"]
            else:
                r = row()
                for p in range(P):
                    r[x(k, p, m)] = 1.0
                if back(k, m).any():  # the period's home scrap is its supply
                    A_ub.append(r - back(k, m))
                    b_ub.append(0.0)
                if amax is not None:
                    A_ub.append(r)
                    b_ub.append(amax)
                if amin > 0:
                    A_ub.append(-r)
                    b_ub.append(-amin)
    for q, j in enumerate(lotted):
        for k in range(K):
            r = row()
            r[buy(k, j)] = 1.0
            r[nn0 + q * K + k] = -mats[stocked[j]]["lot"]
            A_eq.append(r)
            b_eq.append(0.0)
    if horizon_cap is not None:
        r = row()
        total = 0.0
        for k, per in enumerate(periods):
            for p, prod in enumerate(prods):
                total += _at(prod["tonnes"], per)
                for m in range(M):
                    r[x(k, p, m)] = fp[m]
        A_ub.append(r)
        b_ub.append((horizon_cap - cast) * total)
    for m, mat in enumerate(mats):
        con = mat.get("contract")
        if con is None:
            continue
        r = row()
        for k in range(K):
            if m in stocked:
                r[buy(k, stocked.index(m))] = 1.0
            else:
                for p in range(P):
                    r[x(k, p, m)] = 1.0
        if con.get("max") is not None:
            A_ub.append(r.copy())
            b_ub.append(con["max"])
        if m in take:
            u = nu0 + take.index(m)
            r[u] = 1.0
            last = _at(mat["cost"], periods[-1])
            c[u] = con.get("price", last) if sense == "cost" else 0.0
        A_ub.append(-r)
        b_ub.append(-con.get("min", 0.0))
    if lotted:  # a MILP: scipy's milp (HiGHS's branch and bound, through scipy)
        integrality = np.zeros(n)
        integrality[nn0:] = 1
        cons = [LinearConstraint(np.array(A), -np.inf, np.array(b)) for A, b in
                ((A_ub, b_ub),) if A] + [LinearConstraint(np.array(A_eq), b_eq, b_eq)]
        res = milp(c, constraints=cons, integrality=integrality, bounds=Bounds(lo, hi),
                   options={"mip_rel_gap": 1e-9})
        if res.status == 2:
            return "infeasible", None
        assert res.status == 0, res.message
    else:
        res = linprog(c, A_ub=np.array(A_ub) if A_ub else None, b_ub=b_ub or None,
                      A_eq=np.array(A_eq) if A_eq else None, b_eq=b_eq or None,
                      bounds=list(zip(lo, hi, strict=True)), method="highs")
        if res.status == 2:
            return "infeasible", None
        if res.status == 3:
            return "unbounded", None
        assert res.status == 0, res.message
    value = float(res.fun + const)
    if sense == "footprint":
        slab = sum(prod_slab for prod_slab in _slabs(res.x, x, periods, prods, mats))
        return "optimal", value / slab
    return "optimal", value


def _slabs(sol: np.ndarray, x: Any, periods: list, prods: list, mats: list) -> list[float]:
    return [sum(m.get("yield", 1.0) * sol[x(k, p, i)] for i, m in enumerate(mats))
            for k in range(len(periods)) for p in range(len(prods))]
