"""Clarabel: a conic interior point for a continuous LP with second-order cones (the chance
constraints), called with scipy sparse matrices, no modelling layer.

The ``LinearProgram`` ``row_lo <= A x <= row_hi``, ``col_lo <= x <= col_hi`` with cones
``‖S[k] ∘ x‖₂ <= x[r_col[k]]`` becomes Clarabel's ``A' x + s = b``, ``s`` in a product of
the zero cone (equality rows), the nonnegative cone (each finite side of a row or a
column bound) and one second-order cone per cone k: ``(x_r, s_k1 x_1, ..., s_kn x_n)``.
The cones' link rows (``Σ_m w_km - r_k <= 0``, where the cut loop adds its w columns)
stay, trivially, as ``r_k >= 0``.

Duals come back in HiGHS's convention: a row's dual is the change of the objective per
unit more of its active bound (negative for a binding maximum of a minimisation), a
column's the reduced cost; so shadow prices of chance limits are the conic duals, in the
units every other shadow price has. Clarabel has no basis: no cost ranging, no warm start.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from mixopt.model.backend.outcome import RawSolution, SolveOptions, Status, outcome
from mixopt.model.lp import LinearProgram

log = logging.getLogger(__name__)

#: Clarabel's status words -> mixopt's verdicts (``outcome``).
VERDICTS = {"Solved": "optimal", "AlmostSolved": "optimal",
            "PrimalInfeasible": "infeasible", "AlmostPrimalInfeasible": "infeasible",
            "DualInfeasible": "unbounded", "AlmostDualInfeasible": "unbounded",
            "MaxIterations": "stopped", "MaxTime": "time_limit",
            "NumericalError": "numerical", "InsufficientProgress": "numerical",
            "CallbackTerminated": "stopped"}
#: Clarabel's feasibility and gap tolerances: far below the recheck's 1e-6 (relative).
TOLERANCE = 1e-9


@dataclass(frozen=True)
class ConicForm:
    """The LP with its cones in Clarabel's form, and where each of its constraints came
    from (to read the duals back as rows and columns)."""

    A: sp.csc_matrix
    b: np.ndarray
    cones: list
    eq_rows: np.ndarray  # LP rows with lo == hi, in the zero cone (in this order)
    hi_rows: np.ndarray  # LP rows with a finite upper side (nonnegative cone)
    lo_rows: np.ndarray
    hi_cols: np.ndarray  # columns with a finite upper bound
    lo_cols: np.ndarray


def conic_form(lp: LinearProgram) -> ConicForm:
    """Clarabel's ``A x + s = b`` of ``lp`` (see the module doc)."""
    import clarabel

    A = lp.A.tocsr()
    n = A.shape[1]
    eq = lp.row_lo == lp.row_hi
    eq_rows = np.flatnonzero(eq)
    hi_rows = np.flatnonzero(~eq & np.isfinite(lp.row_hi))
    lo_rows = np.flatnonzero(~eq & np.isfinite(lp.row_lo))
    hi_cols = np.flatnonzero(np.isfinite(lp.col_hi))
    lo_cols = np.flatnonzero(np.isfinite(lp.col_lo))
    eye = sp.identity(n, format="csr")
    parts = [A[eq_rows], A[hi_rows], -A[lo_rows], eye[hi_cols], -eye[lo_cols]]
    rhs = [lp.row_lo[eq_rows], lp.row_hi[hi_rows], -lp.row_lo[lo_rows], lp.col_hi[hi_cols],
           -lp.col_lo[lo_cols]]
    cones = [clarabel.ZeroConeT(len(eq_rows)),
             clarabel.NonnegativeConeT(len(hi_rows) + len(lo_rows) + len(hi_cols)
                                       + len(lo_cols))]
    if lp.cones is not None and len(lp.cones):
        S = lp.cones.S.tocsr()
        for k in range(len(lp.cones)):  # (x_r, s_k ∘ x) in the second-order cone
            lo, hi = S.indptr[k], S.indptr[k + 1]
            cols = S.indices[lo:hi]
            rows = np.concatenate([[0], 1 + np.arange(len(cols))])
            idx = np.concatenate([[lp.cones.r_col[k]], cols])
            vals = -np.concatenate([[1.0], S.data[lo:hi]])
            parts.append(sp.csr_matrix((vals, (rows, idx)), shape=(1 + len(cols), n)))
            rhs.append(np.zeros(1 + len(cols)))
            cones.append(clarabel.SecondOrderConeT(1 + len(cols)))
    return ConicForm(sp.vstack(parts, format="csc"), np.concatenate(rhs), cones, eq_rows,
                     hi_rows, lo_rows, hi_cols, lo_cols)


def solve_conic(lp: LinearProgram, options: SolveOptions,
                sensitivity: bool = True) -> RawSolution:
    """One solve of the continuous ``lp`` and its cones by Clarabel."""
    import clarabel

    t0 = time.perf_counter()
    form = conic_form(lp)
    settings = clarabel.DefaultSettings()
    settings.verbose = log.isEnabledFor(logging.DEBUG)
    settings.tol_gap_abs = settings.tol_gap_rel = settings.tol_feas = TOLERANCE
    settings.max_iter = 400
    if options.time_limit_s:
        settings.time_limit = float(options.time_limit_s)
    for key, value in options.conic_options.items():
        setattr(settings, key, value)
    n = lp.A.shape[1]
    solver = clarabel.DefaultSolver(sp.csc_matrix((n, n)), lp.c, form.A, form.b, form.cones,
                                    settings)
    sol = solver.solve()
    elapsed = time.perf_counter() - t0
    word = str(sol.status).split(".")[-1]
    kind = VERDICTS.get(word, "error")
    has = kind == "optimal" or (kind in ("time_limit", "stopped") and word != "MaxTime")
    status, message = outcome(kind, kind == "optimal", detail=f"Clarabel: {word}")
    if word.startswith("Almost") and status == Status.OPTIMAL:
        message = "optimal (Clarabel: solved to reduced accuracy; rechecked)"
    x = obj = None
    duals: dict[str, object] = {}
    if status.has_solution and has:
        x = np.asarray(sol.x)
        obj = float(lp.c @ x + lp.offset)
        if sensitivity:
            duals = _duals(lp, form, np.asarray(sol.z))
    log.info("Clarabel: %s in %.3fs (%d iterations)", word, elapsed, sol.iterations)
    return RawSolution(status=status, message=message, x=x, objective=obj, mip_gap=None,
                       dual_bound=None, solve_time_s=elapsed, solver=_describe(
                           options, sol, len(form.cones) - 2), **duals)


def _duals(lp: LinearProgram, form: ConicForm, z: np.ndarray) -> dict[str, np.ndarray]:
    """Row duals and reduced costs in HiGHS's convention (see the module doc):
    d objective / d b = -z for Clarabel's ``A x + s = b``."""
    m, n = lp.A.shape
    row, col = np.zeros(m), np.zeros(n)
    at = 0
    for rows, sign in ((form.eq_rows, -1.0), (form.hi_rows, -1.0), (form.lo_rows, 1.0)):
        np.add.at(row, rows, sign * z[at:at + len(rows)])
        at += len(rows)
    for cols, sign in ((form.hi_cols, -1.0), (form.lo_cols, 1.0)):
        np.add.at(col, cols, sign * z[at:at + len(cols)])
        at += len(cols)
    return {"row_dual": row, "col_dual": col}


def _describe(options: SolveOptions, sol: object, cones: int) -> dict[str, object]:
    from importlib.metadata import version

    return {"name": "Clarabel", "version": version("clarabel"),
            "interface": "clarabel DefaultSolver (scipy sparse, conic interior point)",
            "lp_solver": None, "lp_solver_why": "cones: a conic interior point",
            "threads": options.threads, "random_seed": None,
            "time_limit_s": options.time_limit_s, "mip_rel_gap": None,
            "simplex_iterations": None, "mip_nodes": None, "cone_cuts": None,
            "cone_cut_rounds": None, "conic_iterations": int(sol.iterations),
            "cones": cones}
