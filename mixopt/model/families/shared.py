"""What the family modules share: recheck helpers, the per-product row writer, and the
rounding of a relaxation."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from mixopt.model.arrays import InstanceArrays
from mixopt.model.figures import Figures, Violation, tolerance
from mixopt.model.lp import INF, Block, LinearProgram, LPBuilder, charge_col


def violation(family: str, side: str, key: tuple, excess: float, limit: float, unit: str,
              detail: str) -> Violation | None:
    """A ``Violation`` when ``excess`` is past the tolerance of ``limit``, else None."""
    if excess > tolerance(limit):
        return Violation(family, side, tuple(key), float(excess), unit, detail)
    return None


def kept(items: Iterable[Violation | None]) -> list[Violation]:
    return [v for v in items if v is not None]


def product_index(d: InstanceArrays, name: str) -> int:
    return d.products.index(name)


def round_out(v: float, up: bool) -> float:
    """``v`` to 4 significant digits, rounded away from the broken side."""
    if v == 0 or not math.isfinite(v):
        return v
    mag = 10 ** (math.floor(math.log10(abs(v))) - 3)
    return (math.ceil(v / mag) if up else math.floor(v / mag)) * mag


def per_product_rows(b: LPBuilder, name: str, d: InstanceArrays, ps: np.ndarray,
                     coef: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
    """One row per product in ``ps``: ``lo <= sum_m coef[p, m] x[p, m] / T_p <= hi``."""
    M = d.shape[1]
    rows = np.repeat(np.arange(len(ps)), M)
    cols = np.repeat(ps, M) * M + np.tile(np.arange(M), len(ps))
    vals = (coef / d.slab_tonnes[ps, None]).ravel()
    b.add_rows(name, [(d.products[p],) for p in ps], rows, cols, vals, lo, hi)


def window_rows(b: LPBuilder, name: str, d: InstanceArrays, pe: np.ndarray,
                lo: np.ndarray, hi: np.ndarray) -> None:
    """One row per (p, e) in ``pe``: ``lo <= sum_m y_m c_me x[p, m] / T_p <= hi`` in wt%
    (the mean chemistry of the metal against a window), a constituent at a time. A product
    sold in a range makes a slab that is a decision: its window is homogeneous, one row a
    side (``sold_window_rows``)."""
    sold = d.sold[pe[:, 0]] if len(pe) else np.zeros(0, dtype=bool)
    sold_window_rows(b, name, d, pe[sold], lo[sold], hi[sold])
    pe, lo, hi = pe[~sold], lo[~sold], hi[~sold]
    if len(pe) == 0:
        return
    M = d.shape[1]
    coef = d.yield_t_per_t[:, None] * d.composition_wt_pct  # (M, E)
    rows, cols, vals = [], [], []
    for e in np.unique(pe[:, 1]):
        r = np.flatnonzero(pe[:, 1] == e)
        ps, nz = pe[r, 0], np.flatnonzero(coef[:, e])
        rows.append(np.repeat(r, len(nz)))
        cols.append((ps[:, None] * M + nz[None, :]).ravel())
        vals.append((coef[nz, e][None, :] / d.slab_tonnes[ps, None]).ravel())
    b.add_rows(name, [(d.products[p], d.constituents[e]) for p, e in pe],
               np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), lo, hi)


def sold_window_rows(b: LPBuilder, name: str, d: InstanceArrays, pe: np.ndarray,
                     lo: np.ndarray, hi: np.ndarray) -> None:
    """The windows of products sold in a range, whose slab is a decision: homogeneous,
    sum_m y_m (c_me - lo_pe) x[p,m] / T_p >= 0 (block ``<name>_sold_min``, where lo > 0) and
    sum_m y_m (c_me - hi_pe) x[p,m] / T_p <= 0 (``<name>_sold_max``, where hi < 100): the
    same window, with the slab made in place of an order (T_p: the nominal tonnes)."""
    M = d.shape[1]
    for side, limit, row_lo, row_hi in (("min", lo, 0.0, INF), ("max", hi, -INF, 0.0)):
        sel = [i for i in range(len(pe)) if (limit[i] > 0 if side == "min" else limit[i] < 100)]
        rows, cols, vals = [], [], []
        for r, i in enumerate(sel):
            p, e = pe[i]
            coef = d.yield_t_per_t * (d.composition_wt_pct[:, e] - limit[i])
            nz = np.flatnonzero(coef)
            rows.append(np.full(len(nz), r))
            cols.append(p * M + nz)
            vals.append(coef[nz] / d.slab_tonnes[p])
        if sel:
            b.add_rows(f"{name}_sold_{side}",
                       [(d.products[pe[i][0]], d.constituents[pe[i][1]]) for i in sel],
                       np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
                       np.full(len(sel), row_lo), np.full(len(sel), row_hi))


#: Slack on a window limit of (near) zero is measured against this floor of its size.
FLOOR_WT_PCT = 0.01


def window_refs(lp: LinearProgram, b: Block, d: InstanceArrays) -> tuple[np.ndarray,
                                                                          np.ndarray]:
    """Diagnose's 100% of each wt% window row's limits (at least ``FLOOR_WT_PCT``)."""
    return (np.maximum(lp.row_lo[b.start:b.stop], FLOOR_WT_PCT),
            np.maximum(lp.row_hi[b.start:b.stop], FLOOR_WT_PCT))


def window_violations(fig: Figures, family: str, which: np.ndarray, lo: np.ndarray,
                      hi: np.ndarray, what: str = "") -> list[Violation]:
    """The recheck of wt% windows (``which``: (P, E) bool) on the plan's chemistry (of the
    products it makes: a sold product may make none); ``what`` names the window in the
    words ("aim " for aims)."""
    d, comp = fig.arrays, fig.composition_wt_pct
    out = []
    made = fig.slab_t > tolerance(0.0)  # a product that makes nothing has no chemistry
    for p, e in np.argwhere(which & made[:, None]):
        key, el, got = (d.products[p], d.constituents[e]), d.constituents[e], comp[p, e]
        out.append(violation(family, "min", key, lo[p, e] - got, lo[p, e], "wt%",
                             f"{el} {got:.6g} wt% below its {what}minimum {lo[p, e]:g}"))
        out.append(violation(family, "max", key, got - hi[p, e], hi[p, e], "wt%",
                             f"{el} {got:.6g} wt% above its {what}maximum {hi[p, e]:g}"))
    return kept(out)


def use_terms(d: InstanceArrays, ms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, cols, vals) of the tonnes of each material in ``ms`` bought: charged into
    every product, plus what processes consume to make their outputs (row k is ms[k])."""
    P, M, _ = d.shape
    ms = np.asarray(ms, dtype=np.int64)
    ps = np.arange(P)
    rows = [np.repeat(np.arange(len(ms)), P)]
    cols = [charge_col(M, np.tile(ps, len(ms)), np.repeat(ms, P))]
    vals = [np.ones(len(ms) * P)]
    row_of = {int(m): k for k, m in enumerate(ms)}
    for i, o, a in d.feeds:
        if i in row_of:
            rows.append(np.full(P, row_of[i]))
            cols.append(charge_col(M, ps, o))
            vals.append(np.full(P, a))
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)


def return_terms(d: InstanceArrays, ms: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                             np.ndarray]:
    """(rows, cols, vals) of the tonnes of each material in ``ms`` that come back as home
    scrap: Σ_p S_p Σ_m' y_m' x[p,m'] over the products p that return to it (row k is
    ms[k]; empty where none does)."""
    M = d.shape[1]
    rows, cols, vals = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)], \
        [np.zeros(0)]
    for k, m in enumerate(np.asarray(ms, dtype=np.int64)):
        for p in np.flatnonzero(d.return_material == m):
            rows.append(np.full(M, k))
            cols.append(charge_col(M, np.full(M, p), np.arange(M)))
            vals.append(d.return_share[p] * d.yield_t_per_t)
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
