"""(CC) Chance-constrained chemistry: each uncertain alloy limit holds with a confidence.

With the spread of scrap chemistry (``materials.composition_sd``) and a confidence a
(``objective.confidence`` or ``products.confidence``), a max limit must hold with
probability at least a: ``Σ_m y_m c_me x_pm / T_p + z_a ‖(y_m σ_me x_pm / T_p)_m‖₂ <= hi_pe``
(the mirror row for a min limit). The family gives each uncertain (p, e) a spread column
r_pe >= ‖(y_m σ_me x_pm / T_p)_m‖₂ (a second-order cone, in extended form with its link
row), and writes each limit as the linear anchor row ``mean + z_a r_pe <= hi_pe``; the
solver adds tangent cuts until every cone holds (``mixopt.model.backend.cuts``). Per heat
(``confidence_per = "heat"``), the product's L chance limits each take 1 - (1 - a) / L
(Bonferroni), so that a heat meets them all with at least a. The recheck computes each
limit's probability exactly (for heats, the joint probability: constituents vary
independently) from the plan alone.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from mixopt.model.arrays import InstanceArrays
from mixopt.model.families.base import Dual, Elastic, Family, Relaxation
from mixopt.model.families.shared import FLOOR_WT_PCT, product_index, round_out
from mixopt.model.figures import Figures, Violation, tolerance
from mixopt.model.lp import INF, Block, LinearProgram, LPBuilder
from mixopt.model.schema.instance import Instance
from mixopt.model.uncertainty import (
    chance_sides,
    limit_confidence,
    outside,
    quantile,
    spread_wt_pct,
)

#: A limit's probability may fall short of its confidence by this much and still hold.
PROB_TOL = 1e-6
_PAST = {"min": "below", "max": "above"}


def _sides(d: InstanceArrays) -> list[tuple[int, int, str]]:
    lo_on, hi_on = chance_sides(d)
    out = [(int(p), int(e), "min") for p, e in np.argwhere(lo_on)]
    out += [(int(p), int(e), "max") for p, e in np.argwhere(hi_on)]
    return sorted(out)


def _spread_keys(d: InstanceArrays) -> list[tuple[int, int]]:
    """(p, e) of every uncertain window with a chance limit on either side."""
    lo_on, hi_on = chance_sides(d)
    return [(int(p), int(e)) for p, e in np.argwhere(lo_on | hi_on)]


def spread_columns(b: LPBuilder, d: InstanceArrays) -> None:
    """r_pe >= 0: the spread of p's content of e from heat to heat, in t x wt% (times T_p:
    the cone's cuts then have coefficients of order 1, where per t of order they would
    span 1e-9..1 and cost HiGHS its numerical stability on large months)."""
    b.add_columns("spread", [(d.products[p], d.constituents[e]) for p, e in _spread_keys(d)],
                  0.0, INF)


def define_chance(b: LPBuilder, d: InstanceArrays) -> None:
    """(CC) Σ_m y_m c_me x[p,m] / T_p + z r_pe / T_p <= hi_pe (and - z r_pe / T_p >= lo_pe)
    for every uncertain limit with a confidence, and the cone ‖(y_m σ_me x[p,m])_m‖₂ <=
    r_pe (its link row Σ_m w_pem - r_pe <= 0). Limit rows are in wt%, like (CH). A product
    sold in a range makes a slab that is a decision: its rows are homogeneous,
    Σ_m y_m (c_me - hi_pe) x[p,m] / T_p + z r_pe / T_p <= 0 (mirror for lo_pe), still a
    second-order cone since the spread and the slab are both linear in x."""
    sides = _sides(d)
    if not sides:
        return
    M = d.shape[1]
    a_lo, a_hi = limit_confidence(d)
    r_block = b.col_block("spread")
    r_of = {k: r_block.start + i for i, k in enumerate(_spread_keys(d))}
    coef = d.yield_t_per_t[:, None] * d.composition_wt_pct
    rows, cols, vals, lo, hi = [], [], [], [], []
    for i, (p, e, side) in enumerate(sides):
        mx = side == "max"
        limit = d.limit_max_wt_pct[p, e] if mx else d.limit_min_wt_pct[p, e]
        # a sold product's slab is a decision: its row is homogeneous, the limit times the
        # slab made moved to the left (as its mean rows, ``shared.sold_window_rows``)
        row = coef[:, e] - (limit * d.yield_t_per_t if d.sold[p] else 0.0)
        nz = np.flatnonzero(row)
        z = float(quantile((a_hi if mx else a_lo)[p, e]))
        rows.append(np.full(len(nz) + 1, i))
        cols.append(np.append(p * M + nz, r_of[(p, e)]))
        zt = z / d.slab_tonnes[p]  # r is in t x wt%: per t of order here
        vals.append(np.append(row[nz] / d.slab_tonnes[p], zt if mx else -zt))
        bound = 0.0 if d.sold[p] else limit
        lo.append(-INF if mx else bound)
        hi.append(bound if mx else INF)
    b.add_rows("chance", [(d.products[p], d.constituents[e], side) for p, e, side in sides],
               np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
               np.array(lo), np.array(hi))
    keys = _spread_keys(d)
    first = b.nrows
    b.add_rows("spread_link", [(d.products[p], d.constituents[e]) for p, e in keys],
               np.arange(len(keys)), np.array([r_of[k] for k in keys]), -np.ones(len(keys)),
               -INF, 0.0)
    spread = d.yield_t_per_t[:, None] * d.composition_sd_wt_pct
    s_rows, s_cols, s_vals = [], [], []
    for k, (p, e) in enumerate(keys):
        sz = np.flatnonzero(spread[:, e])
        s_rows.append(np.full(len(sz), k))
        s_cols.append(p * M + sz)
        s_vals.append(spread[sz, e])  # in t x wt%: cuts in well-scaled units
    S = sp.csr_matrix((np.concatenate(s_vals), (np.concatenate(s_rows),
                                                np.concatenate(s_cols))),
                      shape=(len(keys), b.ncols))
    b.add_cones(S, np.array([r_of[k] for k in keys]), first + np.arange(len(keys)),
                1.0 / d.slab_tonnes[[p for p, _ in keys]])


def probabilities(fig: Figures, slack: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(P, E) each: the probability that a heat's content is below each min limit and above
    each max limit (0 where the alloy sets no such limit). ``slack``: past each limit by
    more than the chemistry recheck's tolerance (``figures.tolerance``), so that a plan on
    a limit with (almost) no spread is not off-spec by rounding."""
    d = fig.arrays
    sd = spread_wt_pct(d, fig.mix_t, fig.slab_t)
    lo, hi = d.limit_min_wt_pct, d.limit_max_wt_pct
    if slack:
        lo, hi = np.where(lo > 0, lo - tolerance(lo), lo), np.where(hi < 100, hi + tolerance(hi),
                                                                   hi)
    return outside(fig.composition_wt_pct, sd, lo, hi)


def check(fig: Figures) -> list[Violation]:
    d = fig.arrays
    if not d.has_chance:
        return []
    below, above = probabilities(fig, slack=True)
    if d.confidence_per == "heat":
        return _check_heats(fig, below, above)
    a_lo, a_hi = limit_confidence(d)
    out = []
    made = fig.slab_t > tolerance(0.0)  # a sold product that makes nothing has no heats
    for p, e, side in _sides(d):
        if not made[p]:
            continue
        prob, a = (above[p, e], a_hi[p, e]) if side == "max" else (below[p, e], a_lo[p, e])
        if prob > 1 - a + PROB_TOL:
            out.append(Violation("chance", side, (d.products[p], d.constituents[e], side),
                                 float(prob - (1 - a)), "probability",
                                 f"{d.constituents[e]} is {_PAST[side]} its {side}imum in "
                                 f"{prob:.4%} of heats, more than {1 - a:.4%}"))
    return out


def _check_heats(fig: Figures, below: np.ndarray, above: np.ndarray) -> list[Violation]:
    """Per heat: all of a product's limits at once (constituents vary independently)."""
    d = fig.arrays
    off = 1 - np.prod(1 - below - above, axis=1, where=d.windowed)
    out = []
    made = fig.slab_t > tolerance(0.0)
    for p in np.flatnonzero(np.isfinite(d.confidence) & d.uncertain.any(axis=1) & made):
        a = d.confidence[p]
        if off[p] > 1 - a + PROB_TOL:
            out.append(Violation("chance", "max", (d.products[p], "every limit", "heat"),
                                 float(off[p] - (1 - a)), "probability",
                                 f"{off[p]:.4%} of heats are off-spec, more than {1 - a:.4%}"))
    return out


def _bound(key: tuple, d: InstanceArrays) -> tuple[float, float]:
    """(limit in wt%, confidence) of a chance limit."""
    p, e = product_index(d, key[0]), d.constituents.index(key[1])
    a_lo, a_hi = limit_confidence(d)
    if key[2] == "max":
        return float(d.limit_max_wt_pct[p, e]), float(a_hi[p, e])
    return float(d.limit_min_wt_pct[p, e]), float(a_lo[p, e])


def words(key: tuple, side: str, d: InstanceArrays) -> str:
    if key[1:] == ("every limit", "heat"):
        a = d.confidence[product_index(d, key[0])]
        return f"{key[0]}: every limit at once with probability {a:.4g}"
    lim, a = _bound(key, d)
    return f"{key[0]}: {key[1]} {key[2]} {lim:.6g} wt% with probability {a:.4g}"


def reached(key: tuple, side: str, d: InstanceArrays) -> str:
    _, a = _bound(key, d)
    return f"{key[0]}: {key[1]} at its {key[2]} limit with {a:.4g} confidence"


def refs(lp: LinearProgram, b: Block, d: InstanceArrays) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = lp.row_lo[b.start:b.stop], lp.row_hi[b.start:b.stop]
    return (np.maximum(np.where(np.isfinite(lo), lo, 0), FLOOR_WT_PCT),
            np.maximum(np.where(np.isfinite(hi), hi, 0), FLOOR_WT_PCT))


def relax(v: Violation, fig: Figures, instance: Instance) -> Relaxation | None:
    """Move the window to where the limit holds with its confidence at the bent plan."""
    d = fig.arrays
    if v.key[1:] == ("every limit", "heat"):
        return None
    prod, el, side = v.key
    p, e = product_index(d, prod), d.constituents.index(el)
    alloy = instance.products[p].alloy
    lo, hi = instance.alloys[alloy][el]
    _, a = _bound(v.key, d)
    mean = float(fig.composition_wt_pct[p, e])
    sd = float(spread_wt_pct(d, fig.mix_t[p:p + 1], fig.slab_t[p:p + 1])[0, e])
    z = float(quantile(a))
    path = f"alloys.{alloy}.{el}"
    if side == "max":
        new = round_out(mean + z * sd, up=True)
        return Relaxation("chance", v.key, side, path, [lo, new],
                          f"{prod}: {el} max {hi:g} wt% cannot hold with probability {a:.4g}; "
                          f"relax it to {new:g} (or lower the confidence)")
    new = round_out(max(mean - z * sd, 0.0), up=False)
    return Relaxation("chance", v.key, side, path, [new, hi],
                      f"{prod}: {el} min {lo:g} wt% cannot hold with probability {a:.4g}; "
                      f"lower it to {new:g} (or lower the confidence)")


FAMILY = Family(
    name="chance", label="CC", title="chance-constrained chemistry",
    math="Σ_m y_m c_me x_pm / T_p + z_a r_pe ≤ hi_pe (mirror for lo_pe), "
         "r_pe ≥ ‖(y_m σ_me x_pm / T_p)_m‖₂; for a sold product "
         "Σ_m y_m (c_me − hi_pe) x_pm / T_p + z_a r_pe ≤ 0 (mirror for lo_pe)",
    domain="p, e with a real window, a spread (σ_me > 0 for some m) and a confidence a",
    fields="`materials.composition_sd`, `objective.confidence`, `objective.confidence_per`, "
           "`products.confidence`, and those of (CH)",
    keys=("product", "constituent", "side"), define=define_chance, check=check, words=words,
    dual=Dual("wt%"), elastic=Elastic("limit", refs, relax), reached=reached,
    columns=spread_columns, blocks=("spread_link", "chance_cut"),
    implied="the spread_link rows and the solver's cuts hold r_pe above the spread; the "
            "recheck takes the spread from the plan")
