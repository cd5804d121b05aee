"""(MB) Mass balance: every product's order is made, exactly."""

from __future__ import annotations

import numpy as np

from mixopt.model.arrays import InstanceArrays
from mixopt.model.families.base import Dual, Family
from mixopt.model.families.shared import kept, per_product_rows, product_index, violation
from mixopt.model.figures import Figures, Violation
from mixopt.model.lp import LPBuilder


def define_mass_balance(b: LPBuilder, d: InstanceArrays) -> None:
    """(MB) sum_m y_m x[p,m] / T_p = 1  for every ordered product p (share of the order
    made); T⁻_p / T_p <= sum_m y_m x[p,m] / T_p <= T⁺_p / T_p  for a sold one (T_p: its
    nominal tonnes, ``Product.nominal_t``)."""
    P = d.shape[0]
    per_product_rows(b, "mass_balance", d, np.arange(P), np.tile(d.yield_t_per_t, (P, 1)),
                     d.slab_min_t / d.slab_tonnes, d.slab_max_t / d.slab_tonnes)


def check(fig: Figures) -> list[Violation]:
    d, out = fig.arrays, []
    for p, name in enumerate(d.products):
        got, lo, hi = fig.slab_t[p], d.slab_min_t[p], d.slab_max_t[p]
        if not d.sold[p]:
            out.append(violation("mass_balance", "equal", (name,), abs(got - lo), lo, "t",
                                 f"makes {got:,.9g} t of slab where {lo:,.9g} t is ordered "
                                 f"({got - lo:+,.6g} t)"))
            continue
        out.append(violation("mass_balance", "min", (name,), lo - got, lo, "t",
                             f"makes {got:,.9g} t of slab, at least {lo:,.9g} t to sell"))
        if np.isfinite(hi):
            out.append(violation("mass_balance", "max", (name,), got - hi, hi, "t",
                                 f"makes {got:,.9g} t of slab, at most {hi:,.9g} t to sell"))
    return kept(out)


def words(key: tuple, side: str, d: InstanceArrays) -> str:
    p = product_index(d, key[0])
    if not d.sold[p]:
        return f"{key[0]}: make exactly {d.slab_tonnes[p]:,.6g} t of slab"
    if side == "max":
        return f"{key[0]}: sell at most {d.slab_max_t[p]:,.6g} t of slab"
    return f"{key[0]}: sell at least {d.slab_min_t[p]:,.6g} t of slab"


FAMILY = Family(
    name="mass_balance", label="MB", title="mass balance",
    math="T⁻_p / T_p ≤ Σ_m y_m x_pm / T_p ≤ T⁺_p / T_p (= 1 for an order)", domain="p ∈ P",
    fields="`products.tonnes`, `products.tonnes_min`, `products.tonnes_max`, "
           "`materials.yield`", keys=("product",),
    define=define_mass_balance, check=check, words=words,
    # the row is in shares of the order: per t of slab is 1/T_p of that
    dual=Dual("t", lambda fig, key: 1.0 / fig.arrays.slab_tonnes[
        product_index(fig.arrays, key[0])], "y / T_p (the row is in shares of the order)"))
