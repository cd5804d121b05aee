"""HiGHS straight from the arrays: loading an LP, solving it once (diagnose's elastic
relaxation, conflict sets, baselines), and the cut loop that solves the chance cones on
HiGHS alone (used here and by the persistent ``HighsSession``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import highspy
import numpy as np

from mixopt.model.cones import CUT_BLOCK, ConeView, with_cuts
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
    """What a cut loop did: the LP with its cuts, where they are in HiGHS, and whether every
    cone holds at the plan HiGHS holds now."""

    lp: LinearProgram
    row_of: np.ndarray  # LP row -> HiGHS row
    rounds: int = 0
    converged: bool = True


class ConeLoop:
    """Outer approximation of an LP's cones in a HiGHS instance that holds the LP."""

    def __init__(self, base: LinearProgram) -> None:
        self.view = ConeView(base)
        block = base.block_of_row(int(base.cones.rows[0]))
        self.keys = [block.keys[r - block.start] for r in base.cones.rows]

    def run(self, h: highspy.Highs, cuts: Cuts, col_of: np.ndarray,
            solve: Callable[[], object], done: Callable[[object], bool]) -> object:
        """Solve, then cut off every broken cone and re-solve warm, until the plan meets
        every cone or ``done(status)`` is false (no optimum: nothing to cut). Returns the
        last HiGHS model status; ``cuts`` records the rows added. A round that cannot move
        the plan any more (the cuts are tight to HiGHS's tolerances) ends the loop; the
        plan then counts as converged when no limit's probability is short by over 1e-6.
        """
        h.setOptionValue("primal_feasibility_tolerance", CUT_FEASIBILITY_TOL)
        ms = solve()
        last = None
        while True:
            if h.getInfo().primal_solution_status != 2:  # no plan to look at
                cuts.converged = False
                return ms
            x = np.asarray(h.getSolution().col_value)[col_of]
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
            rows, lo, hi = self.view.cuts(x, ks)
            first = h.getNumRow()
            h.addRows(len(ks), lo, hi, rows.nnz, rows.indptr[:-1].astype(np.int32),
                      col_of[rows.indices].astype(np.int32), rows.data)
            last = cuts.lp.rows[-1]
            n = len(last.keys) if last.name == CUT_BLOCK else 0
            cuts.lp = with_cuts(cuts.lp, rows, lo, hi,
                                [self.keys[k] + (n + i,) for i, k in enumerate(ks)])
            cuts.row_of = np.concatenate([cuts.row_of, first + np.arange(len(ks))])
            cuts.rounds += 1
            ms = solve()


def load_arrays(lp: LinearProgram, integer: bool = True) -> highspy.Highs:
    """A fresh HiGHS holding ``lp`` (column order = LP order), without Pyomo.
    ``integer=False`` gives the LP relaxation."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
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
    converged = True
    if lp.cones is not None and len(lp.cones):
        ids = np.arange(lp.A.shape[1], dtype=np.int64)
        cuts = Cuts(lp, np.arange(lp.A.shape[0], dtype=np.int64))
        ConeLoop(lp).run(h, cuts, ids, lambda: (h.run(), h.getModelStatus())[1],
                         lambda ms: ms == HMS.kOptimal)
        converged = cuts.converged
    else:
        h.run()
    info = h.getInfo()
    has = info.primal_solution_status == 2 and converged
    status, _ = map_status(h.getModelStatus(), has, integer and lp.is_mip,
                           float(info.mip_gap) if integer and lp.is_mip and has else None)
    x = np.asarray(h.getSolution().col_value) if status.has_solution else None
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
    h.run()
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
