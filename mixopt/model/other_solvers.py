"""Solvers other than HiGHS, through Pyomo: the regression matrix (``--backend pyomo
--solver glpk``, ``cbc``, or any solver Pyomo finds installed). The same LP as HiGHS
gets (``pyomo_model.to_pyomo``), one cold solve; the plan is rechecked by mixopt like
any other. What these solvers do not give here is said, never faked: no warm re-solves,
no sensitivity (duals and ranging are HiGHS's), no chance cones (the cut loop drives
HiGHS).
"""

from __future__ import annotations

import time

import numpy as np

from mixopt.errors import InputError, Problem
from mixopt.model.lp import LinearProgram
from mixopt.model.status import RawSolution, SolveOptions, Status, outcome

#: Option names of the solvers mixopt knows: (time limit s, relative MIP gap).
OPTION_NAMES = {"glpk": ("tmlim", "mipgap"), "cbc": ("sec", "ratioGap"),
                "appsi_highs": ("time_limit", "mip_rel_gap"),
                "highs": ("time_limit", "mip_rel_gap")}


def available(name: str) -> bool:
    """Whether Pyomo finds solver ``name`` on this machine."""
    import logging

    import pyomo.environ as pyo

    quiet = logging.getLogger("pyomo")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # an unknown name logs a traceback: it is just absent
    try:
        return bool(pyo.SolverFactory(name).available(exception_flag=False))
    except Exception:  # noqa: BLE001 - an unknown name is "not available", not a crash
        return False
    finally:
        quiet.setLevel(level)


def solve_other(lp: LinearProgram, name: str, options: SolveOptions) -> RawSolution:
    """One cold solve of ``lp`` by Pyomo's solver ``name``."""
    import pyomo.environ as pyo
    from pyomo.opt import TerminationCondition as TC

    from mixopt.model.pyomo_model import columns, to_pyomo

    if lp.cones is not None and len(lp.cones):
        raise InputError([Problem("--solver", f"{name} cannot solve chance constraints here "
                                              "(the cone cuts drive HiGHS): use the default "
                                              "solver, or --margin-sd for a plain LP")])
    if not available(name):
        raise InputError([Problem("--solver", f"Pyomo finds no solver {name!r} on this "
                                              "machine (install it, e.g. Debian glpk-utils or "
                                              "coinor-cbc)")])
    model = to_pyomo(lp)
    opt = pyo.SolverFactory(name)
    limit_key, gap_key = OPTION_NAMES.get(name, (None, None))
    if options.time_limit_s and limit_key:
        opt.options[limit_key] = options.time_limit_s
    if lp.is_mip and gap_key:
        opt.options[gap_key] = options.mip_rel_gap
    t0 = time.perf_counter()
    res = opt.solve(model, load_solutions=False, tee=False)
    elapsed = time.perf_counter() - t0
    tc = res.solver.termination_condition
    has_solution = len(res.solution) > 0 and tc in (TC.optimal, TC.maxTimeLimit,
                                                    TC.feasible, TC.maxIterations)
    x = obj = None
    if has_solution:
        model.solutions.load_from(res)
        x = np.array([v.value if v.value is not None else 0.0 for v in columns(model)])
        obj = float(lp.c @ x + lp.offset)
    status, message = _status(tc, has_solution)
    return RawSolution(status=status, message=message, x=x, objective=obj, mip_gap=None,
                       dual_bound=None, solve_time_s=elapsed,
                       solver={"name": name, "version": _version(opt),
                               "interface": "pyomo SolverFactory (cold, no sensitivity)",
                               "lp_solver": None, "lp_solver_why": "the solver's own choice",
                               "threads": None, "random_seed": None,
                               "time_limit_s": options.time_limit_s,
                               "mip_rel_gap": options.mip_rel_gap if lp.is_mip else None,
                               "simplex_iterations": None, "mip_nodes": None,
                               "cone_cuts": None, "cone_cut_rounds": None})


def _status(tc: object, has_solution: bool) -> tuple[Status, str]:
    """Pyomo's termination condition, in the words every solver's verdict gets."""
    from pyomo.opt import TerminationCondition as TC

    kinds = {TC.optimal: "optimal", TC.infeasible: "infeasible", TC.unbounded: "unbounded",
             TC.infeasibleOrUnbounded: "infeasible_or_unbounded",
             TC.maxTimeLimit: "time_limit", TC.maxIterations: "stopped",
             TC.userInterrupt: "stopped"}
    if tc in kinds:
        return outcome(kinds[tc], has_solution, detail=str(tc))
    if tc == TC.other and not has_solution:
        return outcome("error", False, detail=(
            "the solver ended without a plan and without saying why (Pyomo's GLPK interface "
            "reports an infeasible month this way): solve with HiGHS to know"))
    return outcome("error", has_solution, detail=f"the solver said {tc}")


def _version(opt: object) -> str | None:
    try:
        v = opt.version()
    except Exception:  # noqa: BLE001 - a version is a nicety
        return None
    return ".".join(str(p) for p in v) if isinstance(v, tuple) else (str(v) if v else None)
