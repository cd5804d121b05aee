"""``mixopt bench periods``: a generated multi-period instance, mixopt end to end against
a raw highspy build of the same LP.

The horizon is the generated month (``mixopt.dev.generate``) over N periods: scrap
prices walk ±5% a month, offers and orders move ±20% and ±10%, a fifth of the lots may
be stored (a yard of twice a month's offer, 10 per t and month), and INERTA comes under
a take-or-pay contract for 60% of the horizon's offer. Each contender runs in its own
fresh spawned process:

- mixopt: ``read`` (TOML) -> every period's arrays and rows and the linking rows ->
  load into HiGHS -> run -> plan extraction and the solver-free recheck of every period
  and every link;
- baseline: ``tomllib`` -> the same LP built with numpy (mass balance, chemistry,
  supply, stock balance, contract) -> ``passModel`` -> run -> ``getSolution``: no
  validation, no recheck.

Both run HiGHS with the same settings; their objectives must agree (checked).
"""

from __future__ import annotations

import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

from mixopt.dev.bench_scale import Run, _in_child, _peak_mb, _rss_mb, raw_highs_run


def generate_horizon(periods: int, lots: int, products: int, elements: int,
                     seed: int = 0) -> dict[str, Any]:
    """A generated horizon as a raw TOML document (see the module doc)."""
    from mixopt.dev.generate import generate_dict

    raw = generate_dict(lots, products, elements, seed)
    rng = np.random.default_rng(seed + 1)
    names = [f"2027-{k + 1:02d}" if k < 12 else f"{2027 + k // 12}-{k % 12 + 1:02d}"
             for k in range(periods)]
    raw["periods"] = names
    raw["objective"] = {"minimise": "cost"}
    for p in raw["products"]:
        p["tonnes"] = {n: round(p["tonnes"] * float(rng.uniform(0.9, 1.1)), 1) for n in names}
    for i, m in enumerate(raw["materials"]):
        walk = np.cumprod(rng.uniform(0.95, 1.05, periods))
        if m["name"].startswith("lot"):
            m["cost"] = {n: round(m["cost"] * float(w), 2) for n, w in zip(names, walk,
                                                                          strict=True)}
        mx = m.get("available", {}).get("max")
        if mx is not None:
            m["available"] = {"max": {n: round(mx * float(rng.uniform(0.8, 1.2)), 3)
                                      for n in names}}
            if m["name"].startswith("lot") and i % 5 == 0:
                m["stock"] = {"initial": 0.0, "max": round(2 * mx, 3), "holding_cost": 10.0}
        if m["name"] == "INERTA":
            m["contract"] = {"min": round(0.6 * mx * periods, 1), "take_or_pay": True}
    return raw


def _mixopt(path: str) -> Run:
    from mixopt.io.read import read
    from mixopt.model.backend.highs import HighsSession
    from mixopt.model.evaluate import recheck
    from mixopt.model.formulation import build_window, plan_from_columns

    base = _rss_mb()
    t0 = time.perf_counter()
    h = read(path)
    t1 = time.perf_counter()
    wlp = build_window(h)
    t2 = time.perf_counter()
    session = HighsSession(wlp.lp)
    raw = session.solve(sensitivity=False)
    t3 = time.perf_counter()
    _, bad = recheck(plan_from_columns(wlp, raw.x))
    assert not bad, bad[:3]
    t4 = time.perf_counter()
    phases = {"read": t1 - t0, "build": t2 - t1 + session.build_s, "load": session.load_s,
              "solve": raw.solve_time_s,
              "extract": t4 - t3 + max(0.0, (t3 - t2) - session.build_s - session.load_s
                                       - raw.solve_time_s)}
    return Run("mixopt", phases, float(raw.objective), base, _peak_mb(), wlp.lp.A.shape[1],
               wlp.lp.A.nnz)


def _baseline(path: str, lp_solver: str) -> Run:
    import highspy  # noqa: F401 - loaded before the clock starts, as mixopt's is
    import scipy.sparse as sp

    from mixopt.model.schema.alloys import library

    base = _rss_mb()
    t0 = time.perf_counter()
    doc = tomllib.loads(Path(path).read_text())
    t1 = time.perf_counter()
    names, prods, mats = doc["periods"], doc["products"], doc["materials"]
    K, P, M = len(names), len(prods), len(mats)
    lib = {k: v.limits_wt_pct for k, v in library().items()}
    els = list(dict.fromkeys(e for m in mats for e in m["composition"]))
    comp = np.array([[m["composition"].get(e, 0.0) for e in els] for m in mats])
    yld = np.array([m.get("yield", 1.0) for m in mats])

    def per(v: Any, k: int) -> float:
        return float(v[names[k]] if isinstance(v, dict) else v)

    cost = np.array([[per(m["cost"], k) for m in mats] for k in range(K)])
    amax = np.array([[per(m["available"]["max"], k) if "available" in m else np.inf
                      for m in mats] for k in range(K)])
    T = np.array([[per(p["tonnes"], k) for p in prods] for k in range(K)])
    stored = [i for i, m in enumerate(mats) if "stock" in m]
    S = len(stored)
    nx = K * P * M
    n = nx + 2 * K * S + 1  # charges, buys, stocks, one take-or-pay shortfall
    r_, c_, v_, lo, hi = [], [], [], [], []
    row = 0
    coef = yld[:, None] * comp
    for k in range(K):
        off = k * P * M
        pp, mm = np.divmod(np.arange(P * M), M)
        r_.append(row + pp)
        c_.append(off + np.arange(P * M))
        v_.append(yld[mm] / T[k, pp])
        lo.append(np.ones(P))
        hi.append(np.ones(P))
        row += P
        for p, pr in enumerate(prods):
            limits = doc["alloys"].get(pr["alloy"]) or lib[pr["alloy"]]
            for e, el in enumerate(els):
                if el not in limits or (limits[el][0] <= 0 and limits[el][1] >= 100):
                    continue
                nz = np.flatnonzero(coef[:, e])
                r_.append(np.full(len(nz), row))
                c_.append(off + p * M + nz)
                v_.append(coef[nz, e] / T[k, p])
                lo.append([limits[el][0]])
                hi.append([limits[el][1]])
                row += 1
        ms = np.array([m for m in np.flatnonzero(np.isfinite(amax[k])) if m not in stored],
                      dtype=int)
        r_.append(row + np.repeat(np.arange(len(ms)), P))
        c_.append(off + np.tile(np.arange(P), len(ms)) * M + np.repeat(ms, P))
        v_.append(np.ones(len(ms) * P))
        lo.append(np.zeros(len(ms)))
        hi.append(amax[k, ms])
        row += len(ms)
    col_lo, col_hi, c = np.zeros(n), np.full(n, np.inf), np.zeros(n)
    c[:nx] = np.repeat(cost[:, None, :], P, axis=1).ravel()
    for j, m in enumerate(stored):
        st = mats[m]["stock"]
        for k in range(K):
            b, s = nx + j * K + k, nx + K * S + j * K + k
            col_hi[b], col_hi[s] = amax[k, m], st["max"]
            c[b], c[s] = cost[k, m], st["holding_cost"]
            c[k * P * M + np.arange(P) * M + m] = 0.0  # paid when bought
            cols = [b, s, *(k * P * M + np.arange(P) * M + m)] + ([s - 1] if k else [])
            vals = [1.0, -1.0, *[-1.0] * P] + ([1.0] if k else [])
            r_.append(np.full(len(cols), row))
            c_.append(np.array(cols))
            v_.append(np.array(vals))
            rhs = -st["initial"] if k == 0 else 0.0
            lo.append([rhs])
            hi.append([rhs])
            row += 1
    inerta = next(i for i, m in enumerate(mats) if m["name"] == "INERTA")
    con = mats[inerta]["contract"]
    cols = [k * P * M + p * M + inerta for k in range(K) for p in range(P)] + [n - 1]
    r_.append(np.full(len(cols), row))
    c_.append(np.array(cols))
    v_.append(np.ones(len(cols)))
    lo.append([con["min"]])
    hi.append([np.inf])
    row += 1
    c[n - 1] = cost[-1, inerta]
    A = sp.csc_matrix((np.concatenate(v_), (np.concatenate(r_), np.concatenate(c_))),
                      shape=(row, n))
    return raw_highs_run("raw highspy", A, c, col_lo, col_hi,
                         np.concatenate([np.asarray(x, dtype=float) for x in lo]),
                         np.concatenate([np.asarray(x, dtype=float) for x in hi]), lp_solver,
                         (t0, t1), base)


def bench_periods(periods: int, lots: int, products: int, elements: int,
                  seed: int = 0) -> tuple[Run, Run]:
    """mixopt and the raw baseline (on mixopt's LP algorithm) on one generated horizon."""
    import tomlkit

    from mixopt.model.backend import AUTO_IPM_COLUMNS

    raw = generate_horizon(periods, lots, products, elements, seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "horizon.toml"
        path.write_text(tomlkit.dumps(raw))
        ours = _in_child(_mixopt, str(path))
        algo = "ipm" if ours.columns >= AUTO_IPM_COLUMNS else "simplex"
        theirs = _in_child(_baseline, str(path), algo)
    return ours, theirs
