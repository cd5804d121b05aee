"""The figures of a plan, computed from the instance arrays alone (no solver, no LP rows).

``figures(arrays, mix_t)`` recomputes what mixopt reports about a plan: slab made,
charged mass, use of each material, cost, footprint in both scopes, recycled mass and
the achieved chemistry. The constraint families recheck their rules on these figures
(``mixopt.model.evaluate``); reports print them. A ``Violation`` is one broken rule.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mixopt.model.arrays import InstanceArrays

#: Relative tolerance of the recheck: a rule holds when its violation is at most
#: REL_TOL x max(1, |limit|) in the rule's own unit (t, wt%, t CO2e/t, share, lots).
REL_TOL = 1e-6


def tolerance(limit: float | np.ndarray) -> np.ndarray:
    """How far past ``limit`` (in its unit) a plan may be and still meet it."""
    if isinstance(limit, float | int):  # the common case, without numpy's scalar overhead
        return REL_TOL * max(1.0, abs(limit))
    return REL_TOL * np.maximum(1.0, np.abs(limit))


@dataclass(frozen=True)
class Violation:
    """One broken rule: which family, which limit (key and side), by how much."""

    family: str  # the constraint family (``mixopt.model.families``)
    side: str  # "min", "max" or "equal"
    key: tuple[str, ...]  # the limit in instance terms, as the family's keys
    amount: float  # how far past the limit, in `unit`
    unit: str
    detail: str

    @property
    def where(self) -> str:
        return " / ".join(self.key) if self.key else "all products"

    def __str__(self) -> str:
        return (f"{self.family} {self.side} [{self.where}]: {self.detail} "
                f"(off by {self.amount:.6g} {self.unit})")


@dataclass(frozen=True)
class Figures:
    """Figures of a plan. Arrays are (P,) per product unless noted."""

    arrays: InstanceArrays
    mix_t: np.ndarray  # (P, M) charged t
    slab_t: np.ndarray
    charged_t: np.ndarray
    use_t: np.ndarray  # (M,) t of each material bought: charged into the products, and
    #                    consumed by processes to make their outputs (``fed_t``)
    fed_t: np.ndarray  # (M,) t consumed by processes
    cost: np.ndarray  # material cost, without carbon price
    revenue: np.ndarray  # a sold product's slab at its price (0 for orders)
    carbon_cost: np.ndarray  # carbon price x footprint (objective scope)
    footprint_full_t: np.ndarray  # casting included
    footprint_scope12_t: np.ndarray  # casting included
    footprint_t: np.ndarray  # objective scope, casting included
    #: scope 1 (direct), casting included; nan where a charged material's split is unknown
    footprint_scope1_t: np.ndarray
    electricity_mwh: np.ndarray  # behind the charge (materials with energy data)
    renewable_mwh: np.ndarray
    recycled_post_t: np.ndarray
    recycled_pre_t: np.ndarray
    composition_wt_pct: np.ndarray  # (P, E) of the produced metal

    @property
    def recycled_t(self) -> np.ndarray:
        return self.recycled_post_t + self.recycled_pre_t


def figures(d: InstanceArrays, mix_t: np.ndarray) -> Figures:
    """Every figure of ``mix_t`` (P x M charged tonnes)."""
    x = np.asarray(mix_t, dtype=float)
    if x.shape != d.shape[:2]:
        raise ValueError(f"mix has shape {x.shape}, expected {d.shape[:2]} (products x "
                         "materials)")
    slab = x @ d.yield_t_per_t
    metal = (x * d.yield_t_per_t) @ d.composition_wt_pct  # (P, E) t x wt%
    with np.errstate(divide="ignore", invalid="ignore"):
        comp = np.where(slab[:, None] > 0, metal / slab[:, None], 0.0)
    cast = d.slab_basis_t(slab)  # the order, or what a sold product makes
    fp_full = x @ d.footprint_full_t_co2e_per_t + d.casting_full_t_co2e_per_t * cast
    fp_s12 = x @ d.footprint_scope12_t_co2e_per_t + d.casting_scope12_t_co2e_per_t * cast
    fp = fp_full if d.scope == "full" else fp_s12
    s1 = d.footprint_scope1_t_co2e_per_t
    used = x > 0
    with np.errstate(invalid="ignore"):
        fp_s1 = np.where((used & np.isnan(s1)[None, :]).any(axis=1), np.nan,
                         x @ np.nan_to_num(s1)) + d.casting_scope1_t_co2e_per_t * cast
    charged_m = x.sum(axis=0)
    fed = np.zeros(len(charged_m))
    for i, o, a in d.feeds:
        fed[i] += a * charged_m[o]
    return Figures(arrays=d, mix_t=x, slab_t=slab, charged_t=x.sum(axis=1),
                   use_t=charged_m + fed, fed_t=fed,
                   cost=x @ d.cost_per_t, revenue=d.price_per_t * slab,
                   carbon_cost=d.carbon_price_per_t_co2e * fp,
                   footprint_full_t=fp_full, footprint_scope12_t=fp_s12, footprint_t=fp,
                   footprint_scope1_t=fp_s1, electricity_mwh=x @ d.electricity_mwh_per_t,
                   renewable_mwh=x @ d.renewable_mwh_per_t,
                   recycled_post_t=x @ d.post_consumer, recycled_pre_t=x @ d.pre_consumer,
                   composition_wt_pct=comp)


def summary(figs: Sequence[Figures], sel: slice | int = slice(None)) -> dict[str, float | None]:
    """Slab, charge, cost, footprint (scopes, electricity) and shares of one product
    (``sel`` = p) or of all (``slice(None)``), over the periods ``figs``: the figures of
    the JSON's ``totals`` and ``products``."""
    def tot(name: str) -> float:
        return float(sum(np.sum(getattr(f, name)[sel]) for f in figs))

    slab, charged = tot("slab_t"), tot("charged_t")
    post, pre, fp = tot("recycled_post_t"), tot("recycled_pre_t"), tot("footprint_t")

    def share(x: float) -> float | None:
        return x / charged if charged > 0 else None

    full, s12, s1 = tot("footprint_full_t"), tot("footprint_scope12_t"), tot("footprint_scope1_t")
    mwh, ren = tot("electricity_mwh"), tot("renewable_mwh")

    def per_t(x: float) -> float | None:
        return x / slab if slab > 0 and math.isfinite(x) else None

    revenue, cost, carbon = tot("revenue"), tot("cost"), tot("carbon_cost")
    return {
        "slab_t": slab, "charged_t": charged, "cost": cost, "carbon_cost": carbon,
        "revenue": revenue,
        # what the plan earns: revenue less purchases and carbon (minus the net cost)
        "margin": revenue - cost - carbon,
        "footprint_t": fp, "footprint_per_t": fp / slab if slab > 0 else None,
        "footprint_full_per_t": full / slab if slab else None,
        "footprint_scope12_per_t": s12 / slab if slab else None,
        "footprint_scope1_t_co2e_per_t": per_t(s1),
        "footprint_scope2_t_co2e_per_t": per_t(s12 - s1),
        "footprint_scope3_t_co2e_per_t": per_t(full - s12),
        "electricity_mwh_per_t": per_t(mwh) if mwh > 0 else None,
        "renewable_electricity_share": ren / mwh if mwh > 0 else None,
        "recycled_share": share(post + pre),
        "inert_anode_share": share(float(sum(np.sum(f.mix_t[sel][..., f.arrays.inert_anode])
                                             for f in figs))),
        "primary_share": share(float(sum(np.sum(f.mix_t[sel][..., f.arrays.primary])
                                         for f in figs))),
        "recycled_post_consumer_share": share(post),
        "recycled_pre_consumer_share": share(pre),
    }
