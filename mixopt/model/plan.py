"""A plan over periods, as data: which periods are planned together (``Window``) and the
plan's decisions in instance terms (``HorizonPlan``: each period's charges, what is
bought of each material, what is used, the stock it leaves).

A month is a window of its one period. A material without ``stock`` is bought when it
is charged; a stored material is bought into stock (its purchases are decisions of their
own) and charged out of it. The linking families (``families.periods``) write their
rows and recheck their rules on these; ``evaluate.recheck`` rechecks a whole plan.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from mixopt.model.arrays import InstanceArrays
from mixopt.model.schema.horizon import Horizon


@dataclass(frozen=True)
class Window:
    """Periods ``start:stop`` of a horizon planned together, from a given opening stock,
    with ``bought_before_t`` already bought under each contract (a rolling plan); the
    final stock and contract minimums hold only when the window reaches the end."""

    horizon: Horizon
    start: int
    stop: int
    arrays: tuple[InstanceArrays, ...]  # per period of the window
    col0: tuple[int, ...]  # first column of each period's own block of the joint LP
    opening_t: dict[str, float]  # stock at the start of the window
    bought_before_t: dict[str, float]
    #: a cap on the footprint over the whole window, t CO2e per t of slab (the frontier's)
    cap_t_co2e_per_t: float | None = None

    @property
    def ks(self) -> range:
        return range(self.stop - self.start)

    @property
    def at_end(self) -> bool:
        return self.stop == len(self.horizon.periods)

    @property
    def materials(self) -> tuple[str, ...]:
        """Every material, in the instance's order (the same in every period)."""
        return self.arrays[0].materials

    def period(self, k: int) -> str:
        return self.horizon.periods[self.start + k]

    def stocked(self) -> list[str]:
        return [m for m in self.materials if m in self.horizon.stocked]


def whole(h: Horizon, cap_t_co2e_per_t: float | None = None) -> Window:
    """The window of every period, from the initial stock."""
    return Window(h, 0, len(h.periods), h.arrays, (0,) * len(h.periods),
                  {m: s.initial_t for m, s in h.stocked.items()}, {}, cap_t_co2e_per_t)


@dataclass(frozen=True)
class HorizonPlan:
    """A plan over a window, in instance terms: every figure the linking rules read.
    ``bought_t`` and ``used_t`` are (periods, materials) in the window's material order."""

    window: Window
    mix_t: tuple[np.ndarray, ...]  # (P, M) per period
    bought_t: np.ndarray  # (K, M) t bought: stored materials' purchases, others' use
    used_t: np.ndarray  # (K, M) t charged (and fed to processes)
    shortfall_t: dict[str, float]  # take-or-pay tonnes paid for, not taken

    def column(self, name: str) -> int:
        return self.window.materials.index(name)

    def bought(self, name: str) -> np.ndarray:
        return self.bought_t[:, self.column(name)]

    def used(self, name: str) -> np.ndarray:
        return self.used_t[:, self.column(name)]

    @functools.cached_property
    def returned_t(self) -> np.ndarray:
        """(K, M) t of each material that comes back as home scrap in each period."""
        return np.array([d.returned_t(mix @ d.yield_t_per_t) if (d.return_material >= 0).any()
                         else np.zeros(len(d.materials))
                         for d, mix in zip(self.window.arrays, self.mix_t, strict=True)])

    def returned(self, name: str) -> np.ndarray:
        """T of ``name`` that comes back as home scrap in each period (``returns``)."""
        return self.returned_t[:, self.column(name)]

    def opening(self, name: str) -> np.ndarray:
        """Stock at the start of each period (0 for materials without stock)."""
        if name not in self.window.horizon.stocked:
            return np.zeros(len(self.window.ks))
        return (self.closing(name) - self.bought(name) - self.returned(name)
                + self.used(name))

    def closing(self, name: str) -> np.ndarray:
        """Stock at the end of each period, from the opening stock, purchases, home scrap
        returned and use (0 for materials without stock)."""
        if name not in self.window.horizon.stocked:
            return np.zeros(len(self.window.ks))
        opening = self.window.opening_t.get(name, 0.0)
        return opening + np.cumsum(self.bought(name) + self.returned(name) - self.used(name))


def plan_of(w: Window, mixes: list[np.ndarray] | tuple[np.ndarray, ...],
            stored_bought_t: dict[str, np.ndarray] | None = None,
            shortfall_t: dict[str, float] | None = None) -> HorizonPlan:
    """A plan from each period's charge and the purchases of the stored materials (the
    others are bought when charged). Without ``shortfall_t``, a take-or-pay contract's
    shortfall is what the purchases leave under its minimum."""
    h = w.horizon
    used = np.zeros((len(w.ks), len(w.materials)))
    for k, (d, mix) in enumerate(zip(w.arrays, mixes, strict=True)):
        charged = mix.sum(axis=0)
        fed = np.zeros(len(charged))
        for i, o, a in d.feeds:
            fed[i] += a * charged[o]
        used[k] = charged + fed
    bought = used.copy()
    for name, t in (stored_bought_t or {}).items():
        bought[:, w.materials.index(name)] = t
    plan = HorizonPlan(w, tuple(mixes), bought, used, {})
    if shortfall_t is None:
        shortfall_t = {m: max(0.0, c.min - w.bought_before_t.get(m, 0.0)
                              - float(plan.bought(m).sum()))
                       for m, c in h.contracts.items() if c.take_or_pay and w.at_end}
    return HorizonPlan(w, tuple(mixes), bought, used, dict(shortfall_t))
