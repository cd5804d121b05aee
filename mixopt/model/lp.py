"""The LP as data: labelled row and column blocks, and the builder the families write to.

``LinearProgram`` is ``min c.x + offset  s.t.  row_lo <= A x <= row_hi,
col_lo <= x <= col_hi`` with some columns integer. Every row block belongs to one
constraint family (``mixopt.model.families``) and every block carries its keys in
instance terms (product, material, constituent), so rows and columns can always be
read back as the limit or the decision they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

INF = np.inf


class Prefixed(Sequence):
    """The keys of a block with a prefix (a period) in front of each, without copying
    them: ``Prefixed(("2027-01",), keys)[i] == ("2027-01", *keys[i])``."""

    __slots__ = ("keys", "prefix")

    def __init__(self, prefix: tuple, keys: Sequence[tuple]) -> None:
        self.prefix, self.keys = prefix, keys

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [(*self.prefix, *k) for k in self.keys[i]]
        return (*self.prefix, *self.keys[i])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Prefixed):
            return self.prefix == other.prefix and self.keys == other.keys
        return isinstance(other, Sequence) and list(self) == list(other)

    def __hash__(self) -> int:
        return hash((self.prefix, len(self.keys)))


class Pairs(Sequence):
    """The keys (p, m) of the charge block, products outer, without building them."""

    __slots__ = ("inner", "outer")

    def __init__(self, outer: Sequence, inner: Sequence) -> None:
        self.outer, self.inner = outer, inner

    def __len__(self) -> int:
        return len(self.outer) * len(self.inner)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        p, m = divmod(i, len(self.inner))
        return self.outer[p], self.inner[m]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Pairs):
            return (tuple(self.outer) == tuple(other.outer)
                    and tuple(self.inner) == tuple(other.inner))
        return isinstance(other, Sequence) and list(self) == list(other)

    def __hash__(self) -> int:
        return hash((tuple(self.outer), tuple(self.inner)))


@dataclass(frozen=True)
class Block:
    """A contiguous range of rows (or columns) of one family, with instance-level keys.

    In the LP of several periods each period's own blocks carry ``part`` (the period's
    place in the LP) and ``period`` (its name; their keys start with it), so that a block
    is known by its ``label`` (``chemistry@2027-02``) in every backend; blocks that link
    periods have neither (their keys name the period themselves)."""

    name: str
    start: int
    keys: Sequence[tuple]  # a tuple of keys, or ``Prefixed`` keys of an appended LP
    part: int | None = None
    period: str = ""

    @property
    def stop(self) -> int:
        return self.start + len(self.keys)

    @property
    def label(self) -> str:
        """The block's name, unique in its LP."""
        return f"{self.name}@{self.period}" if self.period else self.name

    def local_key(self, i: int) -> tuple:
        """Key ``i`` without the period in front (as the family wrote it)."""
        return self.keys.keys[i] if isinstance(self.keys, Prefixed) else self.keys[i]

    def local(self) -> Block:
        """The block with its keys as its family wrote them (no period in front)."""
        if not isinstance(self.keys, Prefixed):
            return self
        return Block(self.name, self.start, self.keys.keys, self.part, self.period)


@dataclass(frozen=True)
class Cones:
    """Second-order cones ``‖S[k] ∘ x‖₂ <= x[r_col[k]]`` in extended form.

    Each cone k has a spread column r_k (``r_col[k]``) and a link row
    ``Σ_m w_km - r_k <= 0`` (``link_row[k]``); the solver adds the columns w_km as a plan
    uses material column m, with tangent cuts of ``w_km >= (S[k, m] x_m)² / r_k``
    (``mixopt.model.backend.cuts``). ``S[k]`` holds the spread coefficients per column.
    """

    S: sp.csr_matrix  # (K, ncols)
    r_col: np.ndarray  # (K,)
    link_row: np.ndarray  # (K,)
    unit: np.ndarray  # (K,) the spread in the unit of the rows its limits are written in

    def __len__(self) -> int:
        return len(self.r_col)


@dataclass(frozen=True)
class LinearProgram:
    """min c.x + offset  s.t.  row_lo <= A x <= row_hi,  col_lo <= x <= col_hi, and the
    second-order ``cones`` (if any) on some of the rows."""

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
    cones: Cones | None = None

    @property
    def is_mip(self) -> bool:
        return bool(self.integer.any())

    def row_block(self, name: str) -> Block | None:
        return next((b for b in self.rows if b.name == name), None)

    def col_block(self, name: str) -> Block | None:
        return next((b for b in self.cols if b.name == name), None)

    def block_of_row(self, r: int) -> Block:
        return next(b for b in self.rows if b.start <= r < b.stop)

    def block_of_col(self, j: int) -> Block:
        return next(b for b in self.cols if b.start <= j < b.stop)


@dataclass
class LPBuilder:
    """Accumulates columns (with their objective costs), then rows in COO form; the
    families write here, and ``build`` freezes the result. ``every_row``: keep rows of
    limits the instance does not set (free), so that a re-solve can set them by changing
    bounds only."""

    every_row: bool = False
    _data: list[np.ndarray] = field(default_factory=list)
    _ri: list[np.ndarray] = field(default_factory=list)
    _ci: list[np.ndarray] = field(default_factory=list)
    _lo: list[np.ndarray] = field(default_factory=list)
    _hi: list[np.ndarray] = field(default_factory=list)
    _rows: list[Block] = field(default_factory=list)
    _cols: list[Block] = field(default_factory=list)
    _col_lo: list[np.ndarray] = field(default_factory=list)
    _col_hi: list[np.ndarray] = field(default_factory=list)
    _col_cost: list[np.ndarray] = field(default_factory=list)
    _more_cost: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    _integer: list[np.ndarray] = field(default_factory=list)
    _cones: list[tuple[sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=list)
    nrows: int = 0
    ncols: int = 0

    def add_columns(self, name: str, keys: list[tuple], lo: np.ndarray, hi: np.ndarray,
                    integer: bool = False, cost: np.ndarray | float = 0.0) -> Block | None:
        """Add ``len(keys)`` columns with their objective ``cost`` per unit; returns their
        block (None when there are none)."""
        if not keys:
            return None
        block = Block(name, self.ncols, keys if isinstance(keys, Pairs) else tuple(keys))
        self._cols.append(block)
        self._col_lo.append(np.broadcast_to(np.asarray(lo, dtype=float), len(keys)))
        self._col_hi.append(np.broadcast_to(np.asarray(hi, dtype=float), len(keys)))
        self._col_cost.append(np.broadcast_to(np.asarray(cost, dtype=float), len(keys)))
        self._integer.append(np.full(len(keys), integer))
        self.ncols += len(keys)
        return block

    def add_cost(self, cols: np.ndarray, vals: np.ndarray) -> None:
        """Add ``vals`` to the objective cost of columns ``cols`` (already added)."""
        self._more_cost.append((np.asarray(cols, dtype=np.int64),
                                np.asarray(vals, dtype=float)))

    def col_block(self, name: str) -> Block | None:
        return next((b for b in self._cols if b.name == name), None)

    def add_rows(self, name: str, keys: list[tuple], rows: np.ndarray, cols: np.ndarray,
                 vals: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        """Add ``len(keys)`` rows; ``rows`` are local row numbers within the block."""
        if not keys:
            return
        self._data.append(np.asarray(vals, dtype=float))
        self._ri.append(np.asarray(rows, dtype=np.int64) + self.nrows)
        self._ci.append(np.asarray(cols, dtype=np.int64))
        self._lo.append(np.broadcast_to(np.asarray(lo, dtype=float), len(keys)))
        self._hi.append(np.broadcast_to(np.asarray(hi, dtype=float), len(keys)))
        self._rows.append(Block(name, self.nrows, tuple(keys)))
        self.nrows += len(keys)

    def add_lp(self, lp: LinearProgram, part: int, period: str = "") -> int:
        """Append every column (with its cost), row and cone of ``lp``, one period of a
        larger LP: its blocks carry ``part`` and ``period``, and with a ``period`` their
        keys start with it. Returns the column offset of ``lp`` in this builder."""
        col0, row0 = self.ncols, self.nrows
        coo = lp.A.tocoo()
        self._data.append(coo.data)
        self._ri.append(coo.row.astype(np.int64) + row0)
        self._ci.append(coo.col.astype(np.int64) + col0)
        self._lo.append(lp.row_lo)
        self._hi.append(lp.row_hi)
        self._col_lo.append(lp.col_lo)
        self._col_hi.append(lp.col_hi)
        self._col_cost.append(lp.c)
        self._integer.append(lp.integer)
        if lp.cones is not None:  # its cones, on its columns and link rows here
            S = lp.cones.S.tocsr()
            self._cones.append((sp.csr_matrix((S.data, S.indices + col0, S.indptr),
                                              shape=(S.shape[0], col0 + S.shape[1])),
                                lp.cones.r_col + col0, lp.cones.link_row + row0,
                                lp.cones.unit))

        def moved(b: Block, at: int) -> Block:
            keys = Prefixed((period,), b.keys) if period else b.keys
            return Block(b.name, b.start + at, keys, part, period)

        self._cols += [moved(b, col0) for b in lp.cols]
        self._rows += [moved(b, row0) for b in lp.rows]
        self.ncols += lp.A.shape[1]
        self.nrows += lp.A.shape[0]
        return col0

    def add_cones(self, S: sp.csr_matrix, r_col: np.ndarray, link_row: np.ndarray,
                  unit: np.ndarray) -> None:
        """Cones ``‖S[k] ∘ x‖ <= x[r_col[k]]`` with their link rows (LP row numbers) and the
        factor ``unit`` that puts a spread in its limits' unit; ``S`` has a row per cone
        over the columns added so far."""
        self._cones.append((sp.csr_matrix(S), np.asarray(r_col, dtype=np.int64),
                            np.asarray(link_row, dtype=np.int64),
                            np.asarray(unit, dtype=float)))

    def build(self, offset: float, unit: str, compressed: bool = True) -> LinearProgram:
        """The frozen LP; ``compressed=False`` keeps A in COO form (an LP that is only
        appended to a larger one, ``add_lp``, needs no column-wise copy of its own)."""
        def cat(parts: list[np.ndarray], dtype: type = float) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        A = sp.coo_matrix((cat(self._data), (cat(self._ri, np.int64),
                                             cat(self._ci, np.int64))),
                          shape=(self.nrows, self.ncols))
        if compressed:
            A = A.tocsc()
            A.sum_duplicates()
        c = cat(self._col_cost).copy()
        for cols, vals in self._more_cost:
            np.add.at(c, cols, vals)
        cones = None
        if self._cones:
            S, r_col, link, units = zip(*self._cones, strict=True)
            S = [sp.csr_matrix((m.data, m.indices, m.indptr), shape=(m.shape[0], self.ncols))
                 for m in S]
            cones = Cones(sp.vstack(S, format="csr"), np.concatenate(r_col),
                          np.concatenate(link), np.concatenate(units))
        return LinearProgram(A=A, row_lo=cat(self._lo), row_hi=cat(self._hi),
                             col_lo=cat(self._col_lo), col_hi=cat(self._col_hi),
                             c=c, offset=float(offset),
                             integer=cat(self._integer, bool).astype(bool),
                             rows=tuple(self._rows), cols=tuple(self._cols),
                             objective_unit=unit, cones=cones)


def charge_col(M: int, p: np.ndarray | int, m: np.ndarray | int) -> np.ndarray:
    """Column of x[p, m] in the charge block: products outer, materials inner."""
    return np.asarray(p) * M + np.asarray(m)


def fix_integers(lp: LinearProgram, z: np.ndarray) -> LinearProgram:
    """``lp`` with its integer columns fixed at ``z`` (rounded), as a continuous program,
    and every column that a row then pins on its own fixed too: a row left with one free
    column bounds it (``x - U z <= 0`` at z = 0 makes ``x <= 0``), and a column whose
    bounds meet is fixed. A solver then returns those columns exactly at their value (an
    interior point, or a MILP's integrality tolerance, would leave a trace where a plan
    must have none)."""
    j = np.flatnonzero(lp.integer)
    lo, hi = lp.col_lo.copy(), lp.col_hi.copy()
    lo[j] = hi[j] = np.round(z)
    fixed = lo == hi
    A = lp.A.tocsr()
    free_count = A.multiply(~fixed[None, :]).astype(bool).sum(axis=1).A1 if A.nnz else \
        np.zeros(A.shape[0])
    rest = A @ np.where(fixed, lo, 0.0)
    for r in np.flatnonzero(free_count == 1):
        cols, vals = A.indices[A.indptr[r]:A.indptr[r + 1]], A.data[A.indptr[r]:A.indptr[r + 1]]
        k = next(i for i, c in enumerate(cols) if not fixed[c] and vals[i] != 0)
        c, a = cols[k], vals[k]
        bounds = sorted(((lp.row_lo[r] - rest[r]) / a, (lp.row_hi[r] - rest[r]) / a))
        lo[c], hi[c] = max(lo[c], bounds[0]), min(hi[c], bounds[1])
        if hi[c] < lo[c] and hi[c] > lo[c] - 1e-9 * max(1.0, abs(lo[c])):
            hi[c] = lo[c]  # pinned, up to rounding
    return replace(lp, col_lo=lo, col_hi=hi, integer=np.zeros(len(lp.integer), dtype=bool))
