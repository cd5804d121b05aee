"""Pyomo: the same ``LinearProgram`` as a Pyomo model, built fast, and solved either by
HiGHS through Pyomo's persistent interface (``load``) or by any other solver Pyomo finds
installed (``solve_other``: ``glpk``, ``cbc``, ...; one cold solve, the plan rechecked by
mixopt like any other). The only module that knows Pyomo components; it is imported only
for ``--backend pyomo``.

Built the way measured fastest (README, "Speed at scale"): integer index ranges, Python
floats (``ndarray.tolist()``), variables fetched once into a list, every row a
``LinearExpression``, and the cyclic garbage collector paused. ``model.x[j]`` is column
``j`` of the LP; each row block is one indexed ``Constraint`` named by the block's label
(unique per period: ``chemistry`` in a month, ``chemistry@2027-02`` in a horizon).

What other solvers do not give here is said, never faked: no warm re-solves, no
sensitivity (duals and ranging are HiGHS's), no chance cones (the cut loop drives HiGHS).
"""

from __future__ import annotations

import time

import numpy as np
import pyomo
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.core.expr.numeric_expr import LinearExpression

from mixopt.errors import InputError, Problem
from mixopt.model.backend import interrupt
from mixopt.model.backend.outcome import RawSolution, SolveOptions, Status, outcome
from mixopt.model.lp import LinearProgram


def _bound(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


def to_pyomo(lp: LinearProgram) -> pyo.ConcreteModel:
    """Build ``min c.x + offset s.t. row_lo <= A x <= row_hi`` as a ``ConcreteModel``."""
    with PauseGC():
        model = pyo.ConcreteModel(name="mixopt")
        n = lp.A.shape[1]
        model.x = pyo.Var(range(n), within=pyo.NonNegativeReals)
        xs = [model.x[j] for j in range(n)]
        for j in np.flatnonzero(lp.integer).tolist():
            xs[j].domain = pyo.Integers
        for j, (lo, hi) in enumerate(zip(lp.col_lo.tolist(), lp.col_hi.tolist(), strict=True)):
            xs[j].setlb(_bound(lo))
            xs[j].setub(_bound(hi))

        rows_of = lp.A.tocsr()  # Pyomo adds row by row
        indptr, indices, data = rows_of.indptr, rows_of.indices.tolist(), rows_of.data.tolist()
        lo_all, hi_all = lp.row_lo.tolist(), lp.row_hi.tolist()
        for block in lp.rows:
            con = pyo.Constraint(range(len(block.keys)))
            model.add_component(block.label, con)
            con.construct()
            for i in range(len(block.keys)):
                r = block.start + i
                a, b = int(indptr[r]), int(indptr[r + 1])
                if a == b:  # an empty row keeps its place with a zero coefficient
                    body = LinearExpression(constant=0.0, linear_coefs=[0.0],
                                            linear_vars=[xs[0]])
                else:
                    body = LinearExpression(constant=0.0, linear_coefs=data[a:b],
                                            linear_vars=[xs[k] for k in indices[a:b]])
                # infinite bounds stay floats: Pyomo reads them as absent, and a row free
                # on both sides (a limit a re-solve may set) stays a valid constraint
                con[i] = (lo_all[r], body, hi_all[r])

        nz = np.flatnonzero(lp.c)
        model.objective = pyo.Objective(
            expr=LinearExpression(constant=float(lp.offset), linear_coefs=lp.c[nz].tolist(),
                                  linear_vars=[xs[j] for j in nz.tolist()]),
            sense=pyo.minimize)
    return model


def columns(model: pyo.ConcreteModel) -> list:
    """The model's variables in LP column order."""
    return [model.x[j] for j in range(len(model.x))]


def rows(model: pyo.ConcreteModel, lp: LinearProgram) -> list:
    """The model's constraint data in LP row order."""
    out = []
    for block in lp.rows:
        con = model.component(block.label)
        out.extend(con[i] for i in range(len(block.keys)))
    return out


def load(lp: LinearProgram):
    """Build the Pyomo model of ``lp`` and load it into Pyomo's persistent HiGHS
    interface: (model, highs, column map, row map, build s, load s, interface name)."""
    from pyomo.contrib.solver.common.factory import SolverFactory

    t0 = time.perf_counter()
    model = to_pyomo(lp)
    t1 = time.perf_counter()
    solver = SolverFactory("highs")
    with PauseGC():
        solver.set_instance(model)
    # Pyomo's interface keeps its maps privately; read them here, and only here.
    var_map = solver._pyomo_var_to_solver_var_map
    con_map = solver._pyomo_con_to_solver_con_map
    col_of = np.array([var_map[id(v)] for v in columns(model)], dtype=np.int64)
    row_of = np.array([con_map[c] for c in rows(model, lp)], dtype=np.int64)
    name = f"pyomo {pyomo.version.version} contrib.solver highs (persistent)"
    return (model, interrupt.prepare(solver._solver_model), col_of, row_of, t1 - t0,
            time.perf_counter() - t1, name)


#: Option names of the solvers mixopt knows: (time limit s, relative MIP gap).
OPTION_NAMES = {"glpk": ("tmlim", "mipgap"), "cbc": ("sec", "ratioGap"),
                "appsi_highs": ("time_limit", "mip_rel_gap"),
                "highs": ("time_limit", "mip_rel_gap")}


def available(name: str) -> bool:
    """Whether Pyomo finds solver ``name`` on this machine."""
    import logging

    quiet = logging.getLogger("pyomo")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # an unknown name logs a traceback: it is just absent
    try:
        return bool(pyo.SolverFactory(name).available(exception_flag=False))
    except Exception:  # noqa: BLE001 - an unknown name is "not available", not a crash
        return False
    finally:
        quiet.setLevel(level)


def solve_other(lp: LinearProgram, name: str, options: SolveOptions,
                integer: bool = True) -> RawSolution:
    """One cold solve of ``lp`` by Pyomo's solver ``name`` (``integer=False``: its LP
    relaxation)."""
    from pyomo.opt import TerminationCondition as TC

    if lp.cones is not None and len(lp.cones):
        raise InputError([Problem("--solver", f"{name} cannot solve chance constraints here "
                                              "(the cone cuts drive HiGHS): use the default "
                                              "solver, or --margin-sd for a plain LP")])
    if not available(name):
        raise InputError([Problem("--solver", f"Pyomo finds no solver {name!r} on this "
                                              "machine (install it, e.g. Debian glpk-utils or "
                                              "coinor-cbc)")])
    if not integer and lp.is_mip:
        from dataclasses import replace

        lp = replace(lp, integer=np.zeros(len(lp.integer), dtype=bool))
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
