"""``mixopt bench solve``: mixopt end to end against a minimal raw-highspy baseline.

For each size, a generated month is written to disk (TOML + CSV, as ``mixopt generate``
does), then each contender runs in its own fresh *spawned* process (so peak memory is
its own) and reports its phases:

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
               lp_solver: str = "auto", seed: int = 0,
               sensitivity: bool = True) -> tuple[Run, Run, Run]:
    """mixopt, the raw baseline on mixopt's LP algorithm, and the raw baseline with
    HiGHS's default options (what a user of plain highspy would get)."""
    from mixopt.dev.generate import generate
    from mixopt.io.write import write_instance
    from mixopt.model.backend import AUTO_IPM_COLUMNS

    inst = generate(lots, products, elements, seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "month.toml")
        write_instance(inst, path, csv_tables=True)
        ours = _in_child(_mixopt, path, backend, lp_solver, sensitivity)
        algo = lp_solver
        if algo == "auto":
            algo = "ipm" if ours.columns >= AUTO_IPM_COLUMNS else "simplex"
        theirs = _in_child(_baseline, path, algo)
        default = _in_child(_baseline, path, "choose")
    return ours, theirs, default


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
