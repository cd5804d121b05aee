"""The charge-mix formulation: the registered constraint families, assembled into one LP.

``build_lp`` turns an ``InstanceArrays`` into a ``LinearProgram`` whose row and column
blocks are labelled in instance terms. What each family's rows are is defined in its
module (``mixopt.model.families``); ``models/formulation.md`` is generated from those
definitions.

Row scaling: every per-product row is divided by the product's tonnes T_p (the
instance cap by the month's tonnes), so each row is written in the unit of its
limit — wt%, t CO2e per t of slab, share — and right-hand sides stay within HiGHS's
comfortable range from 0.5 t melts to 100,000 t months. A row dual is then directly
"per unit of the limit".

Variables
    x[p, m] >= 0   t of material m charged to product p           (block "charge")
    plus the columns families declare (``lots``, ``ordered`` for purchase rules).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mixopt.model.arrays import InstanceArrays
from mixopt.model.families import FAMILIES, LINKING
from mixopt.model.families.charges import charged_mask, pairs
from mixopt.model.lp import INF, LinearProgram, LPBuilder, Pairs
from mixopt.model.plan import HorizonPlan, Window, plan_of
from mixopt.model.schema.horizon import Horizon


def define_objective(d: InstanceArrays, sense: str) -> tuple[np.ndarray, float, str]:
    """The cost of each charge column, the offset and the unit.
    Footprint: min sum f_m x[p,m] (+ f_cast sum T_p), in t CO2e.
    Cost: min sum (k_m + pi f_m) x[p,m] (+ pi f_cast sum T_p) - sum_p v_p sum_m y_m x[p,m],
    in currency: purchases and carbon less the revenue of sold products (v_p per t of
    slab; a sold product's casting footprint follows its slab, sum_m y_m x[p,m]).
    Families' own columns carry their own costs (stored purchases, holding, take-or-pay).
    """
    ordered = ~d.sold
    cast_t = d.casting_t_co2e_per_t * d.slab_tonnes[ordered].sum()
    per_slab = np.where(d.sold, d.casting_t_co2e_per_t, 0.0)[:, None] * d.yield_t_per_t
    if sense == "footprint":
        return (d.footprint_t_co2e_per_t[None, :] + per_slab).ravel(), cast_t, "t CO2e"
    price = d.carbon_price_per_t_co2e
    return ((d.cost_per_t + price * d.footprint_t_co2e_per_t
             + price * per_slab - d.price_per_t[:, None] * d.yield_t_per_t).ravel(),
            price * cast_t, "currency")


def build_lp(d: InstanceArrays, sense: str, every_row: bool = False,
             compressed: bool = True) -> LinearProgram:
    """Assemble every registered family into one ``LinearProgram``.

    ``every_row`` keeps a supply row for every material and a cap row for every product
    and for the instance, unbounded where the instance sets no limit. The LP is the same;
    its structure then no longer depends on which limits are set, so a sweep over caps
    or supplies changes only bounds of one persistent LP (``HighsSession.update``).
    """
    b = LPBuilder(every_row=every_row)
    cost, offset, unit = define_objective(d, sense)
    b.add_columns("charge", Pairs(d.products, d.materials), 0.0, INF, cost=cost)
    for family in FAMILIES:
        if family.columns is not None:
            family.columns(b, d)
    for family in FAMILIES:
        family.define(b, d)
    return b.build(offset, unit, compressed)


@dataclass(frozen=True)
class WindowLP:
    """The LP of a window of periods: each period's own LP (the families above, on that
    period's arrays; its blocks carry the period) and the rows that link them
    (``families.periods.LINKING``). ``charge[k]``: the charge columns of period k;
    ``buy``: the column of each stored material (rows) and period (columns);
    ``shortfall``: the column of each take-or-pay contract."""

    lp: LinearProgram
    window: Window
    charge: tuple[range, ...]
    buy: np.ndarray  # (S, K) column indices, S stored materials in the window's order
    shortfall: dict[str, int]


def build_window(h: Horizon, start: int = 0, stop: int | None = None,
                 opening_t: dict[str, float] | None = None,
                 bought_before_t: dict[str, float] | None = None,
                 cap_t_co2e_per_t: float | None = None, every_row: bool = False) -> WindowLP:
    """The LP of periods ``start:stop`` of ``h`` (all by default; a month is its one
    period), from ``opening_t`` stock (the initial stock by default), with
    ``bought_before_t`` bought under the contracts already, and, from a frontier, a cap on
    the footprint over the window (t CO2e per t of slab)."""
    stop = len(h.periods) if stop is None else stop
    sense = h.objective.minimise
    arrays = h.arrays[start:stop]
    b, col0, charge, offset, unit = LPBuilder(every_row=every_row), [], [], 0.0, ""
    for k, d in enumerate(arrays):
        part = build_lp(d, sense, every_row=every_row, compressed=False)
        offset, unit = offset + part.offset, part.objective_unit
        col0.append(b.add_lp(part, k, h.periods[start + k] if h.has_periods else ""))
        charge.append(range(col0[-1], col0[-1] + d.shape[0] * d.shape[1]))
    opening = ({m: s.initial_t for m, s in h.stocked.items()} if opening_t is None
               else opening_t)
    w = Window(h, start, stop, arrays, tuple(col0), opening, bought_before_t or {},
               cap_t_co2e_per_t)
    for family in LINKING:
        if family.columns is not None:
            family.columns(b, w)
    for family in LINKING:
        family.define(b, w)
    lp = b.build(offset, unit)
    buy_block, short = lp.col_block("buy"), lp.col_block("shortfall")
    K = len(arrays)
    buy = (buy_block.start + np.arange(len(w.stocked()) * K).reshape(-1, K)
           if buy_block is not None else np.zeros((0, K), dtype=int))
    shortfall = ({m: short.start + i for i, (m,) in enumerate(short.keys)}
                 if short is not None else {})
    return WindowLP(lp, w, tuple(charge), buy, shortfall)


def plan_from_columns(wlp: WindowLP, x: np.ndarray) -> HorizonPlan:
    """The plan a column vector of the window's LP holds (charges clipped at 0)."""
    w = wlp.window
    mixes = [np.maximum(x[r.start:r.stop].reshape(d.shape[:2]), 0.0)
             for r, d in zip(wlp.charge, w.arrays, strict=True)]
    stored = {m: np.maximum(x[wlp.buy[j]], 0.0) for j, m in enumerate(w.stocked())}
    shortfall = {m: float(x[j]) for m, j in wlp.shortfall.items()}
    return plan_of(w, mixes, stored, shortfall)


def columns_from_plan(wlp: WindowLP, plan: HorizonPlan) -> np.ndarray:
    """The full column vector of a plan (lot counts, order decisions, spreads, stock and
    shortfall derived from it): to hand a plan to the solver as a start, or to measure
    the LP's rows at it."""
    w, lp = wlp.window, wlp.lp
    x = np.zeros(lp.A.shape[1])
    for k, (r, d) in enumerate(zip(wlp.charge, w.arrays, strict=True)):
        use = plan.mix_t[k].sum(axis=0)
        x[r.start:r.stop] = plan.mix_t[k].ravel()
        for name, rule, size, value in (("lots", "lot", d.lot_t, np.round(use / d.lot_t)),
                                        ("ordered", "min_order", d.min_order_t,
                                         (use > 0).astype(float))):
            blk = next((b for b in lp.cols if b.name == name and b.part == k), None)
            if blk is not None:
                x[blk.start:blk.stop] = value[np.isfinite(size)]
        blk = next((b for b in lp.cols if b.name == "charged" and b.part == k), None)
        if blk is not None:  # which materials each product is charged (charges.pairs order)
            pm = pairs(d)
            x[blk.start:blk.stop] = charged_mask(plan.mix_t[k])[pm[:, 0], pm[:, 1]]
    for j, m in enumerate(w.stocked()):
        x[wlp.buy[j]] = plan.bought(m)
        stock = lp.col_block("stock")
        x[stock.start + j * len(w.ks) + np.arange(len(w.ks))] = plan.closing(m)
    h = w.horizon
    for name, size in (("stock_lots", lambda s, k: s.lot(k)),
                       ("stock_ordered", lambda s, k: s.min_order(k))):
        blk = lp.col_block(name)
        for i, (period, m) in enumerate(blk.keys if blk is not None else ()):
            k = h.periods.index(period)
            t = float(plan.bought(m)[k - w.start])
            x[blk.start + i] = round(t / size(h.stocked[m], k)) if name == "stock_lots" \
                else float(t > 0)
    for m, j in wlp.shortfall.items():
        x[j] = plan.shortfall_t.get(m, 0.0)
    if lp.cones is not None:  # each spread column at the plan's spread
        S2 = lp.cones.S.multiply(lp.cones.S)
        x[lp.cones.r_col] = np.sqrt(S2 @ (x * x))
    return x
