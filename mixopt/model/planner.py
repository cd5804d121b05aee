"""The planner: a horizon (a month is a horizon of one period) in, a rechecked ``Result``
out: build the window's LP (``formulation.build_window``), solve it through the one
solver entry point (``backend.solve_lp``), read the plan back, recheck every period and
every link without the solver, and price the limits.

It never prints; it logs. A plan that fails the recheck raises ``RecheckError``: it is
never returned as if it were good. ``Session`` keeps the solver between variants (warm
re-solves of sweeps and frontiers); ``solve_rolling`` plans N periods ahead and moves on.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from mixopt.errors import RecheckError
from mixopt.model.backend import RawSolution, SolveOptions, Status, solve_lp
from mixopt.model.evaluate import REL_TOL, Evaluation, objective_of, objective_unit, recheck
from mixopt.model.families import BY_BLOCK, KEY_NAMES
from mixopt.model.families.charges import rounded_start
from mixopt.model.formulation import WindowLP, build_window, columns_from_plan, plan_from_columns
from mixopt.model.lp import LinearProgram
from mixopt.model.plan import HorizonPlan, Window, plan_of, whole
from mixopt.model.result import Result
from mixopt.model.risk import DEFAULT_SAMPLES
from mixopt.model.schema.horizon import Horizon, as_horizon
from mixopt.model.schema.instance import Instance

log = logging.getLogger(__name__)


def _binding_side(lo: float, hi: float, a: float) -> str | None:
    tol = REL_TOL * max(1.0, abs(a))
    return ("equal" if lo == hi else "min" if abs(a - lo) <= tol
            else "max" if abs(a - hi) <= tol else None)


def shadow_prices(lp: LinearProgram, w: Window, evs: tuple[Evaluation, ...],
                  plan: HorizonPlan, raw: RawSolution) -> tuple[dict[str, Any], ...] | None:
    """Shadow prices: change of the LP objective per unit of each limit, in the limit's unit.

    The LP objective is a total (t CO2e or currency), so a supply shadow price is "per t
    more available"; chemistry, caps and shares are per wt%, t CO2e/t and share (1.0) of
    the limit. Each family's ``Dual`` scales its row dual from row units to limit units
    (a chance limit's row is its anchor, linear in its spread column); families without a
    dual (purchase rules) are left out. A period's rows are priced on that period's
    figures; with named periods each record starts with its period.
    """
    if raw.row_dual is None or raw.x is None:
        return None
    act = lp.A @ raw.x
    # a floor of 0 on a row of non-negative terms is implied by x >= 0: not a limit anyone
    # set (supply rows kept for re-solves, windows whose minimum is 0), never "binding"
    signed = np.asarray((lp.A < 0).sum(axis=1)).ravel() > 0
    floor = (lp.row_lo == 0) & (lp.row_hi > 0) & ~signed
    named = w.horizon.has_periods
    recs = []
    for b in lp.rows:
        family = BY_BLOCK[b.name]
        if family.dual is None or b.name != family.name:
            continue
        own = family.scope == "period"
        ctx, fig = (w.arrays[b.part], evs[b.part]) if own else (w, plan)
        for i in range(len(b.keys)):
            r, key = b.start + i, b.local_key(i)
            lo, hi = lp.row_lo[r], lp.row_hi[r]
            side = _binding_side(lo, hi, act[r])
            if side == "min" and floor[r]:
                side = None
            y = raw.row_dual[r] * family.dual.scale(fig, key)
            words = family.words(key, side or ("max" if np.isfinite(hi) else "min"), ctx)
            keys = dict(zip(family.keys, key, strict=True))
            rec = {"family": family.name, **{k: keys.get(k) for k in KEY_NAMES},
                   "limit": words, "binding": side,
                   "shadow_price": float(y) if side is not None else 0.0,
                   "per": family.dual.unit(key)}
            if named:
                rec = {"period": b.period if own else keys.get("period"), **rec}
            recs.append(rec)
    return tuple(recs)


def column_sensitivity(lp: LinearProgram, wlp: WindowLP, evs: tuple[Evaluation, ...],
                       raw: RawSolution) -> dict[str, np.ndarray] | None:
    """Per (period,) product and material: charge, objective coefficient, reduced cost and
    the range of the coefficient over which the optimal basis (and so the mix's make-up)
    stays optimal.

    Units are the objective's per t charged (currency, or t CO2e). A material's price enters
    every product's column at once; each column's range holds with the others unchanged.
    """
    if raw.col_dual is None or raw.x is None:
        return None
    n = lp.A.shape[1]
    lo, hi = raw.cost_range if raw.cost_range is not None else (np.full(n, np.nan),) * 2
    named = wlp.window.horizon.has_periods
    parts: list[dict[str, np.ndarray]] = []
    for k, (r, ev) in enumerate(zip(wlp.charge, evs, strict=True)):
        d = ev.arrays
        P, M, _ = d.shape
        cols = slice(r.start, r.stop)
        part = {"product": np.repeat(np.asarray(d.products, dtype=object), M),
                "material": np.tile(np.asarray(d.materials, dtype=object), P),
                "tonnes": ev.mix_t.ravel(), "coefficient": lp.c[cols],
                "reduced_cost": raw.col_dual[cols], "coefficient_min": lo[cols],
                "coefficient_max": hi[cols]}
        if named:
            part = {"period": np.full(P * M, wlp.window.period(k), dtype=object), **part}
        parts.append(part)
    if len(parts) == 1:
        return parts[0]
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def result_of(wlp: WindowLP, lp: LinearProgram, raw: RawSolution, timings: dict[str, float],
              started: float, risk_samples: int = DEFAULT_SAMPLES, risk_seed: int = 0,
              method: str = "joint") -> Result:
    """Recheck the plan ``raw`` holds without the solver, price its limits, and report
    (``started``: when the work began, for the total time)."""
    t0 = time.perf_counter()
    w = wlp.window
    plan = evs = duals = columns = value = None
    if raw.status.has_solution and raw.x is not None:
        plan = plan_from_columns(wlp, raw.x)
        evs, bad = recheck(plan)
        if bad:
            raise RecheckError(tuple(bad))
        value = objective_of(plan, evs)
        duals = shadow_prices(lp, w, evs, plan, raw)
        columns = column_sensitivity(lp, wlp, evs, raw)
    t1 = time.perf_counter()
    timings = {**timings, "recheck": t1 - t0, "total": t1 - started}
    h = w.horizon
    unit = objective_unit(h)
    log.info("%s: %s, objective %s %s", h.name, raw.status, value, unit)
    return Result(h, raw.status, raw.message, value, unit, raw, plan, evs, duals, columns,
                  timings, method, risk_samples, risk_seed)


@dataclass
class Session:
    """Plan a horizon and its variants with one solver, re-used in place (warm start)
    whenever a variant changes only bounds and costs: caps, supplies, prices, tonnages, the
    objective. Other changes (chemistry, yields, footprints with a cap, purchase rules)
    rebuild the model; results are the same either way.
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
    _warm: object = None

    def solve(self, plan: Horizon | Instance, start: HorizonPlan | None = None,
              cap_t_co2e_per_t: float | None = None) -> Result:
        """Plan every period of ``plan`` together. ``start``: a plan offered to the solver
        as its starting plan (last month's, a rounded LP); ``cap_t_co2e_per_t``: a cap on
        the footprint over the whole horizon (the frontier's; ``inf``: the row, uncapped)."""
        h = as_horizon(plan)
        t0 = time.perf_counter()
        wlp = build_window(h, cap_t_co2e_per_t=cap_t_co2e_per_t, every_row=self.every_row)
        t1 = time.perf_counter()
        x0 = None
        if start is not None:
            x0 = columns_from_plan(wlp, plan_of(wlp.window, start.mix_t, {
                m: start.bought(m) for m in wlp.window.stocked()}, start.shortfall_t))
        options = self.options
        if start is None and wlp.lp.is_mip:
            x0 = rounded_start(wlp, options)
            limit = options.time_limit_s if options is not None else None
            if limit:  # --time-limit is for the whole solve, the first plan's search included
                left = limit - (time.perf_counter() - t1)
                options = replace(options, time_limit_s=max(left, 0.05 * limit))
        raw = solve_lp(wlp.lp, options, self._warm, self.sensitivity, x0)
        fresh = raw.warm is not None and raw.warm is not self._warm
        self.rebuilds += fresh
        self._warm = raw.warm
        solved = getattr(raw.warm, "lp", wlp.lp)  # with the cone cuts, if any
        return result_of(wlp, solved, raw, {
            "formulate": t1 - t0, "build": raw.warm.build_s if fresh else 0.0,
            "load": raw.warm.load_s if fresh else 0.0, "highs": raw.solve_time_s}, t0,
            self.risk_samples, self.risk_seed)


def solve(plan: Horizon | Instance, options: SolveOptions | None = None,
          start: HorizonPlan | None = None, sensitivity: bool = True,
          risk_samples: int = DEFAULT_SAMPLES, risk_seed: int = 0,
          cap_t_co2e_per_t: float | None = None) -> Result:
    """Build, solve and recheck one plan (``sensitivity``: duals, reduced costs and
    ranging; HiGHS's ranging costs about a tenth of a large LP's solve time; ``risk_*``:
    the heats simulated for the off-spec risk of a plan when the instance has spreads)."""
    return Session(options, sensitivity=sensitivity, every_row=False,
                   risk_samples=risk_samples, risk_seed=risk_seed).solve(
        plan, start, cap_t_co2e_per_t)


def solve_rolling(plan: Horizon | Instance, lookahead: int,
                  options: SolveOptions | None = None) -> Result:
    """Re-plan every period with ``lookahead`` periods in view, keep the first period's
    decisions (purchases and charges), carry the stock and the contracts' tonnes over,
    and move on; the kept decisions are one plan over the horizon, rechecked as a whole.
    ``lookahead`` 1 is the myopic plan (each period alone)."""
    h = as_horizon(plan)
    t0 = time.perf_counter()
    T = len(h.periods)
    opening = {m: s.initial_t for m, s in h.stocked.items()}
    before: dict[str, float] = {}
    mixes: list[np.ndarray] = []
    bought: dict[str, list[float]] = {m: [] for m in h.stocked}
    short: dict[str, float] = {}
    method = "myopic" if lookahead == 1 else f"rolling {lookahead}"
    for k in range(T):
        wlp = build_window(h, k, min(k + lookahead, T), opening, before)
        raw = solve_lp(wlp.lp, options, sensitivity=False)
        if not raw.status.has_solution or raw.x is None:
            return Result(h, raw.status, f"{method}: period {h.periods[k]}: {raw.message}",
                          None, objective_unit(h), raw, None, None, None, None,
                          {"total": time.perf_counter() - t0}, method)
        kept = plan_from_columns(wlp, raw.x)
        mixes.append(kept.mix_t[0])
        for m in h.stocked:
            bought[m].append(float(kept.bought(m)[0]))
            opening[m] = float(kept.closing(m)[0])
        for m in h.contracts:
            before[m] = before.get(m, 0.0) + float(kept.bought(m)[0])
        if k == T - 1:
            short = dict(kept.shortfall_t)
    whole_plan = plan_of(whole(h), mixes, {m: np.array(v) for m, v in bought.items()}, short)
    evs, bad = recheck(whole_plan)
    if bad:
        raise RecheckError(tuple(bad))
    return Result(h, Status.OPTIMAL, f"{method} plan: each period optimal for what it could "
                  "see", objective_of(whole_plan, evs), objective_unit(h), None, whole_plan,
                  evs, None, None, {"total": time.perf_counter() - t0}, method)


__all__ = ["Result", "Session", "column_sensitivity", "shadow_prices", "solve",
           "solve_rolling"]
