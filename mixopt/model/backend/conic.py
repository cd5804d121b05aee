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
from dataclasses import dataclass, replace

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
    fixed_cols: np.ndarray  # columns with lo == hi (fixed integer decisions), zero cone too
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
    fixed = lp.col_lo == lp.col_hi
    fixed_cols = np.flatnonzero(fixed)
    hi_cols = np.flatnonzero(np.isfinite(lp.col_hi) & ~fixed)
    lo_cols = np.flatnonzero(np.isfinite(lp.col_lo) & ~fixed)
    eye = sp.identity(n, format="csr")
    parts = [A[eq_rows], eye[fixed_cols], A[hi_rows], -A[lo_rows], eye[hi_cols],
             -eye[lo_cols]]
    rhs = [lp.row_lo[eq_rows], lp.col_lo[fixed_cols], lp.row_hi[hi_rows], -lp.row_lo[lo_rows],
           lp.col_hi[hi_cols], -lp.col_lo[lo_cols]]
    cones = [clarabel.ZeroConeT(len(eq_rows) + len(fixed_cols)),
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
                     fixed_cols, hi_rows, lo_rows, hi_cols, lo_cols)


def solve_conic(lp: LinearProgram, options: SolveOptions, sensitivity: bool = True,
                certificate: list | None = None) -> RawSolution:
    """One solve of the continuous ``lp`` and its cones by Clarabel. Columns fixed by
    their bounds (integer decisions, and what they pin: ``lp.fix_integers``) are taken out
    first and come back exactly at their value. ``certificate``: when the program is
    infeasible, the cuts its certificate gives are appended to it (``certificate_cuts``)."""
    import clarabel

    t0 = time.perf_counter()
    part, keep, v = _without_fixed(lp)
    form = conic_form(part)
    settings = clarabel.DefaultSettings()
    settings.verbose = log.isEnabledFor(logging.DEBUG)
    settings.tol_gap_abs = settings.tol_gap_rel = settings.tol_feas = TOLERANCE
    settings.max_iter = 400
    if options.time_limit_s:
        settings.time_limit = float(options.time_limit_s)
    for key, value in options.conic_options.items():
        setattr(settings, key, value)
    n = part.A.shape[1]
    solver = clarabel.DefaultSolver(sp.csc_matrix((n, n)), part.c, form.A, form.b, form.cones,
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
        x = v.copy()
        x[keep] = np.asarray(sol.x)
        obj = float(lp.c @ x + lp.offset)
        if sensitivity:
            duals = _duals(part, form, np.asarray(sol.z))
            row = duals["row_dual"]
            col = lp.c - lp.A.T @ row  # reduced costs; Clarabel's own for the free columns
            col[keep] = duals["col_dual"]
            duals["col_dual"] = col
    if certificate is not None and kind == "infeasible":
        certificate += certificate_cuts(part, form, np.asarray(sol.z), np.flatnonzero(keep))
    log.info("Clarabel: %s in %.3fs (%d iterations)", word, elapsed, sol.iterations)
    return RawSolution(status=status, message=message, x=x, objective=obj, mip_gap=None,
                       dual_bound=None, solve_time_s=elapsed, solver=_describe(
                           options, sol, len(form.cones) - 2), **duals)


def certificate_cuts(part: LinearProgram, form: ConicForm, z: np.ndarray,
                     columns: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The cuts of an infeasibility certificate: z (Clarabel's, with ``A'z = 0``,
    ``b'z < 0``) holds, for each cone k, a vector (z0, z̄) of the dual cone, so
    ``z0 r_k + z̄'(S_k x) >= 0`` for every x on the cone (z0 r >= ‖z̄‖ ‖S_k x‖): a cut valid
    for any integer decisions, which with those of this program proves it infeasible (the
    master of an outer approximation cannot choose them again). As (columns, values) rows
    over the full LP's columns (``columns``: the full column of each of ``part``'s)."""
    out = []
    at = sum(len(r) for r in (form.eq_rows, form.fixed_cols, form.hi_rows, form.lo_rows,
                              form.hi_cols, form.lo_cols))
    S = part.cones.S.tocsr()
    for k in range(len(part.cones)):
        cols = S.indices[S.indptr[k]:S.indptr[k + 1]]
        vals = S.data[S.indptr[k]:S.indptr[k + 1]]
        zk = z[at:at + 1 + len(cols)]
        at += 1 + len(cols)
        if not np.any(zk):
            continue
        out.append((columns[np.concatenate([[part.cones.r_col[k]], cols])],
                    np.concatenate([[zk[0]], zk[1:] * vals])))
    return out


def _without_fixed(lp: LinearProgram) -> tuple[LinearProgram, np.ndarray, np.ndarray]:
    """``lp`` without the columns its bounds fix (their values moved into the row bounds
    and the objective's offset), the mask of the columns kept, and the fixed values (0
    where kept). A fixed column inside a cone stays (its value is not moved into it)."""
    fixed = lp.col_lo == lp.col_hi
    if lp.cones is not None and len(lp.cones):
        in_cone = np.zeros(len(fixed), dtype=bool)
        in_cone[lp.cones.S.indices] = True
        in_cone[lp.cones.r_col] = True
        fixed &= ~in_cone | (lp.col_lo == 0)
    v = np.where(fixed, lp.col_lo, 0.0)
    keep = ~fixed
    if not fixed.any():
        return lp, keep, v
    A = lp.A.tocsc()
    shift = A @ v
    new = np.cumsum(keep) - 1
    cones = lp.cones
    if cones is not None and len(cones):
        cones = replace(cones, S=cones.S.tocsc()[:, keep].tocsr(), r_col=new[cones.r_col])
    part = replace(lp, A=A[:, keep], row_lo=lp.row_lo - shift, row_hi=lp.row_hi - shift,
                   col_lo=lp.col_lo[keep], col_hi=lp.col_hi[keep], c=lp.c[keep],
                   offset=lp.offset + float(lp.c @ v), integer=lp.integer[keep], cones=cones,
                   rows=lp.rows, cols=())
    return part, keep, v


def _duals(lp: LinearProgram, form: ConicForm, z: np.ndarray) -> dict[str, np.ndarray]:
    """Row duals and reduced costs in HiGHS's convention (see the module doc):
    d objective / d b = -z for Clarabel's ``A x + s = b``."""
    m, n = lp.A.shape
    row, col = np.zeros(m), np.zeros(n)
    at = 0
    for target, idx, sign in ((row, form.eq_rows, -1.0), (col, form.fixed_cols, -1.0),
                              (row, form.hi_rows, -1.0), (row, form.lo_rows, 1.0),
                              (col, form.hi_cols, -1.0), (col, form.lo_cols, 1.0)):
        np.add.at(target, idx, sign * z[at:at + len(idx)])
        at += len(idx)
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
