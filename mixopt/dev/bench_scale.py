"""``mixopt bench solve``: mixopt end to end against a minimal raw-highspy baseline.

For each size, a generated month (or horizon, below) is written to disk
(TOML + CSV, as ``mixopt generate`` does), then each contender runs in its own fresh
*spawned* process (so peak memory is its own) and reports its phases:

- mixopt: ``read`` -> arrays + formulation -> (Pyomo build) -> load into HiGHS
  -> HiGHS run -> extraction, sensitivity and the solver-free recheck;
- baseline: ``tomllib`` + ``csv`` into numpy -> the same LP rows built with numpy (only
  the row families a generated month has: mass balance, chemistry, supply) ->
  ``passModel`` -> run -> ``getSolution``. No validation, no recheck, no sensitivity: the
  physical limit of getting this LP through HiGHS from these files.

Both solve with the same HiGHS settings; their objectives must agree (checked).
"""

from __future__ import annotations

import csv
import multiprocessing as mp
import resource
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SIZES = ((50, 5, 10), (500, 20, 12), (2000, 40, 12), (5000, 60, 14))
PHASES = ("read", "build", "load", "solve", "extract")


@dataclass(frozen=True)
class Run:
    who: str
    phases: dict[str, float]
    objective: float
    rss_base_mb: float  # resident memory after imports, before any work
    rss_peak_mb: float
    columns: int
    nonzeros: int

    @property
    def outside_solve(self) -> float:
        return sum(v for k, v in self.phases.items() if k != "solve")

    @property
    def total(self) -> float:
        return sum(self.phases.values())

    @property
    def work_mb(self) -> float:
        return self.rss_peak_mb - self.rss_base_mb


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return float(line.split()[1]) / 1024
    return float("nan")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _mixopt(path: str, backend: str, lp_solver: str, sensitivity: bool = True) -> Run:
    from mixopt.io.read import read
    from mixopt.model.backend import SolveOptions
    from mixopt.model.backend.highs import HighsSession
    from mixopt.model.evaluate import recheck
    from mixopt.model.formulation import build_window, plan_from_columns
    from mixopt.model.planner import column_sensitivity, shadow_prices

    base = _rss_mb()
    t0 = time.perf_counter()
    h = read(path)
    t1 = time.perf_counter()
    wlp = build_window(h)  # as mixopt.solve does
    lp = wlp.lp
    t2 = time.perf_counter()
    session = HighsSession(lp, SolveOptions(backend=backend, lp_solver=lp_solver))
    raw = session.solve(sensitivity)
    t3 = time.perf_counter()
    plan = plan_from_columns(wlp, raw.x)
    evs, bad = recheck(plan)
    assert not bad, bad[:3]
    if sensitivity:
        shadow_prices(lp, wlp.window, evs, plan, raw)
        column_sensitivity(lp, wlp, evs, raw)
    t4 = time.perf_counter()
    phases = {"read": t1 - t0, "build": t2 - t1 + session.build_s, "load": session.load_s,
              "solve": raw.solve_time_s, "extract": t4 - t3}
    # the session's own solve() also read the solution and ran ranging: charge it as extract
    phases["extract"] += max(0.0, (t3 - t2) - session.build_s - session.load_s
                             - raw.solve_time_s)
    label = f"mixopt ({backend}{'' if sensitivity else ', no sens.'})"
    return Run(label, phases, float(raw.objective), base, _peak_mb(),
               lp.A.shape[1], lp.A.nnz)


def _baseline(path: str, lp_solver: str) -> Run:
    import highspy  # noqa: F401 - loaded before the clock starts, as mixopt's is
    import scipy.sparse as sp

    base = _rss_mb()
    t0 = time.perf_counter()
    p = Path(path)
    doc = tomllib.loads(p.read_text())
    with (p.parent / doc["files"]["materials"]).open() as fh:
        mats = list(csv.DictReader(fh))
    with (p.parent / doc["files"]["composition"]).open() as fh:
        comp_rows = list(csv.reader(fh))
    els = comp_rows[0][1:]
    comp = np.array([[float(v or 0) for v in r[1:]] for r in comp_rows[1:]])
    cost = np.array([float(m["cost"]) for m in mats])
    yld = np.array([float(m["yield"] or 1) for m in mats])
    amax = np.array([float(m["available_max"]) if m["available_max"] else np.inf
                     for m in mats])
    prods = doc["products"]
    T = np.array([pr["tonnes"] for pr in prods])
    t1 = time.perf_counter()
    P, M = len(prods), len(mats)
    n = P * M
    blocks_r, blocks_c, blocks_v, lo, hi = [], [], [], [], []
    row = 0
    pp, mm = np.divmod(np.arange(n), M)
    blocks_r.append(pp)
    blocks_c.append(np.arange(n))
    blocks_v.append(yld[mm] / T[pp])
    lo.append(np.ones(P))
    hi.append(np.ones(P))
    row += P
    coef = yld[:, None] * comp
    for p, pr in enumerate(prods):
        limits = doc["alloys"][pr["alloy"]]
        for e, el in enumerate(els):  # mixopt's row order: products, then constituents
            if el not in limits:
                continue
            a, b = limits[el]
            if a <= 0 and b >= 100:
                continue
            nz = np.flatnonzero(coef[:, e])
            blocks_r.append(np.full(len(nz), row))
            blocks_c.append(p * M + nz)
            blocks_v.append(coef[nz, e] / T[p])
            lo.append([a])
            hi.append([b])
            row += 1
    ms = np.flatnonzero(np.isfinite(amax))
    blocks_r.append(row + np.repeat(np.arange(len(ms)), P))
    blocks_c.append(np.tile(np.arange(P), len(ms)) * M + np.repeat(ms, P))
    blocks_v.append(np.ones(len(ms) * P))
    lo.append(np.zeros(len(ms)))
    hi.append(amax[ms])
    row += len(ms)
    A = sp.csc_matrix((np.concatenate(blocks_v), (np.concatenate(blocks_r),
                                                  np.concatenate(blocks_c))), shape=(row, n))
    who = "raw highspy (default)" if lp_solver == "choose" else "raw highspy"
    return raw_highs_run(who, A, np.tile(cost, P), np.zeros(n), np.full(n, np.inf),
                         np.concatenate(lo), np.concatenate(hi), lp_solver,
                         (t0, t1), base)


def raw_highs_run(who: str, A: Any, c: np.ndarray, col_lo: np.ndarray, col_hi: np.ndarray,
                  row_lo: np.ndarray, row_hi: np.ndarray, lp_solver: str,
                  read: tuple[float, float], base: float) -> Run:
    """The baseline's last steps: the LP into a ``HighsLp`` (timed as build, from
    ``read[1]``), ``passModel`` (load), run (solve), the solution out (extract)."""
    import highspy

    n, m = A.shape[1], A.shape[0]
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, m
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = c, col_lo, col_hi
    lp.row_lower_, lp.row_upper_ = row_lo, row_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
    t2 = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("solver", lp_solver)
    h.passModel(lp)
    t3 = time.perf_counter()
    h.run()
    t4 = time.perf_counter()
    x = np.asarray(h.getSolution().col_value)
    obj = float(h.getInfo().objective_function_value)
    t5 = time.perf_counter()
    assert x.shape == (n,)
    t0, t1 = read
    return Run(who, {"read": t1 - t0, "build": t2 - t1, "load": t3 - t2, "solve": t4 - t3,
                     "extract": t5 - t4}, obj, base, _peak_mb(), n, A.nnz)


def _in_child(fn, *args):
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, args)


def bench_size(lots: int, products: int, elements: int, backend: str = "highspy",
               lp_solver: str = "auto", seed: int = 0, sensitivity: bool = True,
               periods: int | None = None) -> tuple[Run, Run, Run]:
    """mixopt, the raw baseline on mixopt's LP algorithm, and the raw baseline with
    HiGHS's default options (what a user of plain highspy would get), on a generated
    month, or with ``periods`` a generated horizon (``bench_periods``)."""
    import tomlkit

    from mixopt.dev.generate import generate
    from mixopt.io.write import write_instance
    from mixopt.model.backend import AUTO_IPM_COLUMNS

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.toml"
        if periods:
            path.write_text(tomlkit.dumps(generate_horizon(periods, lots, products,
                                                           elements, seed)))
        else:
            write_instance(generate(lots, products, elements, seed), path, csv_tables=True)
        ours = _in_child(_mixopt, str(path), backend, lp_solver, sensitivity)
        algo = lp_solver
        if algo == "auto":
            algo = "ipm" if ours.columns >= AUTO_IPM_COLUMNS else "simplex"
        raw = horizon_baseline if periods else _baseline
        theirs = _in_child(raw, str(path), algo)
        default = _in_child(raw, str(path), "choose")
    return ours, theirs, default


# -- a generated horizon: the month over N periods, and its raw baseline ------------------
#
# Scrap prices walk ±5% a month, offers and orders move ±20% and ±10%, a fifth of the lots
# may be stored (a yard of twice a month's offer, 10 per t and month), and INERTA comes
# under a take-or-pay contract for 60% of the horizon's offer. The baseline: ``tomllib``
# -> the same LP built with numpy (mass balance, chemistry, supply, stock balance,
# contract) -> ``passModel`` -> run -> ``getSolution``: no validation, no recheck.


def generate_horizon(periods: int, lots: int, products: int, elements: int,
                     seed: int = 0, spreads: bool = False) -> dict[str, Any]:
    """A generated horizon as a raw TOML document (see the module doc; ``spreads``: every
    scrap lot's chemistry varies, as ``generate``'s)."""
    from mixopt.dev.generate import generate_dict

    raw = generate_dict(lots, products, elements, seed, spreads=spreads)
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


def horizon_baseline(path: str, lp_solver: str) -> Run:
    """The raw highspy build of a generated horizon's LP (see the module doc)."""
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


@dataclass(frozen=True)
class Timing:
    name: str  # the HiGHS settings tried
    status: str  # HiGHS's model status, in its words
    seconds: float
    objective: float  # nan without an optimum (LP) or a plan (MILP)
    gap: float | None  # MILP: achieved relative gap; None for an LP or without a plan


#: Cold LP solves: HiGHS's LP algorithms (``mixopt bench algorithms``).
LP_SETTINGS = (("dual simplex", {"solver": "simplex", "simplex_strategy": 1}),
               ("primal simplex", {"solver": "simplex", "simplex_strategy": 4}),
               ("interior point + crossover", {"solver": "ipm", "run_crossover": "on"}),
               ("interior point, no crossover", {"solver": "ipm", "run_crossover": "off"}),
               ("PDLP", {"solver": "pdlp"}))
#: A MILP month: time to a first plan, to 1% and to 0.1% gap (``mixopt bench milp``).
MILP_SETTINGS = (("first feasible plan", {"mip_max_improving_sols": 1}),
                 ("1% gap", {"mip_rel_gap": 0.01}),
                 ("0.1% gap", {"mip_rel_gap": 0.001}))


def time_settings(lots: int, products: int, elements: int, milp: bool = False,
                  seed: int = 0, time_limit_s: float = 120.0) -> list[Timing]:
    """One generated month's LP (or MILP), solved cold under each HiGHS setting."""
    import highspy

    from mixopt.dev.generate import generate
    from mixopt.model.arrays import to_arrays
    from mixopt.model.backend.highs import load_arrays
    from mixopt.model.formulation import build_lp

    lp = build_lp(to_arrays(generate(lots, products, elements, seed, milp=milp)), "cost")
    out = []
    for name, opts in MILP_SETTINGS if milp else LP_SETTINGS:
        h = load_arrays(lp)
        h.setOptionValue("time_limit", time_limit_s)
        h.setOptionValue("random_seed", 0)
        for k, v in opts.items():
            h.setOptionValue(k, v)
        t = time.perf_counter()
        h.run()
        dt = time.perf_counter() - t
        info, status = h.getInfo(), h.getModelStatus()
        found = info.primal_solution_status == 2
        optimal = status == highspy.HighsModelStatus.kOptimal
        out.append(Timing(name, h.modelStatusToString(status), dt,
                          float(info.objective_function_value)
                          if (found if milp else optimal) else float("nan"),
                          float(info.mip_gap) if milp and found else None))
    return out
