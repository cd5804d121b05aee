"""The chemistry of a plan when scrap chemistry varies from heat to heat.

Each material's recovered metal carries constituent e at its mean ``c_me`` plus a normal
deviation of standard deviation ``σ_me``, independent between materials and
constituents; one heat of product p takes materials in the plan's proportions
``x_pm / T_p``. Its content of e is then normal with mean ``Σ_m y_m c_me x_pm / T_p`` and
standard deviation ``‖(y_m σ_me x_pm)_m‖₂ / T_p``, and a limit ``hi`` holds with
probability ``Φ((hi − mean) / sd)``. This module holds that arithmetic once; the chance
constraints (``families.chance``), their recheck and the risk of a plan
(``model.risk``) all use it. The normal quantile and tail come from the standard library
(``statistics.NormalDist``, ``math.erfc``: both accurate to about 1e-15; importing
scipy.special would cost a command 0.07 s of start-up).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from mixopt.model.arrays import InstanceArrays

_inv_cdf = np.vectorize(NormalDist().inv_cdf, otypes=[float])
_erfc = np.vectorize(math.erfc, otypes=[float])


def quantile(a: np.ndarray | float) -> np.ndarray:
    """z_a: the standard normal quantile (z_0.95 = 1.6449)."""
    return _inv_cdf(np.asarray(a, dtype=float))


def tail(z: np.ndarray | float) -> np.ndarray:
    """P(N(0, 1) > z) = erfc(z / sqrt 2) / 2 (exact 0 and 1 at -inf and +inf)."""
    return 0.5 * _erfc(np.asarray(z, dtype=float) / math.sqrt(2.0))


def spread_wt_pct(d: InstanceArrays, mix_t: np.ndarray, slab_t: np.ndarray) -> np.ndarray:
    """(P, E) standard deviation of each product's chemistry from one heat to the next."""
    ys = (d.yield_t_per_t[:, None] * d.composition_sd_wt_pct) ** 2  # (M, E)
    var = (np.asarray(mix_t) ** 2) @ ys  # (P, E) in (t x wt%)^2
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(slab_t[:, None] > 0, np.sqrt(var) / slab_t[:, None], 0.0)


def outside(mean: np.ndarray, sd: np.ndarray, lo: np.ndarray,
            hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(P(below lo), P(above hi)) elementwise; a limit of 0 (min) or 100 (max) is never
    crossed. Without spread the chemistry is exact: 1 where the mean is past a limit."""
    with np.errstate(divide="ignore", invalid="ignore"):
        below = np.where(sd > 0, tail((mean - lo) / sd), (mean < lo).astype(float))
        above = np.where(sd > 0, tail((hi - mean) / sd), (mean > hi).astype(float))
    return np.where(lo > 0, below, 0.0), np.where(hi < 100, above, 0.0)


def chance_sides(d: InstanceArrays) -> tuple[np.ndarray, np.ndarray]:
    """(P, E) bool each: the uncertain min and max limits that hold with a confidence."""
    on = d.uncertain & np.isfinite(d.confidence)[:, None]
    return on & (d.limit_min_wt_pct > 0), on & (d.limit_max_wt_pct < 100)


def limit_confidence(d: InstanceArrays) -> tuple[np.ndarray, np.ndarray]:
    """(P, E) each: the probability with which each chance min and max limit must hold
    (nan where none). Per limit, the product's confidence; per heat, the Bonferroni split
    1 - (1 - a) / L over the product's L chance limits, so that all hold together with at
    least a."""
    lo_on, hi_on = chance_sides(d)
    a = np.broadcast_to(d.confidence[:, None], lo_on.shape).astype(float)
    if d.confidence_per == "heat":
        count = (lo_on.sum(axis=1) + hi_on.sum(axis=1))[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            a = 1.0 - (1.0 - a) / np.maximum(count, 1)
    return np.where(lo_on, a, np.nan), np.where(hi_on, a, np.nan)


def held_by_spread(d: InstanceArrays) -> np.ndarray:
    """(P, E) bool: windows that the chance constraints or the robust margin hold (their
    mean rows would be redundant, and would split the limit's shadow price)."""
    lo_on, hi_on = chance_sides(d)
    return lo_on | hi_on | (d.uncertain & (d.margin_sd > 0))
