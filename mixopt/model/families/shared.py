"""What the family modules share: recheck helpers, the per-product row writer, and the
rounding of a relaxation."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from mixopt.model.arrays import InstanceArrays
from mixopt.model.figures import Violation, tolerance
from mixopt.model.lp import LPBuilder


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
