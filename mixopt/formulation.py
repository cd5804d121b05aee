"""The charge-mix formulation: one function per constraint family, written as arrays.

This module is the single source of truth of the model. It turns an
``InstanceArrays`` into a ``LinearProgram`` (sparse rows with bounds, column
bounds, integrality, objective), whose row and column blocks are labelled in
instance terms.

Row scaling: every per-product row is divided by the product's tonnes T_p (the
instance cap by the month's tonnes), so each row is written in the unit of its
limit — wt%, t CO2e per t of slab, share — and right-hand sides stay within HiGHS's
comfortable range from 0.5 t melts to 100,000 t months. A row dual is then directly
"per unit of the limit". ``mixopt.pyomo_model`` turns that into a Pyomo model; the
symbols below are the ones of ``models/formulation.md``.

Variables
    x[p, m] >= 0   t of material m charged to product p           (block "charge")
    n[m] in Z+     number of whole lots of m bought (if m has a lot) (block "lots")
    z[m] in {0,1}  1 if m is ordered at all (if m has a min_order)   (block "ordered")
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from mixopt.data import InstanceArrays

INF = np.inf


@dataclass(frozen=True)
class Block:
    """A contiguous range of rows (or columns) of one family, with instance-level keys."""

    name: str
    start: int
    keys: tuple[tuple, ...]

    @property
    def stop(self) -> int:
        return self.start + len(self.keys)


@dataclass(frozen=True)
class LinearProgram:
    """min c.x + offset  s.t.  row_lo <= A x <= row_hi,  col_lo <= x <= col_hi."""

    A: sp.csc_matrix  # column-wise, as HiGHS takes it
    row_lo: np.ndarray
    row_hi: np.ndarray
    col_lo: np.ndarray
    col_hi: np.ndarray
    c: np.ndarray
    offset: float
    integer: np.ndarray  # (ncols,) bool
    rows: tuple[Block, ...]
    cols: tuple[Block, ...]
    objective_unit: str

    @property
    def is_mip(self) -> bool:
        return bool(self.integer.any())

    def row_block(self, name: str) -> Block | None:
        return next((b for b in self.rows if b.name == name), None)

    def col_block(self, name: str) -> Block | None:
        return next((b for b in self.cols if b.name == name), None)


@dataclass
class _Builder:
    """Accumulates rows in COO form; only this module writes to it."""

    data: list[np.ndarray] = field(default_factory=list)
    ri: list[np.ndarray] = field(default_factory=list)
    ci: list[np.ndarray] = field(default_factory=list)
    lo: list[np.ndarray] = field(default_factory=list)
    hi: list[np.ndarray] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    nrows: int = 0

    def add(self, name: str, keys: list[tuple], rows: np.ndarray, cols: np.ndarray,
            vals: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        """Add ``len(keys)`` rows; ``rows`` are local row numbers within the block."""
        if not keys:
            return
        self.data.append(np.asarray(vals, dtype=float))
        self.ri.append(np.asarray(rows, dtype=np.int64) + self.nrows)
        self.ci.append(np.asarray(cols, dtype=np.int64))
        self.lo.append(np.asarray(lo, dtype=float))
        self.hi.append(np.asarray(hi, dtype=float))
        self.blocks.append(Block(name, self.nrows, tuple(keys)))
        self.nrows += len(keys)


def charge_col(P: int, M: int, p: np.ndarray | int, m: np.ndarray | int):
    """Column of x[p, m]: products outer, materials inner."""
    return np.asarray(p) * M + np.asarray(m)


def define_mass_balance(b: _Builder, d: InstanceArrays) -> None:
    """(MB) sum_m y_m x[p,m] / T_p = 1  for every product p (share of the order made)."""
    P, M, _ = d.shape
    pp, mm = np.divmod(np.arange(P * M), M)
    b.add("mass_balance", [(p,) for p in d.products], pp, pp * M + mm,
          d.yield_t_per_t[mm] / d.slab_tonnes[pp], np.ones(P), np.ones(P))


def define_chemistry(b: _Builder, d: InstanceArrays) -> None:
    """(CH) lo_pe <= sum_m y_m c_me x[p,m] / T_p <= hi_pe  for every limited (p, e).

    Rows are in wt% (their duals are per wt% of the limit). A window of [0, 100] is no
    limit and makes no row.
    """
    M = d.shape[1]
    pe = np.argwhere(d.limited & ((d.limit_min_wt_pct > 0) | (d.limit_max_wt_pct < 100)))
    if len(pe) == 0:
        return
    coef = d.yield_t_per_t[:, None] * d.composition_wt_pct  # (M, E)
    rows, cols, vals = [], [], []
    for r, (p, e) in enumerate(pe):
        nz = np.flatnonzero(coef[:, e])
        rows.append(np.full(len(nz), r))
        cols.append(p * M + nz)
        vals.append(coef[nz, e] / d.slab_tonnes[p])
    keys = [(d.products[p], d.constituents[e]) for p, e in pe]
    b.add("chemistry", keys, np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
          d.limit_min_wt_pct[pe[:, 0], pe[:, 1]], d.limit_max_wt_pct[pe[:, 0], pe[:, 1]])


def define_supply(b: _Builder, d: InstanceArrays, every_row: bool = False) -> None:
    """(SU) a_min_m <= sum_p x[p,m] <= a_max_m  for every material with a limit
    (for every material when ``every_row``, so that a re-solve can add a limit)."""
    P, M, _ = d.shape
    has = (d.available_min_t > 0) | np.isfinite(d.available_max_t)
    ms = np.flatnonzero(has | every_row)
    rows = np.repeat(np.arange(len(ms)), P)
    cols = charge_col(P, M, np.tile(np.arange(P), len(ms)), np.repeat(ms, P))
    b.add("supply", [(d.materials[m],) for m in ms], rows, cols, np.ones(len(rows)),
          d.available_min_t[ms], d.available_max_t[ms])


def define_footprint_caps(b: _Builder, d: InstanceArrays, every_row: bool = False) -> None:
    """(FP) sum_m f_m x[p,m] / T_p <= F_p - f_cast  per capped product;
    (FI) sum_p sum_m f_m x[p,m] / sum_p T_p <= F - f_cast  when the instance has a cap.
    Rows are in t CO2e per t of slab. With ``every_row`` the rows exist uncapped too
    (right-hand side +inf), for re-solves.
    """
    P, M, _ = d.shape
    f = d.footprint_t_co2e_per_t
    ps = np.flatnonzero(np.isfinite(d.product_cap_t_co2e_per_t) | every_row)
    rows = np.repeat(np.arange(len(ps)), M)
    cols = charge_col(P, M, np.repeat(ps, M), np.tile(np.arange(M), len(ps)))
    rhs = d.product_cap_t_co2e_per_t[ps] - d.casting_t_co2e_per_t
    b.add("product_footprint_cap", [(d.products[p],) for p in ps], rows, cols,
          (f[None, :] / d.slab_tonnes[ps, None]).ravel(), np.full(len(ps), -INF), rhs)
    if np.isfinite(d.instance_cap_t_co2e_per_t) or every_row:
        rhs = d.instance_cap_t_co2e_per_t - d.casting_t_co2e_per_t
        b.add("footprint_cap", [()], np.zeros(P * M), np.arange(P * M),
              np.tile(f, P) / d.slab_tonnes.sum(), np.array([-INF]), np.array([rhs]))


def define_recycled_share(b: _Builder, d: InstanceArrays) -> None:
    """(RS) sum_m (r_m - s_p) x[p,m] / T_p >= 0  for every product with s_p > 0."""
    P, M, _ = d.shape
    ps = np.flatnonzero(d.min_recycled_share > 0)
    rows = np.repeat(np.arange(len(ps)), M)
    cols = charge_col(P, M, np.repeat(ps, M), np.tile(np.arange(M), len(ps)))
    vals = ((d.recycled[None, :].astype(float) - d.min_recycled_share[ps, None])
            / d.slab_tonnes[ps, None]).ravel()
    b.add("recycled_share", [(d.products[p],) for p in ps], rows, cols, vals,
          np.zeros(len(ps)), np.full(len(ps), INF))


def define_purchase_rules(b: _Builder, d: InstanceArrays, lots: Block | None,
                          ordered: Block | None) -> None:
    """(LT) sum_p x[p,m] - L_m n[m] = 0 for every material with a lot size;
    (MO) sum_p x[p,m] - O_m z[m] >= 0 and sum_p x[p,m] - U_m z[m] <= 0 for every material
    with a minimum order, U_m = min(a_max_m, sum_p T_p / y_m) (no useful charge exceeds it).
    """
    P, M, _ = d.shape
    for blk, size, name in ((lots, d.lot_t, "lot"), (ordered, d.min_order_t, "min_order")):
        if blk is None:
            continue
        ms = np.flatnonzero(np.isfinite(size))
        k = len(ms)
        rows = np.concatenate([np.repeat(np.arange(k), P), np.arange(k)])
        cols = np.concatenate([charge_col(P, M, np.tile(np.arange(P), k), np.repeat(ms, P)),
                               blk.start + np.arange(k)])
        if name == "lot":
            vals = np.concatenate([np.ones(P * k), -size[ms]])
            b.add("lot", [(d.materials[m],) for m in ms], rows, cols, vals,
                  np.zeros(k), np.zeros(k))
        else:
            big_m = big_m_tonnes(d)[ms]
            b.add("min_order", [(d.materials[m],) for m in ms], rows, cols,
                  np.concatenate([np.ones(P * k), -size[ms]]), np.zeros(k), np.full(k, INF))
            b.add("order_link", [(d.materials[m],) for m in ms], rows, cols,
                  np.concatenate([np.ones(P * k), -big_m]), np.full(k, -INF), np.zeros(k))


def big_m_tonnes(d: InstanceArrays) -> np.ndarray:
    """Largest useful charge of each material: its supply, or all slab at its yield."""
    return np.minimum(d.available_max_t, d.slab_tonnes.sum() / d.yield_t_per_t)


def define_objective(d: InstanceArrays, sense: str) -> tuple[np.ndarray, float, str]:
    """Footprint: min sum f_m x[p,m] (+ f_cast sum T_p), in t CO2e.
    Cost: min sum (k_m + pi f_m) x[p,m] (+ pi f_cast sum T_p), in currency.
    """
    P, _, _ = d.shape
    cast_t = d.casting_t_co2e_per_t * d.slab_tonnes.sum()
    if sense == "footprint":
        return np.tile(d.footprint_t_co2e_per_t, P), cast_t, "t CO2e"
    price = d.carbon_price_per_t_co2e
    return (np.tile(d.cost_per_t + price * d.footprint_t_co2e_per_t, P), price * cast_t,
            "currency")


def build_lp(d: InstanceArrays, sense: str, every_row: bool = False) -> LinearProgram:
    """Assemble every family into one ``LinearProgram``.

    ``every_row`` keeps a supply row for every material and a cap row for every product
    and for the instance, unbounded where the instance sets no limit. The LP is the same;
    its structure then no longer depends on which limits are set, so a sweep over caps
    or supplies changes only bounds of one persistent LP (``HighsSession.update``).
    """
    P, M, _ = d.shape
    cols = [Block("charge", 0, tuple((p, m) for p in d.products for m in d.materials))]
    lot_ms = np.flatnonzero(np.isfinite(d.lot_t))
    ord_ms = np.flatnonzero(np.isfinite(d.min_order_t))
    lots = ordered = None
    if len(lot_ms):
        lots = Block("lots", cols[-1].stop, tuple((d.materials[m],) for m in lot_ms))
        cols.append(lots)
    if len(ord_ms):
        ordered = Block("ordered", cols[-1].stop, tuple((d.materials[m],) for m in ord_ms))
        cols.append(ordered)
    n = cols[-1].stop
    col_lo, col_hi = np.zeros(n), np.full(n, INF)
    integer = np.zeros(n, dtype=bool)
    if lots is not None:  # lot counts stay unbounded: (SU) and (LT) bound them already,
        integer[lots.start:lots.stop] = True  # and huge counts would alarm HiGHS needlessly
    if ordered is not None:
        integer[ordered.start:ordered.stop] = True
        col_hi[ordered.start:ordered.stop] = 1.0

    b = _Builder()
    define_mass_balance(b, d)
    define_chemistry(b, d)
    define_supply(b, d, every_row)
    define_footprint_caps(b, d, every_row)
    define_recycled_share(b, d)
    define_purchase_rules(b, d, lots, ordered)
    c = np.zeros(n)
    c[: P * M], offset, unit = define_objective(d, sense)
    A = sp.csc_matrix((np.concatenate(b.data), (np.concatenate(b.ri), np.concatenate(b.ci))),
                      shape=(b.nrows, n))
    A.sum_duplicates()
    return LinearProgram(A=A, row_lo=np.concatenate(b.lo), row_hi=np.concatenate(b.hi),
                         col_lo=col_lo, col_hi=col_hi, c=c, offset=offset, integer=integer,
                         rows=tuple(b.blocks), cols=tuple(cols), objective_unit=unit)


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
    return x
