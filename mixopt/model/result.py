"""The result of planning a horizon (a month is a horizon of one period): status, the
rechecked plan and its figures, shadow prices and ranging, as one frozen type that every
output is built from.

Records, not DataFrames, are kept (a JSON solve needs no pandas); ``mix``,
``purchases``, ``products`` and ``shadow_prices`` are the DataFrames a notebook reads,
with units in their column names, built on first use.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mixopt.model.backend import RawSolution, Status
from mixopt.model.evaluate import Evaluation, money
from mixopt.model.families import KEY_NAMES
from mixopt.model.figures import summary
from mixopt.model.plan import HorizonPlan
from mixopt.model.risk import DEFAULT_SAMPLES, ProductRisk, plan_risk
from mixopt.model.schema.horizon import Horizon

if TYPE_CHECKING:
    import pandas as pd

#: The fields of a shadow-price record of a month, in order (a plan of several periods
#: has ``period`` in front).
DUAL_COLUMNS = ["family", *KEY_NAMES, "limit", "binding", "shadow_price", "per"]
MIX_COLUMNS = ["product", "material", "kind", "tonnes", "share"]


@dataclass(frozen=True)
class Result:
    """One plan: its status, the rechecked plan and figures of every period, sensitivity."""

    horizon: Horizon
    status: Status
    message: str
    objective_value: float | None  # footprint per t of slab, or net cost
    objective_unit: str
    raw: RawSolution | None  # None for a plan assembled from several solves (rolling)
    plan: HorizonPlan | None  # None without a plan
    evaluations: tuple[Evaluation, ...] | None  # per period, None without a plan
    #: per limit (period, family, keys, limit, binding, shadow_price, per); for a MILP
    #: conditional on its purchase decisions
    dual_records: tuple[dict[str, Any], ...] | None
    #: per period x product x material: tonnes, coefficient, reduced cost, range
    column_arrays: dict[str, np.ndarray] | None
    timings_s: dict[str, float]
    method: str = "joint"  # "joint", "myopic" or "rolling N"
    risk_samples: int = DEFAULT_SAMPLES
    risk_seed: int = 0

    @property
    def periods(self) -> tuple[str, ...]:
        return self.horizon.periods

    @property
    def named(self) -> bool:
        """Named periods: outputs carry a period column."""
        return self.horizon.has_periods

    @property
    def duals_conditional(self) -> bool:
        """True for a MILP: duals come from the LP with its integer decisions fixed."""
        return self.raw is not None and self.raw.duals_conditional

    @property
    def mip_gap(self) -> float | None:
        return self.raw.mip_gap if self.raw is not None else None

    @functools.cached_property
    def risk(self) -> tuple[tuple[ProductRisk, ...], ...] | None:
        """Per period, the off-spec risk of each product (instances with spreads)."""
        if self.evaluations is None or not self.horizon.has_spreads:
            return None
        return tuple(plan_risk(ev, self.risk_samples, self.risk_seed)
                     for ev in self.evaluations)

    @functools.cached_property
    def cash(self) -> list[dict[str, float]] | None:
        """Per period: purchases, holding, carbon, revenue, take-or-pay."""
        if self.plan is None or self.evaluations is None:
            return None
        return money(self.plan, self.evaluations)

    def figures(self, k: int | None = None, sel: slice | int = slice(None)) -> dict[str, Any]:
        """The summary figures of period k (every period: None) for one product (``sel``)
        or all: slab, cost, footprint, shares; with every product, the money of the plan
        (``cost`` is what is bought; with named periods also holding and take-or-pay)."""
        evs = self.evaluations if k is None else (self.evaluations[k],)
        out = summary(evs, sel)
        if isinstance(sel, int):
            return out
        cash = self.cash if k is None else [self.cash[k]]
        out["cost"] = float(sum(c["purchases"] for c in cash))
        hold = float(sum(c["holding"] for c in cash))
        top = float(sum(c["take_or_pay"] for c in cash))
        out["margin"] = out["revenue"] - out["cost"] - hold - out["carbon_cost"] - top
        if self.named:
            out["holding_cost"], out["take_or_pay_cost"] = hold, top
        return out

    @functools.cached_property
    def totals(self) -> dict[str, Any] | None:
        """The figures of the whole plan (None without a plan)."""
        return None if self.evaluations is None else self.figures()

    def period_of(self, k: int) -> dict[str, str]:
        """``{"period": name}`` of the plan's k-th period, or ``{}`` for a month."""
        return {"period": self.periods[k]} if self.named else {}

    def mix_records(self) -> list[dict[str, Any]]:
        """Every non-zero charge: (period,) product, material, kind, tonnes, and share of
        the product's charge."""
        out: list[dict[str, Any]] = []
        for k, ev in enumerate(self.evaluations or ()):
            inst = self.horizon.instances[k]
            for p, prod in enumerate(inst.products):
                for m, mat in enumerate(inst.materials):
                    t = float(ev.mix_t[p, m])
                    if t > 1e-9:
                        out.append({**self.period_of(k), **dict(zip(
                            MIX_COLUMNS, (prod.name, mat.name, mat.kind, t,
                                          t / float(ev.charged_t[p])), strict=True))})
        return out

    def purchase_records(self) -> list[dict[str, Any]]:
        """Per material and period: opening stock, t bought, t returned as home scrap, t
        charged (and fed to processes), closing stock, and whether it is stored."""
        plan, out = self.plan, []
        if plan is None:
            return out
        for m in plan.window.materials:
            stored = m in self.horizon.stocked
            opening, closing = plan.opening(m), plan.closing(m)
            bought, used, back = plan.bought(m), plan.used(m), plan.returned(m)
            for k in plan.window.ks:
                out.append({"material": m, **self.period_of(k),
                            "opening_stock_t": float(opening[k]),
                            "bought_t": float(bought[k]), "returned_t": float(back[k]),
                            "charged_t": float(used[k]),
                            "closing_stock_t": float(closing[k]), "stored": stored})
        return out

    def return_records(self) -> list[dict[str, Any]]:
        """Home scrap: per product that returns some and period (None in a month: the
        rows' keys are the same for every plan), the material it comes back as and its
        tonnes (share x the slab made)."""
        out: list[dict[str, Any]] = []
        for k, ev in enumerate(self.evaluations or ()):
            for p, prod in enumerate(self.horizon.instances[k].products):
                if prod.returns is not None:
                    out.append({"product": prod.name,
                                "period": self.periods[k] if self.named else None,
                                "material": prod.returns.material,
                                "tonnes": float(prod.returns.share * ev.slab_t[p])})
        return out

    def product_records(self) -> list[dict[str, Any]]:
        """Per period and product: the order and the plan's figures."""
        out = []
        for k, ev in enumerate(self.evaluations or ()):
            for p, prod in enumerate(self.horizon.instances[k].products):
                out.append({**self.period_of(k), "name": prod.name, "alloy": prod.alloy,
                            "tonnes": prod.tonnes, **summary((ev,), p)})
        return out

    @functools.cached_property
    def duals(self) -> pd.DataFrame | None:
        """``dual_records`` as a table (pandas is imported here, on first use)."""
        if self.dual_records is None:
            return None
        import pandas as pd

        cols = (["period"] if self.named else []) + DUAL_COLUMNS
        return pd.DataFrame.from_records(list(self.dual_records), columns=cols)

    @functools.cached_property
    def columns(self) -> pd.DataFrame | None:
        """``column_arrays`` as a table (pandas is imported here, on first use)."""
        if self.column_arrays is None:
            return None
        import pandas as pd

        return pd.DataFrame(self.column_arrays)

    # -- the notebook's tables (units in the column names) -------------------------------

    @property
    def mix(self) -> pd.DataFrame:
        """t charged of each material into each product (and period)."""
        import pandas as pd

        cols = (["period"] if self.named else []) + MIX_COLUMNS
        df = pd.DataFrame.from_records(self.mix_records(), columns=cols)
        return df.rename(columns={"tonnes": "charged_t", "share": "share_of_charge"})

    @property
    def purchases(self) -> pd.DataFrame:
        """Per material (and period): opening stock, bought, charged, closing stock (t)."""
        import pandas as pd

        return pd.DataFrame.from_records(self.purchase_records())

    @property
    def products(self) -> pd.DataFrame:
        """Per product (and period): slab made (t), cost, footprint per t of slab, shares."""
        import pandas as pd

        return pd.DataFrame.from_records(self.product_records()).rename(columns={
            "tonnes": "ordered_t", "cost": f"cost_{self.horizon.currency}",
            "footprint_per_t": "footprint_t_co2e_per_t_slab"})

    @property
    def shadow_prices(self) -> pd.DataFrame | None:
        """Each limit's shadow price: the objective's change per unit more of the limit
        (``per``), with the limit in words; None when sensitivity was skipped."""
        return self.duals
