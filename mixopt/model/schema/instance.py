"""The instance: one planning problem, as frozen, validated data.

This module is the field registry of mixopt. Every field of every table carries
its unit, default and meaning here (``Field(description=..., json_schema_extra=
{"unit": ...})``); readers, validation and the documentation all come from these
classes, so there is no second hand-kept list of fields.

Units are fixed: mass in tonnes (t), composition in weight percent (wt%),
footprint in t CO2e per t of material, cost in ``currency`` per t.
"""

from __future__ import annotations

import functools
import math
from typing import Annotated, Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from mixopt.model.schema.carbon import (
    ROUTES,
    Energy,
    Footprint,
    Label,
    PowerSource,
    Process,
    Route,
    RouteFrom,
    derived_footprint,
    infer_route,
    process_footprint,
    recycled_class,
    route_conflict,
)
from mixopt.model.schema.fields import (
    AlloyLimits,
    Confidence,
    Constituent,
    FootprintPerT,
    LotTonnes,
    Name,
    NonNeg,
    Price,
    Real,
    SupplyTonnes,
    Text,
    Tonnes,
    WtPct,
    _field,
    _Frozen,
)
from mixopt.model.schema.paths import flatten
from mixopt.model.schema.product import Product

#: Composition of one material may exceed 100 wt% by rounding only this much.
COMPOSITION_SUM_SLACK_WT_PCT = 1e-6
#: Contents below this (0.01 ppm) are refused: write 0 for an absent constituent.
MIN_CONTENT_WT_PCT = 1e-6
#: The one marker of "no limit" on a chemistry window: [0, 100] wt% makes no row. Absent
#: upper bounds elsewhere (supply, caps) are None in the instance and +inf in the arrays.
NO_LIMIT_WT_PCT = (0.0, 100.0)

Scope = Literal["full", "scope12"]
Sense = Literal["footprint", "cost"]
RecycledClass = Literal["post-consumer", "pre-consumer"]
ConfidencePer = Literal["limit", "heat"]


class Available(_Frozen):
    """Charged tonnes of one material allowed over all products."""

    min: SupplyTonnes = _field("least charged tonnes that must be used", "t", default=0.0)
    max: SupplyTonnes | None = _field("most charged tonnes available (absent: unbounded)", "t",
                                      default=None)

    @model_validator(mode="after")
    def _min_le_max(self) -> Available:
        if self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min:g}) is above max ({self.max:g})")
        return self


class Objective(_Frozen):
    minimise: Sense = _field("what to minimise: 'footprint' or 'cost'", default="footprint")
    scope: Scope = _field("footprint scope used for the objective and the caps: "
                          "'full' or 'scope12'", default="full")
    footprint_cap: Annotated[FootprintPerT, Field(gt=0)] | None = _field(
        "cap on the footprint over all products together, casting included",
        "t CO2e/t slab", default=None)
    carbon_price: Price = _field("carbon price added to the cost objective",
                                 "currency/t CO2e", default=0.0)
    confidence: Confidence | None = _field(
        "chance constraints: every alloy limit of every product holds with at least this "
        "probability, given the materials' composition_sd (absent: limits hold on the mean)",
        "probability 0.5..1", default=None)
    confidence_per: ConfidencePer = _field(
        "'limit': each limit holds with the confidence on its own; 'heat': a product's heat "
        "meets all its limits at once with it (split over the limits, Bonferroni)",
        default="limit")
    margin_sd: Annotated[Real, Field(ge=0, le=10)] = _field(
        "robust margin: every limit holds with every material at its mean plus or minus this "
        "many standard deviations (a pure LP); 0: no margin", "sd", default=0.0)


class Casting(_Frozen):
    footprint: Footprint = _field("casthouse emissions (melting, casting) per t of slab",
                                  "t CO2e/t slab", default=Footprint(full=0.0, scope12=0.0))
    source: Text = _field("where the casting footprint comes from", default="")


class Furnace(_Frozen):
    """The furnace a heat is melted and corrected in (``mixopt correct``)."""

    max_t: Tonnes | None = _field("most metal the furnace holds, additions included", "t",
                                  default=None)
    tap_cost_per_t: Price | None = _field(
        "cost of tapping (pigging off) a t of melt to make room for dilution",
        "currency/t", default=None)


class Capacity(_Frozen):
    """A plant limit shared by a group of materials: melting, refining or shredding."""

    name: Name = _field("unique capacity name")
    materials: tuple[Name, ...] = _field("the materials whose charge it limits",
                                         min_length=1)
    max: SupplyTonnes = _field("t charged of those materials at most (per period)", "t")
    source: Text = _field("what the limit is", default="")


class Rule(_Frozen):
    """A charging rule: in each product (and period), if any material of ``if_any`` is
    charged, every material of ``then_all`` is charged too (at least its ``min_charge``,
    else at least ``RULE_MIN_CHARGE_T``)."""

    name: Name = _field("unique rule name")
    if_any: tuple[Name, ...] = _field("materials: charging any of them triggers the rule",
                                      min_length=1)
    then_all: tuple[Name, ...] = _field("materials that must then all be charged",
                                        min_length=1)
    products: tuple[Name, ...] | None = _field(
        "the products the rule applies to (absent: every product; [] none: the rule is off)",
        default=None)
    source: Text = _field("why the casthouse has the rule", default="")


#: A material that a rule's ``then_all`` requires, without a ``min_charge`` of its own, is
#: charged at least this much (1 kg): "charged" means a real amount, not a rounding.
RULE_MIN_CHARGE_T = 1e-3


class Material(_Frozen):
    name: Name = _field("unique material name")
    kind: Text = _field("free text for people, used to group reports (e.g. 'UBC bales'); "
                       "never read for carbon shares", default="")
    route: Route | None = _field(
        "how the metal was made: " + ", ".join(repr(r) for r in ROUTES) + "; every share "
        "(recycled, inert-anode, primary) comes from it. Absent: taken from 'recycled', "
        "or from a kind that is exactly a route's name, else unknown (warned)", default=None)
    recycled: RecycledClass | None = _field(
        "'post-consumer' or 'pre-consumer' (implied by a scrap route; for scrap electrolysis "
        "the class of its feed); absent means not recycled", default=None)
    cost: Price | None = _field("price per charged t (required, but for the output of a "
                                "process: that comes from the process)", "currency/t",
                                default=None)
    footprint: Footprint | None = _field(
        "footprint per charged t: {full, scope12} or {scope1, scope2, scope3} (or give "
        "energy instead)", "t CO2e/t", default=None)
    energy: Energy | None = _field(
        "instead of footprint: {electricity_mwh_per_t, power, direct_t_co2e_per_t, "
        "upstream_t_co2e_per_t}; the footprint follows from the power source", default=None)
    available: Available = _field("charged tonnes allowed over all products", "t",
                                  default=Available())
    yield_: Annotated[Real, Field(ge=0.01, le=1)] = _field(
        "t of metal recovered per t charged, in [0.01, 1]", "t/t", default=1.0, alias="yield")
    composition: dict[Constituent, WtPct] = _field(
        "wt% of each constituent in the recovered metal (required; {} for pure metal)", "wt%")
    composition_sd: dict[Constituent, NonNeg] = _field(
        "standard deviation of each constituent of the recovered metal from one heat's charge "
        "to the next (normal, independent between materials and constituents); absent: known "
        "exactly", "wt%", default_factory=dict)
    lot: LotTonnes | None = _field(
        "MILP rule: total use is a whole number of lots of this size", "t", default=None)
    min_order: LotTonnes | None = _field(
        "MILP rule: total use is 0 or at least this much", "t", default=None)
    min_charge: LotTonnes | None = _field(
        "MILP rule: charged to a product (per period) either not at all or at least this "
        "much: the smallest amount worth charging", "t", default=None)
    source: Text = _field("where the footprint factor comes from", default="")

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False,
                              populate_by_name=True)

    @model_validator(mode="after")
    def _route_agrees(self) -> Material:
        why = route_conflict(self.route, self.recycled)
        if why is not None:
            raise ValueError(why)
        return self

    @model_validator(mode="after")
    def _one_footprint(self) -> Material:
        if self.footprint is not None and self.energy is not None:
            raise ValueError("give footprint or energy, not both (the footprint of an energy "
                             "material follows from its power source)")
        return self  # neither: required, unless a process makes it (``io.validate``)

    @property
    def route_known(self) -> tuple[str, RouteFrom]:
        """The route, and how it was known (given, from recycled, from kind, unknown)."""
        return infer_route(self.route, self.recycled, self.kind)

    @property
    def recycled_as(self) -> str | None:
        """The recycled class the shares count this material in (from its route)."""
        return recycled_class(self.route_known[0], self.recycled)

    @field_validator("composition")
    @classmethod
    def _composition(cls, value: dict[str, float]) -> dict[str, float]:
        total = sum(value.values())
        if total > 100 + COMPOSITION_SUM_SLACK_WT_PCT:
            raise ValueError(f"composition adds up to {total:g} wt%, over 100")
        return value

    @field_validator("composition")
    @classmethod
    def _no_traces(cls, value: dict[str, float]) -> dict[str, float]:
        """A content below 0.01 ppm is a slip (or should be 0): it would only add a
        coefficient HiGHS drops."""
        tiny = [e for e, v in value.items() if 0 < v < MIN_CONTENT_WT_PCT]
        if tiny:
            raise ValueError(f"{', '.join(tiny)} below {MIN_CONTENT_WT_PCT:g} wt% (0.01 ppm): "
                             "write 0 if it is absent")
        return value

    def purchase_blocked(self) -> str | None:
        """Why not a tonne of this material can be bought this month (a lot or minimum order
        above all that is on offer: legal, and the plan simply does without), or None."""
        mx = self.available.max
        if mx is None or mx == 0:
            return None
        for name, v in (("min_order", self.min_order), ("lot", self.lot)):
            if v is not None and v > mx * (1 + 1e-9):
                return (f"its {name} of {v:g} t is above the {mx:g} t available: it cannot "
                        "be bought this month")
        return None

    def is_milp(self) -> bool:
        return self.lot is not None or self.min_order is not None or self.min_charge is not None


class Instance(_Frozen):
    """One planning problem (typically one month at one casthouse)."""

    name: Name = _field("instance name")
    description: Text = _field("free text", default="")
    currency: Text = _field("currency of all prices", default="USD")
    scrap_method: Text = _field(
        "how scrap footprints are counted, stated in every footprint declaration",
        default=("post-consumer scrap counted from collection, sorting and remelting (cut-off);"
                 " pre-consumer scrap with the footprint given for it in this instance"))
    objective: Objective = _field("what to minimise and the instance-wide cap",
                                  default=Objective())
    casting: Casting = _field("casthouse emissions per t of slab", default=Casting())
    furnace: Furnace = _field("the melting furnace: {max_t, tap_cost_per_t} (mixopt correct)",
                              default=Furnace())
    capacities: tuple[Capacity, ...] = _field(
        "plant limits on the charge of groups of materials: {name, materials, max, source}",
        default=())
    processes: tuple[Process, ...] = _field(
        "materials made from other materials inside the month (scrap electrolysis): "
        "{name, inputs, output, capacity_t, cost_per_t, electricity_mwh_per_t, power, "
        "direct_t_co2e_per_t, source}", default=())
    labels: dict[Name, Label] = _field(
        "carbon labels: {scope12_max, full_max, renewable_electricity_min, "
        "post_consumer_min, recycled_min, inert_anode_min, source}", default_factory=dict)
    power: dict[Name, PowerSource] = _field(
        "power sources that materials' energy names: {t_co2e_per_mwh, renewable_share, "
        "source}", default_factory=dict)
    alloys: dict[str, AlloyLimits] = _field("alloy chemistry windows [min, max]", "wt%",
                                            default_factory=dict)
    products: tuple[Product, ...] = _field("products of the month", min_length=1)
    materials: tuple[Material, ...] = _field("charge materials", min_length=1)
    rules: tuple[Rule, ...] = _field(
        "charging rules: {name, if_any, then_all, products, source}: where any material of "
        "if_any is charged, all of then_all are", default=())
    scenarios: dict[str, dict[str, Any]] = _field(
        "named what-ifs: tables of 'path = value' overrides (see mixopt.scenario)",
        default_factory=dict)

    @field_validator("scenarios")
    @classmethod
    def _flat_scenarios(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Nested tables and dotted keys mean the same: keep {path: value} only."""
        return {name: flatten(table) for name, table in value.items()}

    @property
    def is_milp(self) -> bool:
        return (any(m.is_milp() for m in self.materials) or bool(self.rules)
                or any(p.max_materials is not None for p in self.products))

    @functools.cached_property
    def made_by(self) -> dict[str, Process]:
        """Material name -> the process that makes it."""
        return {p.output: p for p in self.processes}

    def _feed(self, p: Process) -> list[int]:
        index = {m.name: i for i, m in enumerate(self.materials)}
        return [index[name] for name in p.inputs]

    @functools.cached_property
    def footprints(self) -> tuple[Footprint, ...]:
        """Each material's footprint: as given, derived from its energy and power source
        (``carbon.derived_footprint``), or, for a process's output, from its inputs and the
        process (``carbon.process_footprint``). Validation has checked every name."""
        # a material with no footprint where nothing reads one (``unknown_footprints``)
        # counts as 0, and says so
        out: list[Footprint | None] = [
            m.footprint if m.footprint is not None else
            derived_footprint(m.energy, self.power[m.energy.power]) if m.energy is not None
            else NO_FOOTPRINT for m in self.materials]
        for i, m in enumerate(self.materials):
            if m.name in self.made_by:
                p = self.made_by[m.name]
                out[i] = process_footprint(p, [out[j] for j in self._feed(p)],
                                           self.power.get(p.power) if p.power else None)
        return tuple(out)

    @functools.cached_property
    def unknown_footprints(self) -> tuple[str, ...]:
        """Materials bought without a footprint (nor energy): allowed only where nothing
        reads a footprint (``needs_footprints``); their footprint counts as 0."""
        return tuple(m.name for m in self.materials if m.footprint is None
                     and m.energy is None and m.name not in self.made_by)

    @property
    def needs_footprints(self) -> str | None:
        """What reads the materials' footprints (then every one is required), or None."""
        obj = self.objective
        for why, does in (("the footprint objective", obj.minimise == "footprint"),
                          ("a carbon price", obj.carbon_price > 0),
                          ("a footprint cap", obj.footprint_cap is not None
                           or any(p.footprint_cap is not None for p in self.products)),
                          ("a carbon label", any(p.labels for p in self.products))):
            if does:
                return why
        return None

    @functools.cached_property
    def costs(self) -> tuple[float, ...]:
        """Price per t: as given, or for a process's output its inputs' plus processing."""
        out = [m.cost if m.cost is not None else 0.0 for m in self.materials]
        for i, m in enumerate(self.materials):
            if m.name in self.made_by:
                p = self.made_by[m.name]
                out[i] = p.cost_per_t + sum(a * out[j] for a, j in
                                            zip(p.inputs.values(), self._feed(p), strict=True))
        return tuple(out)

    @functools.cached_property
    def electricity_mwh_per_t(self) -> tuple[tuple[float, float], ...]:
        """Per material: (MWh per t, renewable MWh per t); (0, 0) without energy data; a
        process's output carries its own electricity and its inputs'."""
        out = []
        for m in self.materials:
            if m.energy is None:
                out.append((0.0, 0.0))
            else:
                mwh = m.energy.electricity_mwh_per_t
                out.append((mwh, mwh * self.power[m.energy.power].renewable_share))
        for i, m in enumerate(self.materials):
            if m.name in self.made_by:
                p = self.made_by[m.name]
                share = self.power[p.power].renewable_share if p.power else 0.0
                feed = [(a * out[j][0], a * out[j][1]) for a, j in
                        zip(p.inputs.values(), self._feed(p), strict=True)]
                out[i] = (p.electricity_mwh_per_t + sum(e for e, _ in feed),
                          p.electricity_mwh_per_t * share + sum(r for _, r in feed))
        return tuple(out)

    @functools.cached_property
    def recycled_fractions(self) -> tuple[tuple[float, float], ...]:
        """Per material: (post-consumer, pre-consumer) share of its mass, from its route;
        a process's output has its inputs' (by mass)."""
        out = [(float(m.recycled_as == "post-consumer"), float(m.recycled_as == "pre-consumer"))
               for m in self.materials]
        for i, m in enumerate(self.materials):
            if m.name in self.made_by:
                p = self.made_by[m.name]
                total = sum(p.inputs.values())
                feed = list(zip(p.inputs.values(), self._feed(p), strict=True))
                out[i] = (sum(a * out[j][0] for a, j in feed) / total,
                          sum(a * out[j][1] for a, j in feed) / total)
        return tuple(out)

    @property
    def has_spreads(self) -> bool:
        """Some material gives the spread of its chemistry (``composition_sd``)."""
        return any(v > 0 for m in self.materials for v in m.composition_sd.values())

    def constituents(self) -> tuple[str, ...]:
        """Every constituent named by a material (mean or spread), a used alloy or an aim, in
        first-seen order."""
        seen: dict[str, None] = {}
        for m in self.materials:
            seen.update(dict.fromkeys(m.composition))
        for m in self.materials:
            seen.update(dict.fromkeys(m.composition_sd))
        for p in self.products:
            if p.alloy in self.alloys:
                seen.update(dict.fromkeys(self.alloys[p.alloy]))
            seen.update(dict.fromkeys(p.aim))
        return tuple(seen)


#: The footprint a material without one counts with, where nothing reads footprints.
NO_FOOTPRINT = Footprint(full=0.0, scope12=0.0)


def upper(x: float | None) -> float:
    """An absent upper bound (``None``) as +inf: the arrays' one marker of "no limit"."""
    return math.inf if x is None else x
