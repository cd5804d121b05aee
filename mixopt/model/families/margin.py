"""(RM) Robust margin: each uncertain limit holds with every material at mean ± K sd.

A pure LP alternative to chance constraints (``objective.margin_sd = K``): the max row
takes each material's content at ``c_me + K σ_me``, the min row at ``max(c_me - K σ_me,
0)`` (a content is never negative). Always at least as conservative as the chance
constraint of the same z, since Σ σ x >= ‖σ x‖₂.
"""

from __future__ import annotations

import numpy as np

from mixopt.model.arrays import InstanceArrays
from mixopt.model.families.base import Dual, Elastic, Family, Relaxation
from mixopt.model.families.shared import FLOOR_WT_PCT, kept, product_index, round_out, violation
from mixopt.model.figures import Figures, Violation, tolerance
from mixopt.model.lp import INF, Block, LinearProgram, LPBuilder
from mixopt.model.schema.instance import Instance


def margin_sides(d: InstanceArrays) -> tuple[np.ndarray, np.ndarray]:
    """(P, E) bool each: the uncertain min and max limits held with a margin."""
    on = d.uncertain & (d.margin_sd > 0)
    return on & (d.limit_min_wt_pct > 0), on & (d.limit_max_wt_pct < 100)


def worst_wt_pct(d: InstanceArrays, side: str) -> np.ndarray:
    """(M, E) each material's content at the edge of its margin on ``side``."""
    k = d.margin_sd * d.composition_sd_wt_pct
    return d.composition_wt_pct + k if side == "max" else np.maximum(
        d.composition_wt_pct - k, 0.0)


def define_margin(b: LPBuilder, d: InstanceArrays) -> None:
    """(RM) Σ_m y_m (c_me + K σ_me) x[p,m] / T_p <= hi_pe and
    Σ_m y_m max(c_me - K σ_me, 0) x[p,m] / T_p >= lo_pe for every uncertain limit; for a
    product sold in a range, homogeneous: Σ_m y_m (c_me + K σ_me - hi_pe) x[p,m] / T_p <= 0
    (mirror for lo_pe)."""
    M = d.shape[1]
    lo_on, hi_on = margin_sides(d)
    sides = sorted([(p, e, "min") for p, e in np.argwhere(lo_on)]
                   + [(p, e, "max") for p, e in np.argwhere(hi_on)])
    if not sides:
        return
    coef = {s: d.yield_t_per_t[:, None] * worst_wt_pct(d, s) for s in ("min", "max")}
    rows, cols, vals, lo, hi = [], [], [], [], []
    for r, (p, e, side) in enumerate(sides):
        limit = d.limit_max_wt_pct[p, e] if side == "max" else d.limit_min_wt_pct[p, e]
        # a sold product's slab is a decision: the row is homogeneous (as (CS))
        row = coef[side][:, e] - (limit * d.yield_t_per_t if d.sold[p] else 0.0)
        nz = np.flatnonzero(row)
        rows.append(np.full(len(nz), r))
        cols.append(p * M + nz)
        vals.append(row[nz] / d.slab_tonnes[p])
        bound = 0.0 if d.sold[p] else limit
        lo.append(bound if side == "min" else -INF)
        hi.append(bound if side == "max" else INF)
    b.add_rows("margin", [(d.products[p], d.constituents[e], s) for p, e, s in sides],
               np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
               np.array(lo), np.array(hi))


def _worst(fig: Figures, side: str) -> np.ndarray:
    """(P, E) each product's content with every material at the edge of its margin."""
    d = fig.arrays
    metal = (fig.mix_t * d.yield_t_per_t) @ worst_wt_pct(d, side)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(fig.slab_t[:, None] > 0, metal / fig.slab_t[:, None], 0.0)


def check(fig: Figures) -> list[Violation]:
    d = fig.arrays
    lo_on, hi_on = margin_sides(d)
    out = []
    made = fig.slab_t > tolerance(0.0)  # a sold product that makes nothing has no chemistry
    for side, on in (("min", lo_on), ("max", hi_on)):
        got = _worst(fig, side)
        for p, e in np.argwhere(on & made[:, None]):
            el, key = d.constituents[e], (d.products[p], d.constituents[e], side)
            if side == "max":
                lim = d.limit_max_wt_pct[p, e]
                out.append(violation("margin", side, key, got[p, e] - lim, lim, "wt%",
                                     f"{el} {got[p, e]:.6g} wt% at +{d.margin_sd:g} sd, above "
                                     f"its maximum {lim:g}"))
            else:
                lim = d.limit_min_wt_pct[p, e]
                out.append(violation("margin", side, key, lim - got[p, e], lim, "wt%",
                                     f"{el} {got[p, e]:.6g} wt% at -{d.margin_sd:g} sd, below "
                                     f"its minimum {lim:g}"))
    return kept(out)


def _limit(key: tuple, d: InstanceArrays) -> float:
    p, e = product_index(d, key[0]), d.constituents.index(key[1])
    return float(d.limit_max_wt_pct[p, e] if key[2] == "max" else d.limit_min_wt_pct[p, e])


def words(key: tuple, side: str, d: InstanceArrays) -> str:
    return (f"{key[0]}: {key[1]} {key[2]} {_limit(key, d):.6g} wt% with every material at "
            f"{'+' if key[2] == 'max' else '-'}{d.margin_sd:g} sd")


def refs(lp: LinearProgram, b: Block, d: InstanceArrays) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = lp.row_lo[b.start:b.stop], lp.row_hi[b.start:b.stop]
    return (np.maximum(np.where(np.isfinite(lo), lo, 0), FLOOR_WT_PCT),
            np.maximum(np.where(np.isfinite(hi), hi, 0), FLOOR_WT_PCT))


def relax(v: Violation, fig: Figures, instance: Instance) -> Relaxation:
    d = fig.arrays
    prod, el, side = v.key
    p, e = product_index(d, prod), d.constituents.index(el)
    alloy = instance.products[p].alloy
    lo, hi = instance.alloys[alloy][el]
    got = float(_worst(fig, side)[p, e])
    path = f"alloys.{alloy}.{el}"
    if side == "max":
        new = round_out(got, up=True)
        return Relaxation("margin", v.key, side, path, [lo, new],
                          f"{prod}: {el} max {hi:g} wt% cannot hold with a {d.margin_sd:g} sd "
                          f"margin; relax it to {new:g} (or narrow the margin)")
    new = round_out(got, up=False)
    return Relaxation("margin", v.key, side, path, [new, hi],
                      f"{prod}: {el} min {lo:g} wt% cannot hold with a {d.margin_sd:g} sd "
                      f"margin; lower it to {new:g} (or narrow the margin)")


FAMILY = Family(
    name="margin", label="RM", title="robust margin",
    math="Σ_m y_m (c_me + K σ_me) x_pm / T_p ≤ hi_pe; Σ_m y_m max(c_me − K σ_me, 0) x_pm / "
         "T_p ≥ lo_pe (homogeneous for a sold product, as (CS))",
    domain="p, e with a real window and a spread, when K = `objective.margin_sd` > 0",
    fields="`objective.margin_sd`, `materials.composition_sd`, and those of (CH)",
    keys=("product", "constituent", "side"), define=define_margin, check=check, words=words,
    dual=Dual("wt%"), elastic=Elastic("limit", refs, relax))
