"""The one way into a solver: ``solve_lp(lp, options, warm)`` -> ``RawSolution``.

Every solve of mixopt goes through here (a month, a horizon, diagnose's elastic LPs, the
confidence bisection, the frontier, a rolling plan): one registry of routes, chosen by
``SolveOptions``, each mapping its own statuses to the solver-neutral ``Status``
(``outcome``):

========================  =================================================================
backend / solver          route
========================  =================================================================
``highspy`` / ``highs``   the LP's arrays straight into one persistent HiGHS (``highs``);
                          warm re-solves in place; duals, ranging, IIS; chance cones by
                          the cut loop (``cuts``)
``pyomo`` / ``highs``     the Pyomo model of the same arrays, into HiGHS through Pyomo's
                          persistent interface (``through_pyomo.load``), then as above
``pyomo`` / any other     one cold solve by that solver through Pyomo
                          (``through_pyomo.solve_other``): no sensitivity, no cones
cones, continuous         a conic interior point (``conic``): mixopt's, with Newton
                          systems by product blocks (``ipm``, ``kkt``), or Clarabel's
                          (``SolveOptions.cones``; "auto" by size); "cuts": HiGHS's
                          cut loop
cones and integers        outer approximation (``oa``): a HiGHS MILP master, a conic
                          solve of each integer assignment; ``cones == "cuts"``: the cut
                          loop
========================  =================================================================

``warm`` is the ``RawSolution.warm`` of an earlier solve: when the new LP differs only in
bounds and costs, the held solver is changed in place and re-solves from its last basis;
otherwise a new one is built. Nothing above this package names a solver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mixopt.model.backend.outcome import (
    AUTO_IPM_COLUMNS,
    BACKENDS,
    CONE_METHODS,
    LP_SOLVERS,
    RawSolution,
    SolveOptions,
    Status,
    outcome,
)

if TYPE_CHECKING:
    import numpy as np

    from mixopt.model.lp import LinearProgram

__all__ = ["AUTO_IPM_COLUMNS", "BACKENDS", "LP_SOLVERS", "RawSolution", "SolveOptions",
           "Status", "conflict", "outcome", "solve_lp"]


def solve_lp(lp: LinearProgram, options: SolveOptions | None = None, warm: object = None,
             sensitivity: bool = True, start: np.ndarray | None = None,
             integer: bool = True) -> RawSolution:
    """Solve ``lp`` by the route ``options`` name (HiGHS from the arrays by default).

    ``warm``: the ``.warm`` of an earlier ``RawSolution``, re-used in place when only
    bounds and costs changed. ``sensitivity``: duals, reduced costs and cost ranging (for
    a MILP, of the LP with its integer decisions fixed). ``start``: a full column vector
    offered as a starting plan. ``integer=False`` solves the LP relaxation.
    """
    opts = options or SolveOptions()
    if opts.backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}")
    if opts.cones not in CONE_METHODS:
        raise ValueError(f"cones must be one of {CONE_METHODS}")
    conic = lp.cones is not None and len(lp.cones) > 0
    if conic and opts.solver == "highs" and opts.cones != "cuts":
        if integer and lp.is_mip:
            from mixopt.model.backend.oa import solve_oa

            return solve_oa(lp, opts, sensitivity, start)
        from mixopt.model.backend.conic import solve_conic

        return solve_conic(lp, opts, sensitivity)
    if opts.solver != "highs":
        if opts.backend != "pyomo":
            raise ValueError(f"solver {opts.solver!r} runs through Pyomo: backend 'pyomo'")
        from mixopt.model.backend.through_pyomo import solve_other

        return solve_other(lp, opts.solver, opts, integer)
    from mixopt.model.backend.highs import HighsSession

    session = warm if isinstance(warm, HighsSession) and warm.options == opts \
        and warm.integer == integer and warm.update(lp) else None
    if session is None:
        session = HighsSession(lp, opts, integer)
    return session.solve(sensitivity, start)


def conflict(lp: LinearProgram) -> tuple[list[tuple[int, str]],
                                          list[tuple[int, str]]] | None:
    """An irreducible infeasible set of the LP (its relaxation): ([(row, side)],
    [(column, side)]), or None when there is none to find (HiGHS's IIS)."""
    from mixopt.model.backend.highs import conflict as highs_conflict

    return highs_conflict(lp)
