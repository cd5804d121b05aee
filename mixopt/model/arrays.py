"""The instance as arrays: the one numeric view that the formulation and the recheck share.

Indices: ``p`` products, ``m`` materials, ``e`` constituents. Tonnages in t,
compositions in wt%, footprints in t CO2e per t of material. An absent upper bound is
+inf (``instance.upper``); a free chemistry window is [0, 100] and ``limited`` False.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from mixopt.model.schema.carbon import PRIMARY_ROUTES
from mixopt.model.schema.instance import NO_LIMIT_WT_PCT, Instance, upper


@dataclass(frozen=True)
class InstanceArrays:
    products: tuple[str, ...]
    materials: tuple[str, ...]
    constituents: tuple[str, ...]
    scope: str  # the objective's and the caps' scope: "full" or "scope12"
    #: (P,) t of slab per product: the order; for a sold product the tonnes its rows are
    #: scaled by (``Product.nominal_t``), not what it makes
    slab_tonnes: np.ndarray
    slab_min_t: np.ndarray  # (P,) least slab: the order, or a sold product's tonnes_min
    slab_max_t: np.ndarray  # (P,) most slab: the order, or tonnes_max (inf: none)
    price_per_t: np.ndarray  # (P,) revenue per t of slab of a sold product, else 0
    sold: np.ndarray  # (P,) bool: made in a range at a price rather than to an order
    cost_per_t: np.ndarray  # (M,) currency per charged t
    footprint_full_t_co2e_per_t: np.ndarray  # (M,) per charged t
    footprint_scope12_t_co2e_per_t: np.ndarray  # (M,)
    #: (M,) scope 1 (direct) where the inputs split it (scopes given, or energy), else nan;
    #: scope 2 = scope12 - scope1, scope 3 = full - scope12 (always known)
    footprint_scope1_t_co2e_per_t: np.ndarray
    casting_full_t_co2e_per_t: float  # per t of slab
    casting_scope12_t_co2e_per_t: float
    casting_scope1_t_co2e_per_t: float  # nan where not split
    electricity_mwh_per_t: np.ndarray  # (M,) 0 without energy data
    renewable_mwh_per_t: np.ndarray  # (M,) of it, from renewable sources
    yield_t_per_t: np.ndarray  # (M,)
    composition_wt_pct: np.ndarray  # (M, E) wt% of the recovered metal
    composition_sd_wt_pct: np.ndarray  # (M, E) its spread from heat to heat, 0 where exact
    available_min_t: np.ndarray  # (M,)
    #: (input m, output o, t of m per t of o) of every process: what making o consumes
    feeds: tuple[tuple[int, int, float], ...]
    available_max_t: np.ndarray  # (M,) inf where unbounded
    post_consumer: np.ndarray  # (M,) share of the material's mass: 0 or 1, or a process
    pre_consumer: np.ndarray  # (M,)   output's share from its inputs
    inert_anode: np.ndarray  # (M,) bool: route inert-anode primary
    primary: np.ndarray  # (M,) bool: a primary route (carbon- or inert-anode)
    lot_t: np.ndarray  # (M,) nan where no lot rule
    min_order_t: np.ndarray  # (M,) nan where no minimum order
    limit_min_wt_pct: np.ndarray  # (P, E) 0 where free
    limit_max_wt_pct: np.ndarray  # (P, E) 100 where free
    limited: np.ndarray  # (P, E) bool: the alloy of p lists e
    product_cap_t_co2e_per_t: np.ndarray  # (P,) inf where none
    instance_cap_t_co2e_per_t: float  # inf where none
    min_recycled_share: np.ndarray  # (P,)
    carbon_price_per_t_co2e: float
    aim_min_wt_pct: np.ndarray  # (P, E) 0 where no aim
    aim_max_wt_pct: np.ndarray  # (P, E) 100 where no aim
    aimed: np.ndarray  # (P, E) bool: the product gives an aim for e
    confidence: np.ndarray  # (P,) chance-constraint confidence, nan: limits hold on the mean
    confidence_per: str  # "limit" or "heat"
    margin_sd: float  # robust margin in standard deviations, 0: none
    #: per capacity: (name, material indices) and its limit (t charged)
    capacity_groups: tuple[tuple[str, tuple[int, ...]], ...] = ()
    capacity_max_t: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: one entry per limit a product's labels set: (product index, label, criterion)
    label_rows: tuple[tuple[int, str, str], ...] = ()
    label_limit: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (L,) its value
    #: (P,) most different materials charged to each product, nan where no such rule
    max_materials: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: (M,) least t of each material in a product it is charged to, nan where no such rule
    min_charge_t: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: charging rules: (name, if_any materials, then_all materials, products it applies to)
    rules: tuple[tuple[str, tuple[int, ...], tuple[int, ...], tuple[int, ...]], ...] = ()
    #: (P,) home scrap: the material each product's returns come back as, -1 where none
    return_material: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    return_share: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (P,) t per t slab

    def returned_t(self, slab_t: np.ndarray) -> np.ndarray:
        """(M,) t of each material that comes back from ``slab_t`` (P,) made (home scrap)."""
        out = np.zeros(len(self.materials))
        for p in np.flatnonzero(self.return_material >= 0):
            out[self.return_material[p]] += self.return_share[p] * slab_t[p]
        return out

    @cached_property
    def material_index(self) -> dict[str, int]:
        """Each material's position, by name: one lookup per limit worded, not a scan of
        every material (100,000 materials' limits are worded in linear time)."""
        return {m: i for i, m in enumerate(self.materials)}

    def slab_basis_t(self, slab_t: np.ndarray) -> np.ndarray:
        """(P,) the tonnes a plan's per-t figures are per: the order, or what a sold
        product makes (``slab_t``)."""
        return np.where(self.sold, slab_t, self.slab_tonnes)

    @property
    def shape(self) -> tuple[int, int, int]:
        return len(self.products), len(self.materials), len(self.constituents)

    @property
    def recycled(self) -> np.ndarray:
        """(M,) recycled share of each material's mass (post- plus pre-consumer)."""
        return self.post_consumer + self.pre_consumer

    @property
    def footprint_t_co2e_per_t(self) -> np.ndarray:
        """(M,) per charged t, in the objective's scope."""
        return (self.footprint_full_t_co2e_per_t if self.scope == "full"
                else self.footprint_scope12_t_co2e_per_t)

    @property
    def casting_t_co2e_per_t(self) -> float:
        """Per t of slab, in the objective's scope."""
        return (self.casting_full_t_co2e_per_t if self.scope == "full"
                else self.casting_scope12_t_co2e_per_t)

    @property
    def spread(self) -> np.ndarray:
        """(E,) bool: some material's content of e varies from heat to heat."""
        return (self.composition_sd_wt_pct > 0).any(axis=0)

    @property
    def uncertain(self) -> np.ndarray:
        """(P, E) bool: a real window whose achieved value varies from heat to heat."""
        return self.windowed & self.spread[None, :]

    @property
    def has_chance(self) -> bool:
        """Some uncertain limit must hold with a confidence (chance constraints)."""
        return bool((self.uncertain & np.isfinite(self.confidence)[:, None]).any())

    @property
    def windowed(self) -> np.ndarray:
        """(P, E) bool: limited by a real window (not the no-limit [0, 100])."""
        lo, hi = NO_LIMIT_WT_PCT
        return self.limited & ((self.limit_min_wt_pct > lo) | (self.limit_max_wt_pct < hi))


def to_arrays(instance: Instance) -> InstanceArrays:
    """Flatten a validated instance into arrays (the scope is the objective's scope)."""
    mats, prods = instance.materials, instance.products
    elems = instance.constituents()
    e_index = {e: i for i, e in enumerate(elems)}
    comp = np.zeros((len(mats), len(elems)))
    sd = np.zeros((len(mats), len(elems)))
    for i, m in enumerate(mats):
        for e, v in m.composition.items():
            comp[i, e_index[e]] = v
        for e, v in m.composition_sd.items():
            sd[i, e_index[e]] = v
    lo = np.full((len(prods), len(elems)), NO_LIMIT_WT_PCT[0])
    hi = np.full((len(prods), len(elems)), NO_LIMIT_WT_PCT[1])
    limited = np.zeros((len(prods), len(elems)), dtype=bool)
    for p, prod in enumerate(prods):
        for e, (a, b) in instance.alloys[prod.alloy].items():
            lo[p, e_index[e]], hi[p, e_index[e]] = a, b
            limited[p, e_index[e]] = True
    aim_lo, aim_hi = np.zeros_like(lo), np.full_like(hi, 100.0)
    aimed = np.zeros_like(limited)
    for p, prod in enumerate(prods):
        for e, (a, b) in prod.aim.items():
            aim_lo[p, e_index[e]], aim_hi[p, e_index[e]] = a, b
            aimed[p, e_index[e]] = True
    obj = instance.objective

    def nan_if_none(x: float | None) -> float:
        return np.nan if x is None else x

    cast, fps = instance.casting.footprint, instance.footprints
    index = {m.name: i for i, m in enumerate(mats)}
    label_rows = tuple((p, name, c) for p, prod in enumerate(prods) for name in prod.labels
                       for c, _ in instance.labels[name].limits())
    label_limit = np.array([getattr(instance.labels[n], c) for _, n, c in label_rows],
                           dtype=float)
    return InstanceArrays(
        products=tuple(p.name for p in prods),
        materials=tuple(m.name for m in mats),
        constituents=elems,
        scope=instance.objective.scope,
        slab_tonnes=np.array([p.nominal_t for p in prods]),
        slab_min_t=np.array([p.tonnes_range[0] for p in prods]),
        slab_max_t=np.array([p.tonnes_range[1] for p in prods]),
        price_per_t=np.array([p.price or 0.0 for p in prods]),
        sold=np.array([p.sold for p in prods], dtype=bool),
        cost_per_t=np.array(instance.costs),
        footprint_full_t_co2e_per_t=np.array([f.full for f in fps]),
        footprint_scope12_t_co2e_per_t=np.array([f.scope12 for f in fps]),
        footprint_scope1_t_co2e_per_t=np.array([nan_if_none(f.scope1_known) for f in fps]),
        casting_full_t_co2e_per_t=cast.full,
        casting_scope12_t_co2e_per_t=cast.scope12,
        casting_scope1_t_co2e_per_t=nan_if_none(cast.scope1_known),
        electricity_mwh_per_t=np.array([e for e, _ in instance.electricity_mwh_per_t]),
        renewable_mwh_per_t=np.array([r for _, r in instance.electricity_mwh_per_t]),
        yield_t_per_t=np.array([m.yield_ for m in mats]),
        composition_wt_pct=comp,
        composition_sd_wt_pct=sd,
        available_min_t=np.array([m.available.min for m in mats]),
        feeds=tuple((index[name], index[p.output], float(a)) for p in instance.processes
                    for name, a in p.inputs.items()),
        # a material whose lot or minimum order is above its supply cannot be bought: none
        # of it is on offer this month (the reader warned, naming it)
        available_max_t=np.array([
            instance.made_by[m.name].capacity_t if m.name in instance.made_by
            else 0.0 if m.purchase_blocked() else upper(m.available.max) for m in mats]),
        post_consumer=np.array([post for post, _ in instance.recycled_fractions]),
        pre_consumer=np.array([pre for _, pre in instance.recycled_fractions]),
        inert_anode=np.array([m.route_known[0] == "inert-anode primary" for m in mats],
                             dtype=bool),
        primary=np.array([m.route_known[0] in PRIMARY_ROUTES for m in mats], dtype=bool),
        lot_t=np.array([nan_if_none(m.lot) for m in mats]),
        min_order_t=np.array([nan_if_none(m.min_order) for m in mats]),
        limit_min_wt_pct=lo,
        limit_max_wt_pct=hi,
        limited=limited,
        product_cap_t_co2e_per_t=np.array([upper(p.footprint_cap) for p in prods]),
        instance_cap_t_co2e_per_t=upper(instance.objective.footprint_cap),
        min_recycled_share=np.array([p.min_recycled for p in prods]),
        carbon_price_per_t_co2e=obj.carbon_price,
        aim_min_wt_pct=aim_lo,
        aim_max_wt_pct=aim_hi,
        aimed=aimed,
        confidence=np.array([np.nan if (a := p.confidence or obj.confidence) is None else a
                             for p in prods]),
        confidence_per=obj.confidence_per,
        margin_sd=obj.margin_sd,
        label_rows=label_rows, label_limit=label_limit,
        capacity_groups=tuple((c.name, tuple(index[m] for m in c.materials))
                              for c in instance.capacities),
        capacity_max_t=np.array([c.max for c in instance.capacities], dtype=float),
        max_materials=np.array([nan_if_none(p.max_materials) for p in prods], dtype=float),
        min_charge_t=np.array([nan_if_none(m.min_charge) for m in mats], dtype=float),
        rules=tuple((r.name, tuple(index[m] for m in r.if_any),
                     tuple(index[m] for m in r.then_all),
                     tuple(p for p, prod in enumerate(prods)
                           if r.products is None or prod.name in r.products))
                    for r in instance.rules),
        return_material=np.array([index.get(p.returns.material, -1) if p.returns else -1
                                  for p in prods], dtype=int),
        return_share=np.array([p.returns.share if p.returns else 0.0 for p in prods]),
    )
