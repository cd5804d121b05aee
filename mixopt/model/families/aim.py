"""(AM) Aim windows: a product's internal windows inside its alloy's, met on the mean."""

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


def _aims(d: InstanceArrays) -> np.ndarray:
    return np.argwhere(d.aimed & ((d.aim_min_wt_pct > 0) | (d.aim_max_wt_pct < 100)))


def define_aim(b: LPBuilder, d: InstanceArrays) -> None:
    """(AM) aim_lo_pe <= Σ_m y_m c_me x[p,m] / T_p <= aim_hi_pe for every aim (in wt%); for
    a product sold in a range the homogeneous rows, as (CS)."""
    pe = _aims(d)
    window_rows(b, "aim", d, pe, d.aim_min_wt_pct[pe[:, 0], pe[:, 1]],
                d.aim_max_wt_pct[pe[:, 0], pe[:, 1]])


def check(fig: Figures) -> list[Violation]:
    d = fig.arrays
    return window_violations(fig, "aim", d.aimed, d.aim_min_wt_pct, d.aim_max_wt_pct, "aim ")


def words(key: tuple, side: str, d: InstanceArrays) -> str:
    p, e = product_index(d, key[0]), d.constituents.index(key[1])
    lim = d.aim_min_wt_pct[p, e] if side == "min" else d.aim_max_wt_pct[p, e]
    return f"{key[0]}: {key[1]} aim {side} {lim:.6g} wt%"


def relax(v: Violation, fig: Figures, instance: Instance) -> Relaxation:
    d = fig.arrays
    prod, el = v.key
    p, e = product_index(d, prod), d.constituents.index(el)
    lo, hi = instance.products[p].aim[el]
    got = float(fig.composition_wt_pct[p, e])
    path = f"products.{prod}.aim.{el}"
    if v.side == "max":
        new = round_out(got, up=True)
        return Relaxation("aim", v.key, v.side, path, [lo, new],
                          f"{prod}: {el} aim max {hi:g} wt% cannot be met; widen it to {new:g}")
    new = round_out(got, up=False)
    return Relaxation("aim", v.key, v.side, path, [new, hi],
                      f"{prod}: {el} aim min {lo:g} wt% cannot be met; widen it to {new:g}")


FAMILY = Family(
    name="aim", label="AM", title="aim window",
    math="aim_lo_pe ≤ Σ_m y_m c_me x_pm / T_p ≤ aim_hi_pe",
    domain="p, e with an aim", fields="`products.aim`, and those of (CH)",
    blocks=("aim_sold_min", "aim_sold_max"),
    keys=("product", "constituent"), define=define_aim, check=check, words=words,
    dual=Dual("wt%"), elastic=Elastic("limit", window_refs, relax),
    reached=lambda key, side, d: f"{key[0]}: {key[1]} at its aim {side}")
