"""The inputs of a furnace correction (``mixopt correct``): what is corrected and how
(``Spec``), from the command line (``spec_for``: the product, the sample, the furnace, a
plan's leftovers, every problem at once) or from a correction document (``spec_of``, for
``verify``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mixopt.errors import InputError, Problem
from mixopt.io.columns import closest
from mixopt.io.furnace import Analysis, read_analysis
from mixopt.model.schema.horizon import Horizon
from mixopt.model.schema.instance import Instance

#: Additions (and a tap) below this many tonnes are rounding, not a correction.
TONNES_ATOL = 1e-9
#: The melt's name in the correction problem (a material of the instance may not have it).
MELT = "melt (sampled)"


@dataclass(frozen=True)
class Spec:
    """What is corrected and how: every input of the correction problem (a correction
    document carries them as ``inputs``, so that ``verify`` rebuilds the problem)."""

    product: str
    melt_t: float
    heat_t: float
    furnace_max_t: float | None  # None: lifted (the diagnosis' "how many tonnes")
    analysis: Analysis
    may_tap: bool = False
    tap_cost_per_t: float = 0.0
    minimise: str = "cost"
    confidence: float | None = None
    period: str = ""
    #: t each addition may be charged at most, where not the instance's supply (a plan's
    #: leftovers)
    supply_t: dict[str, float] = field(default_factory=dict)
    plan: str | None = None
    planned_wt_pct: dict[str, float] = field(default_factory=dict)

    def inputs(self) -> dict[str, Any]:
        out = {"product": self.product, "period": self.period, "melt_t": self.melt_t,
               "heat_t": self.heat_t, "furnace_max_t": self.furnace_max_t,
               "may_tap": self.may_tap, "tap_cost_per_t": self.tap_cost_per_t,
               "minimise": self.minimise, "confidence": self.confidence,
               "analysis": self.analysis.rows(), "analysis_file": self.analysis.source,
               "supply_t": dict(self.supply_t), "plan": self.plan}
        return {k: v for k, v in out.items() if k != "period" or v}


def spec_of(inputs: Any, where: str) -> Spec:
    """A ``Spec`` from a correction document's ``inputs``; every problem named."""
    problems: list[Problem] = []
    if not isinstance(inputs, dict):
        raise InputError([Problem(where, "has no 'inputs' object", "inputs")])
    try:
        rows = inputs["analysis"]
        analysis = Analysis(str(inputs.get("analysis_file", where)),
                            {r["constituent"]: float(r["wt_pct"]) for r in rows},
                            {r["constituent"]: float(r.get("sd_wt_pct") or 0.0)
                             for r in rows if r.get("sd_wt_pct")})
        fmax = inputs.get("furnace_max_t")
        spec = Spec(str(inputs["product"]), float(inputs["melt_t"]), float(inputs["heat_t"]),
                    None if fmax is None else float(fmax), analysis,
                    bool(inputs.get("may_tap", False)),
                    float(inputs.get("tap_cost_per_t") or 0.0),
                    str(inputs.get("minimise", "cost")),
                    None if inputs.get("confidence") is None else float(inputs["confidence"]),
                    str(inputs.get("period", "")),
                    {str(k): float(v) for k, v in (inputs.get("supply_t") or {}).items()},
                    inputs.get("plan"))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        problems.append(Problem(where, f"its inputs cannot be read ({type(exc).__name__}: "
                                       f"{exc}): write them as mixopt correct does", "inputs"))
        raise InputError(problems) from None
    return spec


def period_instance(h: Horizon, period: str | None, problems: list[Problem]) -> Instance:
    """The instance of ``period`` (a month: its only one)."""
    if not h.has_periods:
        if period:
            problems.append(Problem("--period", f"{period!r}: the instance has no periods"))
        return h.first
    if not period or period not in h.periods:
        problems.append(Problem("--period", f"give the period of the heat, one of "
                                            f"{list(h.periods)}" + (
                                                f" ({period!r} is not)" if period else "")))
        return h.first
    return h.instances[h.periods.index(period)]


def spec_for(h: Horizon, path: Path, product: str | None, melt_t: float | None,
             analysis: Path, heat_t: float | None = None, furnace_max_t: float | None = None,
             may_tap: bool = False, minimise: str = "cost", confidence: float | None = None,
             plan: Path | None = None, period: str | None = None) -> Spec:
    """The correction asked for on the command line, every problem of it at once (the
    product, the sample, the furnace, the melt against it, a plan's leftovers)."""
    problems: list[Problem] = []
    inst = period_instance(h, period, problems)
    k = h.periods.index(period) if h.has_periods and period in h.periods else 0
    left: dict[str, float] = {}
    planned: dict[str, float] = {}
    for name, st in h.stocked.items():  # a stored material: what may be bought in the period
        if math.isfinite(st.buy_max_t[k]):
            left[name] = st.buy_max_t[k]
    if plan is not None:
        from mixopt.io.plan import read_solution
        from mixopt.model.evaluate import recheck

        sol = read_solution(plan, h)
        evs, _ = recheck(sol)
        ev = evs[k]
        made = [p.name for i, p in enumerate(inst.products) if ev.slab_t[i] > TONNES_ATOL]
        if product is None and len(made) == 1:
            product = made[0]
        back = sol.returned_t[k]
        for i, m in enumerate(inst.materials):
            if m.name in h.stocked:  # in the yard at the period's end, and still on offer
                st = h.stocked[m.name]
                offer = st.buy_max_t[k] - float(sol.bought(m.name)[k])
                left[m.name] = float(sol.closing(m.name)[k]) + max(0.0, offer)
                continue
            most = ev.arrays.available_max_t[i]
            if any(q.returns and q.returns.material == m.name for q in inst.products):
                most = min(most, back[i])  # home scrap: what came back this month
            left[m.name] = max(0.0, float(most - ev.use_t[i]))  # what the plan leaves
        if product in {p.name for p in inst.products}:
            p = [q.name for q in inst.products].index(product)
            planned = {e: float(ev.composition_wt_pct[p, j])
                       for j, e in enumerate(ev.arrays.constituents)}
        if heat_t is None:
            problems.append(Problem("--heat-t", "give the heat's size: a correction from a "
                                                "plan corrects one heat made to it"))
        melt_t = melt_t if melt_t is not None else heat_t
    left = {m: t for m, t in left.items() if math.isfinite(t)}  # the others: unbounded
    names = [p.name for p in inst.products]
    if product is None:
        problems.append(Problem("--product", f"name the product, one of {names}"))
        prod = None
    elif product not in names:
        near = closest(product, names)
        problems.append(Problem("--product", f"unknown product {product!r}" + (
            f"; did you mean {near!r}?" if near else f" (one of {names})")))
        prod = None
    else:
        prod = inst.products[names.index(product)]
    if melt_t is None:
        problems.append(Problem("--melt-t", "give the tonnes of melt sampled"))
        melt_t = 0.0
    checked = [("melt", melt_t)] + ([("heat", heat_t)] if heat_t not in (None, melt_t) else [])
    heat_t = melt_t if heat_t is None else heat_t
    furnace = inst.furnace.max_t if furnace_max_t is None else furnace_max_t
    if furnace is None:
        problems.append(Problem(str(path), "no furnace capacity: give --furnace-max or "
                                           "[furnace] max_t", "furnace", field="max_t"))
    else:
        given = "--furnace-max" if furnace_max_t is not None else f"[furnace] max_t of {path}"
        for what, t in checked:
            if t > furnace * (1 + 1e-9):
                problems.append(Problem(f"--{what}-t", f"the {what} ({t:g} t) is above the "
                                                       f"furnace capacity of {furnace:g} t "
                                                       f"({given})"))
    tap = inst.furnace.tap_cost_per_t
    if may_tap and tap is None and minimise == "cost":
        problems.append(Problem(str(path), "--may-tap: tapping needs its cost: give [furnace] "
                                           "tap_cost_per_t", "furnace", field="tap_cost_per_t"))
    if minimise == "footprint" and inst.unknown_footprints:
        unknown = ", ".join(inst.unknown_footprints)
        problems.append(Problem(str(path), f"--minimise footprint: {unknown} give no "
                                           "footprint", "materials", field="footprint"))
    if MELT in {m.name for m in inst.materials}:
        problems.append(Problem(str(path), f"a material is named {MELT!r}, the name of the "
                                           "melt in a correction: rename it", "materials"))
    required = [] if prod is None else [e for e, (lo, hi) in inst.alloys[prod.alloy].items()
                                        if lo > 0 or hi < 100]
    sample = read_analysis(analysis, inst.constituents(), required, problems)
    if confidence is None and plan is not None and prod is not None:
        confidence = prod.confidence or inst.objective.confidence  # the plan's own
    if problems:
        raise InputError(problems)
    return Spec(product, float(melt_t), float(heat_t), furnace, sample, may_tap,
                float(tap or 0.0), minimise, confidence, h.periods[k] if h.has_periods else "",
                left, None if plan is None else str(plan), planned)
