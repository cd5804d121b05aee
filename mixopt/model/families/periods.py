"""The constraint families that link periods: stock balances, stored purchases, and
contracts over the horizon (``mixopt.model.schema.horizon``).

Every period's own rows (chemistry, supply, capacities, ...) are written by the
families of ``FAMILIES`` on that period's arrays; the rows here tie the periods of a
``Window`` (the whole horizon, or a rolling plan's look-ahead) together. Each family
has its rows (``define``), its solver-free recheck on a ``HorizonPlan`` (``check``) and
its words; ``models/formulation.md`` is generated from ``LINKING``.

Columns (per stocked material m and period k): ``buy`` b_mk (t bought), ``stock`` s_mk
(t in stock at the end of k), ``stock_lots`` n_mk (whole lots), ``stock_ordered`` z_mk;
per take-or-pay contract a ``shortfall`` u_m (t paid for, not taken).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from mixopt.model.arrays import InstanceArrays
from mixopt.model.families.shared import kept, use_terms, violation
from mixopt.model.figures import Violation, tolerance
from mixopt.model.lp import INF, LPBuilder
from mixopt.model.schema.horizon import Horizon


@dataclass(frozen=True)
class Window:
    """Periods ``start:stop`` of a horizon planned together, from a given opening stock,
    with ``bought_before`` t already bought under each contract (a rolling plan); the
    final stock and contract minimums hold only when the window reaches the end."""

    horizon: Horizon
    start: int
    stop: int
    arrays: tuple[InstanceArrays, ...]  # per period of the window
    col0: tuple[int, ...]  # first column of each period's own block of the joint LP
    opening_t: dict[str, float]  # stock at the start of the window
    bought_before_t: dict[str, float]
    #: a cap on the footprint over the whole window, t CO2e per t of slab (the frontier's)
    cap_t_co2e_per_t: float | None = None

    @property
    def ks(self) -> range:
        return range(self.stop - self.start)

    @property
    def at_end(self) -> bool:
        return self.stop == len(self.horizon.periods)

    def period(self, k: int) -> str:
        return self.horizon.periods[self.start + k]

    def stocked(self) -> list[str]:
        return [m.name for m in self.horizon.first.materials if m.name in self.horizon.stocked]

    def use_terms(self, k: int, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(cols, vals) of the t of ``name`` charged (and fed to processes) in period k."""
        d = self.arrays[k]
        _, cols, vals = use_terms(d, np.array([d.materials.index(name)]))
        return cols + self.col0[k], vals


@dataclass(frozen=True)
class HorizonPlan:
    """A plan over a window, in instance terms: every figure the linking rules read."""

    window: Window
    mix_t: tuple[np.ndarray, ...]  # (P, M) per period
    bought_t: dict[str, np.ndarray]  # per material: t bought per period
    used_t: dict[str, np.ndarray]  # per material: t charged (and fed) per period
    shortfall_t: dict[str, float]  # take-or-pay tonnes paid for, not taken

    def closing_t(self, name: str) -> np.ndarray:
        """Stock at the end of each period, from the opening stock, purchases and use."""
        opening = self.window.opening_t.get(name, 0.0)
        return opening + np.cumsum(self.bought_t[name] - self.used_t[name])


@dataclass(frozen=True)
class LinkFamily:
    name: str
    label: str
    title: str
    math: str
    domain: str
    fields: str
    define: Callable[[LPBuilder, Window], None]
    check: Callable[[HorizonPlan], Iterable[Violation]]


def stock_columns(b: LPBuilder, w: Window) -> None:
    """b_mk in [a⁻_mk, a⁺_mk] and s_mk in [0, S⁺_mk] (the last at least S^final)."""
    names = w.stocked()
    if not names:
        return
    h, ks = w.horizon, list(w.ks)
    keys = [(w.period(k), m) for m in names for k in ks]
    st = [h.stocked[m] for m in names]
    b.add_columns("buy", keys,
                  np.array([s.buy_min_t[w.start + k] for s in st for k in ks]),
                  np.array([s.buy_max_t[w.start + k] for s in st for k in ks]))
    hi = np.array([s.max_t[w.start + k] for s in st for k in ks])
    lo = np.zeros(len(keys))
    if w.at_end:
        for i, s in enumerate(st):
            lo[i * len(ks) + ks[-1]] = s.final_t or 0.0
    b.add_columns("stock", keys, lo, hi)
    lots = [(i, m) for i, m in enumerate(names) if h.stocked[m].lot_t is not None]
    b.add_columns("stock_lots", [(w.period(k), m) for _, m in lots for k in ks], 0.0, INF,
                  integer=True)
    orders = [(i, m) for i, m in enumerate(names) if h.stocked[m].min_order_t is not None]
    b.add_columns("stock_ordered", [(w.period(k), m) for _, m in orders for k in ks], 0.0,
                  1.0, integer=True)
    take = [m for m, c in sorted(h.contracts.items()) if c.take_or_pay and w.at_end]
    b.add_columns("shortfall", [(m,) for m in take], 0.0, INF)


def _col(b: LPBuilder, w: Window, block: str, m: str, k: int) -> int:
    """The column of stored material ``m`` in period k of the ``buy`` or ``stock`` block
    (materials outer, periods inner)."""
    return b.col_block(block).start + w.stocked().index(m) * len(w.ks) + k


def define_stock_balance(b: LPBuilder, w: Window) -> None:
    """(SB) s_m,k-1 + b_mk - (charged and fed t of m in k) - s_mk = 0, s_m,-1 the opening
    stock."""
    names = w.stocked()
    if not names:
        return
    K, S = len(w.ks), len(names)
    buy, stock = b.col_block("buy").start, b.col_block("stock").start
    own = np.arange(S * K)  # row j*K + k: material j, period k
    rows = [own, own, own[own % K > 0]]
    cols = [buy + own, stock + own, stock + own[own % K > 0] - 1]
    vals = [np.ones(S * K), -np.ones(S * K), np.ones(len(rows[2]))]
    for k, d in enumerate(w.arrays):
        r, c, v = use_terms(d, np.array([d.materials.index(m) for m in names]))
        rows.append(r * K + k)
        cols.append(c + w.col0[k])
        vals.append(-v)
    rhs = np.zeros(S * K)
    rhs[::K] = [-w.opening_t.get(m, 0.0) for m in names]
    b.add_rows("stock_balance", [(w.period(k), m) for m in names for k in w.ks],
               np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), rhs, rhs)


def define_stock_purchases(b: LPBuilder, w: Window) -> None:
    """(SL) b_mk - L_m n_mk = 0; (SO) b_mk - O_m z_mk >= 0 and b_mk - a⁺_mk z_mk <= 0."""
    h = w.horizon
    for block, rule in (("stock_lots", "stock_lot"), ("stock_ordered", "stock_min_order")):
        cb = b.col_block(block)
        if cb is None:
            continue
        rows, cols, vals, lo, hi, keys = [], [], [], [], [], []
        for i, key in enumerate(cb.keys):
            s = h.stocked[key[1]]
            size = s.lot_t if block == "stock_lots" else s.min_order_t
            sides = [(size, 0.0, 0.0)] if block == "stock_lots" else [
                (size, 0.0, INF), (s.buy_max_t[h.periods.index(key[0])], -INF, 0.0)]
            for coef, a, z in sides:
                rows += [len(keys)] * 2
                cols += [_col(b, w, "buy", key[1], h.periods.index(key[0]) - w.start),
                         cb.start + i]
                vals += [1.0, -coef]
                lo.append(a)
                hi.append(z)
                keys.append(key)
        b.add_rows(rule, keys, np.array(rows), np.array(cols), np.array(vals), np.array(lo),
                   np.array(hi))


def _bought_terms(b: LPBuilder, w: Window, m: str) -> tuple[list[int], list[float]]:
    if m in w.horizon.stocked:
        return [_col(b, w, "buy", m, k) for k in w.ks], [1.0] * len(w.ks)
    cols, vals = [], []
    for k in w.ks:
        c, v = w.use_terms(k, m)
        cols += c.tolist()
        vals += v.tolist()
    return cols, vals


def define_contract(b: LPBuilder, w: Window) -> None:
    """(CT) c⁻_m <= sum_k (t of m bought in k) (+ u_m under take-or-pay) <= c⁺_m; the
    minimum holds when the window reaches the horizon's end."""
    rows, cols, vals, lo, hi, keys = [], [], [], [], [], []
    for m, c in sorted(w.horizon.contracts.items()):
        cs, vs = _bought_terms(b, w, m)
        if c.take_or_pay and w.at_end:
            short = b.col_block("shortfall")
            cs.append(short.start + short.keys.index((m,)))
            vs.append(1.0)
        before = w.bought_before_t.get(m, 0.0)
        rows += [len(keys)] * len(cs)
        cols += cs
        vals += vs
        lo.append(c.min - before if w.at_end else -INF)
        hi.append(INF if c.max is None else c.max - before)
        keys.append((m,))
    b.add_rows("contract", keys, np.array(rows, dtype=int), np.array(cols, dtype=int),
               np.array(vals), np.array(lo), np.array(hi))


def define_horizon_cap(b: LPBuilder, w: Window) -> None:
    """(HC) sum_k sum_p sum_m f_m x^k_pm / sum_k T_k <= F - f^cast over the window (every
    product ordered: the frontier refuses sold products)."""
    F = w.cap_t_co2e_per_t
    if F is None:
        return
    total = sum(float(d.slab_tonnes.sum()) for d in w.arrays)
    cols, vals = [], []
    for k, d in enumerate(w.arrays):
        P, M, _ = d.shape
        cols.append(w.col0[k] + np.arange(P * M))
        vals.append(np.tile(d.footprint_t_co2e_per_t, P) / total)
    c = np.concatenate(cols)
    b.add_rows("horizon_footprint_cap", [()], np.zeros(len(c), dtype=int), c,
               np.concatenate(vals), np.array([-INF]),
               np.array([F - w.arrays[0].casting_t_co2e_per_t]))


def check_horizon_cap(plan: HorizonPlan) -> list[Violation]:
    F = plan.window.cap_t_co2e_per_t
    if F is None:
        return []
    fp = sum(float(np.sum(mix @ d.footprint_t_co2e_per_t) + d.casting_t_co2e_per_t
                   * d.slab_tonnes.sum()) for mix, d in zip(plan.mix_t, plan.window.arrays,
                                                            strict=True))
    per_t = fp / sum(float(d.slab_tonnes.sum()) for d in plan.window.arrays)
    return kept([violation("horizon_footprint_cap", "max", (), per_t - F, F, "t CO2e/t",
                           f"footprint {per_t:.6g} t CO2e/t over the horizon, above the cap "
                           f"{F:g}")])


def check_stock(plan: HorizonPlan) -> list[Violation]:
    w, out = plan.window, []
    for m in w.stocked():
        s = w.horizon.stocked[m]
        closing = plan.closing_t(m)
        for k in w.ks:
            key, kk = (w.period(k), m), w.start + k
            got, cap = closing[k], s.max_t[kk]
            out.append(violation("stock_balance", "min", key, -got, 0.0, "t",
                                 f"stock {got:,.6g} t: more charged than bought and stored"))
            out.append(violation("stock_balance", "max", key, got - cap, cap, "t",
                                 f"stock {got:,.6g} t above the storage max {cap:,.6g} t"))
            bought = plan.bought_t[m][k]
            out.append(violation("stock_balance", "min", key, s.buy_min_t[kk] - bought,
                                 s.buy_min_t[kk], "t", f"buys {bought:,.6g} t, at least "
                                 f"{s.buy_min_t[kk]:,.6g} t required"))
            out.append(violation("stock_balance", "max", key, bought - s.buy_max_t[kk],
                                 s.buy_max_t[kk], "t", f"buys {bought:,.6g} t, only "
                                 f"{s.buy_max_t[kk]:,.6g} t available"))
        if w.at_end and s.final_t is not None:
            got = closing[-1]
            out.append(violation("stock_balance", "min", (w.period(len(w.ks) - 1), m),
                                 s.final_t - got, s.final_t, "t",
                                 f"final stock {got:,.6g} t under the {s.final_t:,.6g} t "
                                 "required"))
    return kept(out)


def check_purchases(plan: HorizonPlan) -> list[Violation]:
    """Stored purchases in whole lots, and none under a minimum order."""
    w, out = plan.window, []
    for m in w.stocked():
        s = w.horizon.stocked[m]
        for k in w.ks:
            key, bought = (w.period(k), m), float(plan.bought_t[m][k])
            if s.lot_t is not None:
                n = round(bought / s.lot_t)
                out.append(violation("stock_lot", "equal", key, abs(bought - n * s.lot_t),
                                     bought, "t", f"buys {bought:,.6g} t, not whole lots of "
                                     f"{s.lot_t:g} t"))
            if s.min_order_t is not None and bought > tolerance(0.0):
                out.append(violation("stock_min_order", "min", key, s.min_order_t - bought,
                                     s.min_order_t, "t", f"buys {bought:,.6g} t, under the "
                                     f"minimum order of {s.min_order_t:g} t"))
    return kept(out)


def check_contract(plan: HorizonPlan) -> list[Violation]:
    w, out = plan.window, []
    for m, c in sorted(w.horizon.contracts.items()):
        total = w.bought_before_t.get(m, 0.0) + float(plan.bought_t[m].sum())
        if c.max is not None:
            out.append(violation("contract", "max", (m,), total - c.max, c.max, "t",
                                 f"buys {total:,.6g} t over the horizon, the contract allows "
                                 f"{c.max:,.6g} t"))
        if w.at_end:
            paid = total + plan.shortfall_t.get(m, 0.0)
            out.append(violation("contract", "min", (m,), c.min - paid, c.min, "t",
                                 f"takes {total:,.6g} t (and pays for "
                                 f"{plan.shortfall_t.get(m, 0.0):,.6g} t more), the contract "
                                 f"requires {c.min:,.6g} t"))
    return kept(out)


def words(family: str, key: tuple, side: str) -> str:
    """A linking limit in a planner's words."""
    if family == "contract":
        return f"contract for {key[0]}: {side} over the horizon"
    if family == "stock_balance":
        return (f"{key[1]} in {key[0]}: stock balance (what is charged comes from stock "
                "or purchases)")
    return f"{key[1]} in {key[0]}: {family.replace('_', ' ')}"


LINKING: tuple[LinkFamily, ...] = (
    LinkFamily("stock_balance", "SB", "stock balance",
               "s_m,k−1 + b_mk − Σ_p x^k_pm − Σ_o c_mo Σ_p x^k_po − s_mk = 0, "
               "a⁻_mk ≤ b_mk ≤ a⁺_mk, 0 ≤ s_mk ≤ S⁺_mk, s_m,K ≥ S^final_m",
               "m with stock, k ∈ periods", "`materials.stock`, `materials.available`",
               define_stock_balance, check_stock),
    LinkFamily("stock_purchases", "SL", "whole lots and minimum orders of stored purchases",
               "b_mk = L_m n_mk; O_m z_mk ≤ b_mk ≤ a⁺_mk z_mk",
               "m with stock and a lot or a minimum order, k ∈ periods",
               "`materials.lot`, `materials.min_order`", define_stock_purchases,
               check_purchases),
    LinkFamily("contract", "CT", "contract over the horizon",
               "c⁻_m ≤ Σ_k (t of m bought in k) + u_m ≤ c⁺_m (u_m only under take-or-pay, "
               "paid at the contract price)", "m with a contract",
               "`materials.contract`", define_contract, check_contract),
    LinkFamily("horizon_footprint_cap", "HC", "footprint cap over the horizon",
               "Σ_k Σ_p Σ_m f_m x^k_pm / Σ_k Σ_p T_pk ≤ F − f^cast",
               "when a frontier sets F (`mixopt pareto` on a multi-period instance)",
               "`casting.footprint`, `materials.footprint`, `objective.scope`",
               define_horizon_cap, check_horizon_cap),
)
