"""HiGHS: one LP/MILP in one persistent HiGHS (loaded from the arrays, or through Pyomo),
its sensitivity, and its irreducible infeasible sets; how every run ended, said honestly.

``HighsSession`` holds one LP in one HiGHS instance for a whole run, so that re-solves
warm-start. By default the formulation's arrays go straight into HiGHS (``highspy``);
``SolveOptions(backend="pyomo")`` goes through the Pyomo model built from the same
arrays (``mixopt.model.backend.through_pyomo``) and Pyomo's persistent HiGHS interface — Pyomo is
imported only then. Statuses come from HiGHS's own model status, mapped one by one in
``mixopt.model.backend.highs_status.map_status``: nothing is inferred from an objective value.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path

import highspy
import numpy as np

from mixopt.model.backend import interrupt
from mixopt.model.backend.cuts import ConeLoop, ConeView, Cuts, Extension
from mixopt.model.backend.highs_status import HMS, map_status
from mixopt.model.backend.outcome import (
    AUTO_IPM_COLUMNS,
    BACKENDS,
    LP_SOLVERS,
    RawSolution,
    SolveOptions,
    Status,
)
from mixopt.model.lp import LinearProgram, fix_integers

log = logging.getLogger(__name__)


def load_arrays(lp: LinearProgram, integer: bool = True) -> highspy.Highs:
    """A fresh HiGHS holding ``lp`` (column order = LP order), without Pyomo.
    ``integer=False`` gives the LP relaxation."""
    h = interrupt.prepare(highspy.Highs())
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


class HighsSession:
    """One LP/MILP held in one persistent HiGHS instance (loaded from the arrays, or
    through Pyomo: ``SolveOptions.backend``)."""

    def __init__(self, lp: LinearProgram, options: SolveOptions | None = None,
                 integer: bool = True) -> None:
        #: False: the LP relaxation (integer columns continuous), e.g. for diagnose
        self.integer = integer
        if not integer and lp.is_mip:
            lp = replace(lp, integer=np.zeros(len(lp.integer), dtype=bool))
        self.base = lp  # as built
        self.lp = lp  # with the cone columns and cuts added so far
        self._cones = ConeLoop(lp) if lp.cones is not None and len(lp.cones) else None
        self._cuts: Cuts | None = None
        self.options = options or SolveOptions()
        if self.options.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}")
        if self.options.lp_solver not in LP_SOLVERS:
            raise ValueError(f"lp_solver must be one of {LP_SOLVERS}")
        self._solved = False
        self._algorithm, self._why = "none", ""
        self.model = None
        t0 = time.perf_counter()
        if self.options.backend == "highspy":
            self.highs = load_arrays(lp)
            self._col_of = np.arange(lp.A.shape[1], dtype=np.int64)
            self._row_of = np.arange(lp.A.shape[0], dtype=np.int64)
            self.build_s, self.load_s = 0.0, time.perf_counter() - t0
            self.interface = "highspy passModel (arrays)"
        else:
            from mixopt.model.backend import through_pyomo

            (self.model, self.highs, self._col_of, self._row_of, self.build_s, self.load_s,
             self.interface) = through_pyomo.load(lp)
            log.debug("built model in %.3fs, loaded into HiGHS in %.3fs", self.build_s,
                      self.load_s)
        if self._cones is not None:
            self._cuts = Cuts(lp, self._col_of, self._row_of)

    def update(self, lp: LinearProgram) -> bool:
        """Move the held LP to ``lp`` in place if only bounds and costs differ; then the next
        ``solve`` warm-starts from the last basis. Return False (nothing changed) when the
        structure differs (rows, columns, coefficients, integrality): build a new session.

        Changes go to HiGHS directly; ``self.model`` (the Pyomo model) keeps the values it
        was built with and is not re-solved through Pyomo. Cone cuts stay (they depend only
        on the cones and their anchor rows, which must then be unchanged).
        """
        old = self.base
        same = (old.A.shape == lp.A.shape and old.rows == lp.rows and old.cols == lp.cols
                and np.array_equal(old.integer, lp.integer)
                and np.array_equal(old.A.indptr, lp.A.indptr)
                and np.array_equal(old.A.indices, lp.A.indices)
                and np.array_equal(old.A.data, lp.A.data)
                and _same_cones(old, lp))
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
        self.base = self.lp = lp
        if self._cuts is not None:  # the cuts hold whatever the bounds and costs
            self._cuts.base = lp
            self.lp = self._cuts.lp
        log.debug("updated in place: %d row bounds, %d column bounds, %d costs", len(r),
                  len(c), len(k))
        return True

    def _set_options(self) -> None:
        h, o = self.highs, self.options
        interrupt.log_on(h)
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
        return self._lp_choice()[0]

    def _lp_choice(self) -> tuple[str, str]:
        """The LP algorithm of the next run, and why (shown in the output)."""
        if self.lp.is_mip:
            return "choose", "a MILP: HiGHS's branch and bound chooses"
        choice = self.options.lp_solver
        if choice != "auto":
            return choice, "asked for (--lp-solver)"
        if self._solved:
            return "simplex", "a warm re-solve: dual simplex from the last basis"
        if self.lp.A.shape[1] >= AUTO_IPM_COLUMNS:
            return "ipm", (f"auto: {self.lp.A.shape[1]:,} columns, at least "
                           f"{AUTO_IPM_COLUMNS:,}: interior point with crossover is faster "
                           "cold (README, Speed at scale)")
        return "simplex", (f"auto: {self.lp.A.shape[1]:,} columns, under "
                           f"{AUTO_IPM_COLUMNS:,}: dual simplex")

    def solve(self, sensitivity: bool = True, start: np.ndarray | None = None) -> RawSolution:
        """Solve (warm from the last basis when there is one). With ``sensitivity``, add
        duals, reduced costs and cost ranging (for a MILP, of the LP with its integer
        decisions fixed). ``start``: a full column vector handed to HiGHS as a starting
        plan (a MILP incumbent when feasible)."""
        h, lp = self.highs, self.lp
        self._set_options()
        self._algorithm, self._why = self._lp_choice()
        if start is not None:
            self._offer(start)
        log.info("HiGHS: solving %d columns and %d rows (%s)", h.getNumCol(), h.getNumRow(),
                 self._algorithm if not lp.is_mip else "MILP")
        t0 = time.perf_counter()
        ms, converged = self._run_all()
        elapsed = time.perf_counter() - t0
        self._solved = True
        info = h.getInfo()
        has_solution = info.primal_solution_status == 2 and converged  # a feasible plan
        gap = float(info.mip_gap) if lp.is_mip and has_solution else None
        status, message = map_status(ms, has_solution, lp.is_mip, gap)
        if not converged and ms == HMS.kOptimal:
            status = Status.NUMERICAL_FAILURE
            message = ("the chance constraints did not converge in "
                       f"{self._cuts.rounds if self._cuts else 0} cut rounds")
        elif not converged and status.name.endswith("NO_SOLUTION"):
            message += " (no plan meets the chance constraints yet)"
        x = obj = bound = None
        sens: dict[str, object] = {}
        if status.has_solution:
            x = np.asarray(h.getSolution().col_value)[self._col_of]
            obj = float(info.objective_function_value)
            if lp.is_mip:
                bound = float(info.mip_dual_bound)
                px, sens = self._polish(x, sensitivity)
                if px is not None and self._cones is None:
                    x, obj = px, float(lp.c @ px + lp.offset)
            elif sensitivity:
                sens = self._sensitivity()
        log.info("HiGHS: %s in %.3fs", message, elapsed)
        return RawSolution(status=status, message=message, x=x, objective=obj, mip_gap=gap,
                           dual_bound=bound, solve_time_s=elapsed, solver=self.describe(info),
                           warm=self, **sens)

    def _offer(self, start: np.ndarray) -> None:
        """Hand HiGHS a starting plan (LP columns; columns beyond it are 0)."""
        h = self.highs
        sol = highspy.HighsSolution()
        full = np.zeros(h.getNumCol())
        k = min(len(start), len(self._col_of))
        full[self._col_of[:k]] = start[:k]
        sol.col_value = full.tolist()
        if h.setSolution(sol) != highspy.HighsStatus.kOk:
            log.warning("HiGHS did not take the starting plan")

    def _run(self) -> object:
        """One HiGHS run; an infeasible-or-unbounded verdict is asked again without
        presolve (presolve could not tell which)."""
        h = self.highs
        interrupt.run(h)
        ms = h.getModelStatus()
        if ms in (HMS.kNotset, HMS.kSolveError) and self._solved:
            # a warm re-solve lost its numerical footing (long cut loops on large months):
            # drop the factorisation and basis, and solve the same LP cold, once
            log.warning("HiGHS failed a warm re-solve (%s): solving cold", ms)
            h.clearSolver()
            interrupt.run(h)
            ms = h.getModelStatus()
        if ms == HMS.kUnboundedOrInfeasible:
            h.setOptionValue("presolve", "off")
            interrupt.run(h)
            ms = h.getModelStatus()
            h.setOptionValue("presolve", "choose")
        return ms

    def _run_all(self) -> tuple[object, bool]:
        """Solve; with cones, cut until every cone holds (for a MILP, on its LP relaxation
        first, which is cheap and makes most cuts, then between MILP re-solves)."""
        cuts = self._cuts
        if self._cones is None or cuts is None:
            return self._run(), True
        if self.base.is_mip:
            self.relaxation_cuts()
        ms = self._cones.run(self.highs, cuts, self._run, lambda ms: ms == HMS.kOptimal)
        self._sync()
        return ms, cuts.converged

    def relaxation_cuts(self) -> None:
        """Cut the cones of a MILP at its LP relaxation until they hold there: cheap, and
        most of the cuts its MILP re-solves need."""
        self._integrality(False)
        try:
            self._cones.run(self.highs, self._cuts, self._run, lambda ms: ms == HMS.kOptimal)
        finally:
            self._integrality(True)
        self._sync()

    def master(self, options: SolveOptions, start: np.ndarray | None = None
               ) -> tuple[object, np.ndarray | None, float | None, float | None]:
        """One MILP run on the LP and the cuts so far (the outer approximation's master):
        HiGHS's model status, its plan over ``self.lp``'s columns, objective, dual bound."""
        self.options = options
        self._set_options()
        self._algorithm, self._why = self._lp_choice()
        if start is not None:
            self._offer(start)
        ms = self._run()
        self._solved = True
        info = self.highs.getInfo()
        if info.primal_solution_status != 2:
            return ms, None, None, float(info.mip_dual_bound)
        x = np.asarray(self.highs.getSolution().col_value)[self._col_of]
        return ms, x, float(info.objective_function_value), float(info.mip_dual_bound)

    def cut_at(self, x: np.ndarray, ks: np.ndarray, force: bool = False) -> None:
        """Tangent cuts of cones ``ks`` at x (over ``self.lp``'s columns; ``force``: x is on
        the cones, cut every material there)."""
        self._cones.add(self.highs, self._cuts, x, ks, force)
        self._sync()

    def cut_rows(self, rows: list[tuple[np.ndarray, np.ndarray]], key: tuple) -> None:
        """Plain cut rows ``vals . x[cols] >= 0`` over ``self.lp``'s columns (an outer
        approximation's certificate cuts), each scaled to a largest coefficient of 1."""
        ext = Extension()
        for cols, vals in rows:
            ext.rows.append((cols, vals / max(np.abs(vals).max(), 1e-300)))
            ext.lo.append(0.0)
            ext.hi.append(np.inf)
            ext.keys.append(key)
        self._cones.add_rows(self.highs, self._cuts, ext)
        self._sync()

    @property
    def cone_view(self) -> ConeView:
        return self._cones.view

    @property
    def cut_count(self) -> int:
        return len(self._cuts.ext.keys) if self._cuts is not None else 0

    @property
    def w_columns(self) -> dict[tuple[int, int], int]:
        """(cone, material column) -> its w column among ``self.lp``'s columns."""
        return self._cuts.w_col

    def _sync(self) -> None:
        cuts = self._cuts
        self.lp, self._col_of, self._row_of = cuts.lp, cuts.col_of, cuts.row_of

    def _integrality(self, on: bool) -> None:
        j = np.flatnonzero(self.base.integer)
        kind = highspy.HighsVarType.kInteger if on else highspy.HighsVarType.kContinuous
        self.highs.changeColsIntegrality(len(j), self._col_of[j], np.array([kind] * len(j)))

    def _sensitivity(self) -> dict[str, object]:
        """Duals, reduced costs and cost ranging of the LP just solved, in LP order."""
        h = self.highs
        sol = h.getSolution()
        if not sol.dual_valid:
            return {}
        out: dict[str, object] = {"row_dual": np.asarray(sol.row_dual)[self._row_of],
                                  "col_dual": np.asarray(sol.col_dual)[self._col_of]}
        if self._cones is not None:
            return out  # the cones curve: the cut LP's cost ranges are not the problem's
        status, rng = h.getRanging()
        if status == highspy.HighsStatus.kOk and rng.valid:
            n = len(self._col_of)
            up = np.asarray(rng.col_cost_up.value_)[:n][self._col_of]
            dn = np.asarray(rng.col_cost_dn.value_)[:n][self._col_of]
            out["cost_range"] = (dn, up)
        return out

    def _polish(self, x: np.ndarray, sensitivity: bool
                ) -> tuple[np.ndarray | None, dict[str, object]]:
        """Fix the integer decisions at the plan (and what they pin: ``fix_integers``),
        re-solve the LP, and restore the MILP: the polished plan, in which a column a
        decision pins is exactly at its value (a MILP's integrality tolerance leaves up to
        U x 1e-6 t of a material it decided not to charge), and with ``sensitivity`` the
        LP's duals, conditional on the decisions. (None, {}) when that LP does not solve."""
        h, lp = self.highs, self.lp
        fixed = fix_integers(lp, x[lp.integer])
        j = np.flatnonzero((fixed.col_lo != lp.col_lo) | (fixed.col_hi != lp.col_hi)
                           | lp.integer)
        cols = self._col_of[j]
        ints = self._col_of[np.flatnonzero(lp.integer)]
        k = len(ints)
        h.changeColsIntegrality(k, ints, np.array([highspy.HighsVarType.kContinuous] * k))
        h.changeColsBounds(len(j), cols, fixed.col_lo[j], fixed.col_hi[j])
        h.setOptionValue("time_limit", np.inf)  # an LP with fixed decisions: fast, and owed
        try:
            interrupt.run(h)
            ok = h.getModelStatus() == HMS.kOptimal
            px = np.asarray(h.getSolution().col_value)[self._col_of] if ok else None
            out = self._sensitivity() if ok and sensitivity else {}
        finally:
            h.changeColsBounds(len(j), cols, lp.col_lo[j], lp.col_hi[j])
            h.changeColsIntegrality(k, ints, np.array([highspy.HighsVarType.kInteger] * k))
        if not ok:
            log.warning("the LP with fixed integer decisions did not solve to optimality; "
                        "the MILP's own plan is reported, without sensitivity")
            return None, {}
        return px, ({**out, "duals_conditional": True} if out else {})

    def describe(self, info: highspy.HighsInfo) -> dict[str, object]:
        o = self.options
        return {
            "name": "HiGHS",
            "version": self.highs.version(),
            "interface": self.interface,
            "lp_solver": self._algorithm if not self.lp.is_mip else None,
            "lp_solver_why": self._why,
            "threads": o.threads,
            "random_seed": o.random_seed,
            "time_limit_s": o.time_limit_s,
            "mip_rel_gap": o.mip_rel_gap if self.lp.is_mip else None,
            "simplex_iterations": int(info.simplex_iteration_count),
            "mip_nodes": int(info.mip_node_count) if self.lp.is_mip else None,
            "cone_cuts": len(self._cuts.ext.keys) if self._cuts is not None else None,
            "cone_cut_rounds": self._cuts.rounds if self._cuts is not None else None,
        }


def _same_cones(a: LinearProgram, b: LinearProgram) -> bool:
    """Both LPs have the same cones (the tangent cuts of one then hold for the other: they
    involve no bound)."""
    if (a.cones is None) != (b.cones is None):
        return False
    if a.cones is None:
        return True
    ca, cb = a.cones, b.cones
    return (np.array_equal(ca.r_col, cb.r_col) and np.array_equal(ca.link_row, cb.link_row)
            and ca.S.shape == cb.S.shape and (ca.S != cb.S).nnz == 0)


#: HiGHS IIS bound codes -> the side of the bound that takes part in the conflict.
IIS_SIDE = {2: "lower", 3: "upper", 4: "both"}
#: HiGHS's IIS strategy used for conflicts (the irreducible variant; see HiGHS docs).
IIS_STRATEGY = 4


def conflict(lp: LinearProgram) -> tuple[list[tuple[int, str]], list[tuple[int, str]]] | None:
    """An irreducible infeasible set of the LP (relaxation): ([(row, side)], [(col, side)]),
    or None when HiGHS finds none (for instance when the LP is feasible)."""
    h = load_arrays(lp, integer=False)
    h.setOptionValue("iis_strategy", IIS_STRATEGY)
    interrupt.run(h)
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


def write_model_file(lp: LinearProgram, col_names: list[str], row_names: list[str],
                     tmp: Path, path: Path) -> None:
    """``lp`` with these names, written by HiGHS to ``tmp`` (.mps or .lp by the suffix of
    ``path``, the file it is meant to become)."""
    h = load_arrays(lp)
    for j, name in enumerate(col_names):
        h.passColName(j, name)
    for i, name in enumerate(row_names):
        h.passRowName(i, name)
    h.writeModel(str(tmp))
    if not tmp.stat().st_size:
        raise OSError(5, "HiGHS wrote an empty model", str(path))
