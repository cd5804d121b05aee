"""Plan a horizon: every period's own LP (the registered families on that period's
arrays) side by side, tied by the linking families (``families.periods``), solved as one
LP/MILP by HiGHS, then rechecked without the solver, period by period and link by link.

``solve_horizon`` plans all periods together; ``solve_rolling`` plans N periods ahead,
keeps the first and moves on (N = 1: each month alone, stock carried over: the myopic
plan), and both report the same figures, so that the value of planning ahead is the
difference of two rechecked plans.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from mixopt.errors import RecheckError
from mixopt.model.backend import RawSolution, SolveOptions, Status
from mixopt.model.backend.highs import HighsSession
from mixopt.model.evaluate import Evaluation, evaluate
from mixopt.model.families.periods import LINKING, HorizonPlan, Window, stock_columns
from mixopt.model.formulation import build_lp
from mixopt.model.lp import LinearProgram, LPBuilder
from mixopt.model.pipeline import shadow_prices
from mixopt.model.schema.horizon import Horizon

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WindowLP:
    lp: LinearProgram
    window: Window
    parts: tuple[LinearProgram, ...]  # each period's own LP
    row0: tuple[int, ...]


def build_window(h: Horizon, start: int, stop: int, opening_t: dict[str, float] | None = None,
                 bought_before_t: dict[str, float] | None = None,
                 cap_t_co2e_per_t: float | None = None) -> WindowLP:
    """The LP of periods ``start:stop`` (columns and rows of each period keyed by period)."""
    sense = h.first.objective.minimise
    arrays = h.arrays[start:stop]
    parts = tuple(build_lp(d, sense, compressed=False) for d in arrays)
    b, col0, row0 = LPBuilder(), [], []
    for k, lp in enumerate(parts):
        row0.append(b.nrows)
        col0.append(b.add_lp(lp, (h.periods[start + k],)))
    stocks = {m: s.initial_t for m, s in h.stocked.items()} if opening_t is None else opening_t
    w = Window(h, start, stop, arrays, tuple(col0), stocks, bought_before_t or {},
               cap_t_co2e_per_t)
    stock_columns(b, w)
    for family in LINKING:
        family.define(b, w)
    c = np.zeros(b.ncols)
    for k, (d, lp) in enumerate(zip(arrays, parts, strict=True)):
        c[col0[k]:col0[k] + len(lp.c)] = lp.c
        if sense == "cost":  # a stored material's price is paid when bought, not charged
            P, M, _ = d.shape
            for name in w.stocked():
                m = d.materials.index(name)
                c[col0[k] + np.arange(P) * M + m] -= d.cost_per_t[m]
    if sense == "cost":
        _link_costs(b, w, c)
    lp = b.build(c, sum(p.offset for p in parts), parts[0].objective_unit)
    return WindowLP(lp, w, parts, tuple(row0))


def _link_costs(b: LPBuilder, w: Window, c: np.ndarray) -> None:
    h = w.horizon
    for block, price in (("buy", lambda s, k: s.cost[k]),
                         ("stock", lambda s, k: s.holding_cost[k])):
        blk = b.col_block(block)
        if blk is not None:
            for i, (period, m) in enumerate(blk.keys):
                c[blk.start + i] = price(h.stocked[m], h.periods.index(period))
    blk = b.col_block("shortfall")
    if blk is not None:
        for i, (m,) in enumerate(blk.keys):
            c[blk.start + i] = h.contract_price(m)


@dataclass(frozen=True)
class HorizonResult:
    """A plan over a window (the whole horizon, or a rolling plan's), rechecked."""

    horizon: Horizon
    status: Status
    message: str
    objective_value: float | None  # net cost, or t CO2e per t of slab
    objective_unit: str
    raw: RawSolution | None
    plan: HorizonPlan | None
    evaluations: tuple[Evaluation, ...] | None
    dual_records: tuple[dict[str, Any], ...] | None
    timings_s: dict[str, float]
    method: str = "joint"  # "joint", "myopic" or "rolling N"

    @property
    def periods(self) -> tuple[str, ...]:
        return self.horizon.periods


def _plan(wlp: WindowLP, x: np.ndarray) -> HorizonPlan:
    w = wlp.window
    mixes = [np.maximum(x[w.col0[k]:w.col0[k] + d.shape[0] * d.shape[1]].reshape(d.shape[:2]),
                        0.0) for k, d in enumerate(w.arrays)]
    stored: dict[str, np.ndarray] = {m: np.zeros(len(w.ks)) for m in w.stocked()}
    buy = wlp.lp.col_block("buy")
    if buy is not None:
        for i, (period, m) in enumerate(buy.keys):
            stored[m][w.horizon.periods.index(period) - w.start] = max(x[buy.start + i], 0.0)
    short = wlp.lp.col_block("shortfall")
    shortfall = ({m: float(x[short.start + i]) for i, (m,) in enumerate(short.keys)}
                 if short is not None else {})
    return plan_of(w, mixes, stored, shortfall)


def plan_of(w: Window, mixes: list[np.ndarray], stored_bought_t: dict[str, np.ndarray],
            shortfall_t: dict[str, float] | None = None) -> HorizonPlan:
    """A plan from each period's charge and the purchases of the stored materials (the
    others are bought when charged). Without ``shortfall_t``, a take-or-pay contract's
    shortfall is what the purchases leave under its minimum."""
    h = w.horizon
    used = {m.name: np.zeros(len(w.ks)) for m in h.first.materials}
    for k, (d, mix) in enumerate(zip(w.arrays, mixes, strict=True)):
        charged = mix.sum(axis=0)
        fed = np.zeros(len(charged))
        for i, o, a in d.feeds:
            fed[i] += a * charged[o]
        for m, name in enumerate(d.materials):
            used[name][k] = charged[m] + fed[m]
    bought = {m: stored_bought_t[m] if m in stored_bought_t else v.copy()
              for m, v in used.items()}
    if shortfall_t is None:
        shortfall_t = {m: max(0.0, c.min - w.bought_before_t.get(m, 0.0)
                              - float(bought[m].sum()))
                       for m, c in h.contracts.items() if c.take_or_pay and w.at_end}
    return HorizonPlan(w, tuple(mixes), bought, used, shortfall_t)


def whole(h: Horizon) -> Window:
    """The window of every period, from the initial stock."""
    return Window(h, 0, len(h.periods), h.arrays, (0,) * len(h.periods),
                  {m: s.initial_t for m, s in h.stocked.items()}, {})


def recheck(plan: HorizonPlan) -> tuple[tuple[Evaluation, ...], list]:
    """Every period's rules on its own figures, and every linking rule; no solver."""
    w = plan.window
    evs = tuple(evaluate(w.horizon.instances[w.start + k], plan.mix_t[k], w.arrays[k])
                for k in w.ks)
    bad = [dataclasses.replace(v, key=(w.period(k), *v.key)) for k, ev in enumerate(evs)
           for v in ev.violations]
    for family in LINKING:
        bad += list(family.check(plan))
    return evs, bad


def money(plan: HorizonPlan, evs: tuple[Evaluation, ...]) -> list[dict[str, float]]:
    """Per period: purchases (stored materials when bought, others when charged), holding,
    carbon, revenue; and the take-or-pay shortfall paid in the last period."""
    w, h = plan.window, plan.window.horizon
    out = []
    for k, ev in enumerate(evs):
        d, kk = ev.arrays, w.start + k
        stored = np.array([name in h.stocked for name in d.materials])
        buys = sum(h.stocked[m].cost[kk] * plan.bought_t[m][k] for m in h.stocked)
        purchases = float(ev.mix_t[:, ~stored].sum(axis=0) @ d.cost_per_t[~stored] + buys)
        holding = sum(h.stocked[m].holding_cost[kk] * plan.closing_t(m)[k] for m in h.stocked)
        out.append({"purchases": purchases, "holding": float(holding),
                    "carbon": float(ev.carbon_cost.sum()), "revenue": float(ev.revenue.sum()),
                    "take_or_pay": 0.0})
    if out and w.at_end:
        out[-1]["take_or_pay"] = float(sum(h.contract_price(m) * t
                                           for m, t in plan.shortfall_t.items()))
    return out


def objective_of(h: Horizon, plan: HorizonPlan, evs: tuple[Evaluation, ...]) -> float:
    """The reported objective, recomputed from the rechecked plan."""
    if h.first.objective.minimise == "footprint":
        return float(sum(ev.footprint_t.sum() for ev in evs)
                     / sum(ev.slab_t.sum() for ev in evs))
    return float(sum(r["purchases"] + r["holding"] + r["carbon"] + r["take_or_pay"]
                     - r["revenue"] for r in money(plan, evs)))


def unit_of(h: Horizon) -> str:
    return "t CO2e/t slab" if h.first.objective.minimise == "footprint" else h.first.currency


def _duals(wlp: WindowLP, raw: RawSolution, evs: tuple[Evaluation, ...]) -> list[dict]:
    """Each period's shadow prices (its own LP's rows, in their limits' units), and what
    one more t bought of a stored material in a period is worth."""
    w, out = wlp.window, []
    for k, (lp, ev) in enumerate(zip(wlp.parts, evs, strict=True)):
        ncol, nrow = lp.A.shape[1], lp.A.shape[0]
        part = dataclasses.replace(
            raw, x=raw.x[w.col0[k]:w.col0[k] + ncol],
            row_dual=raw.row_dual[wlp.row0[k]:wlp.row0[k] + nrow])
        out += [{"period": w.period(k), **r} for r in shadow_prices(lp, ev, part) or ()]
    buy = wlp.lp.col_block("buy")
    if buy is not None and raw.col_dual is not None:
        for i, (period, m) in enumerate(buy.keys):
            j = buy.start + i
            lo, hi = wlp.lp.col_lo[j], wlp.lp.col_hi[j]
            side = ("max" if np.isfinite(hi) and raw.x[j] >= hi - 1e-9 * max(1.0, hi) else
                    "min" if lo > 0 and raw.x[j] <= lo + 1e-9 * max(1.0, lo) else None)
            out.append({"period": period, "family": "supply", "material": m,
                        "limit": f"{m}: t bought in {period}", "binding": side,
                        "shadow_price": float(raw.col_dual[j]) if side else 0.0, "per": "t"})
    return out


def solve_horizon(h: Horizon, options: SolveOptions | None = None, sensitivity: bool = True,
                  start: int = 0, stop: int | None = None,
                  opening_t: dict[str, float] | None = None,
                  bought_before_t: dict[str, float] | None = None,
                  cap_t_co2e_per_t: float | None = None) -> HorizonResult:
    """Plan periods ``start:stop`` together (all of them by default) and recheck;
    ``cap_t_co2e_per_t``: a footprint cap over the whole window (the frontier's)."""
    t0 = time.perf_counter()
    stop = len(h.periods) if stop is None else stop
    wlp = build_window(h, start, stop, opening_t, bought_before_t, cap_t_co2e_per_t)
    t1 = time.perf_counter()
    session = HighsSession(wlp.lp, options)
    raw = session.solve(sensitivity, None)
    t2 = time.perf_counter()
    plan = evs = duals = value = None
    if raw.status.has_solution and raw.x is not None:
        plan = _plan(wlp, raw.x)
        evs, bad = recheck(plan)
        if bad:
            raise RecheckError(tuple(bad))
        value = objective_of(h, plan, evs)
        if raw.row_dual is not None:
            duals = tuple(_duals(wlp, raw, evs))
    t3 = time.perf_counter()
    log.info("%s periods %s..%s: %s, objective %s", h.name, h.periods[start],
             h.periods[stop - 1], raw.status, value)
    return HorizonResult(h, raw.status, raw.message, value, unit_of(h), raw, plan, evs,
                         duals, {"formulate": t1 - t0, "build": session.build_s,
                                 "highs": raw.solve_time_s, "recheck": t3 - t2,
                                 "total": t3 - t0})


def solve_rolling(h: Horizon, lookahead: int, options: SolveOptions | None = None) -> \
        HorizonResult:
    """Re-plan every period with ``lookahead`` periods in view, keep the first period's
    decisions (purchases and charges), carry the stock and the contracts' tonnes over,
    and move on; the kept decisions are one plan over the horizon, rechecked as a whole.
    ``lookahead`` 1 is the myopic plan (each month alone)."""
    t0 = time.perf_counter()
    T = len(h.periods)
    opening = {m: s.initial_t for m, s in h.stocked.items()}
    before: dict[str, float] = {}
    mixes: list[np.ndarray] = []
    bought: dict[str, list[float]] = {m.name: [] for m in h.first.materials}
    short: dict[str, float] = {}
    method = "myopic" if lookahead == 1 else f"rolling {lookahead}"
    for k in range(T):
        r = solve_horizon(h, options, False, k, min(k + lookahead, T), opening, before)
        if r.plan is None:
            return HorizonResult(h, r.status, f"{method}: period {h.periods[k]}: {r.message}",
                                 None, unit_of(h), r.raw, None, None, None,
                                 {"total": time.perf_counter() - t0}, method)
        mixes.append(r.plan.mix_t[0])
        for m, kept in bought.items():
            kept.append(float(r.plan.bought_t[m][0]))
        for m in h.stocked:
            opening[m] = float(r.plan.closing_t(m)[0])
        for m in h.contracts:
            before[m] = before.get(m, 0.0) + bought[m][-1]
        if k == T - 1:
            short = dict(r.plan.shortfall_t)
    plan = plan_of(whole(h), mixes, {m: np.array(bought[m]) for m in h.stocked}, short)
    evs, bad = recheck(plan)
    if bad:
        raise RecheckError(tuple(bad))
    return HorizonResult(h, Status.OPTIMAL, f"{method} plan: each period optimal for what "
                         "it could see", objective_of(h, plan, evs), unit_of(h), None, plan,
                         evs, None, {"total": time.perf_counter() - t0}, method)
