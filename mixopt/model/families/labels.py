"""(LB) Carbon labels: each limit a label sets (``model.carbon.LABEL_CRITERIA``) is a row
of the plan of every product that lists the label.

Rows are per t of slab, like the footprint caps:

- scope12_max / full_max:      Σ_m f_m x_pm / T_p ≤ L − f^cast (that scope's factors)
- renewable_electricity_min:   Σ_m (e^ren_m − L e_m) x_pm / T_p ≥ 0 (MWh of the material's
  electricity, and of it renewable; materials without energy data bring none)
- post_consumer_min, recycled_min, inert_anode_min:
                               Σ_m (a_m − L) x_pm / T_p ≥ 0 (a_m = 1 when the material's
                               route counts, else 0: a share of the charged mass)
"""

from __future__ import annotations

import numpy as np

from mixopt.model.arrays import InstanceArrays
from mixopt.model.families.base import Dual, Elastic, Family, Relaxation
from mixopt.model.families.shared import kept, round_out, violation
from mixopt.model.figures import Figures, Violation
from mixopt.model.lp import INF, Block, LinearProgram, LPBuilder
from mixopt.model.schema.carbon import LABEL_CRITERIA
from mixopt.model.schema.instance import Instance

SIDE = {c: side for c, side, _, _ in LABEL_CRITERIA}
UNIT = {c: unit for c, _, unit, _ in LABEL_CRITERIA}
SAID = {c: said for c, _, _, said in LABEL_CRITERIA}


def _coef(d: InstanceArrays, criterion: str, limit: float) -> tuple[np.ndarray, float,
                                                                     float]:
    """(coefficients per material, lo, hi) of one label limit's row (per t of slab)."""
    if criterion == "scope12_max":
        return d.footprint_scope12_t_co2e_per_t, -INF, limit - d.casting_scope12_t_co2e_per_t
    if criterion == "full_max":
        return d.footprint_full_t_co2e_per_t, -INF, limit - d.casting_full_t_co2e_per_t
    if criterion == "renewable_electricity_min":
        return d.renewable_mwh_per_t - limit * d.electricity_mwh_per_t, 0.0, INF
    counted = {"post_consumer_min": d.post_consumer, "recycled_min": d.recycled,
               "inert_anode_min": d.inert_anode}[criterion]
    return counted.astype(float) - limit, 0.0, INF


def define_labels(b: LPBuilder, d: InstanceArrays) -> None:
    """(LB) one row per (product, label, criterion) the products' labels set."""
    if not d.label_rows:
        return
    M = d.shape[1]
    rows, cols, vals, lo, hi = [], [], [], [], []
    for r, ((p, _, criterion), limit) in enumerate(zip(d.label_rows, d.label_limit,
                                                      strict=True)):
        coef, a, z = _coef(d, criterion, float(limit))
        rows += [r] * M
        cols += list(range(p * M, (p + 1) * M))
        vals += list(coef / d.slab_tonnes[p])
        lo.append(a)
        hi.append(z)
    keys = [(d.products[p], name, c) for p, name, c in d.label_rows]
    b.add_rows("labels", keys, np.array(rows), np.array(cols), np.array(vals), np.array(lo),
               np.array(hi))


def figure(fig: Figures, p: int, criterion: str, per_ordered: bool = False) -> float | None:
    """What the plan reaches for one criterion of product p (None: not assessable, e.g.
    no electricity data behind the charge). Footprints are per t of slab made, or per t
    ordered (``per_ordered``: as the rows and the footprint caps count them; the same
    for a plan that makes what is ordered)."""
    d, charged = fig.arrays, fig.charged_t[p]
    slab = d.slab_tonnes[p] if per_ordered else fig.slab_t[p]
    if criterion == "scope12_max":
        return float(fig.footprint_scope12_t[p] / slab) if slab > 0 else None
    if criterion == "full_max":
        return float(fig.footprint_full_t[p] / slab) if slab > 0 else None
    if criterion == "renewable_electricity_min":
        mwh = fig.electricity_mwh[p]
        return float(fig.renewable_mwh[p] / mwh) if mwh > 0 else None
    if charged <= 0:
        return None
    counted = {"post_consumer_min": fig.recycled_post_t[p],
               "recycled_min": fig.recycled_t[p],
               "inert_anode_min": float(fig.mix_t[p, d.inert_anode].sum())}[criterion]
    return float(counted / charged)


def check(fig: Figures) -> list[Violation]:
    d = fig.arrays
    out = []
    for (p, name, c), limit in zip(d.label_rows, d.label_limit, strict=True):
        got = figure(fig, p, c, per_ordered=True)
        if got is None:
            continue  # vacuous: e.g. no electricity behind the charge
        excess = got - limit if SIDE[c] == "max" else limit - got
        out.append(violation("labels", SIDE[c], (d.products[p], name, c), excess, limit,
                             UNIT[c], f"label {name}: {SAID[c]} {limit:g}, the plan has "
                                      f"{got:.6g}"))
    return kept(out)


def _row(d: InstanceArrays, key: tuple) -> int:
    return next(i for i, (p, n, c) in enumerate(d.label_rows)
                if (d.products[p], n, c) == tuple(key))


def words(key: tuple, side: str, d: InstanceArrays) -> str:
    product, name, c = key
    return f"{product}: label {name} {c} ({SAID[c]} {d.label_limit[_row(d, key)]:g})"


def reached(key: tuple, side: str, d: InstanceArrays) -> str:
    return f"{key[0]}: label {key[1]} at its {key[2]} limit"


def refs(lp: LinearProgram, b: Block, d: InstanceArrays) -> tuple[np.ndarray, np.ndarray]:
    ref = np.array([max(float(d.label_limit[_row(d, k)]), 1e-3) for k in b.keys])
    return ref, ref


def relax(v: Violation, fig: Figures, instance: Instance) -> Relaxation | None:
    product, name, c = v.key
    got = figure(fig, fig.arrays.products.index(product), c)
    if got is None:
        return None
    new = round_out(got, up=SIDE[c] == "max")
    limit = getattr(instance.labels[name], c)
    return Relaxation("labels", v.key, v.side, f"labels.{name}.{c}", new,
                      f"{product}: label {name} ({SAID[c]} {limit:g}) cannot be met; the "
                      f"plan reaches {got:.4g}. Set it to {new:g}, or drop the label")


def _per_limit(fig: Figures, key: tuple) -> float:
    """Rows are per t of slab: one unit more of a footprint limit is one unit of the row;
    a share limit L moves the row by its charged (or electricity) mass per t of slab."""
    p = fig.arrays.products.index(key[0])
    c = key[2]
    if SIDE[c] == "max":
        return 1.0
    mass = fig.electricity_mwh[p] if c == "renewable_electricity_min" else fig.charged_t[p]
    return float(mass / fig.arrays.slab_tonnes[p])


FAMILY = Family(
    name="labels", label="LB", title="carbon labels",
    math="per limit L of a label of p: Σ_m f_m x_pm / T_p ≤ L − f^cast (footprint limits); "
         "Σ_m (a_m − L) x_pm / T_p ≥ 0 (shares of the charge); "
         "Σ_m (e^ren_m − L e_m) x_pm / T_p ≥ 0 (renewable electricity)",
    domain="p with labels, each limit its labels set",
    fields="`products.labels`, `labels.*`, `materials.route`, `materials.footprint` or "
           "`materials.energy`, `power.*`",
    keys=("product", "label", "criterion"), define=define_labels, check=check, words=words,
    dual=Dual("t CO2e/t slab or share", _per_limit,
              "y (footprint limits, per t CO2e/t slab); y · Σ_m x_pm / T_p (share limits); "
              "y · Σ_m e_m x_pm / T_p (renewable share)",
              per_key=lambda key: "t CO2e/t slab" if SIDE[key[2]] == "max" else "share"),
    elastic=Elastic("limit", refs, relax), reached=reached)
