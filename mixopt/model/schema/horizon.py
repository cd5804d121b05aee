"""What mixopt plans: a horizon of one or more periods planned together.

A month is a horizon of one period. A horizon is one ``Instance`` per period (every
per-period table already resolved to that period's value, so each is an ordinary month
that the constraint families plan as today) and what links the periods: the stock of
materials that may be bought ahead and stored (``Stock``), and contracts over the whole
horizon (``Contract``). These two models are the field registry of the linking fields, as
``mixopt.model.schema.instance`` is of the rest; ``mixopt.io.periods`` reads them.

A material without ``stock`` is bought when it is charged (its ``available`` bounds the
charge of each period, as in a month alone). A material with ``stock`` is bought into
stock and charged out of it: its ``available``, ``lot`` and ``min_order`` rule the
tonnes *bought* in a period, and its ``cost`` is paid on them.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

from pydantic import model_validator

from mixopt.model.arrays import InstanceArrays, to_arrays
from mixopt.model.schema.fields import Price, SupplyTonnes, _field, _Frozen
from mixopt.model.schema.instance import Instance, Objective


class Stock(_Frozen):
    """Storage of one material between periods (one period's values)."""

    initial: SupplyTonnes = _field("t in stock before the first period", "t", default=0.0)
    final: SupplyTonnes | None = _field(
        "t required in stock after the last period (at least); absent: none", "t",
        default=None)
    max: SupplyTonnes | None = _field("most t in stock at the end of a period (the initial "
                                      "stock fits the first period's, the final the last "
                                      "period's); absent: no limit", "t", default=None)
    holding_cost: Price = _field("paid per t in stock at the end of each period",
                                 "currency/t per period", default=0.0)


class Contract(_Frozen):
    """Tonnes of one material bought over the whole horizon."""

    min: SupplyTonnes = _field("least t bought over the horizon", "t", default=0.0)
    max: SupplyTonnes | None = _field("most t bought over the horizon", "t", default=None)
    take_or_pay: bool = _field("tonnes under min are paid at the contract price anyway "
                               "(rather than min being a hard floor)", default=False)
    price: Price | None = _field("price of the tonnes paid under take-or-pay; absent: the "
                                 "material's cost in the last period", "currency/t",
                                 default=None)

    @model_validator(mode="after")
    def _min_le_max(self) -> Contract:
        if self.max is not None and self.min > self.max:
            raise ValueError(f"contract min {self.min:g} t is above its max {self.max:g} t")
        return self


@dataclass(frozen=True)
class Stocked:
    """A stocked material over the horizon: per-period values, from ``Stock`` and the
    material's purchase fields (which rule its purchases, not its charge). ``nan`` where
    a period has no lot or minimum order."""

    initial_t: float
    final_t: float | None
    max_t: tuple[float, ...]  # inf where no limit
    holding_cost: tuple[float, ...]
    buy_min_t: tuple[float, ...]
    buy_max_t: tuple[float, ...]  # inf where no limit
    cost: tuple[float, ...]  # per t bought
    lot_t: tuple[float, ...] = ()  # per period, nan where none
    min_order_t: tuple[float, ...] = ()  # per period, nan where none

    def lot(self, k: int) -> float | None:
        """The lot size of purchases in period k, or None."""
        return _given(self.lot_t, k)

    def min_order(self, k: int) -> float | None:
        """The minimum order of purchases in period k, or None."""
        return _given(self.min_order_t, k)

    @property
    def is_milp(self) -> bool:
        return any(math.isfinite(v) for v in (*self.lot_t, *self.min_order_t))


def _given(values: tuple[float, ...], k: int) -> float | None:
    return values[k] if values and math.isfinite(values[k]) else None


#: The one period of a month: a month is a horizon of one period that has no name (no
#: period column in its outputs). A named period is never empty (``io.periods``).
MONTH = ""


@dataclass(frozen=True)
class Horizon:
    """What mixopt plans: periods planned together, ``instances[k]`` being period
    ``periods[k]`` alone, and what links them. A month is a horizon of one period
    (``Horizon.month``): the same reader, formulation, result and reports serve both."""

    periods: tuple[str, ...]
    instances: tuple[Instance, ...]
    stocked: dict[str, Stocked] = field(default_factory=dict)
    contracts: dict[str, Contract] = field(default_factory=dict)

    @classmethod
    def month(cls, instance: Instance) -> Horizon:
        """A single month as the horizon of its one period."""
        return cls((MONTH,), (instance,))

    @property
    def has_periods(self) -> bool:
        """Named periods (``periods = [...]``), as opposed to a month: outputs then carry
        a period column."""
        return self.periods != (MONTH,)

    @property
    def name(self) -> str:
        return self.instances[0].name

    @property
    def first(self) -> Instance:
        """The first period: what every period shares (name, objective, alloys, the
        materials' and products' names) is read from it."""
        return self.instances[0]

    @property
    def objective(self) -> Objective:
        return self.instances[0].objective

    @property
    def currency(self) -> str:
        return self.instances[0].currency

    @property
    def scenarios(self) -> dict[str, dict[str, Any]]:
        return self.instances[0].scenarios

    @property
    def is_milp(self) -> bool:
        return (any(i.is_milp for i in self.instances)
                or any(s.is_milp for s in self.stocked.values()))

    @property
    def has_spreads(self) -> bool:
        return any(i.has_spreads for i in self.instances)

    @property
    def sold(self) -> tuple[str, ...]:
        """Products sold in a range in some period."""
        return tuple(dict.fromkeys(p.name for i in self.instances for p in i.products
                                   if p.sold))

    @property
    def unknown_footprints(self) -> tuple[str, ...]:
        """Materials without a footprint in some period (see ``Instance``)."""
        return tuple(dict.fromkeys(m for i in self.instances for m in i.unknown_footprints))

    def contract_price(self, material: str) -> float:
        """The price of a take-or-pay shortfall: the contract's, else the last cost."""
        c = self.contracts[material]
        if c.price is not None:
            return c.price
        if material in self.stocked:
            return self.stocked[material].cost[-1]
        last = self.instances[-1]
        return last.costs[[m.name for m in last.materials].index(material)]

    @functools.cached_property
    def arrays(self) -> tuple[InstanceArrays, ...]:
        """Each period's arrays, computed once for every window planned on this horizon
        (a rolling plan solves T windows)."""
        return tuple(to_arrays(i) for i in self.instances)


def as_horizon(plan: Horizon | Instance) -> Horizon:
    """A horizon as it is; a single ``Instance`` as the month it is."""
    return Horizon.month(plan) if isinstance(plan, Instance) else plan
