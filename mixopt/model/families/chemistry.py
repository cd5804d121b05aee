"""(CH) Chemistry: every alloy window of every product, on the produced metal."""

from __future__ import annotations

import numpy as np

from mixopt.model.arrays import InstanceArrays
from mixopt.model.families.base import Dual, Elastic, Family, Relaxation
from mixopt.model.families.shared import (
    product_index,
    round_out,
    window_refs,
    window_rows,
    window_violations,
)
from mixopt.model.figures import Figures, Violation
from mixopt.model.lp import LPBuilder
from mixopt.model.schema.instance import Instance
from mixopt.model.uncertainty import held_by_spread


def define_chemistry(b: LPBuilder, d: InstanceArrays) -> None:
    """(CH) lo_pe <= sum_m y_m c_me x[p,m] / T_p <= hi_pe  for every limited (p, e); for a
    product sold in a range, whose slab is a decision, the homogeneous rows (CS)
    sum_m y_m (c_me - lo_pe) x[p,m] / T_p >= 0 and sum_m y_m (c_me - hi_pe) x[p,m] / T_p <= 0
    (``shared.sold_window_rows``).

    Rows are in wt% (their duals are per wt% of the limit). The no-limit window [0, 100]
    makes no row, and windows held by (CC) or (RM) have their rows there.
    """
    pe = np.argwhere(d.windowed & ~held_by_spread(d))
    window_rows(b, "chemistry", d, pe, d.limit_min_wt_pct[pe[:, 0], pe[:, 1]],
                d.limit_max_wt_pct[pe[:, 0], pe[:, 1]])


def check(fig: Figures) -> list[Violation]:
    d = fig.arrays
    return window_violations(fig, "chemistry", d.limited, d.limit_min_wt_pct,
                             d.limit_max_wt_pct)


def _limit(key: tuple, side: str, d: InstanceArrays) -> float:
    p, e = product_index(d, key[0]), d.constituents.index(key[1])
    return float(d.limit_min_wt_pct[p, e] if side == "min" else d.limit_max_wt_pct[p, e])


def words(key: tuple, side: str, d: InstanceArrays) -> str:
    return f"{key[0]}: {key[1]} {side} {_limit(key, side, d):.6g} wt%"


def reached(key: tuple, side: str, d: InstanceArrays) -> str:
    return f"{key[0]}: {key[1]} at its {side} limit"


def relax(v: Violation, fig: Figures, instance: Instance) -> Relaxation:
    d = fig.arrays
    prod, el = v.key
    p, e = product_index(d, prod), d.constituents.index(el)
    alloy = instance.products[p].alloy
    lo, hi = instance.alloys[alloy][el]
    got = float(fig.composition_wt_pct[p, e])
    path = f"alloys.{alloy}.{el}"
    if v.side == "max":
        new = round_out(got, up=True)
        return Relaxation("chemistry", v.key, v.side, path, [lo, new],
                          f"{prod}: {el} max {hi:g} wt% cannot be met with the available "
                          f"materials; the lowest reachable is {got:.4g} wt%. Relax it by "
                          f"{new - hi:.4g} (to {new:g})")
    new = round_out(got, up=False)
    return Relaxation("chemistry", v.key, v.side, path, [new, hi],
                      f"{prod}: {el} min {lo:g} wt% cannot be met; the highest reachable is "
                      f"{got:.4g} wt%. Lower it by {lo - new:.4g} (to {new:g})")


FAMILY = Family(
    name="chemistry", label="CH", title="chemistry",
    math="lo_pe ≤ Σ_m y_m c_me x_pm / T_p ≤ hi_pe; for a sold product "
         "Σ_m y_m (c_me − lo_pe) x_pm / T_p ≥ 0 and Σ_m y_m (c_me − hi_pe) x_pm / T_p ≤ 0",
    domain="p ∈ P, e ∈ E_p with a real window (not [0, 100])",
    blocks=("chemistry_sold_min", "chemistry_sold_max"),
    fields="`alloys.<alloy>.<e>`, `materials.composition`, `materials.yield`, "
           "`products.tonnes`",
    keys=("product", "constituent"), define=define_chemistry, check=check, words=words,
    dual=Dual("wt%"), elastic=Elastic("limit", window_refs, relax), reached=reached)
