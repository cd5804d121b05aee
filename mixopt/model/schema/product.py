"""A product of an instance: an order made exactly, or a product sold in a range at a
price (part of the field registry, as ``mixopt.model.schema.instance``)."""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import Field, model_validator

from mixopt.model.schema.fields import (
    AlloyLimits,
    Confidence,
    Count,
    FootprintPerT,
    Name,
    Price,
    Real,
    SupplyTonnes,
    Tonnes,
    _field,
    _Frozen,
)


class Returns(_Frozen):
    """Home scrap: a share of the slab made comes back as a material (edge trim, crops,
    rejects) for the next heats."""

    material: Name = _field("the material the returns come back as (route 'pre-consumer "
                            "scrap'; its chemistry, spreads, cost and footprint as declared "
                            "there)")
    share: Annotated[Real, Field(ge=0, lt=1)] = _field(
        "t returned per t of slab made, in [0, 1)", "share 0..1")


class Product(_Frozen):
    name: Name = _field("unique product name")
    alloy: Name = _field("alloy of the slab: an entry of [alloys] or of the shipped library")
    tonnes: Tonnes | None = _field(
        "slab (liquid metal) to produce: an order, made exactly (absent for a product sold "
        "in a range: tonnes_min, tonnes_max, price)", "t", default=None)
    tonnes_min: SupplyTonnes | None = _field(
        "a sold product: least slab to make (0 when absent)", "t", default=None)
    tonnes_max: SupplyTonnes | None = _field(
        "a sold product: most slab to make (absent: as much as pays, within the supplies "
        "and capacities)", "t", default=None)
    price: Price | None = _field("a sold product: revenue per t of slab", "currency/t slab",
                                 default=None)
    footprint_cap: Annotated[FootprintPerT, Field(gt=0)] | None = _field(
        "cap on this product's footprint, casting included", "t CO2e/t slab", default=None)
    min_recycled: Annotated[Real, Field(ge=0, le=1)] = _field(
        "least share of this product's charged mass from recycled materials", "share 0..1",
        default=0.0)
    confidence: Confidence | None = _field(
        "this product's chance-constraint confidence (overrides objective.confidence)",
        "probability 0.5..1", default=None)
    aim: AlloyLimits = _field(
        "internal aim windows [min, max] inside the alloy's, met by the plan's mean chemistry",
        "wt%", default_factory=dict)
    max_materials: Count | None = _field(
        "MILP rule: at most this many different materials charged to the product (per "
        "period): a furnace is charged from a few materials, not from every lot",
        "materials", default=None)
    labels: tuple[Name, ...] = _field(
        "carbon labels this product must meet (entries of [labels]); each limit a label "
        "sets becomes a limit of the plan", default=())
    returns: Returns | None = _field(
        "home scrap: {material, share}: share x the slab made comes back as that material "
        "(in a month a supply of the month; with periods it joins the material's stock at "
        "the end of the period)", default=None)

    @model_validator(mode="after")
    def _order_or_sold(self) -> Product:
        sold = [k for k in ("tonnes_min", "tonnes_max", "price") if getattr(self, k) is not None]
        if self.tonnes is not None and sold:
            raise ValueError(f"give tonnes (an order) or {', '.join(sold)} (a sold product), "
                             "not both")
        if self.tonnes is None and not sold:
            raise ValueError("required: tonnes (an order made exactly), or tonnes_min, "
                             "tonnes_max and price (a product sold in a range)")
        if sold and self.tonnes_max is not None and self.tonnes_max < (self.tonnes_min or 0):
            raise ValueError(f"tonnes_max {self.tonnes_max:g} is below tonnes_min "
                             f"{self.tonnes_min:g}")
        return self

    @property
    def sold(self) -> bool:
        """Sold in a range (tonnes_min..tonnes_max at a price) rather than ordered."""
        return self.tonnes is None

    @property
    def tonnes_range(self) -> tuple[float, float]:
        """(least, most) t of slab: the order twice, or the sold range (+inf: no most)."""
        if self.tonnes is not None:
            return self.tonnes, self.tonnes
        return self.tonnes_min or 0.0, math.inf if self.tonnes_max is None else self.tonnes_max

    @property
    def nominal_t(self) -> float:
        """The tonnes that per-product rows are scaled by: the order, or for a sold product
        its most (least, or 1 t, when it has none)."""
        lo, hi = self.tonnes_range
        return hi if math.isfinite(hi) and hi > 0 else max(lo, 1.0)
