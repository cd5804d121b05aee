"""The instance as arrays: the one numeric view that the formulation and the recheck share.

Indices: ``p`` products, ``m`` materials, ``e`` constituents. Tonnages in t,
compositions in wt%, footprints in t CO2e per t of material in the chosen scope.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mixopt.instance import Instance, finite


@dataclass(frozen=True)
class InstanceArrays:
    products: tuple[str, ...]
    materials: tuple[str, ...]
    constituents: tuple[str, ...]
    scope: str
    slab_tonnes: np.ndarray  # (P,) t of slab per product
    cost_per_t: np.ndarray  # (M,) currency per charged t
    footprint_t_co2e_per_t: np.ndarray  # (M,) chosen scope, per charged t
    casting_t_co2e_per_t: float  # chosen scope, per t of slab
    yield_t_per_t: np.ndarray  # (M,)
    composition_wt_pct: np.ndarray  # (M, E) wt% of the recovered metal
    available_min_t: np.ndarray  # (M,)
    available_max_t: np.ndarray  # (M,) inf where unbounded
    recycled: np.ndarray  # (M,) bool
    lot_t: np.ndarray  # (M,) nan where no lot rule
    min_order_t: np.ndarray  # (M,) nan where no minimum order
    limit_min_wt_pct: np.ndarray  # (P, E) 0 where free
    limit_max_wt_pct: np.ndarray  # (P, E) 100 where free
    limited: np.ndarray  # (P, E) bool: the alloy of p lists e
    product_cap_t_co2e_per_t: np.ndarray  # (P,) inf where none
    instance_cap_t_co2e_per_t: float  # inf where none
    min_recycled_share: np.ndarray  # (P,)
    carbon_price_per_t_co2e: float

    @property
    def shape(self) -> tuple[int, int, int]:
        return len(self.products), len(self.materials), len(self.constituents)


def to_arrays(instance: Instance) -> InstanceArrays:
    """Flatten a validated instance into arrays (the scope is the objective's scope)."""
    scope = instance.objective.scope
    mats, prods = instance.materials, instance.products
    elems = instance.constituents()
    e_index = {e: i for i, e in enumerate(elems)}
    comp = np.zeros((len(mats), len(elems)))
    for i, m in enumerate(mats):
        for e, v in m.composition.items():
            comp[i, e_index[e]] = v
    lo = np.zeros((len(prods), len(elems)))
    hi = np.full((len(prods), len(elems)), 100.0)
    limited = np.zeros((len(prods), len(elems)), dtype=bool)
    for p, prod in enumerate(prods):
        for e, (a, b) in instance.alloys[prod.alloy].items():
            lo[p, e_index[e]], hi[p, e_index[e]] = a, b
            limited[p, e_index[e]] = True

    def nan_if_none(x: float | None) -> float:
        return np.nan if x is None else x

    return InstanceArrays(
        products=tuple(p.name for p in prods),
        materials=tuple(m.name for m in mats),
        constituents=elems,
        scope=scope,
        slab_tonnes=np.array([p.tonnes for p in prods]),
        cost_per_t=np.array([m.cost for m in mats]),
        footprint_t_co2e_per_t=np.array([m.footprint.in_scope(scope) for m in mats]),
        casting_t_co2e_per_t=instance.casting.footprint.in_scope(scope),
        yield_t_per_t=np.array([m.yield_ for m in mats]),
        composition_wt_pct=comp,
        available_min_t=np.array([m.available.min for m in mats]),
        available_max_t=np.array([finite(m.available.max) for m in mats]),
        recycled=np.array([m.recycled is not None for m in mats]),
        lot_t=np.array([nan_if_none(m.lot) for m in mats]),
        min_order_t=np.array([nan_if_none(m.min_order) for m in mats]),
        limit_min_wt_pct=lo,
        limit_max_wt_pct=hi,
        limited=limited,
        product_cap_t_co2e_per_t=np.array([finite(p.footprint_cap) for p in prods]),
        instance_cap_t_co2e_per_t=finite(instance.objective.footprint_cap),
        min_recycled_share=np.array([p.min_recycled for p in prods]),
        carbon_price_per_t_co2e=instance.objective.carbon_price,
    )
