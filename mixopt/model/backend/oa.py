"""A MILP with chance cones (a mixed-integer SOCP), by outer approximation: a HiGHS MILP
master over the LP and tangent cuts of the cones, and a Clarabel conic solve of every new
integer assignment (the iterative algorithm of Pajarito: Coey, Lubin & Vielma, *Outer
approximation with conic certificates for mixed-integer convex problems*, 2020).

Each round solves the master (a relaxation: its dual bound is a lower bound on the
optimum), fixes the integer decisions it chose and solves the continuous cone program
that is left exactly with Clarabel: a plan that meets every cone, whose objective is an
upper bound. Cuts go in at that conic optimum, on every cone (they make the master's
value of that assignment at least the conic optimum: KKT of the subproblem), and at the
master's plan where it breaks a cone (they cut it off). The loop ends when the gap between
the best plan and the master's bound is within ``--mip-gap``, or at ``--time-limit`` with
the best plan found; an assignment the master repeats with its plan on the cones closes
the gap by itself. The plan reported is the best conic solution: integer decisions exact,
cones held to Clarabel's tolerance, and (with sensitivity) its duals conditional on the
decisions, as for every MILP.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

import numpy as np

from mixopt.model.backend.highs import HighsSession
from mixopt.model.backend.highs_status import HMS, map_status
from mixopt.model.backend.outcome import RawSolution, SolveOptions, Status, outcome
from mixopt.model.lp import LinearProgram, fix_integers

log = logging.getLogger(__name__)

#: The loop gives up after this many rounds (each a MILP and at most one conic solve).
MAX_OA_ROUNDS = 500


def _gap(ub: float, lb: float) -> float:
    """Relative gap as HiGHS defines it: (upper - lower) / |upper|."""
    if not np.isfinite(ub) or not np.isfinite(lb):
        return np.inf
    return max(ub - lb, 0.0) / max(abs(ub), 1e-9)


def solve_oa(lp: LinearProgram, options: SolveOptions, sensitivity: bool = True,
             start: np.ndarray | None = None) -> RawSolution:
    """Solve the MILP ``lp`` with its cones (see the module doc)."""
    from mixopt.model.backend.conic import solve_conic

    t0 = time.perf_counter()
    deadline = t0 + options.time_limit_s if options.time_limit_s else np.inf
    master = HighsSession(lp, options)
    master.relaxation_cuts()
    ints = np.flatnonzero(lp.integer)
    n = lp.A.shape[1]
    tried: dict[bytes, float | None] = {}
    best_x, best_obj, best_z = None, np.inf, None
    lb, rounds, conic_solves, ms = -np.inf, 0, 0, None
    seed = None
    if start is not None:  # a first plan: its decisions solved exactly, an upper bound
        z = np.round(start[ints])
        conic_solves += 1
        sub = solve_conic(fix_integers(lp, z), options, sensitivity=False)
        tried[z.tobytes()] = sub.objective if sub.status == Status.OPTIMAL else None
        if sub.status == Status.OPTIMAL:
            master.cut_at(_padded(master, sub.x), _every(master), force=True)
            best_x, best_obj, best_z = sub.x, sub.objective, z
            seed = _lifted(master, sub.x)
    stop = ""
    while rounds < MAX_OA_ROUNDS:
        left = deadline - time.perf_counter()
        if left <= 0:
            stop = "time_limit"
            break
        rounds += 1
        ms, xm, _, bound = master.master(
            replace(options, time_limit_s=None if not np.isfinite(left) else left), seed)
        if ms == HMS.kInfeasible:  # no assignment is left that could beat the best plan
            lb = best_obj
            break
        if bound is not None and np.isfinite(bound) and ms in (HMS.kOptimal, HMS.kTimeLimit):
            lb = max(lb, bound)
        if xm is None:
            stop = "time_limit" if ms == HMS.kTimeLimit else "master"
            break
        z = np.round(xm[ints])
        key, moved = z.tobytes(), False
        broken = master.cone_view.broken(xm)
        if len(broken):  # cut the master's plan off first (its columns are the master's now)
            master.cut_at(xm, broken)
            moved = True
        if key not in tried:
            conic_solves += 1
            certificate: list = []
            sub = solve_conic(fix_integers(lp, z), options, sensitivity=False,
                              certificate=certificate)
            tried[key] = sub.objective if sub.status == Status.OPTIMAL else None
            if certificate:  # no plan with these decisions: cut them off for good
                master.cut_rows(certificate, ("certificate", rounds))
                moved = True
            if tried[key] is not None:
                master.cut_at(_padded(master, sub.x), _every(master), force=True)
                moved = True
                if sub.objective < best_obj:
                    best_x, best_obj, best_z = sub.x, sub.objective, z
                    seed = _lifted(master, sub.x)
        log.info("outer approximation round %d: best %.10g, bound %.10g, gap %.3g; %d conic "
                 "solves, %d cuts", rounds, best_obj, lb, _gap(best_obj, lb), conic_solves,
                 master.cut_count)
        if _gap(best_obj, lb) <= options.mip_rel_gap:
            break
        if ms == HMS.kTimeLimit:
            stop = "time_limit"
            break
        if not moved:  # the master repeats a solved assignment on the cones: numerics
            stop = "stalled"
            break
    else:
        stop = "rounds"
    elapsed = time.perf_counter() - t0
    gap = _gap(best_obj, lb) if best_x is not None else None
    info = {"oa_rounds": rounds, "conic_solves": conic_solves,
            "cone_cuts": master.cut_count}
    if best_x is None:
        if ms == HMS.kInfeasible:
            status, message = outcome("infeasible", False)
        elif stop == "time_limit":
            status, message = outcome("time_limit", False)
        else:
            status, message = map_status(ms, False, True, None)
        return RawSolution(status=status, message=message, x=None, objective=None,
                           mip_gap=None, dual_bound=lb if np.isfinite(lb) else None,
                           solve_time_s=elapsed, solver=_describe(master, info))
    if stop == "time_limit" and gap > options.mip_rel_gap:
        status, message = outcome("time_limit", True, True, gap)
    elif stop in ("rounds", "stalled", "master") and gap > options.mip_rel_gap:
        status, message = outcome("stopped", True, detail=f"outer approximation {stop} after "
                                                          f"{rounds} rounds, gap {gap:.3g}")
    else:
        status, message = outcome("optimal", True, True, gap)
    final = solve_conic(fix_integers(lp, best_z), options, sensitivity) if sensitivity else None
    duals = ({"row_dual": final.row_dual, "col_dual": final.col_dual,
              "duals_conditional": True} if final is not None and final.row_dual is not None
             else {})
    x = best_x[:n]
    return RawSolution(status=status, message=message, x=x, objective=float(best_obj),
                       mip_gap=gap, dual_bound=float(lb) if np.isfinite(lb) else None,
                       solve_time_s=elapsed, solver=_describe(master, info), **duals)


def _every(master: HighsSession) -> np.ndarray:
    return np.arange(len(master.cone_view.cones))


def _padded(master: HighsSession, x: np.ndarray) -> np.ndarray:
    """A plan of the base LP over the master's columns (its w columns at 0)."""
    out = np.zeros(master.lp.A.shape[1])
    out[: len(x)] = x
    return out


def _lifted(master: HighsSession, x: np.ndarray) -> np.ndarray:
    """A plan on the cones over the master's columns, each w at its tangent's value
    (S_km x_m)² / r_k, so that the master takes it as an incumbent."""
    out = _padded(master, x)
    view = master.cone_view
    for (k, m), j in master.w_columns.items():
        r = x[view.cones.r_col[k]]
        out[j] = (view.cones.S[k, m] * x[m]) ** 2 / r if r > 0 else 0.0
    return out


def _describe(master: HighsSession, info: dict[str, int]) -> dict[str, object]:
    from importlib.metadata import version

    out = master.describe(master.highs.getInfo())
    out.update(interface=out["interface"] + "; Clarabel for each integer assignment "
                                            "(outer approximation)",
               conic_solver=f"Clarabel {version('clarabel')}", **info)
    out["cone_cut_rounds"] = info["oa_rounds"]
    return out
