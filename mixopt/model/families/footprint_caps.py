"""(FP) and (FI) Footprint caps: per product, and over all products together.

Both are in t CO2e per t of slab, casting included, in the objective's scope.
"""

from __future__ import annotations

import numpy as np

from mixopt.model.arrays import InstanceArrays
from mixopt.model.families.base import Dual, Elastic, Family, Relaxation
from mixopt.model.families.shared import kept, per_product_rows, product_index, round_out, violation
from mixopt.model.figures import Figures, Violation
from mixopt.model.lp import INF, Block, LinearProgram, LPBuilder
from mixopt.model.schema.instance import Instance


def define_product_footprint_cap(b: LPBuilder, d: InstanceArrays) -> None:
    """(FP) sum_m f_m x[p,m] / T_p <= F_p - f_cast  per capped product. With
    ``b.every_row`` the rows exist uncapped too (right-hand side +inf), for re-solves."""
    ps = np.flatnonzero(np.isfinite(d.product_cap_t_co2e_per_t) | b.every_row)
    net = d.product_cap_t_co2e_per_t[ps] - d.casting_t_co2e_per_t
    # a sold product: its slab is a decision, so the cap moves into the row (homogeneous)
    homogeneous = d.sold[ps] & np.isfinite(net)
    coef = (d.footprint_t_co2e_per_t[None, :]
            - np.where(homogeneous, net, 0.0)[:, None] * d.yield_t_per_t[None, :])
    per_product_rows(b, "product_footprint_cap", d, ps, coef, np.full(len(ps), -INF),
                     np.where(homogeneous, 0.0, net))


def define_footprint_cap(b: LPBuilder, d: InstanceArrays) -> None:
    """(FI) sum_p sum_m f_m x[p,m] / sum_p T_p <= F - f_cast  when the instance has a cap
    (or ``b.every_row``)."""
    P, M, _ = d.shape
    if np.isfinite(d.instance_cap_t_co2e_per_t) or b.every_row:
        net = d.instance_cap_t_co2e_per_t - d.casting_t_co2e_per_t
        total = d.slab_tonnes.sum()
        coef = np.tile(d.footprint_t_co2e_per_t, (P, 1))
        rhs = net
        if d.sold.any() and np.isfinite(net):  # sold slab is a decision: into the row
            coef[d.sold] -= net * d.yield_t_per_t
            rhs = net * d.slab_tonnes[~d.sold].sum() / total
        b.add_rows("footprint_cap", [()], np.zeros(P * M), np.arange(P * M),
                   coef.ravel() / total, np.array([-INF]), np.array([rhs]))


def check_product(fig: Figures) -> list[Violation]:
    d = fig.arrays
    out = []
    for p, name in enumerate(d.products):
        cap = d.product_cap_t_co2e_per_t[p]
        per_t = fig.footprint_t[p] / max(d.slab_basis_t(fig.slab_t)[p], 1e-12)
        if np.isfinite(cap):
            out.append(violation("product_footprint_cap", "max", (name,), per_t - cap, cap,
                                 "t CO2e/t", f"footprint {per_t:.6g} t CO2e/t above the cap "
                                             f"{cap:g}"))
    return kept(out)


def check_instance(fig: Figures) -> list[Violation]:
    d = fig.arrays
    cap = d.instance_cap_t_co2e_per_t
    if not np.isfinite(cap):
        return []
    per_t = fig.footprint_t.sum() / max(d.slab_basis_t(fig.slab_t).sum(), 1e-12)
    return kept([violation("footprint_cap", "max", (), per_t - cap, cap, "t CO2e/t",
                           f"footprint {per_t:.6g} t CO2e/t above the cap {cap:g}")])


def words_product(key: tuple, side: str, d: InstanceArrays) -> str:
    cap = d.product_cap_t_co2e_per_t[product_index(d, key[0])]
    return f"{key[0]}: footprint cap {cap:g} t CO2e/t"


def words_instance(key: tuple, side: str, d: InstanceArrays) -> str:
    return f"footprint cap {d.instance_cap_t_co2e_per_t:g} t CO2e/t over all products"


def refs_product(lp: LinearProgram, b: Block, d: InstanceArrays) -> tuple[np.ndarray, np.ndarray]:
    cap = d.product_cap_t_co2e_per_t
    ref = np.array([cap[p] if np.isfinite(cap[p]) else 1.0 for p in
                    (product_index(d, k[0]) for k in b.keys)])
    return ref, ref


def refs_instance(lp: LinearProgram, b: Block, d: InstanceArrays) -> tuple[np.ndarray, np.ndarray]:
    cap = d.instance_cap_t_co2e_per_t
    ref = np.full(len(b.keys), cap if np.isfinite(cap) else 1.0)
    return ref, ref


def relax_product(v: Violation, fig: Figures, instance: Instance) -> Relaxation:
    d, name = fig.arrays, v.key[0]
    p = product_index(d, name)
    got = float(fig.footprint_t[p] / fig.slab_t[p])
    new = round_out(got, up=True)
    return Relaxation("product_footprint_cap", v.key, v.side,
                      f"products.{name}.footprint_cap", new,
                      f"{name}: footprint cap {d.product_cap_t_co2e_per_t[p]:g} cannot be "
                      f"met; raise it to {new:g} t CO2e/t")


def relax_instance(v: Violation, fig: Figures, instance: Instance) -> Relaxation:
    got = float(fig.footprint_t.sum() / fig.slab_t.sum())
    new = round_out(got, up=True)
    return Relaxation("footprint_cap", v.key, v.side, "objective.footprint_cap", new,
                      f"footprint cap {fig.arrays.instance_cap_t_co2e_per_t:g} t CO2e/t "
                      f"cannot be met; the least reachable is {got:.4g}. Raise it to {new:g}")


def _per_cap_product(fig: Figures, key: tuple) -> float:
    """The row moves by S_p / T_p per unit of a sold product's cap (1 for an order)."""
    d = fig.arrays
    p = product_index(d, key[0])
    return float(fig.slab_t[p] / d.slab_tonnes[p]) if d.sold[p] else 1.0


def _per_cap_instance(fig: Figures, key: tuple) -> float:
    d = fig.arrays
    return float(d.slab_basis_t(fig.slab_t).sum() / d.slab_tonnes.sum())


PRODUCT = Family(
    name="product_footprint_cap", label="FP", title="product footprint cap",
    math="Σ_m f_m x_pm / T_p ≤ F_p − f^cast", domain="p with a cap",
    fields="`products.footprint_cap`, `materials.footprint`, `casting.footprint`, "
           "`objective.scope`", keys=("product",),
    define=define_product_footprint_cap, check=check_product, words=words_product,
    dual=Dual("t CO2e/t slab", _per_cap_product,
              "y, times S_p / T_p for a sold product (its row is homogeneous)"),
    elastic=Elastic("limit", refs_product, relax_product))

INSTANCE = Family(
    name="footprint_cap", label="FI", title="footprint cap over all products",
    math="Σ_p Σ_m f_m x_pm / Σ_p T_p ≤ F − f^cast", domain="when F is set",
    fields="`objective.footprint_cap`, `materials.footprint`, `casting.footprint`, "
           "`objective.scope`", keys=(),
    define=define_footprint_cap, check=check_instance, words=words_instance,
    dual=Dual("t CO2e/t slab", _per_cap_instance,
              "y, times Σ_p S_p / Σ_p T_p with sold products (S: slab made)"),
    elastic=Elastic("limit", refs_instance, relax_instance))
