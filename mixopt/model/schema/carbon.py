"""What a material's carbon is made of: its route (how the metal was made), and the
vocabulary every share in the outputs is computed from. One definition: the instance
validates against it, the arrays, the declaration and the labels read it. No substring
matching of free text anywhere: ``kind`` is for people.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from mixopt.model.schema.fields import FootprintPerT, Name, Real, Text, _field, _Frozen

#: How a material's metal was made. Every share in outputs and declarations (recycled
#: post-/pre-consumer, inert-anode, primary) comes from this.
Route = Literal["post-consumer scrap", "pre-consumer scrap", "carbon-anode primary",
                "inert-anode primary", "scrap electrolysis", "master alloy", "other"]
ROUTES: tuple[str, ...] = Route.__args__  # type: ignore[attr-defined]
#: The scrap routes and the recycled class each one is.
SCRAP_ROUTES = {"post-consumer scrap": "post-consumer", "pre-consumer scrap": "pre-consumer"}
#: Routes whose metal is primary (smelted from alumina).
PRIMARY_ROUTES = ("carbon-anode primary", "inert-anode primary")
#: How a route was known: given, taken from ``recycled``, from a ``kind`` that is exactly a
#: route's name, or not known at all (then "other", and the declaration says so).
RouteFrom = Literal["given", "recycled", "kind", "unknown"]


def infer_route(route: str | None, recycled: str | None, kind: str) -> tuple[str, RouteFrom]:
    """The route of a material and how it was known (for files written before routes)."""
    if route is not None:
        return route, "given"
    if recycled is not None:
        return f"{recycled} scrap", "recycled"
    if kind.strip().lower() in ROUTES:
        return kind.strip().lower(), "kind"
    return "other", "unknown"


def route_conflict(route: str | None, recycled: str | None) -> str | None:
    """Why ``recycled`` contradicts ``route``, or None. Scrap routes are their own recycled
    class; scrap electrolysis may name the class of its feed; other routes are not
    recycled."""
    if route is None or recycled is None:
        return None
    if route in SCRAP_ROUTES:
        return (None if SCRAP_ROUTES[route] == recycled else
                f"recycled {recycled!r} contradicts route {route!r}")
    if route == "scrap electrolysis":
        return None
    return (f"recycled {recycled!r} contradicts route {route!r} (only scrap, or metal "
            "electrolysed from scrap, is recycled)")


def recycled_class(route: str, recycled: str | None) -> str | None:
    """'post-consumer', 'pre-consumer' or None, from the route (and the feed's class for
    scrap electrolysis)."""
    if route in SCRAP_ROUTES:
        return SCRAP_ROUTES[route]
    return recycled if route == "scrap electrolysis" else None


# -- footprints, power and energy -----------------------------------------------------


class Footprint(_Frozen):
    """A footprint per t: as ``full`` and ``scope12``, or as ``scope1``, ``scope2`` and
    ``scope3`` (then full and scope12 follow). Scope 3 is always known: full - scope12."""

    full: FootprintPerT = _field("cradle-to-gate Full Scope footprint (scopes 1, 2 and 3)",
                                 "t CO2e/t")
    scope12: FootprintPerT = _field("Scope 1+2 footprint", "t CO2e/t")
    scope1: FootprintPerT | None = _field("direct emissions (scope 1)", "t CO2e/t",
                                          default=None)
    scope2: FootprintPerT | None = _field("emissions of the electricity bought (scope 2)",
                                          "t CO2e/t", default=None)
    scope3: FootprintPerT | None = _field("upstream emissions (scope 3)", "t CO2e/t",
                                          default=None)

    @model_validator(mode="before")
    @classmethod
    def _from_scopes(cls, value: Any) -> Any:
        """Scopes 1, 2 and 3 given: full and scope12 follow (when not given too)."""
        if not isinstance(value, dict):
            return value
        given = [k for k in ("scope1", "scope2", "scope3") if value.get(k) is not None]
        if given and len(given) < 3:
            raise ValueError("give scope1, scope2 and scope3 together (or full and scope12)")
        if given and all(isinstance(value[k], int | float) and not isinstance(value[k], bool)
                         for k in given):
            s1, s2, s3 = value["scope1"], value["scope2"], value["scope3"]
            value = {"full": s1 + s2 + s3, "scope12": s1 + s2, **value}
        return value

    @model_validator(mode="after")
    def _agree(self) -> Footprint:
        if self.scope1 is not None:
            scopes = (self.scope1, self.scope2, self.scope3)
            for name, given, implied in (("full", self.full, sum(scopes)),
                                         ("scope12", self.scope12, scopes[0] + scopes[1])):
                if abs(given - implied) > 1e-9 * max(1.0, implied):
                    raise ValueError(f"{name} {given:g} disagrees with scopes 1-3 "
                                     f"({implied:g})")
        return self

    def in_scope(self, scope: str) -> float:
        return self.full if scope == "full" else self.scope12

    @property
    def scope1_known(self) -> float | None:
        """Scope 1 where the inputs tell it: given (or derived), or 0 when scope 1+2 is 0
        (nothing to split); else None."""
        if self.scope1 is not None:
            return self.scope1
        return 0.0 if self.scope12 == 0 else None

    def scope12_above_full(self) -> str | None:
        """Legal, but probably a slip (scope 3 would be negative): said, not refused."""
        if self.scope12 > self.full * (1 + 1e-9) + 1e-12:
            return (f"scope12 ({self.scope12:g}) is above full ({self.full:g}): full scope "
                    "includes scopes 1 and 2, so scope 3 comes out negative")
        return None

    @property
    def scope3_value(self) -> float:
        """Upstream (scope 3): always known, full - scope12."""
        return self.full - self.scope12


class PowerSource(_Frozen):
    """Where a material's electricity comes from."""

    t_co2e_per_mwh: Annotated[Real, Field(ge=0, le=10)] = _field(
        "emission factor of the electricity", "t CO2e/MWh")
    renewable_share: Annotated[Real, Field(ge=0, le=1)] = _field(
        "share of the electricity from renewable sources", "share 0..1", default=0.0)
    source: Text = _field("where the factor comes from", default="")


class Energy(_Frozen):
    """A footprint from what the metal took to make: scope 1 = direct, scope 2 =
    electricity x the power source's factor, scope 3 = upstream."""

    electricity_mwh_per_t: Annotated[Real, Field(ge=0, le=100)] = _field(
        "electricity per t of material", "MWh/t")
    power: Name = _field("the power source (an entry of [power])")
    direct_t_co2e_per_t: FootprintPerT = _field(
        "direct process emissions (anodes, fuels): scope 1", "t CO2e/t", default=0.0)
    upstream_t_co2e_per_t: FootprintPerT = _field(
        "upstream emissions (alumina, carbon, transport): scope 3", "t CO2e/t", default=0.0)


def derived_footprint(energy: Energy, power: PowerSource) -> Footprint:
    """The footprint of a material from its energy: one definition, used everywhere."""
    return Footprint(scope1=energy.direct_t_co2e_per_t,
                     scope2=energy.electricity_mwh_per_t * power.t_co2e_per_mwh,
                     scope3=energy.upstream_t_co2e_per_t)


# -- labels -------------------------------------------------------------------------------

#: What a label may ask of a product's plan: (criterion, "max"|"min", unit, in words).
LABEL_CRITERIA = (
    ("scope12_max", "max", "t CO2e/t slab", "scope 1+2 footprint at most"),
    ("full_max", "max", "t CO2e/t slab", "full-scope footprint at most"),
    ("renewable_electricity_min", "min", "share", "renewable electricity share at least"),
    ("post_consumer_min", "min", "share", "post-consumer scrap share of the charge at least"),
    ("recycled_min", "min", "share", "recycled share of the charge at least"),
    ("inert_anode_min", "min", "share", "inert-anode metal share of the charge at least"),
)
Share = Annotated[Real, Field(ge=0, le=1)]


class Label(_Frozen):
    """A carbon label a customer buys (RUSAL ALLOW, Green Power Aluminium, CIRCAL 75R):
    each limit it sets becomes a limit of the plan of every product that lists it."""

    scope12_max: Annotated[FootprintPerT, Field(gt=0)] | None = _field(
        "scope 1+2 footprint of the slab at most, casting included", "t CO2e/t slab",
        default=None)
    full_max: Annotated[FootprintPerT, Field(gt=0)] | None = _field(
        "full-scope footprint of the slab at most, casting included", "t CO2e/t slab",
        default=None)
    renewable_electricity_min: Share | None = _field(
        "renewable share of the electricity behind the charge at least (over materials "
        "that give energy)", "share 0..1", default=None)
    post_consumer_min: Share | None = _field("post-consumer scrap share of the charge at "
                                             "least", "share 0..1", default=None)
    recycled_min: Share | None = _field("recycled share of the charge at least",
                                        "share 0..1", default=None)
    inert_anode_min: Share | None = _field("inert-anode metal share of the charge at least",
                                           "share 0..1", default=None)
    source: Text = _field("who sets the label and where its thresholds are published",
                         default="")

    @model_validator(mode="after")
    def _some_limit(self) -> Label:
        if all(getattr(self, c) is None for c, *_ in LABEL_CRITERIA):
            raise ValueError("a label sets at least one limit: " +
                             ", ".join(c for c, *_ in LABEL_CRITERIA))
        return self

    def limits(self) -> list[tuple[str, float]]:
        """(criterion, limit) of every limit this label sets."""
        return [(c, getattr(self, c)) for c, *_ in LABEL_CRITERIA
                if getattr(self, c) is not None]


# -- processes ------------------------------------------------------------------------


class Process(_Frozen):
    """Charge materials turned into another charge material inside the month (scrap
    electrolysis: off-grade scrap at ~9 MWh/t into P1020-grade metal). The output is a
    material of the instance whose chemistry, route and yield are given there and whose
    cost, footprint, electricity and recycled content follow from its inputs and the
    process."""

    name: Name = _field("unique process name")
    inputs: dict[Name, Annotated[Real, Field(gt=0, le=100)]] = _field(
        "t of each input material per t of output (their sum is at least 1: mass is not "
        "created)", "t/t")
    output: Name = _field("the material the process makes (not bought: its cost and "
                          "footprint come from here)")
    capacity_t: Annotated[Real, Field(ge=0, le=1e7)] = _field(
        "most output this month", "t")
    cost_per_t: Annotated[Real, Field(ge=0, le=1e7)] = _field(
        "processing cost per t of output (inputs' prices come on top)", "currency/t",
        default=0.0)
    electricity_mwh_per_t: Annotated[Real, Field(ge=0, le=100)] = _field(
        "electricity per t of output", "MWh/t", default=0.0)
    power: Name | None = _field("the power source of that electricity (an entry of "
                                "[power]); required when electricity is used", default=None)
    direct_t_co2e_per_t: FootprintPerT = _field("direct process emissions per t of output "
                                                "(scope 1)", "t CO2e/t", default=0.0)
    source: Text = _field("where the process figures come from", default="")

    @model_validator(mode="after")
    def _sound(self) -> Process:
        if sum(self.inputs.values()) < 1 - 1e-9:
            raise ValueError(f"inputs add up to {sum(self.inputs.values()):g} t per t of "
                             "output: a process cannot create mass (at least 1)")
        if self.output in self.inputs:
            raise ValueError(f"{self.output!r} is both an input and the output")
        if self.electricity_mwh_per_t > 0 and self.power is None:
            raise ValueError("electricity is used: name its power source (power)")
        return self


def process_footprint(p: Process, feeds: list[Footprint], power: PowerSource | None
                      ) -> Footprint:
    """The output's footprint: its inputs' (per t out) plus the process's electricity and
    direct emissions. Split into scopes only when every input's is."""
    ratios = list(p.inputs.values())
    elec = p.electricity_mwh_per_t * (power.t_co2e_per_mwh if power else 0.0)
    full = sum(a * f.full for a, f in zip(ratios, feeds, strict=True)) + elec \
        + p.direct_t_co2e_per_t
    s12 = sum(a * f.scope12 for a, f in zip(ratios, feeds, strict=True)) + elec \
        + p.direct_t_co2e_per_t
    if all(f.scope1 is not None for f in feeds):
        s1 = sum(a * f.scope1 for a, f in zip(ratios, feeds, strict=True)) \
            + p.direct_t_co2e_per_t
        s2 = sum(a * f.scope2 for a, f in zip(ratios, feeds, strict=True)) + elec
        return Footprint(scope1=s1, scope2=s2, scope3=full - s1 - s2)
    return Footprint(full=full, scope12=s12)
