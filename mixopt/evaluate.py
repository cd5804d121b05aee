"""Recheck a mix against every rule of an instance, without any solver.

``evaluate(instance, mix_t)`` recomputes every figure that mixopt reports (slab,
charged mass, cost, footprint in both scopes, recycled shares, achieved
chemistry) and lists every violated rule with its size. It shares nothing with
the formulation but the instance arrays, so a modelling slip shows up here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mixopt.data import InstanceArrays, to_arrays
from mixopt.instance import Instance

#: Relative tolerance of the recheck: a rule holds when its violation is at most
#: REL_TOL x max(1, |limit|) in the rule's own unit (t, wt%, t CO2e/t, share, lots).
REL_TOL = 1e-6
#: A constituent is shown as sitting on its limit when within this relative distance.
BINDING_REL_TOL = 1e-3


@dataclass(frozen=True)
class Violation:
    rule: str  # mass_balance, chemistry_min, chemistry_max, supply_min, supply_max, ...
    where: str  # product / material / constituent in instance terms
    amount: float  # how far past the limit, in `unit`
    unit: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule} [{self.where}]: {self.detail} (off by {self.amount:.6g} {self.unit})"


@dataclass(frozen=True)
class Evaluation:
    """Figures of a mix and the rules it breaks. Arrays are (P,) per product unless noted."""

    arrays: InstanceArrays
    mix_t: np.ndarray  # (P, M) charged t
    slab_t: np.ndarray
    charged_t: np.ndarray
    cost: np.ndarray  # material cost, without carbon price
    carbon_cost: np.ndarray  # carbon price x footprint (objective scope)
    footprint_full_t: np.ndarray  # casting included
    footprint_scope12_t: np.ndarray  # casting included
    footprint_t: np.ndarray  # objective scope, casting included
    recycled_post_t: np.ndarray
    recycled_pre_t: np.ndarray
    composition_wt_pct: np.ndarray  # (P, E) of the produced metal
    violations: tuple[Violation, ...]

    @property
    def feasible(self) -> bool:
        return not self.violations

    def binding(self, p: int) -> dict[str, str]:
        """Constituents of product ``p`` whose achieved wt% sits on a limit: 'min' or 'max'."""
        d, comp = self.arrays, self.composition_wt_pct[p]
        out = {}
        for e in np.flatnonzero(d.limited[p]):
            lo, hi = d.limit_min_wt_pct[p, e], d.limit_max_wt_pct[p, e]
            if lo > 0 and abs(comp[e] - lo) <= BINDING_REL_TOL * max(1.0, lo):
                out[d.constituents[e]] = "min"
            elif hi < 100 and abs(comp[e] - hi) <= BINDING_REL_TOL * max(1.0, hi):
                out[d.constituents[e]] = "max"
        return out


def _tol(limit: float | np.ndarray) -> np.ndarray:
    return REL_TOL * np.maximum(1.0, np.abs(limit))


def evaluate(instance: Instance, mix_t: np.ndarray,
             arrays: InstanceArrays | None = None) -> Evaluation:
    """Recompute every figure of ``mix_t`` (P x M charged tonnes) and check every rule."""
    d = arrays if arrays is not None else to_arrays(instance)
    x = np.asarray(mix_t, dtype=float)
    P, M, _ = d.shape
    if x.shape != (P, M):
        raise ValueError(f"mix has shape {x.shape}, expected {(P, M)} (products x materials)")
    v: list[Violation] = []

    def check(rule: str, where: str, excess: float, limit: float, unit: str, detail: str) -> None:
        if excess > _tol(limit):
            v.append(Violation(rule, where, float(excess), unit, detail))

    for p, m in np.argwhere(x < 0):
        check("non_negative", f"{d.products[p]} / {d.materials[m]}", -x[p, m], 0.0, "t",
              f"charge is {x[p, m]:.6g} t")
    slab = x @ d.yield_t_per_t
    charged = x.sum(axis=1)
    metal = (x * d.yield_t_per_t) @ d.composition_wt_pct  # (P, E) t x wt%
    with np.errstate(divide="ignore", invalid="ignore"):
        comp = np.where(slab[:, None] > 0, metal / slab[:, None], 0.0)
    full = np.array([m.footprint.full for m in instance.materials])
    s12 = np.array([m.footprint.scope12 for m in instance.materials])
    cast = instance.casting.footprint
    fp_full = x @ full + cast.full * d.slab_tonnes
    fp_s12 = x @ s12 + cast.scope12 * d.slab_tonnes
    fp = fp_full if d.scope == "full" else fp_s12
    post = np.array([m.recycled == "post-consumer" for m in instance.materials])
    pre = np.array([m.recycled == "pre-consumer" for m in instance.materials])

    for p, name in enumerate(d.products):
        T = d.slab_tonnes[p]
        check("mass_balance", name, abs(slab[p] - T), T, "t",
              f"produces {slab[p]:.6g} t of slab, {T:.6g} t required")
        for e in np.flatnonzero(d.limited[p]):
            el, lo, hi = d.constituents[e], d.limit_min_wt_pct[p, e], d.limit_max_wt_pct[p, e]
            check("chemistry_min", f"{name} / {el}", lo - comp[p, e], lo, "wt%",
                  f"{el} {comp[p, e]:.6g} wt% below its minimum {lo:g}")
            check("chemistry_max", f"{name} / {el}", comp[p, e] - hi, hi, "wt%",
                  f"{el} {comp[p, e]:.6g} wt% above its maximum {hi:g}")
        cap = d.product_cap_t_co2e_per_t[p]
        if np.isfinite(cap):
            check("product_footprint_cap", name, fp[p] / T - cap, cap, "t CO2e/t",
                  f"footprint {fp[p] / T:.6g} t CO2e/t above the cap {cap:g}")
        share = d.min_recycled_share[p]
        if share > 0:
            got = (x[p] @ d.recycled) / charged[p] if charged[p] > 0 else 0.0
            check("recycled_share", name, share - got, share, "share",
                  f"recycled share {got:.6g} below the minimum {share:g}")

    use = x.sum(axis=0)
    for m, name in enumerate(d.materials):
        lo, hi = d.available_min_t[m], d.available_max_t[m]
        check("supply_min", name, lo - use[m], lo, "t",
              f"uses {use[m]:.6g} t, at least {lo:g} t required")
        if np.isfinite(hi):
            check("supply_max", name, use[m] - hi, hi, "t",
                  f"uses {use[m]:.6g} t, only {hi:g} t available")
        lot = d.lot_t[m]
        if np.isfinite(lot):
            n = use[m] / lot
            check("lot", name, abs(n - np.round(n)), n, "lots",
                  f"uses {use[m]:.6g} t, not a whole number of {lot:g} t lots")
        mo = d.min_order_t[m]
        if np.isfinite(mo) and use[m] > _tol(mo):
            check("min_order", name, mo - use[m], mo, "t",
                  f"uses {use[m]:.6g} t, below the minimum order of {mo:g} t")

    cap = d.instance_cap_t_co2e_per_t
    if np.isfinite(cap):
        per_t = fp.sum() / d.slab_tonnes.sum()
        check("footprint_cap", "all products", per_t - cap, cap, "t CO2e/t",
              f"footprint {per_t:.6g} t CO2e/t above the cap {cap:g}")

    return Evaluation(arrays=d, mix_t=x, slab_t=slab, charged_t=charged,
                      cost=x @ d.cost_per_t, carbon_cost=d.carbon_price_per_t_co2e * fp,
                      footprint_full_t=fp_full, footprint_scope12_t=fp_s12, footprint_t=fp,
                      recycled_post_t=x @ post, recycled_pre_t=x @ pre,
                      composition_wt_pct=comp, violations=tuple(v))
