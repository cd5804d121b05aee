"""The constraint families that link periods (scope "horizon"): stored materials
(``families.stock``), home scrap returns (``families.returns``), contracts over the
horizon, and the frontier's footprint cap over the horizon; ``LINKING`` is their
registry, in row order.

Every period's own rows (chemistry, supply, capacities, ...) are written by the families
of ``FAMILIES`` on that period's arrays; the rows here tie the periods of a ``Window``
(the whole horizon, or a rolling plan's look-ahead) together. Each family has the whole
family contract: rows, recheck on a ``HorizonPlan``, words, shadow price, and (where an
instance field sets the limit) a relaxation for diagnose. ``models/formulation.md`` is
generated from ``LINKING``.
"""

from __future__ import annotations

import numpy as np

from mixopt.model.families import returns
from mixopt.model.families.base import Dual, Elastic, Family, Relaxation
from mixopt.model.families.shared import kept, round_out, use_terms, violation
from mixopt.model.families.stock import (
    BALANCE,
    PURCHASE,
    STOCK_LOT,
    STOCK_MIN_ORDER,
    STORAGE,
    col,
)
from mixopt.model.figures import Violation
from mixopt.model.lp import INF, Block, LinearProgram, LPBuilder
from mixopt.model.plan import HorizonPlan, Window
from mixopt.model.schema.horizon import Horizon


def shortfall_columns(b: LPBuilder, w: Window) -> None:
    """u_m >= 0: t paid for under a take-or-pay contract and not taken (at the contract
    price, when minimising cost), when the window reaches the horizon's end."""
    h = w.horizon
    take = [m for m, c in sorted(h.contracts.items()) if c.take_or_pay and w.at_end]
    price = [h.contract_price(m) if h.objective.minimise == "cost" else 0.0 for m in take]
    b.add_columns("shortfall", [(m,) for m in take], 0.0, INF, cost=np.array(price))


def _bought_terms(b: LPBuilder, w: Window, m: str) -> tuple[list[int], list[float]]:
    if m in w.horizon.stocked:
        return [col(b, w, "buy", m, k) for k in w.ks], [1.0] * len(w.ks)
    cols, vals = [], []
    for k, d in enumerate(w.arrays):
        _, c, v = use_terms(d, np.array([d.materials.index(m)]))
        cols += (c + w.col0[k]).tolist()
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


def check_contract(plan: HorizonPlan) -> list[Violation]:
    w, out = plan.window, []
    for m, c in sorted(w.horizon.contracts.items()):
        total = w.bought_before_t.get(m, 0.0) + float(plan.bought(m).sum())
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


def words_contract(key: tuple, side: str, w: Window) -> str:
    c = w.horizon.contracts[key[0]]
    if side == "max":
        return f"contract for {key[0]}: at most {c.max or 0:,.6g} t over the horizon"
    pay = " (or paid for under take-or-pay)" if c.take_or_pay else ""
    return f"contract for {key[0]}: at least {c.min:,.6g} t over the horizon{pay}"


def reached_contract(key: tuple, side: str, w: Window) -> str:
    return f"contract for {key[0]} at its {side}imum"


def refs_contract(lp: LinearProgram, blk: Block, w: Window) -> tuple[np.ndarray, np.ndarray]:
    c = [w.horizon.contracts[k[0]] for k in blk.keys]
    return (np.array([max(x.min, 1.0) for x in c]),
            np.array([max(x.max or 0.0, 1.0) for x in c]))


def relax_contract(v: Violation, plan: HorizonPlan, h: Horizon) -> Relaxation:
    m = v.key[0]
    c = h.contracts[m]
    total = plan.window.bought_before_t.get(m, 0.0) + float(plan.bought(m).sum())
    if v.side == "max":
        new = round_out(total, up=True)
        return Relaxation("contract", v.key, v.side, f"materials.{m}.contract.max", new,
                          f"contract for {m}: allow {new:,.6g} t instead of "
                          f"{c.max or 0:,.6g} t")
    new = round_out(max(total, 0.0), up=False)
    return Relaxation("contract", v.key, v.side, f"materials.{m}.contract.min", new,
                      f"contract for {m}: lower the minimum from {c.min:,.6g} t to "
                      f"{new:,.6g} t")


def define_horizon_cap(b: LPBuilder, w: Window) -> None:
    """(HC) sum_k sum_p sum_m f_m x^k_pm / sum_k T_k <= F - f_cast over the window (every
    product ordered: the frontier refuses sold products); with ``b.every_row`` the row
    exists without a cap (+inf), so that a frontier moves only its bound."""
    F = w.cap_t_co2e_per_t
    if F is None and not b.every_row:
        return
    total = sum(float(d.slab_tonnes.sum()) for d in w.arrays)
    cols, vals = [], []
    for k, d in enumerate(w.arrays):
        P, M, _ = d.shape
        cols.append(w.col0[k] + np.arange(P * M))
        vals.append(np.tile(d.footprint_t_co2e_per_t, P) / total)
    c = np.concatenate(cols)
    hi = INF if F is None else F - w.arrays[0].casting_t_co2e_per_t
    b.add_rows("horizon_footprint_cap", [()], np.zeros(len(c), dtype=int), c,
               np.concatenate(vals), np.array([-INF]), np.array([hi]))


def footprint_per_t(plan: HorizonPlan) -> float:
    """The plan's footprint over the window, t CO2e per t of slab, casting included."""
    w = plan.window
    fp = sum(float(np.sum(mix @ d.footprint_t_co2e_per_t) + d.casting_t_co2e_per_t
                   * d.slab_tonnes.sum()) for mix, d in zip(plan.mix_t, w.arrays, strict=True))
    return fp / sum(float(d.slab_tonnes.sum()) for d in w.arrays)


def check_horizon_cap(plan: HorizonPlan) -> list[Violation]:
    F = plan.window.cap_t_co2e_per_t
    if F is None:
        return []
    per_t = footprint_per_t(plan)
    return kept([violation("horizon_footprint_cap", "max", (), per_t - F, F, "t CO2e/t",
                           f"footprint {per_t:.6g} t CO2e/t over the horizon, above the cap "
                           f"{F:g}")])


def words_horizon_cap(key: tuple, side: str, w: Window) -> str:
    F = w.cap_t_co2e_per_t
    return ("footprint cap over the horizon" if F is None else
            f"footprint cap {F:g} t CO2e/t over the horizon")


CONTRACT = Family(
    name="contract", label="CT", title="contract over the horizon",
    math="c⁻_m ≤ Σ_k (t of m bought in k) + u_m ≤ c⁺_m (u_m only under take-or-pay, paid at "
         "the contract price)", domain="m with a contract", fields="`materials.contract`",
    keys=("material",), define=define_contract, check=check_contract, words=words_contract,
    dual=Dual("t"), elastic=Elastic("limit", refs_contract, relax_contract),
    reached=reached_contract, columns=shortfall_columns, scope="horizon")

HORIZON_CAP = Family(
    name="horizon_footprint_cap", label="HC", title="footprint cap over the horizon",
    math="Σ_k Σ_p Σ_m f_m x^k_pm / Σ_k Σ_p T_pk ≤ F − f^cast",
    domain="when a frontier sets F (`mixopt pareto`)",
    fields="`casting.footprint`, `materials.footprint`, `objective.scope`", keys=(),
    define=define_horizon_cap, check=check_horizon_cap, words=words_horizon_cap,
    dual=Dual("t CO2e/t slab"), scope="horizon")

#: Every family that links periods, in row order.
LINKING: tuple[Family, ...] = (BALANCE, PURCHASE, STORAGE, returns.FAMILY, STOCK_LOT,
                               STOCK_MIN_ORDER, CONTRACT, HORIZON_CAP)
