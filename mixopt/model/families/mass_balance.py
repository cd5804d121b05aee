"""(MB) Mass balance: every product's order is made, exactly."""

from __future__ import annotations

import numpy as np

from mixopt.model.arrays import InstanceArrays
from mixopt.model.families.base import Dual, Family
from mixopt.model.families.shared import kept, per_product_rows, product_index, violation
from mixopt.model.figures import Figures, Violation
from mixopt.model.lp import LPBuilder


def define_mass_balance(b: LPBuilder, d: InstanceArrays) -> None:
    """(MB) sum_m y_m x[p,m] / T_p = 1  for every product p (share of the order made)."""
    P = d.shape[0]
    per_product_rows(b, "mass_balance", d, np.arange(P), np.tile(d.yield_t_per_t, (P, 1)),
                     np.ones(P), np.ones(P))


def check(fig: Figures) -> list[Violation]:
    d = fig.arrays
    return kept(
        violation("mass_balance", "equal", (name,), abs(fig.slab_t[p] - T), T, "t",
                  f"makes {fig.slab_t[p]:,.9g} t of slab where {T:,.9g} t is ordered "
                  f"({fig.slab_t[p] - T:+,.6g} t)")
        for p, (name, T) in enumerate(zip(d.products, d.slab_tonnes, strict=True)))


def words(key: tuple, side: str, d: InstanceArrays) -> str:
    return f"{key[0]}: make exactly {d.slab_tonnes[product_index(d, key[0])]:,.6g} t of slab"


FAMILY = Family(
    name="mass_balance", label="MB", title="mass balance",
    math="Σ_m y_m x_pm / T_p = 1", domain="p ∈ P",
    fields="`products.tonnes`, `materials.yield`", keys=("product",),
    define=define_mass_balance, check=check, words=words,
    # the row is in shares of the order: per t of slab is 1/T_p of that
    dual=Dual("t", lambda fig, key: 1.0 / fig.arrays.slab_tonnes[
        product_index(fig.arrays, key[0])], "y / T_p (the row is in shares of the order)"))
