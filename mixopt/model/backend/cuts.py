"""Outer approximation of the chance cones on HiGHS: separation and tangent cuts.

A cone ``‖s ∘ x‖₂ <= r`` is held in extended form (Vielma, Dunning, Huchette & Lubin,
*Extended formulations in mixed-integer conic quadratic programming*, 2017):
``Σ_m w_m <= r`` and, per material, the rotated cone ``w_m >= (s_m x_m)² / r``. The
function ``(s x)² / r`` is jointly convex for r > 0, so its tangent plane at any point
(x*, r*) is a valid cut, ``w_m - 2 s² q x_m + s² q² r >= 0`` with q = x*/r*, tight where
x/r = q. Summed over m these imply the aggregated tangent ``r >= (s² ∘ x*)'x / ‖s ∘ x*‖``,
but each material's 2-D cone is approximated on its own, so a plan that spreads its
tonnage over many lots needs a few cuts per lot, not one cut per vertex of the LP: the
loop converges in a few rounds whatever the number of lots. A w column exists only for
a material some plan has used (w = 0 is exact for x_m = 0).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import highspy
import numpy as np
import scipy.sparse as sp

from mixopt.model.lp import Block, LinearProgram

#: A limit holds when, at the plan's true spread, it is broken by at most this share of
#: that spread (its probability is then short of its confidence by at most about 4e-8).
CONE_REL_TOL = 1e-7
#: Spreads below this (wt%) count as none.
CONE_ABS_TOL = 1e-12
#: A plan the cuts cannot move any more still counts as meeting its cones when no limit is
#: broken by more than this share of its spread: the probability is then short by at most
#: 0.4 x 2.5e-6 = 1e-6, the tolerance of the recheck.
STALL_REL_TOL = 2.5e-6
#: Materials whose shares of a cone's variance add up to less than this are not cut (the
#: spread is then off by at most half of it, relatively).
NEGLIGIBLE_SHARE = 1e-9
log = logging.getLogger(__name__)

CUT_BLOCK = "chance_cut"
W_BLOCK = "spread_w"


@dataclass
class Extension:
    """What the cut loop added to an LP: w columns (each in one link row) and cut rows."""

    w_keys: list[tuple] = field(default_factory=list)
    w_link: list[int] = field(default_factory=list)
    rows: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)  # (cols, vals)
    lo: list[float] = field(default_factory=list)
    hi: list[float] = field(default_factory=list)
    keys: list[tuple] = field(default_factory=list)


def extended(base: LinearProgram, ext: Extension) -> LinearProgram:
    """``base`` with the columns and rows of ``ext``."""
    if not ext.w_keys and not ext.keys:
        return base
    m0, n0 = base.A.shape
    k = len(ext.w_keys)
    W = sp.csc_matrix((np.ones(k), (np.array(ext.w_link, dtype=np.int64), np.arange(k))),
                      shape=(m0, k))
    A = sp.hstack([base.A, W], format="csr")
    if ext.rows:
        cols = np.concatenate([c for c, _ in ext.rows])
        vals = np.concatenate([v for _, v in ext.rows])
        rows = np.repeat(np.arange(len(ext.rows)), [len(c) for c, _ in ext.rows])
        C = sp.csr_matrix((vals, (rows, cols)), shape=(len(ext.rows), n0 + k))
        A = sp.vstack([A, C], format="csr")
    blocks = base.rows + ((Block(CUT_BLOCK, m0, tuple(ext.keys)),) if ext.keys else ())
    return replace(base, A=A.tocsc(), row_lo=np.concatenate([base.row_lo, ext.lo]),
                   row_hi=np.concatenate([base.row_hi, ext.hi]),
                   col_lo=np.concatenate([base.col_lo, np.zeros(k)]),
                   col_hi=np.concatenate([base.col_hi, np.full(k, np.inf)]),
                   c=np.concatenate([base.c, np.zeros(k)]),
                   integer=np.concatenate([base.integer, np.zeros(k, dtype=bool)]),
                   rows=blocks, cols=base.cols + ((Block(W_BLOCK, n0, tuple(ext.w_keys)),)
                                                  if k else ()))


class ConeView:
    """The cones of one LP, with the matrices separation needs, built once.

    A cone needs cuts only where a limit it serves is broken: each spread column r_k
    enters its limits' rows (the anchors, with coefficient ±z) and its link row; a limit
    holds when its row holds with r_k replaced by the plan's true spread. Where the limit
    has room, r_k may sit below the spread at no cost, and that is no reason to cut.
    """

    def __init__(self, lp: LinearProgram) -> None:
        c = lp.cones
        assert c is not None
        self.cones, self.n = c, lp.A.shape[1]
        self.S2 = c.S.multiply(c.S).tocsr()
        self.keys = [_key_of(lp.rows, int(r)) for r in c.link_row]
        #: column -> its material (the last part of its charge key; several charge
        #: blocks in a multi-period LP)
        self.materials = _Materials(lp)
        # the limits each spread column serves: (cone, anchor row, coefficient of r)
        A = lp.A.tocsc()
        cone, rows, coef = [], [], []
        for k, (j, link_row) in enumerate(zip(c.r_col, c.link_row, strict=True)):
            lo, hi = A.indptr[j], A.indptr[j + 1]
            for r, v in zip(A.indices[lo:hi], A.data[lo:hi], strict=True):
                if r != link_row:
                    cone.append(k), rows.append(r), coef.append(v)
        self.limit_cone = np.array(cone, dtype=np.int64)
        self.limit_coef = np.array(coef)
        self.limits = sp.csr_matrix(A[np.array(rows, dtype=np.int64)]) if rows else None
        self.limit_lo = lp.row_lo[np.array(rows, dtype=np.int64)]
        self.limit_hi = lp.row_hi[np.array(rows, dtype=np.int64)]

    def spread(self, x: np.ndarray) -> np.ndarray:
        """‖S[k] ∘ x‖ of every cone."""
        xs = x[: self.n]
        return np.sqrt(np.maximum(self.S2 @ (xs * xs), 0.0))

    def short(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(how far each cone's worst limit is broken at the plan's true spread, in standard
        deviations of the limit's chemistry; the spread ‖S[k] ∘ x‖): 0 where every limit
        holds."""
        norm = self.spread(x)
        worst = np.zeros(len(norm))
        if self.limits is not None:
            k = self.limit_cone
            act = self.limits @ x[: self.n] + self.limit_coef * (norm[k] - x[self.cones.r_col[k]])
            over = np.maximum(act - self.limit_hi, self.limit_lo - act)
            sd = np.maximum(norm[k] * self.cones.unit[k], CONE_ABS_TOL)  # in the row's unit
            np.maximum.at(worst, k, over / sd)
        return worst, norm

    def broken(self, x: np.ndarray) -> np.ndarray:
        """Cones with a limit broken by more than ``CONE_REL_TOL`` of the spread."""
        worst, _ = self.short(x)
        return np.flatnonzero(worst > CONE_REL_TOL)

    def nearly(self, x: np.ndarray) -> bool:
        worst, _ = self.short(x)
        return bool((worst <= STALL_REL_TOL).all())

    def cuts(self, x: np.ndarray, ks: np.ndarray, w_col: dict[tuple[int, int], int],
             new_col: int, force: bool = False) -> tuple[list[tuple[int, int]], Extension]:
        """Tangent cuts for cones ``ks`` at x: the (cone, material column) pairs that need a
        new w column (numbered from ``new_col``, in the order returned) and the cut rows,
        over LP columns (existing w columns by ``w_col``). Materials whose shares of a
        cone's variance add up to less than ``NEGLIGIBLE_SHARE`` are left uncut. ``force``:
        cut every material of the cone at x, even where its w already holds there (x is
        then a point on the cones, e.g. a conic solve's optimum, not an LP's vertex)."""
        norm = self.spread(x)
        new: list[tuple[int, int]] = []
        ext = Extension()
        for k in ks:
            row = self.S2[k]
            u2 = row.data * x[row.indices] ** 2  # each material's part of the variance
            order = np.argsort(u2)
            small = order[np.cumsum(u2[order]) <= NEGLIGIBLE_SHARE * norm[k] ** 2]
            skip = np.zeros(len(u2), dtype=bool)
            skip[small] = True
            for i, (m, s2) in enumerate(zip(row.indices, row.data, strict=True)):
                xm = x[m]
                if xm <= 0 or skip[i]:
                    continue  # w = 0 is exact at x_m = 0, and near enough when negligible
                j = w_col.get((k, m))
                if j is None:
                    j = new_col + len(new)
                    new.append((k, m))
                elif not force and x[j] >= u2[i] / norm[k] * (1 - CONE_REL_TOL):
                    continue  # this material's own cone holds already
                q = xm / norm[k]
                ext.rows.append((np.array([j, m, self.cones.r_col[k]]),
                                 np.array([1.0, -2 * s2 * q, s2 * q * q])))
                ext.lo.append(0.0)
                ext.hi.append(np.inf)
                ext.keys.append((*self.keys[k], self.materials[m], float(q)))
        return new, ext


def _key_of(blocks: tuple[Block, ...], r: int) -> tuple:
    b = next(b for b in blocks if b.start <= r < b.stop)
    return tuple(b.keys[r - b.start])


class _Materials:
    """The material of a charge column, over every charge block of an LP."""

    def __init__(self, lp: LinearProgram) -> None:
        self.blocks = [b for b in lp.cols if b.name == "charge"]

    def __getitem__(self, j: int) -> str:
        b = next(b for b in self.blocks if b.start <= j < b.stop)
        return b.keys[j - b.start][-1]


#: The cut loop gives up after this many rounds (a round re-solves warm after adding the
#: cuts of every cone the plan breaks; measured rounds are in the README).
MAX_CUT_ROUNDS = 300
#: HiGHS's primal feasibility tolerance while cutting: its default (1e-7) lets a plan break
#: a cut by more than the cones' own tolerance, and the loop would stall on it.
CUT_FEASIBILITY_TOL = 1e-9


@dataclass
class Cuts:
    """What the cut loop has added to an LP held in HiGHS, and where: LP columns and rows to
    HiGHS's (``col_of``, ``row_of``), the w column of each (cone, material) pair, rounds
    made, and whether every cone holds at the plan HiGHS holds now."""

    base: LinearProgram
    col_of: np.ndarray
    row_of: np.ndarray
    ext: Extension = field(default_factory=Extension)
    w_col: dict[tuple[int, int], int] = field(default_factory=dict)
    rounds: int = 0
    converged: bool = True

    @property
    def lp(self) -> LinearProgram:
        """The LP with every column and cut added so far."""
        return extended(self.base, self.ext)


class ConeLoop:
    """Outer approximation of an LP's cones in a HiGHS instance that holds the LP."""

    def __init__(self, base: LinearProgram) -> None:
        self.view = ConeView(base)

    def run(self, h: highspy.Highs, cuts: Cuts, solve: Callable[[], object],
            done: Callable[[object], bool]) -> object:
        """Solve, then cut off every broken cone and re-solve warm, until the plan meets
        every cone or ``done(status)`` is false (no optimum: nothing to cut). Returns the
        last HiGHS model status; ``cuts`` records what was added. A round that cannot move
        the plan any more ends the loop; the plan then counts as converged when no cone is
        short by more than ``STALL_REL_TOL`` of its spread.
        """
        h.setOptionValue("primal_feasibility_tolerance", CUT_FEASIBILITY_TOL)
        ms = solve()
        last = None
        while True:
            if h.getInfo().primal_solution_status != 2:  # no plan to look at
                cuts.converged = False
                return ms
            x = np.asarray(h.getSolution().col_value)[cuts.col_of]
            ks = self.view.broken(x)
            cuts.converged = len(ks) == 0
            if not cuts.converged and last is not None and np.array_equal(x, last):
                cuts.converged = self.view.nearly(x)
                log.debug("cut loop stalled after %d rounds (converged: %s)", cuts.rounds,
                          cuts.converged)
                return ms
            if cuts.converged or not done(ms) or cuts.rounds >= MAX_CUT_ROUNDS:
                return ms
            last = x
            worst, _ = self.view.short(x)
            log.debug("cut round %d: %d cones with a limit broken by up to %.3g of their "
                      "spread; %d columns, %d cuts so far", cuts.rounds, len(ks),
                      float(worst.max()), len(cuts.ext.w_keys), len(cuts.ext.keys))
            self.add(h, cuts, x, ks)
            cuts.rounds += 1
            ms = solve()

    def add(self, h: highspy.Highs, cuts: Cuts, x: np.ndarray, ks: np.ndarray,
            force: bool = False) -> None:
        """Add to HiGHS (and record in ``cuts``) the tangent cuts of cones ``ks`` at x (LP
        columns, w columns included; see ``ConeView.cuts``)."""
        n = len(cuts.col_of)
        new, ext = self.view.cuts(x, ks, cuts.w_col, n, force)
        if new:
            link = self.view.cones.link_row[[k for k, _ in new]]
            first = h.getNumCol()
            h.addCols(len(new), np.zeros(len(new)), np.zeros(len(new)),
                      np.full(len(new), np.inf), len(new), np.arange(len(new), dtype=np.int32),
                      cuts.row_of[link].astype(np.int32), np.ones(len(new)))
            cuts.col_of = np.concatenate([cuts.col_of, first + np.arange(len(new))])
            for i, (k, m) in enumerate(new):
                cuts.w_col[(k, m)] = n + i
                cuts.ext.w_keys.append((*self.view.keys[k], self.view.materials[m]))
            cuts.ext.w_link += link.tolist()
        self.add_rows(h, cuts, ext)

    @staticmethod
    def add_rows(h: highspy.Highs, cuts: Cuts, ext: Extension) -> None:
        """Add the cut rows of ``ext`` (over LP columns) to HiGHS and record them."""
        if not ext.rows:
            return
        lengths = [len(c) for c, _ in ext.rows]
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int32)
        cols = cuts.col_of[np.concatenate([c for c, _ in ext.rows])].astype(np.int32)
        vals = np.concatenate([v for _, v in ext.rows])
        first = h.getNumRow()
        h.addRows(len(ext.rows), np.array(ext.lo), np.array(ext.hi), len(vals), starts,
                  cols, vals)
        cuts.row_of = np.concatenate([cuts.row_of, first + np.arange(len(ext.rows))])
        cuts.ext.rows += ext.rows
        cuts.ext.lo += ext.lo
        cuts.ext.hi += ext.hi
        cuts.ext.keys += ext.keys
