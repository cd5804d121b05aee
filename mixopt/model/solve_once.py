"""HiGHS straight from the arrays, solved once: for models derived from the formulation
(diagnose's elastic relaxation, conflict sets) and for baselines."""

from __future__ import annotations

import highspy
import numpy as np

from mixopt.model.lp import LinearProgram
from mixopt.model.status import HMS, SolveOptions, Status, map_status


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
    """Solve ``lp`` once from its arrays: (status, column values or None)."""
    o = options or SolveOptions()
    h = load_arrays(lp, integer)
    h.setOptionValue("mip_rel_gap", float(o.mip_rel_gap))
    h.setOptionValue("random_seed", int(o.random_seed))
    if o.time_limit_s:
        h.setOptionValue("time_limit", float(o.time_limit_s))
    h.run()
    info = h.getInfo()
    has = info.primal_solution_status == 2
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
