"""``mixopt bench conic``: the conic solve of a chance month taken apart (issue 19).

A generated month with a spread on every scrap lot and every limit held with a
confidence is solved

1. by Clarabel through mixopt's route (``solve_lp``, ``--cones clarabel``) under each of
   a list of settings: the linear solver (qdldl, faer, with all threads or one),
   equilibration, presolve, static regularisation, the tolerances;
2. in several formulations of the same chance constraints, each by Clarabel (qdldl) on
   scipy matrices, and mixopt's form also by the block interior point (``--cones
   blocks``):

   - mixopt's: one second-order cone per (product, constituent) on a spread column r
     that both sides of the window share (``mean ± z r / T`` within the limits);
   - one cone per limit side, its top the limit's slack (no spread column);
   - the extended form: a three-dimensional rotated cone per material term,
     ``(a_m x_m)² <= r w_m``, and ``Σ_m w_m <= r``;
   - mixopt's, each cone's rows scaled per t of slab (the spread in wt%), with and
     without Clarabel's equilibration.

Each figure is the median wall time of ``repeat`` cold solves in this process (the CPU is
shared: medians), with the iterations and the objective's relative difference from the
first row's.

3. by Dantzig-Wolfe column generation on the same product blocks (``--part dw``): the
   decomposition the issue names, measured against the block interior point. A HiGHS
   master over the coupling rows and one conic subproblem per product (Clarabel); its
   bounds close slowly because the products' optimal charges lie inside curved faces
   that only many proposals span.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from mixopt.dev.generate import generate
from mixopt.io.variants import apply_overrides
from mixopt.model.backend import SolveOptions, solve_lp
from mixopt.model.backend.conic import ConicForm, conic_form
from mixopt.model.formulation import build_window
from mixopt.model.lp import LinearProgram
from mixopt.model.schema.horizon import Horizon

#: Clarabel settings measured (mixopt's tolerances of 1e-9 unless the row changes them).
SETTINGS: tuple[tuple[str, dict[str, object]], ...] = (
    ("qdldl (mixopt's default)", {"direct_solve_method": "qdldl"}),
    ("auto (Clarabel's default: faer, all threads)", {"direct_solve_method": "auto"}),
    ("faer, 1 thread", {"direct_solve_method": "faer", "max_threads": 1}),
    ("qdldl, no equilibration", {"direct_solve_method": "qdldl",
                                 "equilibrate_enable": False}),
    ("qdldl, no presolve", {"direct_solve_method": "qdldl", "presolve_enable": False}),
    ("qdldl, static regularisation 1e-7", {"direct_solve_method": "qdldl",
                                           "static_regularization_constant": 1e-7}),
    ("qdldl, Clarabel's tolerances (1e-8)", {"direct_solve_method": "qdldl",
                                             "tol_gap_abs": 1e-8, "tol_gap_rel": 1e-8,
                                             "tol_feas": 1e-8}),
)


@dataclass(frozen=True)
class Row:
    label: str
    seconds: float  # median wall time
    cpu_s: float  # median CPU time of this process (all its threads)
    iterations: int | None
    objective: float | None
    status: str


def chance_lp(lots: int, products: int, elements: int, seed: int = 0,
              confidence: float = 0.95) -> LinearProgram:
    """The LP of a generated month with spreads, every limit at ``confidence``."""
    inst = apply_overrides(generate(lots, products, elements, seed, spreads=True),
                           {"objective.confidence": confidence})
    return build_window(Horizon.month(inst)).lp


def _median(run: Callable[[], tuple], repeat: int) -> tuple[float, float, tuple]:
    """(median wall, median CPU seconds, the last run's result)."""
    times, cpu, out = [], [], ()
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = run()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(times), statistics.median(cpu), out


def settings_table(lp: LinearProgram, repeat: int = 3) -> list[Row]:
    """Clarabel through mixopt's route under each of SETTINGS."""
    rows = []
    for label, options in SETTINGS:
        opts = SolveOptions(cones="clarabel", conic_options=dict(options))
        seconds, cpu, (r,) = _median(lambda o=opts: (solve_lp(lp, o, sensitivity=False),),
                                     repeat)
        rows.append(Row(label, seconds, cpu, r.solver["conic_iterations"], r.objective,
                        str(r.status)))
    return rows


def forms_table(lp: LinearProgram, repeat: int = 3) -> list[Row]:
    """The formulations of the module doc, by Clarabel (qdldl) and the block interior
    point (mixopt's form only)."""
    import clarabel

    n = lp.A.shape[1]
    forms = [("mixopt's: cone per (p, e), r shared by both sides", _as_is(lp), True),
             ("a cone per limit side, no spread column", _per_side(lp), True),
             ("extended: rotated 3-cone per term, sum w <= r", _extended(lp), True),
             ("mixopt's, cones per t of slab", _scaled(lp), True),
             ("mixopt's, cones per t of slab, no equilibration", _scaled(lp), False)]
    rows = []
    for label, (c, A, b, cones), equilibrate in forms:
        def run(c: np.ndarray = c, A: sp.csc_matrix = A, b: np.ndarray = b,
                cones: list = cones, eq: bool = equilibrate) -> tuple:
            s = clarabel.DefaultSettings()
            s.verbose = False
            s.direct_solve_method = "qdldl"
            s.tol_gap_abs = s.tol_gap_rel = s.tol_feas = 1e-9
            s.equilibrate_enable = eq
            m = len(c)
            sol = clarabel.DefaultSolver(sp.csc_matrix((m, m)), c, A, b, cones, s).solve()
            return (sol,)

        seconds, cpu, (sol,) = _median(run, repeat)
        x = np.asarray(sol.x)[:n]
        rows.append(Row(f"Clarabel: {label}", seconds, cpu, int(sol.iterations),
                        float(lp.c @ x + lp.offset), str(sol.status).split(".")[-1]))
    seconds, cpu, (r,) = _median(lambda: (solve_lp(lp, SolveOptions(cones="blocks"),
                                                   sensitivity=False),), repeat)
    rows.append(Row("blocks: mixopt's form", seconds, cpu,
                    r.solver["conic_iterations"], r.objective, str(r.status)))
    return rows


def _cones(form: ConicForm) -> list:
    return form.clarabel_cones()


def _as_is(lp: LinearProgram) -> tuple:
    f = conic_form(lp)
    return lp.c, f.A, f.b, _cones(f)


def _without_cones(lp: LinearProgram, drop_rows: np.ndarray | None = None) -> ConicForm:
    lo, hi = lp.row_lo.copy(), lp.row_hi.copy()
    if drop_rows is not None:
        lo[drop_rows], hi[drop_rows] = -np.inf, np.inf
    return conic_form(replace(lp, row_lo=lo, row_hi=hi, cones=None))


def _append(form: ConicForm, c: np.ndarray, extra_cols: int, rows: list[sp.spmatrix],
            rhs: list[np.ndarray], nonneg_rows: sp.spmatrix | None, nonneg_rhs: np.ndarray,
            soc: list[int]) -> tuple:
    """The form with ``extra_cols`` new columns, more nonnegative rows and new cones."""
    import clarabel

    A = sp.hstack([form.A, sp.csc_matrix((form.A.shape[0], extra_cols))], format="csr")
    z, m = form.zero, form.zero + form.nonneg
    parts = [A[:z], A[z:m]]
    b = [form.b[:z], form.b[z:m]]
    if nonneg_rows is not None:
        parts.append(nonneg_rows)
        b.append(nonneg_rhs)
    parts += rows
    b += rhs
    nonneg = form.nonneg + (nonneg_rows.shape[0] if nonneg_rows is not None else 0)
    cones = ([clarabel.ZeroConeT(z), clarabel.NonnegativeConeT(nonneg)]
             + [clarabel.SecondOrderConeT(d) for d in soc])
    return (np.concatenate([c, np.zeros(extra_cols)]), sp.vstack(parts, format="csc"),
            np.concatenate(b), cones)


def _per_side(lp: LinearProgram) -> tuple:
    """Each chance row ``a x ± zt r`` within its limit becomes the cone
    ``‖S_k x‖ <= (hi - a x) / zt`` (or ``(a x - lo) / zt``); the rows and r go."""
    chance = lp.row_block("chance")
    S = lp.cones.S.tocsr()
    cone_of = {int(r): k for k, r in enumerate(lp.cones.r_col)}
    A = lp.A.tocsr()
    n = A.shape[1]
    rows, rhs, soc = [], [], []
    for i in range(chance.start, chance.stop):
        cols, vals = A.indices[A.indptr[i]:A.indptr[i + 1]], A.data[A.indptr[i]:A.indptr[i + 1]]
        at = [j for j, col in enumerate(cols) if int(col) in cone_of]
        (j,) = at
        k, zt = cone_of[int(cols[j])], abs(float(vals[j]))
        a = sp.csr_matrix((np.delete(vals, j), (np.zeros(len(vals) - 1, int),
                                                np.delete(cols, j))), shape=(1, n))
        if np.isfinite(lp.row_hi[i]):
            top, b0 = a / zt, lp.row_hi[i] / zt
        else:
            top, b0 = -a / zt, -lp.row_lo[i] / zt
        lo, hi = S.indptr[k], S.indptr[k + 1]
        terms = sp.csr_matrix((-S.data[lo:hi], (np.arange(hi - lo), S.indices[lo:hi])),
                              shape=(hi - lo, n))
        rows.append(sp.vstack([top, terms]))
        rhs.append(np.concatenate([[b0], np.zeros(hi - lo)]))
        soc.append(1 + hi - lo)
    form = _without_cones(lp, np.arange(chance.start, chance.stop))
    return _append(form, lp.c, 0, [sp.csr_matrix(r) for r in rows], rhs, None,
                   np.zeros(0), soc)


def _extended(lp: LinearProgram) -> tuple:
    """``‖S_k x‖ <= r_k`` as ``Σ_m w_km <= r_k`` and ``(s_km x_m)² <= r_k w_km``, each
    the cone ``‖(r - w, 2 s x)‖ <= r + w``."""
    S = lp.cones.S.tocoo()
    n, t = lp.A.shape[1], S.nnz
    r = lp.cones.r_col[S.row]
    w = n + np.arange(t)
    width = n + t
    link = sp.csr_matrix((np.concatenate([np.ones(t), -np.ones(len(lp.cones))]),
                          (np.concatenate([S.row, np.arange(len(lp.cones))]),
                           np.concatenate([w, lp.cones.r_col]))),
                         shape=(len(lp.cones), width))
    bounds = sp.csr_matrix((-np.ones(t), (np.arange(t), w)), shape=(t, width))
    k = np.arange(t)
    rr = np.concatenate([3 * k, 3 * k, 3 * k + 1, 3 * k + 1, 3 * k + 2])
    cc = np.concatenate([r, w, r, w, S.col])
    vv = -np.concatenate([np.ones(t), np.ones(t), np.ones(t), -np.ones(t), 2 * S.data])
    cones = sp.csr_matrix((vv, (rr, cc)), shape=(3 * t, width))
    form = _without_cones(lp)
    return _append(form, lp.c, t, [cones], [np.zeros(3 * t)], sp.vstack([link, bounds]),
                   np.zeros(len(lp.cones) + t), [3] * t)


def _scaled(lp: LinearProgram) -> tuple:
    """mixopt's form with each cone's rows times ``unit`` (1 / T_p: the spread in wt%)."""
    f = conic_form(lp)
    scale = np.ones(f.A.shape[0])
    at = f.zero + f.nonneg
    for k, d in enumerate(f.soc):
        scale[at:at + d] = lp.cones.unit[k]
        at += d
    return lp.c, (sp.diags(scale) @ f.A).tocsc(), scale * f.b, _cones(f)


@dataclass(frozen=True)
class DWRound:
    iteration: int
    seconds: float
    lower: float
    upper: float

    @property
    def gap(self) -> float:
        return (self.upper - self.lower) / max(abs(self.upper), 1.0)


def dantzig_wolfe(lp: LinearProgram, rounds: int = 200, time_limit_s: float = 300.0,
                  tolerance: float = 1e-7) -> list[DWRound]:
    """Dantzig-Wolfe column generation on the product blocks (the decomposition the issue
    names, measured against the block interior point): a HiGHS master over the coupling
    rows (supply), one conic subproblem per product by Clarabel, a big-M start; the
    Lagrangian lower bound and the master's value each round, until the relative gap is
    ``tolerance``."""
    from mixopt.model.backend.conic import product_blocks
    from mixopt.model.backend.kkt import _row_owner
    from mixopt.model.lp import Cones

    t0 = time.perf_counter()
    block = product_blocks(lp)
    A = lp.A.tocsr()
    owner = _row_owner(A, block)
    coupling = np.flatnonzero(owner < 0)
    nb = int(block.max()) + 1
    S = lp.cones.S.tocsr()
    cone_block = block[lp.cones.r_col]
    # the subproblems' columns bounded by the coupling rows they sit in (a supply row of
    # nonnegative terms bounds each term): a sold product's subproblem is bounded then
    hi_col = lp.col_hi.copy()
    C = A[coupling].tocoo()
    nonneg_row = np.ones(len(coupling), bool)
    np.logical_and.at(nonneg_row, C.row, C.data > 0)
    ok = nonneg_row[C.row] & np.isfinite(lp.row_hi[coupling][C.row]) & (lp.col_lo[C.col] >= 0)
    np.minimum.at(hi_col, C.col[ok], lp.row_hi[coupling][C.row[ok]] / C.data[ok])
    # a lower side the nonnegative terms imply (sum x >= 0) stays out of the master
    master_lo = np.where(nonneg_row & (lp.row_lo[coupling] <= 0), -np.inf, lp.row_lo[coupling])
    subs = []
    for p in range(nb):
        cols, rows, ks = (np.flatnonzero(block == p), np.flatnonzero(owner == p),
                          np.flatnonzero(cone_block == p))
        where = np.full(A.shape[1], -1)
        where[cols] = np.arange(len(cols))
        cones = Cones(S[ks][:, cols], where[lp.cones.r_col[ks]], np.zeros(len(ks), int),
                      lp.cones.unit[ks])
        sub = replace(lp, A=A[rows][:, cols].tocsc(), row_lo=lp.row_lo[rows],
                      row_hi=lp.row_hi[rows], col_lo=lp.col_lo[cols], col_hi=hi_col[cols],
                      c=lp.c[cols], integer=np.zeros(len(cols), bool), rows=(), cols=(),
                      cones=cones)
        subs.append((cols, sub, A[coupling][:, cols].tocsc()))
    big = 100.0 * max(np.abs(lp.c).max(), 1.0)
    proposals: list[tuple[int, float, np.ndarray]] = []  # (block, cost, coupling use)
    prices, sigma = np.zeros(len(coupling)), np.full(nb, -np.inf)
    out = []
    clarabel = SolveOptions(cones="clarabel")
    for it in range(rounds):
        lower_terms = []
        for p, (cols, sub, Bp) in enumerate(subs):
            r = solve_lp(replace(sub, c=sub.c - Bp.T @ prices), clarabel, sensitivity=False)
            x = r.x
            if x is None:  # e.g. unbounded: a column only a non-supply coupling row bounds
                raise RuntimeError(f"Dantzig-Wolfe: subproblem {p}: {r.message}")
            lower_terms.append(r.objective - sigma[p] if it else 0.0)
            proposals.append((p, float(sub.c @ x), Bp @ x))
        master = _dw_master(proposals, nb, master_lo, lp.row_hi[coupling], big)
        unit = float(np.abs(master.c).max())  # HiGHS's duals stay of order 1 in this unit
        m = solve_lp(replace(master, c=master.c / unit), SolveOptions(), sensitivity=True)
        if m.x is None:
            raise RuntimeError(f"master: {m.message}")
        prices = unit * m.row_dual[:len(coupling)]
        sigma = unit * m.row_dual[len(coupling):]
        upper = unit * float(m.objective) + lp.offset
        if it:
            lower = upper + float(np.sum(np.minimum(lower_terms, 0.0)))
            out.append(DWRound(it, time.perf_counter() - t0, lower, upper))
            if out[-1].gap <= tolerance or time.perf_counter() - t0 > time_limit_s:
                break
    return out


def _dw_master(proposals: list, nb: int, lo: np.ndarray, hi: np.ndarray,
               big: float) -> LinearProgram:
    """min Σ cost λ + big Σ (u + v)  s.t.  lo <= Σ use λ + u - v <= hi,  Σ_p λ = 1."""
    m = len(lo)
    k = len(proposals)
    use = np.column_stack([u for _, _, u in proposals]) if k else np.zeros((m, 0))
    conv = np.zeros((nb, k))
    conv[[p for p, _, _ in proposals], np.arange(k)] = 1.0
    A = sp.bmat([[sp.csc_matrix(use), sp.identity(m), -sp.identity(m)],
                 [sp.csc_matrix(conv), None, None]], format="csc")
    n = k + 2 * m
    return LinearProgram(A=A, row_lo=np.concatenate([lo, np.ones(nb)]),
                         row_hi=np.concatenate([hi, np.ones(nb)]), col_lo=np.zeros(n),
                         col_hi=np.full(n, np.inf),
                         c=np.concatenate([[c for _, c, _ in proposals], np.full(2 * m, big)]),
                         offset=0.0, integer=np.zeros(n, bool), rows=(), cols=(),
                         objective_unit="")
