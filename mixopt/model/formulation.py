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

import numpy as np

from mixopt.model.arrays import InstanceArrays
from mixopt.model.families import FAMILIES
from mixopt.model.lp import INF, LinearProgram, LPBuilder, Pairs


def define_objective(d: InstanceArrays, sense: str, ncols: int) -> tuple[np.ndarray, float, str]:
    """Footprint: min sum f_m x[p,m] (+ f_cast sum T_p), in t CO2e.
    Cost: min sum (k_m + pi f_m) x[p,m] (+ pi f_cast sum T_p) - sum_p v_p sum_m y_m x[p,m],
    in currency: purchases and carbon less the revenue of sold products (v_p per t of
    slab; a sold product's casting footprint follows its slab, sum_m y_m x[p,m]).
    Columns other than the charges cost nothing.
    """
    P, M, _ = d.shape
    c = np.zeros(ncols)
    ordered = ~d.sold
    cast_t = d.casting_t_co2e_per_t * d.slab_tonnes[ordered].sum()
    per_slab = np.where(d.sold, d.casting_t_co2e_per_t, 0.0)[:, None] * d.yield_t_per_t
    if sense == "footprint":
        c[: P * M] = (d.footprint_t_co2e_per_t[None, :] + per_slab).ravel()
        return c, cast_t, "t CO2e"
    price = d.carbon_price_per_t_co2e
    c[: P * M] = (d.cost_per_t + price * d.footprint_t_co2e_per_t
                  + price * per_slab - d.price_per_t[:, None] * d.yield_t_per_t).ravel()
    return c, price * cast_t, "currency"


def build_lp(d: InstanceArrays, sense: str, every_row: bool = False,
             compressed: bool = True) -> LinearProgram:
    """Assemble every registered family into one ``LinearProgram``.

    ``every_row`` keeps a supply row for every material and a cap row for every product
    and for the instance, unbounded where the instance sets no limit. The LP is the same;
    its structure then no longer depends on which limits are set, so a sweep over caps
    or supplies changes only bounds of one persistent LP (``HighsSession.update``).
    """
    b = LPBuilder(every_row=every_row)
    b.add_columns("charge", Pairs(d.products, d.materials), 0.0, INF)
    for family in FAMILIES:
        if family.columns is not None:
            family.columns(b, d)
    for family in FAMILIES:
        family.define(b, d)
    c, offset, unit = define_objective(d, sense, b.ncols)
    return b.build(c, offset, unit, compressed)


def columns_from_mix(lp: LinearProgram, d: InstanceArrays, mix_t: np.ndarray) -> np.ndarray:
    """The full column vector of a plan given as charged tonnes (P x M): lot counts and
    order decisions derived from the totals, for handing a plan to the solver as a start."""
    P, M, _ = d.shape
    x = np.zeros(lp.A.shape[1])
    x[: P * M] = np.asarray(mix_t, dtype=float).ravel()
    use = x[: P * M].reshape(P, M).sum(axis=0)
    lots, ordered = lp.col_block("lots"), lp.col_block("ordered")
    if lots is not None:
        ms = np.flatnonzero(np.isfinite(d.lot_t))
        x[lots.start:lots.stop] = np.round(use[ms] / d.lot_t[ms])
    if ordered is not None:
        ms = np.flatnonzero(np.isfinite(d.min_order_t))
        x[ordered.start:ordered.stop] = (use[ms] > 0).astype(float)
    if lp.cones is not None:  # each spread column at the plan's spread
        S2 = lp.cones.S.multiply(lp.cones.S)
        x[lp.cones.r_col] = np.sqrt(S2 @ (x * x))
    return x
