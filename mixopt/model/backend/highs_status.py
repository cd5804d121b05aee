"""Every HiGHS model status, mapped explicitly to a mixopt status: nothing is inferred
from an objective value."""

from __future__ import annotations

import highspy

from mixopt.model.backend.outcome import Status, outcome

HMS = highspy.HighsModelStatus
STOPPED_STATUSES = {HMS.kIterationLimit: "iteration limit",
                    HMS.kSolutionLimit: "solution limit",
                    HMS.kInterrupt: "interrupted", HMS.kHighsInterrupt: "interrupted",
                    HMS.kObjectiveBound: "objective bound reached",
                    HMS.kObjectiveTarget: "objective target reached",
                    HMS.kMemoryLimit: "memory limit"}
ERROR_STATUSES = {HMS.kNotset: "no status", HMS.kLoadError: "load error",
                  HMS.kModelError: "model error", HMS.kPresolveError: "presolve error",
                  HMS.kModelEmpty: "empty model"}
NUMERICAL_STATUSES = {HMS.kSolveError: "solve error", HMS.kPostsolveError: "postsolve error",
                      HMS.kUnknown: "HiGHS could not conclude (unknown status)"}


def map_status(ms: highspy.HighsModelStatus, has_solution: bool, is_mip: bool,
               gap: float | None) -> tuple[Status, str]:
    """Every HiGHS model status, mapped explicitly."""
    simple = {HMS.kOptimal: "optimal", HMS.kInfeasible: "infeasible",
              HMS.kUnbounded: "unbounded",
              HMS.kUnboundedOrInfeasible: "infeasible_or_unbounded",
              HMS.kTimeLimit: "time_limit"}
    if ms in simple:
        return outcome(simple[ms], has_solution, is_mip, gap)
    if ms in STOPPED_STATUSES:
        return outcome("stopped", has_solution, detail=STOPPED_STATUSES[ms])
    if ms in NUMERICAL_STATUSES:
        return outcome("numerical", has_solution, detail=NUMERICAL_STATUSES[ms])
    return outcome("error", has_solution,
                   detail=ERROR_STATUSES.get(ms, f"unexpected HiGHS status {ms}"))
