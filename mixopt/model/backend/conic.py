"""Conic interior points for a continuous LP with second-order cones (the chance
constraints): mixopt's block interior point (``ipm``, ``kkt``) and Clarabel, both called
with scipy sparse matrices, no modelling layer, on one form of the problem.

The ``LinearProgram`` ``row_lo <= A x <= row_hi``, ``col_lo <= x <= col_hi`` with cones
``‖S[k] ∘ x‖₂ <= x[r_col[k]]`` becomes Clarabel's ``A' x + s = b``, ``s`` in a product of
the zero cone (equality rows), the nonnegative cone (each finite side of a row or a
column bound) and one second-order cone per cone k: ``(x_r, s_k1 x_1, ..., s_kn x_n)``.
The cones' link rows (``Σ_m w_km - r_k <= 0``, where the cut loop adds its w columns)
stay, trivially, as ``r_k >= 0``. A row side that the column bounds imply (a supply
row's Σ x >= 0) is left out. ``SolveOptions.cones`` chooses the interior point ("auto":
the block one from ``BLOCKS_FROM`` columns, where it is measured faster); the block one
hands a problem it cannot take, or whose iterations fail, to Clarabel, and says so.

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
from mixopt.model.lp import LinearProgram, Pairs

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
#: "auto" solves by the block interior point from this many columns (measured: README).
BLOCKS_FROM = 500


@dataclass(frozen=True)
class ConicForm:
    """The LP with its cones in Clarabel's form ``A x + s = b``, ``s`` in the zero cone
    (``zero`` rows), the nonnegative cone (``nonneg`` rows) and second-order cones of the
    dimensions ``soc``, in this order; and where each of its constraints came from (to
    read the duals back as rows and columns)."""

    A: sp.csc_matrix
    b: np.ndarray
    zero: int
    nonneg: int
    soc: np.ndarray  # (K,) dimension of each second-order cone: 1 + its spread terms
    eq_rows: np.ndarray  # LP rows with lo == hi, in the zero cone (in this order)
    fixed_cols: np.ndarray  # columns with lo == hi (fixed decisions), zero cone after them
    hi_rows: np.ndarray  # LP rows with a finite upper side (nonnegative cone)
    lo_rows: np.ndarray
    hi_cols: np.ndarray  # columns with a finite upper bound
    lo_cols: np.ndarray

    def clarabel_cones(self) -> list:
        import clarabel

        return ([clarabel.ZeroConeT(self.zero), clarabel.NonnegativeConeT(self.nonneg)]
                + [clarabel.SecondOrderConeT(int(d)) for d in self.soc])


def conic_form(lp: LinearProgram) -> ConicForm:
    """Clarabel's ``A x + s = b`` of ``lp`` (see the module doc)."""
    A = lp.A.tocsr()
    n = A.shape[1]
    eq = lp.row_lo == lp.row_hi
    eq_rows = np.flatnonzero(eq)
    lo_act, hi_act = _activity_range(A, lp.col_lo, lp.col_hi)
    hi_rows = np.flatnonzero(~eq & np.isfinite(lp.row_hi) & ~(lp.row_hi >= hi_act))
    lo_rows = np.flatnonzero(~eq & np.isfinite(lp.row_lo) & ~(lp.row_lo <= lo_act))
    fixed = lp.col_lo == lp.col_hi  # integer decisions fixed, and what they pin
    fixed_cols = np.flatnonzero(fixed)
    hi_cols = np.flatnonzero(np.isfinite(lp.col_hi) & ~fixed)
    lo_cols = np.flatnonzero(np.isfinite(lp.col_lo) & ~fixed)
    eye = sp.identity(n, format="csr")
    parts = [A[eq_rows], eye[fixed_cols], A[hi_rows], -A[lo_rows], eye[hi_cols],
             -eye[lo_cols]]
    rhs = [lp.row_lo[eq_rows], lp.col_lo[fixed_cols], lp.row_hi[hi_rows], -lp.row_lo[lo_rows],
           lp.col_hi[hi_cols], -lp.col_lo[lo_cols]]
    soc = np.zeros(0, dtype=np.int64)
    if lp.cones is not None and len(lp.cones):  # (x_r, s_k ∘ x) in a second-order cone
        S = lp.cones.S.tocsr()
        count = np.diff(S.indptr)
        soc = count + 1
        head = np.concatenate([[0], np.cumsum(soc)[:-1]])
        cone = np.repeat(np.arange(len(count)), count)
        term = head[cone] + 1 + np.arange(S.nnz) - S.indptr[cone]
        parts.append(sp.csr_matrix((-np.concatenate([np.ones(len(count)), S.data]),
                                    (np.concatenate([head, term]),
                                     np.concatenate([lp.cones.r_col, S.indices]))),
                                   shape=(int(soc.sum()), n)))
        rhs.append(np.zeros(int(soc.sum())))
    return ConicForm(sp.vstack(parts, format="csc"), np.concatenate(rhs),
                     len(eq_rows) + len(fixed_cols),
                     len(hi_rows) + len(lo_rows) + len(hi_cols) + len(lo_cols),
                     soc.astype(np.int64), eq_rows, fixed_cols, hi_rows, lo_rows, hi_cols,
                     lo_cols)


def _activity_range(A: sp.csr_matrix, lo: np.ndarray, hi: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The least and greatest activity of each row over the column bounds (±inf where a
    bound is infinite): a row side beyond them always holds and needs no cone row (a
    supply row's Σ x >= 0 of nonnegative charges)."""
    pos, neg = A.maximum(0).tocsr(), A.minimum(0).tocsr()
    out = []
    for low, high, sign in ((lo, hi, -1.0), (hi, lo, 1.0)):
        finite = pos @ np.where(np.isfinite(low), low, 0.0) + neg @ np.where(
            np.isfinite(high), high, 0.0)
        unbounded = (abs(pos) @ ~np.isfinite(low) + abs(neg) @ ~np.isfinite(high)) > 0
        out.append(np.where(unbounded, sign * np.inf, finite))
    return out[0], out[1]


def solve_conic(lp: LinearProgram, options: SolveOptions, sensitivity: bool = True,
                certificate: list | None = None) -> RawSolution:
    """One solve of the continuous ``lp`` and its cones: by the block interior point
    (``ipm``) or by Clarabel, as ``options.cones`` says ("auto": ``use_blocks``). A column
    its bounds fix (an integer decision, or what one pins: ``lp.fix_integers``) comes
    back exactly at its value. ``certificate``: when the program is infeasible, the cuts
    of Clarabel's certificate are appended to it (``certificate_cuts``)."""
    raw = _solve_conic(lp, options, sensitivity, certificate)
    fixed = lp.col_lo == lp.col_hi
    if raw.x is not None and fixed.any():
        raw.x[fixed] = lp.col_lo[fixed]
    return raw


def _solve_conic(lp: LinearProgram, options: SolveOptions, sensitivity: bool,
                 certificate: list | None) -> RawSolution:
    t0 = time.perf_counter()
    form = conic_form(lp)
    fallback = None
    if options.cones == "blocks" or (options.cones == "auto" and use_blocks(lp)):
        from threadpoolctl import threadpool_limits

        from mixopt.model.backend.ipm import interior_point
        from mixopt.model.backend.kkt import NotBlockable

        try:
            with threadpool_limits(limits=options.threads, user_api="blas"):
                answer = interior_point(lp.c, form.A, form.b, form.zero, form.nonneg,
                                        form.soc, product_blocks(lp), options.time_limit_s)
        except NotBlockable as exc:
            fallback = f"not blockable: {exc}"
        else:
            if answer.status not in ("iterations", "numerical") and not (
                    answer.status == "infeasible" and certificate is not None):
                return _blocks_solution(lp, form, options, answer, sensitivity, t0)
            if answer.status == "infeasible":  # Clarabel gives the certificate's vector
                return _clarabel(lp, form, options, sensitivity, t0, None, certificate)
            fallback = f"block interior point: {answer.status} after {answer.iterations} " \
                       "iterations"
        log.warning("%s; solving by Clarabel", fallback)
    return _clarabel(lp, form, options, sensitivity, t0, fallback, certificate)


def use_blocks(lp: LinearProgram) -> bool:
    """Whether "auto" takes the block interior point: from BLOCKS_FROM columns on (where
    it is measured faster than Clarabel: README, "Plans that hold in the furnace")."""
    return lp.A.shape[1] >= BLOCKS_FROM


def product_blocks(lp: LinearProgram) -> np.ndarray:
    """The block of each column: one per product and period (the columns whose keys start
    with a product of the period's charge block), -1 for every other column (stock,
    purchases, contracts: the coupling)."""
    block = np.full(lp.A.shape[1], -1, dtype=np.int64)
    ids: dict[tuple[int | None, str], int] = {}
    products: dict[int | None, set] = {}
    for b in lp.cols:
        if b.name == "charge":
            keys = b.local().keys
            outer = keys.outer if isinstance(keys, Pairs) else [k[0] for k in keys]
            products[b.part] = set(outer)
    for b in lp.cols:
        names = products.get(b.part)
        if not names:
            continue
        keys = b.local().keys
        if isinstance(keys, Pairs):
            first = np.repeat(np.asarray(list(keys.outer), dtype=object), len(keys.inner))
        else:
            first = [k[0] if k else None for k in keys]
        for i, name in enumerate(first):
            if name in names:
                block[b.start + i] = ids.setdefault((b.part, name), len(ids))
    return block


def _blocks_solution(lp: LinearProgram, form: ConicForm, options: SolveOptions,
                     answer: object, sensitivity: bool, t0: float) -> RawSolution:
    elapsed = time.perf_counter() - t0
    kind = {"reduced": "optimal"}.get(answer.status, answer.status)
    status, message = outcome(kind, answer.x is not None,
                              detail=f"block interior point: {answer.status}")
    if answer.status == "reduced":
        message = (f"optimal (block interior point: relative gap {answer.gap:.1e}, "
                   "short of its 1e-9 by rounding; rechecked)")
    x = obj = None
    duals: dict[str, object] = {}
    if answer.x is not None and status.has_solution:
        x = answer.x
        obj = float(lp.c @ x + lp.offset)
        if sensitivity:
            duals = _duals(lp, form, answer.z)
    log.info("block interior point: %s in %.3fs (%d iterations, %d blocks, %d coupling "
             "unknowns)", answer.status, elapsed, answer.iterations, answer.blocks,
             answer.coupling)
    from importlib.metadata import version

    solver = {"name": "mixopt block interior point", "version": version("mixopt"),
              "interface": "homogeneous self-dual interior point, Newton systems by product "
                           "blocks (mixopt.model.backend.ipm)",
              **_common(options, answer.iterations, len(form.soc)),
              "conic_method": "blocks", "gap": _finite(answer.gap),
              "primal_residual": _finite(answer.primal_residual),
              "dual_residual": _finite(answer.dual_residual), "blocks": int(answer.blocks),
              "coupling_unknowns": int(answer.coupling), "fallback": None}
    return RawSolution(status=status, message=message, x=x, objective=obj, mip_gap=None,
                       dual_bound=None, solve_time_s=elapsed, solver=solver, **duals)


def _clarabel(lp: LinearProgram, form: ConicForm, options: SolveOptions, sensitivity: bool,
              t0: float, fallback: str | None, certificate: list | None = None
              ) -> RawSolution:
    import clarabel

    settings = clarabel.DefaultSettings()
    settings.verbose = log.isEnabledFor(logging.DEBUG)
    settings.tol_gap_abs = settings.tol_gap_rel = settings.tol_feas = TOLERANCE
    settings.max_iter = 400
    settings.direct_solve_method = "qdldl"  # measured fastest here (README, bench conic)
    if options.time_limit_s:
        settings.time_limit = max(float(options.time_limit_s) - (time.perf_counter() - t0),
                                  0.0)
    for key, value in options.conic_options.items():
        setattr(settings, key, value)
    n = lp.A.shape[1]
    solver = clarabel.DefaultSolver(sp.csc_matrix((n, n)), lp.c, form.A, form.b,
                                    form.clarabel_cones(), settings)
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
    if certificate is not None and kind == "infeasible":
        certificate += certificate_cuts(lp, form, np.asarray(sol.z))
    log.info("Clarabel: %s in %.3fs (%d iterations)", word, elapsed, sol.iterations)
    info = solver.get_info()
    from importlib.metadata import version

    described = {"name": "Clarabel", "version": version("clarabel"),
                 "interface": "clarabel DefaultSolver (scipy sparse, conic interior point)",
                 **_common(options, int(sol.iterations), len(form.soc)),
                 "conic_method": "clarabel",
                 "gap": _finite(info.gap_rel), "primal_residual": _finite(info.res_primal),
                 "dual_residual": _finite(info.res_dual), "blocks": None,
                 "coupling_unknowns": None, "fallback": fallback}
    return RawSolution(status=status, message=message, x=x, objective=obj, mip_gap=None,
                       dual_bound=None, solve_time_s=elapsed, solver=described, **duals)


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


def certificate_cuts(lp: LinearProgram, form: ConicForm,
                     z: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The cuts of an infeasibility certificate z (``A'z = 0``, ``b'z < 0``, z in the dual
    cones): for each cone k its part (z0, z̄) gives ``z0 r_k + z̄'(S_k x) >= 0``, true for
    every x on the cone (z0 r >= ‖z̄‖ ‖S_k x‖) whatever the integer decisions, and with
    the linear rows of this program's decisions a proof that they have no plan: the master
    of an outer approximation cannot choose them again. As (columns, values) rows."""
    out = []
    at = form.zero + form.nonneg
    S = lp.cones.S.tocsr()
    for k in range(len(lp.cones)):
        cols = S.indices[S.indptr[k]:S.indptr[k + 1]]
        vals = S.data[S.indptr[k]:S.indptr[k + 1]]
        zk = z[at:at + 1 + len(cols)]
        at += 1 + len(cols)
        if np.any(zk):
            out.append((np.concatenate([[lp.cones.r_col[k]], cols]),
                        np.concatenate([[zk[0]], zk[1:] * vals])))
    return out


def _finite(v: float) -> float | None:
    """A figure for the JSON record: None where it is not a finite number."""
    return float(v) if np.isfinite(v) else None


def _common(options: SolveOptions, iterations: int, cones: int) -> dict[str, object]:
    """The solver record's fields every conic route shares."""
    return {"lp_solver": None, "lp_solver_why": "cones: a conic interior point",
            "threads": options.threads, "random_seed": None,
            "time_limit_s": options.time_limit_s, "mip_rel_gap": None,
            "simplex_iterations": None, "mip_nodes": None, "cone_cuts": None,
            "cone_cut_rounds": None, "conic_iterations": iterations, "cones": cones}
