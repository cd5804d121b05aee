"""(LT) and (MO) Purchase rules: whole lots, and minimum orders (the MILP part).

Their columns are integer (lot counts) and binary (ordered or not). An LP gives these
rows no shadow price; a MILP's sensitivity is that of the LP with them fixed.
"""

from __future__ import annotations

import numpy as np

from mixopt.model.arrays import InstanceArrays
from mixopt.model.families.base import Family
from mixopt.model.families.shared import kept, use_terms, violation
from mixopt.model.figures import Figures, Violation, tolerance
from mixopt.model.lp import INF, LPBuilder


def big_m_tonnes(d: InstanceArrays) -> np.ndarray:
    """Largest useful charge of each material: its supply, or all slab at its yield
    (validation refuses a minimum order that neither bounds)."""
    most = np.where(d.sold, d.slab_max_t, d.slab_tonnes).sum()
    return np.minimum(d.available_max_t, most / d.yield_t_per_t)


def _rows(d: InstanceArrays, ms: np.ndarray, start: int,
          per_col: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, columns and values of (tonnes of m bought) - per_col[m] * col[m] for the
    materials ``ms`` (bought: charged, and consumed by processes)."""
    k = len(ms)
    r, c, v = use_terms(d, ms)
    return (np.concatenate([r, np.arange(k)]), np.concatenate([c, start + np.arange(k)]),
            np.concatenate([v, -per_col]))


def lot_columns(b: LPBuilder, d: InstanceArrays) -> None:
    """n[m] in Z+: whole lots of m (unbounded: (SU) and (LT) bound them already, and huge
    bounds would alarm HiGHS needlessly)."""
    ms = np.flatnonzero(np.isfinite(d.lot_t))
    b.add_columns("lots", [(d.materials[m],) for m in ms], 0.0, INF, integer=True)


def define_lots(b: LPBuilder, d: InstanceArrays) -> None:
    """(LT) sum_p x[p,m] - L_m n[m] = 0  for every material with a lot size."""
    block = b.col_block("lots")
    if block is None:
        return
    ms = np.flatnonzero(np.isfinite(d.lot_t))
    rows, cols, vals = _rows(d, ms, block.start, d.lot_t[ms])
    b.add_rows("lot", [(d.materials[m],) for m in ms], rows, cols, vals, 0.0, 0.0)


def order_columns(b: LPBuilder, d: InstanceArrays) -> None:
    """z[m] in {0, 1}: m is ordered at all."""
    ms = np.flatnonzero(np.isfinite(d.min_order_t))
    b.add_columns("ordered", [(d.materials[m],) for m in ms], 0.0, 1.0, integer=True)


def define_min_order(b: LPBuilder, d: InstanceArrays) -> None:
    """(MO) sum_p x[p,m] - O_m z[m] >= 0 and sum_p x[p,m] - U_m z[m] <= 0 for every material
    with a minimum order, U_m = min(a_max_m, sum_p T_p / y_m) (no useful charge exceeds it)."""
    block = b.col_block("ordered")
    if block is None:
        return
    ms = np.flatnonzero(np.isfinite(d.min_order_t))
    keys = [(d.materials[m],) for m in ms]
    rows, cols, vals = _rows(d, ms, block.start, d.min_order_t[ms])
    b.add_rows("min_order", keys, rows, cols, vals, 0.0, INF)
    rows, cols, vals = _rows(d, ms, block.start, big_m_tonnes(d)[ms])
    b.add_rows("order_link", keys, rows, cols, vals, -INF, 0.0)


def check_lots(fig: Figures) -> list[Violation]:
    d, use = fig.arrays, fig.use_t
    out = []
    for m in np.flatnonzero(np.isfinite(d.lot_t)):
        lot, n = d.lot_t[m], use[m] / d.lot_t[m]
        out.append(violation("lot", "equal", (d.materials[m],), abs(n - np.round(n)), n,
                             "lots", f"uses {use[m]:,.6g} t, not a whole number of {lot:g} t "
                                     "lots"))
    return kept(out)


def check_min_order(fig: Figures) -> list[Violation]:
    d, use = fig.arrays, fig.use_t
    out = []
    for m in np.flatnonzero(np.isfinite(d.min_order_t)):
        mo = d.min_order_t[m]
        if use[m] > tolerance(mo):  # a use this small counts as not ordered
            out.append(violation("min_order", "min", (d.materials[m],), mo - use[m], mo, "t",
                                 f"uses {use[m]:,.6g} t, below the minimum order of {mo:g} t"))
    return kept(out)


def words_lots(key: tuple, side: str, d: InstanceArrays) -> str:
    return f"{key[0]}: bought in whole lots of {d.lot_t[d.material_index[key[0]]]:g} t"


def words_min_order(key: tuple, side: str, d: InstanceArrays) -> str:
    return (f"{key[0]}: none or at least the minimum order of "
            f"{d.min_order_t[d.material_index[key[0]]]:g} t")


LOTS = Family(
    name="lot", label="LT", title="whole lots",
    math="Σ_p x_pm − L_m n_m = 0, n_m ∈ ℤ≥0", domain="m ∈ M^L", fields="`materials.lot`",
    keys=("material",), define=define_lots, check=check_lots, words=words_lots,
    columns=lot_columns)

MIN_ORDER = Family(
    name="min_order", label="MO", title="minimum order",
    math="Σ_p x_pm − O_m z_m ≥ 0 and Σ_p x_pm − U_m z_m ≤ 0, z_m ∈ {0, 1}",
    domain="m ∈ M^O", fields="`materials.min_order` (U_m from `available.max`, "
                             "`products.tonnes`, `yield`)",
    keys=("material",), define=define_min_order, check=check_min_order,
    words=words_min_order, columns=order_columns, blocks=("order_link",),
    implied="the order_link rows only tie z_m to use; U_m never binds a plan that meets "
            "(SU) and (MB)")
