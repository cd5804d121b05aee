"""How a solve ended, in mixopt's words, whichever solver spoke: the status enum, the
solver options, what a solver returns (``RawSolution``) and the one wording of every
verdict (``outcome``). Solver-neutral: each backend maps its own statuses onto these
(HiGHS: ``mixopt.model.backend.highs_status``; Pyomo's solvers:
``mixopt.model.backend.through_pyomo``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

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
    threads: int = 1  # HiGHS's, and BLAS's in the block interior point; 1: reproducible
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
    #: with backend "pyomo": the solver Pyomo runs ("highs", through its persistent
    #: interface, warm and with sensitivity; or any other Pyomo finds, e.g. "glpk", "cbc":
    #: one cold solve, no sensitivity, no chance cones; ``model.other_solvers``)
    solver: str = "highs"
    #: how chance cones of a continuous problem are solved: "auto" (the block interior
    #: point from ``conic.BLOCKS_FROM`` columns, Clarabel below), "blocks" (mixopt's
    #: interior point, Newton systems by product blocks: ``backend.ipm``), "clarabel"
    #: (Clarabel's interior point on the whole KKT matrix) or "cuts" (outer approximation
    #: on HiGHS, tangent cuts re-solved warm); a MILP with cones is always solved by
    #: outer approximation
    cones: str = "auto"
    #: Clarabel settings by name (``clarabel.DefaultSettings``), e.g. direct_solve_method
    conic_options: dict[str, object] = field(default_factory=dict)


#: From this many columns a cold LP solve uses interior point + crossover (measured with
#: `mixopt bench algorithms`; README "Speed at scale": simplex and IPM tie near 2,600
#: columns, IPM is 2.1x faster at 6,160 and 3.6x at 10,160).
AUTO_IPM_COLUMNS = 5_000
BACKENDS = ("highspy", "pyomo")
CONE_METHODS = ("auto", "blocks", "clarabel", "cuts")
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
    #: the solver state a re-solve may continue from (``solve_lp(..., warm=...)``): the
    #: persistent HiGHS; None where the backend solves cold every time
    warm: object | None = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, object]:
        """A live solver stays in its process (a result sent to another, e.g. from a Dask
        worker, arrives without it)."""
        return {**self.__dict__, "warm": None}


def outcome(kind: str, has_solution: bool, is_mip: bool = False, gap: float | None = None,
            detail: str = "") -> tuple[Status, str]:
    """A solver's verdict (``kind``: optimal, infeasible, unbounded,
    infeasible_or_unbounded, time_limit, stopped, numerical, error) as a mixopt status and
    its words: one wording whichever solver spoke."""
    if kind == "optimal":
        if is_mip and gap is not None and gap > PROVEN_GAP:
            return Status.OPTIMAL_WITHIN_GAP, f"optimal within a relative gap of {gap:.3g}"
        return Status.OPTIMAL, "optimal"
    if kind == "infeasible":
        return Status.INFEASIBLE, "infeasible: no mix meets every rule"
    if kind == "unbounded":
        return Status.UNBOUNDED, "unbounded"
    if kind == "infeasible_or_unbounded":
        return Status.INFEASIBLE_OR_UNBOUNDED, "infeasible or unbounded"
    if kind == "time_limit":
        if has_solution:
            g = f" (gap {gap:.3g})" if gap is not None else ""
            return Status.TIME_LIMIT_FEASIBLE, f"time limit reached with a feasible plan{g}"
        return Status.TIME_LIMIT_NO_SOLUTION, "time limit reached without a feasible plan"
    if kind == "stopped":
        if has_solution:
            return Status.STOPPED_FEASIBLE, f"stopped ({detail}) with a feasible plan"
        return Status.STOPPED_NO_SOLUTION, f"stopped ({detail}) without a plan"
    if kind == "numerical":
        return Status.NUMERICAL_FAILURE, detail
    return Status.SOLVER_ERROR, detail


