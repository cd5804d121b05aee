"""The off-spec risk of a plan: how often a heat cast from it misses its alloy's window.

For every real window of every product, the exact probability that a heat's content is
outside it (``mixopt.model.uncertainty``), and a seeded, vectorised Monte Carlo over
heats of the probability that a heat misses any of them. In one heat every material
deviates from its mean by one independent normal draw per constituent; the product's
content of e then deviates by the sum of those draws weighted by the plan's shares, which
is itself normal with the standard deviation the cones use. Drawing that sum directly is
the same distribution as one draw per material (and M times cheaper), so that is what the
simulation draws: per heat and constituent, N(mean, sd). Constituents vary independently,
so the exact joint figure is also given (``off_spec_heat_probability_exact``) and the
simulation's standard error says how far apart the two may be.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mixopt.model.figures import Figures
from mixopt.model.uncertainty import outside, spread_wt_pct

#: Heats simulated per product unless asked otherwise.
DEFAULT_SAMPLES = 20_000


@dataclass(frozen=True)
class LimitRisk:
    constituent: str
    bound: str  # "min" or "max"
    limit_wt_pct: float
    mean_wt_pct: float
    sd_wt_pct: float
    probability_outside: float  # exact (normal)


@dataclass(frozen=True)
class ProductRisk:
    product: str
    limits: tuple[LimitRisk, ...]
    off_spec_heat_probability: float  # Monte Carlo over heats
    off_spec_heat_probability_exact: float  # 1 - product over constituents of P(inside)
    samples: int
    seed: int

    @property
    def standard_error(self) -> float:
        p = self.off_spec_heat_probability_exact
        return float(np.sqrt(p * (1 - p) / self.samples)) if self.samples else 0.0


def plan_risk(fig: Figures, samples: int = DEFAULT_SAMPLES, seed: int = 0) -> tuple[
        ProductRisk, ...]:
    """The risk of every product of the plan ``fig`` (heats simulated with one generator
    seeded by ``seed``, products in order)."""
    d = fig.arrays
    mean = fig.composition_wt_pct
    sd = spread_wt_pct(d, fig.mix_t, fig.slab_t)
    lo, hi = d.limit_min_wt_pct, d.limit_max_wt_pct
    below, above = outside(mean, sd, lo, hi)
    rng = np.random.default_rng(seed)
    out = []
    for p, name in enumerate(d.products):
        es = np.flatnonzero(d.windowed[p])
        limits = []
        for e in es:
            for bound, on, prob, lim in (("min", lo[p, e] > 0, below[p, e], lo[p, e]),
                                         ("max", hi[p, e] < 100, above[p, e], hi[p, e])):
                if on:
                    limits.append(LimitRisk(d.constituents[e], bound, float(lim),
                                            float(mean[p, e]), float(sd[p, e]), float(prob)))
        exact = 1.0 - float(np.prod(1.0 - below[p, es] - above[p, es]))
        mc = _simulate(rng, mean[p, es], sd[p, es], lo[p, es], hi[p, es], samples)
        out.append(ProductRisk(name, tuple(limits), mc, exact, samples, seed))
    return tuple(out)


def _simulate(rng: np.random.Generator, mean: np.ndarray, sd: np.ndarray, lo: np.ndarray,
              hi: np.ndarray, samples: int) -> float:
    """Share of ``samples`` simulated heats with some content outside its window."""
    if samples <= 0 or len(mean) == 0:
        return 0.0
    heats = mean + sd * rng.standard_normal((samples, len(mean)))
    off = ((heats < lo) & (lo > 0)) | ((heats > hi) & (hi < 100))
    return float(off.any(axis=1).mean())
