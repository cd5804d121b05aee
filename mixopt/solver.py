"""Solve a charge-mix LP/MILP with HiGHS through Pyomo, and say honestly how it ended.

The only module that names HiGHS. ``HighsSession`` keeps one persistent solver
per run (Pyomo's contrib HiGHS interface) so that later re-solves warm-start.
Statuses come from HiGHS's own model status, mapped one by one in
``_map_status``: nothing is inferred from an objective value.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from enum import StrEnum

import highspy
import numpy as np
import pyomo
from pyomo.common.gc_manager import PauseGC
from pyomo.contrib.solver.common.factory import SolverFactory

from mixopt.formulation import LinearProgram
from mixopt.pyomo_model import columns, rows, to_pyomo

log = logging.getLogger(__name__)

#: A MIP whose achieved relative gap is at most this is reported as proven optimal.
PROVEN_GAP = 1e-9


class Status(StrEnum):
    OPTIMAL = "optimal"
    OPTIMAL_WITHIN_GAP = "optimal_within_gap"
    TIME_LIMIT_FEASIBLE = "time_limit_feasible"
    TIME_LIMIT_NO_SOLUTION = "time_limit_no_solution"
    STOPPED_FEASIBLE = "stopped_feasible"  # another limit (iterations, interrupt) with a plan
    STOPPED_NO_SOLUTION = "stopped_no_solution"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    INFEASIBLE_OR_UNBOUNDED = "infeasible_or_unbounded"
    NUMERICAL_FAILURE = "numerical_failure"
    SOLVER_ERROR = "solver_error"

    @property
    def has_solution(self) -> bool:
        return self in _WITH_SOLUTION

    @property
    def is_optimal(self) -> bool:
        return self in (Status.OPTIMAL, Status.OPTIMAL_WITHIN_GAP)


_WITH_SOLUTION = {Status.OPTIMAL, Status.OPTIMAL_WITHIN_GAP, Status.TIME_LIMIT_FEASIBLE,
                  Status.STOPPED_FEASIBLE}


@dataclass(frozen=True)
class SolveOptions:
    """Solver settings; travel explicitly, never through globals."""

    time_limit_s: float | None = None
    mip_rel_gap: float = 1e-6
    threads: int = 1  # fixed for reproducible MILP runs
    random_seed: int = 0
    #: "highspy": the formulation's arrays straight into HiGHS (fastest; default);
    #: "pyomo": through the Pyomo model built from the same arrays (persistent contrib
    #: interface). Same LP, same answers (tested); see README "Speed at scale".
    backend: str = "highspy"
    #: LP algorithm for a cold solve: "auto" (interior point with crossover from
    #: AUTO_IPM_COLUMNS columns up, dual simplex below), "simplex", "ipm", "pdlp".
    #: Warm re-solves always use simplex from the last basis.
    lp_solver: str = "auto"
    highs_options: dict[str, object] = field(default_factory=dict)


#: From this many columns a cold LP solve uses interior point + crossover (measured with
#: `mixopt bench solvers`; README "Speed at scale").
AUTO_IPM_COLUMNS = 20_000
BACKENDS = ("highspy", "pyomo")
LP_SOLVERS = ("auto", "simplex", "ipm", "pdlp")


@dataclass(frozen=True)
class RawSolution:
    """What the solver returned, in LP terms (columns and rows of ``LinearProgram``)."""

    status: Status
    message: str
    x: np.ndarray | None  # column values, None without a solution
    objective: float | None  # c.x + offset as HiGHS computed it
    mip_gap: float | None  # achieved relative gap (MIP), None for an LP
    dual_bound: float | None
    solve_time_s: float
    solver: dict[str, object]
    row_dual: np.ndarray | None = None  # d objective / d row activity bound
    col_dual: np.ndarray | None = None  # reduced costs
    cost_range: tuple[np.ndarray, np.ndarray] | None = None  # per column: [lo, hi] of its
    #   objective coefficient over which the optimal basis stays optimal (basic columns)
    duals_conditional: bool = False  # MILP: duals of the LP with integers fixed at the plan


_HMS = highspy.HighsModelStatus
_STOPPED = {_HMS.kIterationLimit: "iteration limit", _HMS.kSolutionLimit: "solution limit",
            _HMS.kInterrupt: "interrupted", _HMS.kHighsInterrupt: "interrupted",
            _HMS.kObjectiveBound: "objective bound reached",
            _HMS.kObjectiveTarget: "objective target reached",
            _HMS.kMemoryLimit: "memory limit"}
_ERRORS = {_HMS.kNotset: "no status", _HMS.kLoadError: "load error",
           _HMS.kModelError: "model error", _HMS.kPresolveError: "presolve error",
           _HMS.kModelEmpty: "empty model"}
_NUMERICAL = {_HMS.kSolveError: "solve error", _HMS.kPostsolveError: "postsolve error",
              _HMS.kUnknown: "HiGHS could not conclude (unknown status)"}


def _map_status(ms: highspy.HighsModelStatus, has_solution: bool, is_mip: bool,
                gap: float | None) -> tuple[Status, str]:
    """Every HiGHS model status, mapped explicitly."""
    if ms == _HMS.kOptimal:
        if is_mip and gap is not None and gap > PROVEN_GAP:
            return Status.OPTIMAL_WITHIN_GAP, f"optimal within a relative gap of {gap:.3g}"
        return Status.OPTIMAL, "optimal"
    if ms == _HMS.kInfeasible:
        return Status.INFEASIBLE, "infeasible: no mix meets every rule"
    if ms == _HMS.kUnbounded:
        return Status.UNBOUNDED, "unbounded"
    if ms == _HMS.kUnboundedOrInfeasible:
        return Status.INFEASIBLE_OR_UNBOUNDED, "infeasible or unbounded"
    if ms == _HMS.kTimeLimit:
        if has_solution:
            g = f" (gap {gap:.3g})" if gap is not None else ""
            return Status.TIME_LIMIT_FEASIBLE, f"time limit reached with a feasible plan{g}"
        return Status.TIME_LIMIT_NO_SOLUTION, "time limit reached without a feasible plan"
    if ms in _STOPPED:
        if has_solution:
            return Status.STOPPED_FEASIBLE, f"stopped ({_STOPPED[ms]}) with a feasible plan"
        return Status.STOPPED_NO_SOLUTION, f"stopped ({_STOPPED[ms]}) without a plan"
    if ms in _NUMERICAL:
        return Status.NUMERICAL_FAILURE, _NUMERICAL[ms]
    return Status.SOLVER_ERROR, _ERRORS.get(ms, f"unexpected HiGHS status {ms}")


class HighsSession:
    """One LP/MILP held in one persistent HiGHS instance (loaded from the arrays, or
    through Pyomo: ``SolveOptions.backend``)."""

    def __init__(self, lp: LinearProgram, options: SolveOptions | None = None) -> None:
        self.lp = lp
        self.options = options or SolveOptions()
        if self.options.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}")
        if self.options.lp_solver not in LP_SOLVERS:
            raise ValueError(f"lp_solver must be one of {LP_SOLVERS}")
        self._solved = False
        self._algorithm = "none"
        self.model = None
        t0 = time.perf_counter()
        if self.options.backend == "highspy":
            self.highs = load_arrays(lp)
            self._col_of = np.arange(lp.A.shape[1], dtype=np.int64)
            self._row_of = np.arange(lp.A.shape[0], dtype=np.int64)
            self.build_s, self.load_s = 0.0, time.perf_counter() - t0
            return
        self.model = to_pyomo(lp)
        t1 = time.perf_counter()
        self._solver = SolverFactory("highs")
        with PauseGC():
            self._solver.set_instance(self.model)
        # Pyomo's interface keeps its maps privately; read them here, and only here.
        var_map = self._solver._pyomo_var_to_solver_var_map
        con_map = self._solver._pyomo_con_to_solver_con_map
        self._col_of = np.array([var_map[id(v)] for v in columns(self.model)], dtype=np.int64)
        self._row_of = np.array([con_map[c] for c in rows(self.model, lp)], dtype=np.int64)
        self.highs = self._solver._solver_model
        self.build_s, self.load_s = t1 - t0, time.perf_counter() - t1
        log.debug("built model in %.3fs, loaded into HiGHS in %.3fs", self.build_s,
                  self.load_s)

    def update(self, lp: LinearProgram) -> bool:
        """Move the held LP to ``lp`` in place if only bounds and costs differ; then the next
        ``solve`` warm-starts from the last basis. Return False (nothing changed) when the
        structure differs (rows, columns, coefficients, integrality): build a new session.

        Changes go to HiGHS directly; ``self.model`` (the Pyomo model) keeps the values it
        was built with and is not re-solved through Pyomo.
        """
        old = self.lp
        same = (old.A.shape == lp.A.shape and old.rows == lp.rows and old.cols == lp.cols
                and np.array_equal(old.integer, lp.integer)
                and np.array_equal(old.A.indptr, lp.A.indptr)
                and np.array_equal(old.A.indices, lp.A.indices)
                and np.array_equal(old.A.data, lp.A.data))
        if not same:
            return False
        h = self.highs
        r = np.flatnonzero((old.row_lo != lp.row_lo) | (old.row_hi != lp.row_hi))
        if len(r):
            h.changeRowsBounds(len(r), self._row_of[r], lp.row_lo[r], lp.row_hi[r])
        c = np.flatnonzero((old.col_lo != lp.col_lo) | (old.col_hi != lp.col_hi))
        if len(c):
            h.changeColsBounds(len(c), self._col_of[c], lp.col_lo[c], lp.col_hi[c])
        k = np.flatnonzero(old.c != lp.c)
        if len(k):
            h.changeColsCost(len(k), self._col_of[k], lp.c[k])
        if old.offset != lp.offset:
            h.changeObjectiveOffset(float(lp.offset))
        self.lp = lp
        log.debug("updated in place: %d row bounds, %d column bounds, %d costs", len(r),
                  len(c), len(k))
        return True

    def _set_options(self) -> None:
        h, o = self.highs, self.options
        h.setOptionValue("output_flag", log.isEnabledFor(logging.DEBUG))
        # HiGHS counts its time limit over the instance's whole life, not per run: a
        # persistent session must add the time already spent, or later solves stop early
        h.setOptionValue("time_limit", float(o.time_limit_s) + h.getRunTime()
                         if o.time_limit_s else np.inf)
        h.setOptionValue("mip_rel_gap", float(o.mip_rel_gap))
        h.setOptionValue("threads", int(o.threads))
        h.setOptionValue("random_seed", int(o.random_seed))
        h.setOptionValue("solver", self._lp_algorithm())  # recorded in solve()
        h.setOptionValue("run_crossover", "on")  # a basis: duals, ranging, warm re-solves
        for k, v in o.highs_options.items():
            if h.setOptionValue(k, v) != highspy.HighsStatus.kOk:
                raise ValueError(f"HiGHS rejected option {k}={v!r}")

    def _lp_algorithm(self) -> str:
        if self.lp.is_mip:
            return "choose"
        choice = self.options.lp_solver
        if choice == "auto":
            big = self.lp.A.shape[1] >= AUTO_IPM_COLUMNS
            return "ipm" if big and not self._solved else "simplex"
        return choice

    def solve(self, sensitivity: bool = True, start: np.ndarray | None = None) -> RawSolution:
        """Solve (warm from the last basis when there is one). With ``sensitivity``, add
        duals, reduced costs and cost ranging (for a MILP, of the LP with its integer
        decisions fixed). ``start``: a full column vector handed to HiGHS as a starting
        plan (a MILP incumbent when feasible)."""
        h, lp = self.highs, self.lp
        self._set_options()
        self._algorithm = self._lp_algorithm()
        if start is not None:
            sol = highspy.HighsSolution()
            full = np.zeros(h.getNumCol())
            full[self._col_of] = start
            sol.col_value = full.tolist()
            if h.setSolution(sol) != highspy.HighsStatus.kOk:
                log.warning("HiGHS did not take the starting plan")
        t0 = time.perf_counter()
        h.run()
        ms = h.getModelStatus()
        if ms == _HMS.kUnboundedOrInfeasible:
            # presolve could not tell which: ask again without it
            h.setOptionValue("presolve", "off")
            h.run()
            ms = h.getModelStatus()
            h.setOptionValue("presolve", "choose")
        elapsed = time.perf_counter() - t0
        self._solved = True
        info = h.getInfo()
        has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
        gap = float(info.mip_gap) if lp.is_mip and has_solution else None
        status, message = _map_status(ms, has_solution, lp.is_mip, gap)
        x = obj = bound = None
        sens: dict[str, object] = {}
        if status.has_solution:
            x = np.asarray(h.getSolution().col_value)[self._col_of]
            obj = float(info.objective_function_value)
            if lp.is_mip:
                bound = float(info.mip_dual_bound)
                if sensitivity:
                    sens = self._fixed_integer_sensitivity(x)
            elif sensitivity:
                sens = self._sensitivity()
        log.info("HiGHS: %s in %.3fs", message, elapsed)
        return RawSolution(status=status, message=message, x=x, objective=obj, mip_gap=gap,
                           dual_bound=bound, solve_time_s=elapsed, solver=self.describe(info),
                           **sens)

    def _sensitivity(self) -> dict[str, object]:
        """Duals, reduced costs and cost ranging of the LP just solved, in LP order."""
        h = self.highs
        sol = h.getSolution()
        if not sol.dual_valid:
            return {}
        out: dict[str, object] = {"row_dual": np.asarray(sol.row_dual)[self._row_of],
                                  "col_dual": np.asarray(sol.col_dual)[self._col_of]}
        status, rng = h.getRanging()
        if status == highspy.HighsStatus.kOk and rng.valid:
            n = len(self._col_of)
            up = np.asarray(rng.col_cost_up.value_)[:n][self._col_of]
            dn = np.asarray(rng.col_cost_dn.value_)[:n][self._col_of]
            out["cost_range"] = (dn, up)
        return out

    def _fixed_integer_sensitivity(self, x: np.ndarray) -> dict[str, object]:
        """Fix the integer columns at the plan, re-solve the LP, take its sensitivity, and
        restore the MILP. The duals are conditional on those purchase decisions."""
        h, lp = self.highs, self.lp
        j = np.flatnonzero(lp.integer)
        cols = self._col_of[j]
        k = len(j)
        vals = np.round(x[j])
        h.changeColsIntegrality(k, cols, np.array([highspy.HighsVarType.kContinuous] * k))
        h.changeColsBounds(k, cols, vals, vals)
        h.setOptionValue("time_limit", np.inf)  # an LP with fixed decisions: fast, and owed
        try:
            h.run()
            ok = h.getModelStatus() == _HMS.kOptimal
            out = self._sensitivity() if ok else {}
        finally:
            h.changeColsBounds(k, cols, lp.col_lo[j], lp.col_hi[j])
            h.changeColsIntegrality(k, cols, np.array([highspy.HighsVarType.kInteger] * k))
        if not ok:
            log.warning("the LP with fixed purchase decisions did not solve to optimality; "
                        "no sensitivity reported")
            return {}
        return {**out, "duals_conditional": True}

    def describe(self, info: highspy.HighsInfo) -> dict[str, object]:
        o = self.options
        return {
            "name": "HiGHS",
            "version": self.highs.version(),
            "interface": (f"pyomo {pyomo.version.version} contrib.solver highs (persistent)"
                          if self.model is not None else "highspy passModel (arrays)"),
            "lp_solver": self._algorithm if not self.lp.is_mip else None,
            "threads": o.threads,
            "random_seed": o.random_seed,
            "time_limit_s": o.time_limit_s,
            "mip_rel_gap": o.mip_rel_gap if self.lp.is_mip else None,
            "simplex_iterations": int(info.simplex_iteration_count),
            "mip_nodes": int(info.mip_node_count) if self.lp.is_mip else None,
        }


# -- HiGHS straight from the arrays: for the elastic model, the IIS and baselines ---------


def load_arrays(lp: LinearProgram, integer: bool = True) -> highspy.Highs:
    """A fresh HiGHS holding ``lp`` (column order = LP order), without Pyomo.

    Used where the model is derived from the formulation's arrays and solved once
    (elastic relaxation, conflict sets, raw baselines). ``integer=False`` gives the LP
    relaxation.
    """
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
    status, _ = _map_status(h.getModelStatus(), has, integer and lp.is_mip,
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
    if h.getModelStatus() != _HMS.kInfeasible:
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
