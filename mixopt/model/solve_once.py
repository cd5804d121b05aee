"""HiGHS straight from the arrays: loading an LP, solving it once (diagnose's elastic
relaxation, conflict sets, baselines), and the cut loop that solves the chance cones on
HiGHS alone (used here and by the persistent ``HighsSession``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field

import highspy
import numpy as np

from mixopt.model import running
from mixopt.model.cones import ConeView, Extension, extended
from mixopt.model.lp import LinearProgram
from mixopt.model.status import HMS, SolveOptions, Status, map_status

log = logging.getLogger(__name__)

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
    ext: Extension = dataclass_field(default_factory=Extension)
    w_col: dict[tuple[int, int], int] = dataclass_field(default_factory=dict)
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
            self._add(h, cuts, x, ks)
            cuts.rounds += 1
            ms = solve()

    def _add(self, h: highspy.Highs, cuts: Cuts, x: np.ndarray, ks: np.ndarray) -> None:
        n = len(cuts.col_of)
        new, ext = self.view.cuts(x, ks, cuts.w_col, n)
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
        if ext.rows:
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


def load_arrays(lp: LinearProgram, integer: bool = True) -> highspy.Highs:
    """A fresh HiGHS holding ``lp`` (column order = LP order), without Pyomo.
    ``integer=False`` gives the LP relaxation."""
    h = running.prepare(highspy.Highs())
    h.setOptionValue("threads", 1)
    A = lp.A if lp.A.format == "csc" else lp.A.tocsc()
    model = highspy.HighsLp()
    model.num_col_, model.num_row_ = A.shape[1], A.shape[0]
    model.col_cost_ = lp.c
    model.col_lower_, model.col_upper_ = lp.col_lo, lp.col_hi
    model.row_lower_, model.row_upper_ = lp.row_lo, lp.row_hi
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = A.indptr
    model.a_matrix_.index_ = A.indices
    model.a_matrix_.value_ = A.data
    model.offset_ = lp.offset
    if integer and lp.is_mip:
        model.integrality_ = [highspy.HighsVarType.kInteger if i else
                              highspy.HighsVarType.kContinuous for i in lp.integer]
    h.passModel(model)
    return h


def solve_arrays(lp: LinearProgram, integer: bool = True,
                 options: SolveOptions | None = None) -> tuple[Status, np.ndarray | None]:
    """Solve ``lp`` once from its arrays (its cones by the cut loop): (status, column
    values or None)."""
    o = options or SolveOptions()
    h = load_arrays(lp, integer)
    h.setOptionValue("mip_rel_gap", float(o.mip_rel_gap))
    h.setOptionValue("random_seed", int(o.random_seed))
    if o.time_limit_s:
        h.setOptionValue("time_limit", float(o.time_limit_s))
    converged, col_of = True, np.arange(lp.A.shape[1], dtype=np.int64)
    if lp.cones is not None and len(lp.cones):
        cuts = Cuts(lp, col_of, np.arange(lp.A.shape[0], dtype=np.int64))
        ConeLoop(lp).run(h, cuts, lambda: (running.run(h), h.getModelStatus())[1],
                         lambda ms: ms == HMS.kOptimal)
        converged, col_of = cuts.converged, cuts.col_of
    else:
        running.run(h)
    info = h.getInfo()
    has = info.primal_solution_status == 2 and converged
    status, _ = map_status(h.getModelStatus(), has, integer and lp.is_mip,
                           float(info.mip_gap) if integer and lp.is_mip and has else None)
    x = np.asarray(h.getSolution().col_value)[col_of] if status.has_solution else None
    return status, x


#: HiGHS IIS bound codes -> the side of the bound that takes part in the conflict.
IIS_SIDE = {2: "lower", 3: "upper", 4: "both"}
#: HiGHS's IIS strategy used for conflicts (the irreducible variant; see HiGHS docs).
IIS_STRATEGY = 4


def conflict(lp: LinearProgram) -> tuple[list[tuple[int, str]], list[tuple[int, str]]] | None:
    """An irreducible infeasible set of the LP (relaxation): ([(row, side)], [(col, side)]),
    or None when HiGHS finds none (for instance when the LP is feasible)."""
    h = load_arrays(lp, integer=False)
    h.setOptionValue("iis_strategy", IIS_STRATEGY)
    running.run(h)
    if h.getModelStatus() != HMS.kInfeasible:
        return None
    status, iis = h.getIis()
    if status != highspy.HighsStatus.kOk or not iis.valid_:
        return None
    rows = [(int(r), IIS_SIDE.get(int(b), "?")) for r, b in zip(iis.row_index_, iis.row_bound_,
                                                                strict=True)]
    cols = [(int(c), IIS_SIDE.get(int(b), "?")) for c, b in zip(iis.col_index_, iis.col_bound_,
                                                                strict=True)
            if int(b) in IIS_SIDE]
    return rows, cols
