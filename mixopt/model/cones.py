"""Outer approximation of the chance cones: how far a plan is off each cone, and the
tangent cut that separates it.

For a cone ``a'x + z‖S∘x‖ <= hi`` (a lower limit mirrors it) and a plan x* with
``‖S∘x*‖ > 0``, the cut ``a'x + z (S²∘x*)'x / ‖S∘x*‖ <= hi`` holds for every x inside
the cone (the norm is at least its linearisation, by Cauchy-Schwarz) and is tight at
x*: adding it removes x* when x* is outside. Solving the LP, cutting off every cone the
plan breaks and re-solving warm converges to the cone program's optimum.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from mixopt.model.lp import Block, LinearProgram

#: A plan meets a cone when it is off by at most this, relative to max(1, |limit|) ...
CONE_REL_TOL = 1e-7
#: ... and (where the chemistry varies) by at most this many of its standard deviations,
#: so that the limit's probability is short of its confidence by at most about 4e-7.
CONE_Z_TOL = 1e-6
#: A plan the cuts cannot move any more still counts as meeting its cones when each is off
#: by at most this many standard deviations: the probability is then short by at most
#: 0.4 x 2.5e-6 = 1e-6, the tolerance of the recheck.
STALL_Z_TOL = 2.5e-6
#: The row block that holds the cuts.
CUT_BLOCK = "chance_cut"


class ConeView:
    """The cones of one LP with the matrices the loop needs, built once."""

    def __init__(self, lp: LinearProgram) -> None:
        cones = lp.cones
        assert cones is not None
        self.cones = cones
        self.anchor = lp.A.tocsr()[cones.rows]
        self.bound = np.where(cones.sign > 0, lp.row_hi[cones.rows], lp.row_lo[cones.rows])
        self.S2 = cones.S.multiply(cones.S).tocsr()

    def off(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(how far x is outside each cone, in the row's unit; ‖S∘x‖ of each)."""
        c = self.cones
        norm = np.sqrt(np.maximum(self.S2 @ (x * x), 0.0))
        return c.sign * (self.anchor @ x - self.bound) + c.z * norm, norm

    def broken(self, x: np.ndarray) -> np.ndarray:
        """Indices of the cones x breaks beyond the tolerance."""
        off, norm = self.off(x)
        tol = np.maximum(np.minimum(CONE_REL_TOL * np.maximum(1.0, np.abs(self.bound)),
                                    CONE_Z_TOL * norm), 1e-12)
        return np.flatnonzero(off > tol)

    def nearly(self, x: np.ndarray) -> bool:
        """x is off no cone by more than ``STALL_Z_TOL`` of its standard deviation (or, for
        a cone without spread at x, by more than ``CONE_REL_TOL``)."""
        off, norm = self.off(x)
        tol = np.where(norm > 0, STALL_Z_TOL * norm,
                       CONE_REL_TOL * np.maximum(1.0, np.abs(self.bound)))
        return bool((off <= tol).all())

    def cuts(self, x: np.ndarray, ks: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray,
                                                           np.ndarray]:
        """Tangent cuts of cones ``ks`` at x: (rows, lower bounds, upper bounds)."""
        c = self.cones
        _, norm = self.off(x)
        scale = np.where(norm[ks] > 0, c.sign[ks] * c.z[ks] / np.where(norm[ks] > 0,
                                                                       norm[ks], 1.0), 0.0)
        grad = sp.diags(scale) @ self.S2[ks].multiply(x[None, :]).tocsr()
        rows = (self.anchor[ks] + grad).tocsr()
        lo = np.where(c.sign[ks] > 0, -np.inf, self.bound[ks])
        hi = np.where(c.sign[ks] > 0, self.bound[ks], np.inf)
        return rows, lo, hi


def with_cuts(lp: LinearProgram, rows: sp.csr_matrix, lo: np.ndarray, hi: np.ndarray,
              keys: list[tuple]) -> LinearProgram:
    """``lp`` with ``rows`` appended to its cut block (created after the last block)."""
    if rows.shape[0] == 0:
        return lp
    last = lp.rows[-1]
    if last.name == CUT_BLOCK:
        blocks = (*lp.rows[:-1], Block(CUT_BLOCK, last.start, last.keys + tuple(keys)))
    else:
        blocks = (*lp.rows, Block(CUT_BLOCK, lp.A.shape[0], tuple(keys)))
    return replace(lp, A=sp.vstack([lp.A, rows], format="csc"),
                   row_lo=np.concatenate([lp.row_lo, lo]),
                   row_hi=np.concatenate([lp.row_hi, hi]), rows=blocks)


def without_cuts(lp: LinearProgram) -> LinearProgram:
    """``lp`` as built, its cut block dropped."""
    if lp.rows[-1].name != CUT_BLOCK:
        return lp
    n = lp.rows[-1].start
    return replace(lp, A=lp.A[:n], row_lo=lp.row_lo[:n], row_hi=lp.row_hi[:n],
                   rows=lp.rows[:-1])
