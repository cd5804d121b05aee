"""A multi-period instance (a horizon): several periods planned together.

A horizon is one ``Instance`` per period (every per-period table already resolved to
that period's value, so each is an ordinary month that the constraint families plan
as today) and what links the periods: the stock of materials that may be bought ahead
and stored (``Stock``), and contracts over the whole horizon (``Contract``). These two
models are the field registry of the linking fields, as ``mixopt.model.schema.instance`` is of
the rest; ``mixopt.io.periods`` reads them.

A material without ``stock`` is bought when it is charged (its ``available`` bounds the
charge of each period, as in a month alone). A material with ``stock`` is bought into
stock and charged out of it: its ``available``, ``lot`` and ``min_order`` rule the
tonnes *bought* in a period, and its ``cost`` is paid on them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from pydantic import model_validator

from mixopt.model.arrays import InstanceArrays, to_arrays
from mixopt.model.schema.fields import Price, SupplyTonnes, _field, _Frozen
from mixopt.model.schema.instance import Instance


class Stock(_Frozen):
    """Storage of one material between periods (one period's values)."""

    initial: SupplyTonnes = _field("t in stock before the first period", "t", default=0.0)
    final: SupplyTonnes | None = _field(
        "t required in stock after the last period (at least); absent: none", "t",
        default=None)
    max: SupplyTonnes | None = _field("most t in stock at the end of a period; absent: no "
                                      "limit", "t", default=None)
    holding_cost: Price = _field("paid per t in stock at the end of each period",
                                 "currency/t per period", default=0.0)

    @model_validator(mode="after")
    def _within_max(self) -> Stock:
        if self.max is not None:
            for name in ("initial", "final"):
                v = getattr(self, name)
                if v is not None and v > self.max * (1 + 1e-9):
                    raise ValueError(f"{name} stock {v:g} t is above the storage max "
                                     f"{self.max:g} t")
        return self


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
    material's purchase fields (which rule its purchases, not its charge)."""

    initial_t: float
    final_t: float | None
    max_t: tuple[float, ...]  # inf where no limit
    holding_cost: tuple[float, ...]
    buy_min_t: tuple[float, ...]
    buy_max_t: tuple[float, ...]  # inf where no limit
    cost: tuple[float, ...]  # per t bought
    lot_t: float | None = None
    min_order_t: float | None = None


@dataclass(frozen=True)
class Horizon:
    """Periods planned together: ``instances[k]`` is period ``periods[k]`` alone."""

    periods: tuple[str, ...]
    instances: tuple[Instance, ...]
    stocked: dict[str, Stocked]
    contracts: dict[str, Contract]

    @property
    def name(self) -> str:
        return self.instances[0].name

    @property
    def first(self) -> Instance:
        return self.instances[0]

    @property
    def is_milp(self) -> bool:
        return (any(i.is_milp for i in self.instances)
                or any(s.lot_t is not None or s.min_order_t is not None
                       for s in self.stocked.values()))

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
