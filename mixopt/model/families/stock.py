"""(SB), (SP), (ST), (SL), (SO) Stored materials: stock balance, purchases, storage, and
whole lots and minimum orders of what is bought.

A material with ``stock`` is bought into stock and charged out of it. Its columns (per
period k of the window): ``buy`` b_mk (t bought, at the period's price), ``stock`` s_mk
(t in stock at the end of k, paying the holding cost), ``stock_lots`` n_mk (whole lots)
and ``stock_ordered`` z_mk; its charge costs nothing when charged (it was paid when
bought). What the purchases and the stock may be are rows (so that each has its shadow
price, its words and a relaxation in diagnose), keyed (period, material).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mixopt.model.families.base import Dual, Elastic, Family, Relaxation
from mixopt.model.families.shared import kept, return_terms, round_out, use_terms, violation
from mixopt.model.figures import Violation, tolerance
from mixopt.model.lp import INF, Block, LinearProgram, LPBuilder, charge_col
from mixopt.model.plan import HorizonPlan, Window
from mixopt.model.schema.horizon import Horizon, Stocked


def stock_columns(b: LPBuilder, w: Window) -> None:
    """b_mk >= 0 and s_mk >= 0 (materials outer, periods inner). Minimising cost, b_mk
    costs the period's price, s_mk the holding cost, and the charge of a stored material
    nothing (it was paid when bought)."""
    names = w.stocked()
    if not names:
        return
    h, ks = w.horizon, list(w.ks)
    keys = [(w.period(k), m) for m in names for k in ks]
    cost = h.objective.minimise == "cost"
    st = [h.stocked[m] for m in names]
    price = [s.cost[w.start + k] if cost else 0.0 for s in st for k in ks]
    hold = [s.holding_cost[w.start + k] if cost else 0.0 for s in st for k in ks]
    b.add_columns("buy", keys, 0.0, INF, cost=np.array(price))
    b.add_columns("stock", keys, 0.0, INF, cost=np.array(hold))
    if cost:
        for k, d in enumerate(w.arrays):
            P, M, _ = d.shape
            for name in names:
                m = d.materials.index(name)
                b.add_cost(w.col0[k] + charge_col(M, np.arange(P), m),
                           np.full(P, -d.cost_per_t[m]))


def col(b: LPBuilder | LinearProgram, w: Window, block: str, name: str, k: int) -> int:
    """The column of stored material ``name`` in period k of block ``buy`` or ``stock``."""
    return b.col_block(block).start + w.stocked().index(name) * len(w.ks) + k


def define_stock_balance(b: LPBuilder, w: Window) -> None:
    """(SB) s_m,k-1 + b_mk + (t of m returned as home scrap in k) - (charged and fed t of
    m in k) - s_mk = 0, s_m,-1 the opening stock."""
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
        ms = np.array([d.materials.index(m) for m in names])
        r, c, v = use_terms(d, ms)
        rows.append(r * K + k)
        cols.append(c + w.col0[k])
        vals.append(-v)
        r, c, v = return_terms(d, ms)  # home scrap joins the stock at the period's end
        rows.append(r * K + k)
        cols.append(c + w.col0[k])
        vals.append(v)
    rhs = np.zeros(S * K)
    rhs[::K] = [-w.opening_t.get(m, 0.0) for m in names]
    b.add_rows("stock_balance", [(w.period(k), m) for m in names for k in w.ks],
               np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), rhs, rhs)


def check_stock_balance(plan: HorizonPlan) -> list[Violation]:
    """Never more charged than was in stock and bought (the balance itself is how the
    plan's stock is computed)."""
    w, out = plan.window, []
    for m in w.stocked():
        closing = plan.closing(m)
        out += [violation("stock_balance", "min", (w.period(k), m), -closing[k], 0.0, "t",
                          f"stock {closing[k]:,.6g} t: more charged than bought and stored")
                for k in w.ks]
    return kept(out)


def words_balance(key: tuple, side: str, w: Window) -> str:
    return f"{key[1]} in {key[0]}: what is charged comes from stock or purchases"


def _one_row_each(b: LPBuilder, name: str, block: str, w: Window, keys: list[tuple],
                  lo: np.ndarray, hi: np.ndarray) -> None:
    """One row per (period, material) key: lo <= the key's ``block`` column <= hi."""
    if not keys:
        return
    cols = [col(b, w, block, m, w.horizon.periods.index(p) - w.start) for p, m in keys]
    b.add_rows(name, keys, np.arange(len(keys)), np.array(cols), np.ones(len(keys)),
               np.asarray(lo, dtype=float), np.asarray(hi, dtype=float))


def define_purchase(b: LPBuilder, w: Window) -> None:
    """(SP) a⁻_mk <= b_mk <= a⁺_mk: what is on offer of a stored material in a period."""
    h, keys, lo, hi = w.horizon, [], [], []
    for m in w.stocked():
        s = h.stocked[m]
        for k in w.ks:
            a, z = s.buy_min_t[w.start + k], s.buy_max_t[w.start + k]
            if a > 0 or np.isfinite(z) or b.every_row:
                keys.append((w.period(k), m))
                lo.append(a)
                hi.append(z)
    _one_row_each(b, "purchase", "buy", w, keys, np.array(lo), np.array(hi))


def check_purchase(plan: HorizonPlan) -> list[Violation]:
    w, out = plan.window, []
    for m in w.stocked():
        s = w.horizon.stocked[m]
        bought = plan.bought(m)
        for k in w.ks:
            key, kk, t = (w.period(k), m), w.start + k, float(bought[k])
            lo, hi = s.buy_min_t[kk], s.buy_max_t[kk]
            out.append(violation("purchase", "min", key, lo - t, lo, "t",
                                 f"buys {t:,.6g} t, at least {lo:,.6g} t required"))
            if np.isfinite(hi):
                out.append(violation("purchase", "max", key, t - hi, hi, "t",
                                     f"buys {t:,.6g} t, only {hi:,.6g} t available"))
    return kept(out)


def _stocked(w: Window, key: tuple) -> tuple[int, object]:
    return w.horizon.periods.index(key[0]), w.horizon.stocked[key[1]]


def words_purchase(key: tuple, side: str, w: Window) -> str:
    k, s = _stocked(w, key)
    if side == "max":
        return f"{key[1]} in {key[0]}: at most {s.buy_max_t[k]:,.6g} t can be bought"
    return f"{key[1]} in {key[0]}: at least {s.buy_min_t[k]:,.6g} t must be bought"


def reached_purchase(key: tuple, side: str, w: Window) -> str:
    return f"{key[1]} in {key[0]}: " + ("all on offer bought" if side == "max"
                                         else "the least purchase")


def _refs(lp: LinearProgram, blk: Block, w: Window) -> tuple[np.ndarray, np.ndarray]:
    """100% of a limit in t: its size, at least 1 t."""
    lo, hi = lp.row_lo[blk.start:blk.stop], lp.row_hi[blk.start:blk.stop]
    return (np.maximum(np.where(np.isfinite(lo), np.abs(lo), 0.0), 1.0),
            np.maximum(np.where(np.isfinite(hi), np.abs(hi), 0.0), 1.0))


def relax_purchase(v: Violation, plan: HorizonPlan, h: Horizon) -> Relaxation:
    period, m = v.key
    k = h.periods.index(period)
    got = float(plan.bought(m)[k - plan.window.start])
    s = h.stocked[m]
    if v.side == "max":
        new = round_out(got, up=True)
        return Relaxation("purchase", v.key, v.side,
                          f"materials.{m}.available.max.{period}", new,
                          f"{m} in {period}: offer {new:,.6g} t instead of "
                          f"{s.buy_max_t[k]:,.6g} t")
    new = round_out(got, up=False)
    return Relaxation("purchase", v.key, v.side, f"materials.{m}.available.min.{period}",
                      new, f"{m} in {period}: lower the least purchase from "
                           f"{s.buy_min_t[k]:,.6g} t to {new:,.6g} t")


def define_storage(b: LPBuilder, w: Window) -> None:
    """(ST) s_mk <= S⁺_mk (the storage limit at the end of each period), and s_mK >=
    S^final_m at the end of the last period (when the window reaches it): one row per
    period and material that has either."""
    h, keys, lo, hi = w.horizon, [], [], []
    last = len(w.ks) - 1
    for m in w.stocked():
        s = h.stocked[m]
        for k in w.ks:
            cap = s.max_t[w.start + k]
            least = s.final_t if k == last and w.at_end and s.final_t is not None else -INF
            if np.isfinite(cap) or np.isfinite(least) or b.every_row:
                keys.append((w.period(k), m))
                lo.append(least)
                hi.append(cap)
    _one_row_each(b, "storage", "stock", w, keys, np.array(lo), np.array(hi))


def check_storage(plan: HorizonPlan) -> list[Violation]:
    w, out = plan.window, []
    for m in w.stocked():
        s = w.horizon.stocked[m]
        closing = plan.closing(m)
        for k in w.ks:
            cap = s.max_t[w.start + k]
            if np.isfinite(cap):
                out.append(violation("storage", "max", (w.period(k), m), closing[k] - cap,
                                     cap, "t", f"stock {closing[k]:,.6g} t above the storage "
                                               f"max {cap:,.6g} t"))
        if w.at_end and s.final_t is not None:
            out.append(violation("storage", "min", (w.period(len(w.ks) - 1), m),
                                 s.final_t - closing[-1], s.final_t, "t",
                                 f"final stock {closing[-1]:,.6g} t under the "
                                 f"{s.final_t:,.6g} t required"))
    return kept(out)


def words_storage(key: tuple, side: str, w: Window) -> str:
    k, s = _stocked(w, key)
    if side == "min":
        return (f"{key[1]}: at least {s.final_t or 0.0:,.6g} t must be in stock after "
                f"{key[0]}")
    return f"{key[1]} in {key[0]}: at most {s.max_t[k]:,.6g} t can be stored"


def reached_storage(key: tuple, side: str, w: Window) -> str:
    return f"{key[1]}: " + ("the final stock" if side == "min" else f"storage full in {key[0]}")


def relax_storage(v: Violation, plan: HorizonPlan, h: Horizon) -> Relaxation:
    period, m = v.key
    k = h.periods.index(period)
    got = float(plan.closing(m)[k - plan.window.start])
    s = h.stocked[m]
    if v.side == "min":
        new = round_out(max(got, 0.0), up=False)
        return Relaxation("storage", v.key, v.side, f"materials.{m}.stock.final", new,
                          f"{m}: lower the final stock from {s.final_t:,.6g} t to "
                          f"{new:,.6g} t")
    new = round_out(got, up=True)
    return Relaxation("storage", v.key, v.side, f"materials.{m}.stock.max.{period}", new,
                      f"{m} in {period}: store up to {new:,.6g} t instead of "
                      f"{s.max_t[k]:,.6g} t")


def lot_columns(b: LPBuilder, w: Window) -> None:
    """n_mk in Z+ and z_mk in {0, 1} for the periods in which a stored material is bought
    in whole lots or with a minimum order."""
    h = w.horizon
    b.add_columns("stock_lots", [(w.period(k), m) for m in w.stocked() for k in w.ks
                                 if h.stocked[m].lot(w.start + k) is not None], 0.0, INF,
                  integer=True)
    b.add_columns("stock_ordered", [(w.period(k), m) for m in w.stocked() for k in w.ks
                                    if h.stocked[m].min_order(w.start + k) is not None],
                  0.0, 1.0, integer=True)


def _rule_rows(b: LPBuilder, w: Window, block: str, name: str,
               size: Callable[[Stocked, int], float | None], lo: float,
               hi: float) -> None:
    """lo <= b_mk - size_mk col_mk <= hi for every key of the column ``block``."""
    h = w.horizon
    cb = b.col_block(block)
    if cb is None:
        return
    rows, cols, vals, keys = [], [], [], []
    for i, (period, m) in enumerate(cb.keys):
        k = h.periods.index(period)
        rows += [len(keys)] * 2
        cols += [col(b, w, "buy", m, k - w.start), cb.start + i]
        vals += [1.0, -size(h.stocked[m], k)]
        keys.append((period, m))
    b.add_rows(name, keys, np.array(rows), np.array(cols), np.array(vals), lo, hi)


def define_stock_lots(b: LPBuilder, w: Window) -> None:
    """(SL) b_mk - L_mk n_mk = 0."""
    _rule_rows(b, w, "stock_lots", "stock_lot", Stocked.lot, 0.0, 0.0)


def define_stock_min_order(b: LPBuilder, w: Window) -> None:
    """(SO) b_mk - O_mk z_mk >= 0 and b_mk - a⁺_mk z_mk <= 0 (a⁺: what is on offer)."""
    _rule_rows(b, w, "stock_ordered", "stock_min_order", Stocked.min_order, 0.0, INF)
    _rule_rows(b, w, "stock_ordered", "stock_order_link",
               lambda s, k: s.buy_max_t[k], -INF, 0.0)


def check_stock_lots(plan: HorizonPlan) -> list[Violation]:
    w, out = plan.window, []
    for m in w.stocked():
        s = w.horizon.stocked[m]
        for k in w.ks:
            lot, bought = s.lot(w.start + k), float(plan.bought(m)[k])
            if lot is not None:
                n = bought / lot
                out.append(violation("stock_lot", "equal", (w.period(k), m),
                                     abs(n - round(n)), n, "lots",
                                     f"buys {bought:,.6g} t, not whole lots of {lot:g} t"))
    return kept(out)


def check_stock_min_order(plan: HorizonPlan) -> list[Violation]:
    w, out = plan.window, []
    for m in w.stocked():
        s = w.horizon.stocked[m]
        for k in w.ks:
            least, bought = s.min_order(w.start + k), float(plan.bought(m)[k])
            if least is not None and bought > tolerance(least):
                out.append(violation("stock_min_order", "min", (w.period(k), m),
                                     least - bought, least, "t",
                                     f"buys {bought:,.6g} t, under the minimum order of "
                                     f"{least:g} t"))
    return kept(out)


def words_stock_lot(key: tuple, side: str, w: Window) -> str:
    k, s = _stocked(w, key)
    return f"{key[1]} in {key[0]}: bought in whole lots of {s.lot(k):g} t"


def words_stock_min_order(key: tuple, side: str, w: Window) -> str:
    k, s = _stocked(w, key)
    return f"{key[1]} in {key[0]}: none or at least the minimum order of {s.min_order(k):g} t"


BALANCE = Family(
    name="stock_balance", label="SB", title="stock balance",
    math="s_m,k−1 + b_mk + Σ_p S_p Σ_m' y_m' x^k_pm' [p returns m] − Σ_p x^k_pm "
         "− Σ_o c_mo Σ_p x^k_po − s_mk = 0, b_mk ≥ 0, s_mk ≥ 0",
    domain="m with stock, k ∈ periods",
    fields="`materials.stock.initial`, `products.returns`",
    keys=("period", "material"), define=define_stock_balance, check=check_stock_balance,
    words=words_balance, dual=Dual("t"), columns=stock_columns, scope="horizon")

PURCHASE = Family(
    name="purchase", label="SP", title="purchases of a stored material",
    math="a⁻_mk ≤ b_mk ≤ a⁺_mk", domain="m with stock, k ∈ periods, a limit set",
    fields="`materials.available` (of a stored material: what may be bought)",
    keys=("period", "material"), define=define_purchase, check=check_purchase,
    words=words_purchase, dual=Dual("t"), elastic=Elastic("supply", _refs, relax_purchase),
    reached=reached_purchase, scope="horizon")

STORAGE = Family(
    name="storage", label="ST", title="storage and final stock",
    math="s_mk ≤ S⁺_mk; s_m,K ≥ S^final_m", domain="m with stock, k ∈ periods, a limit set",
    fields="`materials.stock.max`, `materials.stock.final`", keys=("period", "material"),
    define=define_storage, check=check_storage, words=words_storage, dual=Dual("t"),
    elastic=Elastic("limit", _refs, relax_storage), reached=reached_storage,
    scope="horizon")

STOCK_LOT = Family(
    name="stock_lot", label="SL", title="whole lots of stored purchases",
    math="b_mk − L_mk n_mk = 0, n_mk ∈ ℤ≥0", domain="m with stock and a lot in period k",
    fields="`materials.lot`", keys=("period", "material"), define=define_stock_lots,
    check=check_stock_lots, words=words_stock_lot, columns=lot_columns, scope="horizon")

STOCK_MIN_ORDER = Family(
    name="stock_min_order", label="SO", title="minimum orders of stored purchases",
    math="b_mk − O_mk z_mk ≥ 0 and b_mk − a⁺_mk z_mk ≤ 0, z_mk ∈ {0, 1}",
    domain="m with stock and a minimum order in period k", fields="`materials.min_order`",
    keys=("period", "material"), define=define_stock_min_order, check=check_stock_min_order,
    words=words_stock_min_order, blocks=("stock_order_link",),
    implied="the stock_order_link rows only tie z_mk to purchases; a⁺_mk binds as (SP)",
    scope="horizon")
