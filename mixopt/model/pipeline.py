"""The pipeline: Instance -> arrays -> LP -> HiGHS -> recheck -> Result.

``solve(instance)`` is the library entry point. It never prints; it logs. A
solution that fails the solver-free recheck raises ``RecheckError``: it is never
returned as if it were good.
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mixopt.errors import RecheckError
from mixopt.model.arrays import InstanceArrays, to_arrays
from mixopt.model.backend import RawSolution, SolveOptions, Status
from mixopt.model.backend.highs import HighsSession
from mixopt.model.evaluate import REL_TOL, Evaluation, evaluate
from mixopt.model.families import BY_BLOCK, KEY_NAMES
from mixopt.model.formulation import build_lp, columns_from_mix
from mixopt.model.lp import LinearProgram
from mixopt.model.risk import DEFAULT_SAMPLES, ProductRisk, plan_risk
from mixopt.model.schema.instance import Instance

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Result:
    """One solve: status, the rechecked plan and its figures, sensitivity for LPs."""

    instance: Instance
    status: Status
    message: str
    objective_value: float | None  # footprint per t of slab, or total cost
    objective_unit: str
    raw: RawSolution
    evaluation: Evaluation | None  # None without a plan
    #: per limit (family, keys, limit, binding, shadow_price, per); for a MILP conditional
    #: on its purchase decisions. Records, so that a JSON solve needs no pandas.
    dual_records: tuple[dict[str, Any], ...] | None
    #: per product x material: tonnes, coefficient, reduced cost, coefficient range
    column_arrays: dict[str, np.ndarray] | None
    timings_s: dict[str, float]
    risk_samples: int = DEFAULT_SAMPLES
    risk_seed: int = 0

    @functools.cached_property
    def duals(self) -> pd.DataFrame | None:
        """``dual_records`` as a table (pandas is imported here, on first use)."""
        if self.dual_records is None:
            return None
        import pandas as pd

        return pd.DataFrame.from_records(list(self.dual_records), columns=DUAL_COLUMNS)

    @functools.cached_property
    def columns(self) -> pd.DataFrame | None:
        """``column_arrays`` as a table (pandas is imported here, on first use)."""
        if self.column_arrays is None:
            return None
        import pandas as pd

        return pd.DataFrame(self.column_arrays)

    @functools.cached_property
    def risk(self) -> tuple[ProductRisk, ...] | None:
        """The off-spec risk of the plan, when the instance gives spreads (else None)."""
        if self.evaluation is None or not self.instance.has_spreads:
            return None
        return plan_risk(self.evaluation, self.risk_samples, self.risk_seed)

    @property
    def duals_conditional(self) -> bool:
        """True for a MILP: duals come from the LP with its integer decisions fixed."""
        return self.raw.duals_conditional

    @property
    def arrays(self) -> InstanceArrays:
        return self.evaluation.arrays if self.evaluation else to_arrays(self.instance)


def objective_unit(instance: Instance) -> str:
    return "t CO2e/t slab" if instance.objective.minimise == "footprint" else instance.currency


def objective_of(instance: Instance, ev: Evaluation) -> float:
    """The reported objective, recomputed from the rechecked figures."""
    if instance.objective.minimise == "footprint":
        return float(ev.footprint_t.sum() / ev.arrays.slab_tonnes.sum())
    return float(ev.cost.sum() + ev.carbon_cost.sum() - ev.revenue.sum())


def _binding_side(lo: float, hi: float, a: float) -> str | None:
    tol = REL_TOL * max(1.0, abs(a))
    return ("equal" if lo == hi else "min" if abs(a - lo) <= tol
            else "max" if abs(a - hi) <= tol else None)


#: The fields of a shadow-price record, in order.
DUAL_COLUMNS = ["family", *KEY_NAMES, "limit", "binding", "shadow_price", "per"]


def shadow_prices(lp: LinearProgram, ev: Evaluation,
                  raw: RawSolution) -> tuple[dict[str, Any], ...] | None:
    """Shadow prices: change of the LP objective per unit of each limit, in the limit's unit.

    The LP objective is a total (t CO2e or currency), so a supply shadow price is "per t
    more available"; chemistry, caps and shares are per wt%, t CO2e/t and share (1.0) of
    the limit. Each family's ``Dual`` scales its row dual from row units to limit units
    (a chance limit's row is its anchor, linear in its spread column); families without a
    dual (purchase rules) are left out.
    """
    if raw.row_dual is None or raw.x is None:
        return None
    act = lp.A @ raw.x
    # a floor of 0 on a row of non-negative terms is implied by x >= 0: not a limit anyone
    # set (supply rows kept for re-solves, windows whose minimum is 0), never "binding"
    signed = np.asarray((lp.A < 0).sum(axis=1)).ravel() > 0
    floor = (lp.row_lo == 0) & (lp.row_hi > 0) & ~signed
    recs = []
    for b in lp.rows:
        family = BY_BLOCK[b.name]
        if family.dual is None or b.name != family.name:
            continue
        for i, key in enumerate(b.keys):
            r = b.start + i
            lo, hi = lp.row_lo[r], lp.row_hi[r]
            side = _binding_side(lo, hi, act[r])
            if side == "min" and floor[r]:
                side = None
            y = raw.row_dual[r] * family.dual.scale(ev, key)
            words = family.words(key, side or ("max" if np.isfinite(hi) else "min"), ev.arrays)
            keys = dict(zip(family.keys, key, strict=True))
            recs.append({"family": family.name, **{k: keys.get(k) for k in KEY_NAMES},
                         "limit": words, "binding": side,
                         "shadow_price": float(y) if side is not None else 0.0,
                         "per": family.dual.unit(key)})
    return tuple(recs)


def column_sensitivity(lp: LinearProgram, ev: Evaluation,
                       raw: RawSolution) -> dict[str, np.ndarray] | None:
    """Per product and material: charge, objective coefficient, reduced cost and the range of
    the coefficient over which the optimal basis (and so the mix's make-up) stays optimal.

    Units are the objective's per t charged (currency, or t CO2e). A material's price enters
    every product's column at once; each column's range holds with the others unchanged.
    """
    if raw.col_dual is None or raw.x is None:
        return None
    d = ev.arrays
    P, M, _ = d.shape
    n = P * M
    lo, hi = raw.cost_range if raw.cost_range is not None else (np.full(n, np.nan),) * 2
    return {
        "product": np.repeat(np.asarray(d.products, dtype=object), M),
        "material": np.tile(np.asarray(d.materials, dtype=object), P),
        "tonnes": ev.mix_t.ravel(), "coefficient": lp.c[:n],
        "reduced_cost": raw.col_dual[:n], "coefficient_min": lo[:n], "coefficient_max": hi[:n],
    }


@dataclass
class Session:
    """Solve an instance and its variants with one HiGHS instance, re-used in place (warm
    start) whenever a variant changes only bounds and costs: caps, supplies, prices,
    tonnages, the objective. Other changes (chemistry, yields, footprints with a cap, purchase
    rules) rebuild the model; results are the same either way.
    """

    options: SolveOptions | None = None
    sensitivity: bool = True
    #: keep a supply and cap row for every material and product, free where unset, so
    #: that setting a limit later is a bound change (sweeps); a one-off solve leaves them out
    every_row: bool = True
    #: heats simulated for the off-spec risk of a plan (instances with spreads), and seed
    risk_samples: int = DEFAULT_SAMPLES
    risk_seed: int = 0
    rebuilds: int = 0
    _highs: HighsSession | None = None

    def solve(self, instance: Instance, start_mix: np.ndarray | None = None) -> Result:
        """Solve ``instance``; ``start_mix`` (P x M charged t, e.g. last month's plan or a
        rounded LP) is offered to HiGHS as a starting plan."""
        t = {"start": time.perf_counter()}
        d = to_arrays(instance)
        lp = build_lp(d, instance.objective.minimise, every_row=self.every_row)
        t["formulate"] = time.perf_counter()
        build_s = load_s = 0.0
        opts = self.options or SolveOptions()
        if opts.solver != "highs":
            return self._other(instance, d, lp, opts, t)
        if self._highs is None or not self._highs.update(lp):
            self._highs = HighsSession(lp, self.options)
            self.rebuilds += 1
            build_s, load_s = self._highs.build_s, self._highs.load_s
        start = None if start_mix is None else columns_from_mix(lp, d, start_mix)
        raw = self._highs.solve(self.sensitivity, start)
        lp = self._highs.lp  # with the cone cuts, if any
        t["solve"] = time.perf_counter()
        return self._result(instance, d, lp, raw, t, build_s, load_s)

    def _other(self, instance: Instance, d: InstanceArrays, lp: LinearProgram,
               opts: SolveOptions, t: dict[str, float]) -> Result:
        """A solver other than HiGHS, through Pyomo: one cold solve, no sensitivity."""
        from mixopt.model.backend.through_pyomo import solve_other

        if opts.backend != "pyomo":
            raise ValueError(f"solver {opts.solver!r} runs through Pyomo: backend 'pyomo'")
        raw = solve_other(lp, opts.solver, opts)
        t["solve"] = time.perf_counter()
        return self._result(instance, d, lp, raw, t, 0.0, 0.0)

    def _result(self, instance: Instance, d: InstanceArrays, lp: LinearProgram,
                raw: RawSolution, t: dict[str, float], build_s: float,
                load_s: float) -> Result:
        """Recheck the plan without the solver, price its limits, and report."""
        ev = duals = columns = value = None
        if raw.status.has_solution and raw.x is not None:
            P, M, _ = d.shape
            ev = evaluate(instance, raw.x[: P * M].reshape(P, M), d)
            if ev.violations:
                raise RecheckError(ev.violations)
            value = objective_of(instance, ev)
            duals = shadow_prices(lp, ev, raw)
            columns = column_sensitivity(lp, ev, raw)
        t["recheck"] = time.perf_counter()
        timings = {"formulate": t["formulate"] - t["start"], "build": build_s, "load": load_s,
                   "highs": raw.solve_time_s, "recheck": t["recheck"] - t["solve"],
                   "total": t["recheck"] - t["start"]}
        unit = objective_unit(instance)
        log.info("%s: %s, objective %s %s", instance.name, raw.status, value, unit)
        return Result(instance=instance, status=raw.status, message=raw.message,
                      objective_value=value, objective_unit=unit, raw=raw, evaluation=ev,
                      dual_records=duals, column_arrays=columns, timings_s=timings,
                      risk_samples=self.risk_samples, risk_seed=self.risk_seed)


def solve(instance: Instance, options: SolveOptions | None = None,
          start_mix: np.ndarray | None = None, sensitivity: bool = True,
          risk_samples: int = DEFAULT_SAMPLES, risk_seed: int = 0) -> Result:
    """Build, solve and recheck one instance (``sensitivity``: duals, reduced costs and
    ranging; HiGHS's ranging costs about a tenth of a large LP's solve time; ``risk_*``:
    the heats simulated for the off-spec risk of a plan when the instance has spreads)."""
    return Session(options, sensitivity=sensitivity, every_row=False,
                   risk_samples=risk_samples, risk_seed=risk_seed).solve(instance, start_mix)


__all__ = ["Result", "Session", "column_sensitivity", "shadow_prices", "solve"]
