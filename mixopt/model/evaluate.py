"""Recheck a plan against every rule, without any solver.

``evaluate(instance, mix_t)`` computes one period's figures from the instance arrays
(``mixopt.model.figures``) and runs every registered family's recheck on them;
``recheck(plan)`` does so for every period of a plan and adds the linking families'
rechecks (stock, purchases, contracts); ``objective_of`` recomputes the objective. The
rechecks share nothing with the LP rows but the arrays, so a modelling slip in a
``define_*`` shows up here (``tests/test_families.py`` compares the two on random plans).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from mixopt.model.arrays import InstanceArrays, to_arrays
from mixopt.model.families import FAMILIES, LINKING
from mixopt.model.figures import REL_TOL, Figures, Violation, figures, tolerance
from mixopt.model.plan import HorizonPlan
from mixopt.model.schema.horizon import Horizon
from mixopt.model.schema.instance import Instance

#: A constituent is shown as sitting on its limit when within this relative distance.
BINDING_REL_TOL = 1e-3

__all__ = ["BINDING_REL_TOL", "REL_TOL", "Evaluation", "Violation", "evaluate", "money",
           "objective_of", "recheck"]


@dataclass(frozen=True)
class Evaluation(Figures):
    """Figures of a mix and the rules it breaks."""

    violations: tuple[Violation, ...] = ()

    @property
    def feasible(self) -> bool:
        return not self.violations

    def binding(self, p: int) -> dict[str, str]:
        """Constituents of product ``p`` whose limit binds: 'min' or 'max'. A limit held on
        the mean binds when the achieved wt% sits on it; a chance limit (a confidence with
        spreads) when the probability of a heat falling outside it is what the confidence
        allows."""
        d, comp = self.arrays, self.composition_wt_pct[p]
        out = {}
        chance = _chance_binding(self, p) if d.has_chance else {}
        for e in np.flatnonzero(d.windowed[p]):
            lo, hi = d.limit_min_wt_pct[p, e], d.limit_max_wt_pct[p, e]
            if lo > 0 and abs(comp[e] - lo) <= BINDING_REL_TOL * max(1.0, lo):
                out[d.constituents[e]] = "min"
            elif hi < 100 and abs(comp[e] - hi) <= BINDING_REL_TOL * max(1.0, hi):
                out[d.constituents[e]] = "max"
            elif e in chance:
                out[d.constituents[e]] = chance[e]
        return out


#: A chance limit binds when its probability outside is within this share of what its
#: confidence allows (the cut loop holds each cone to 1e-7 of its standard deviation).
CHANCE_BINDING_REL_TOL = 1e-4


def _chance_binding(fig: Figures, p: int) -> dict[int, str]:
    """Constituents (by index) of product p whose chance limit binds: 'min' or 'max'."""
    from mixopt.model.families.chance import probabilities
    from mixopt.model.uncertainty import chance_sides, limit_confidence

    d = fig.arrays
    below, above = probabilities(fig)
    a_lo, a_hi = limit_confidence(d)
    lo_on, hi_on = chance_sides(d)
    out = {}
    for e in range(len(d.constituents)):
        for side, on, prob, a in (("min", lo_on, below, a_lo), ("max", hi_on, above, a_hi)):
            allowed = 1 - a[p, e]
            if on[p, e] and abs(prob[p, e] - allowed) <= CHANCE_BINDING_REL_TOL * allowed:
                out[e] = side
    return out


def _non_negative(fig: Figures) -> list[Violation]:
    d, x = fig.arrays, fig.mix_t
    return [Violation("non_negative", "min", (d.products[p], d.materials[m]), float(-x[p, m]),
                      "t", f"charge is {x[p, m]:.6g} t")
            for p, m in np.argwhere(x < -tolerance(0.0))]


def evaluate(instance: Instance, mix_t: np.ndarray,
             arrays: InstanceArrays | None = None) -> Evaluation:
    """Recompute every figure of ``mix_t`` (P x M charged tonnes) and check every rule."""
    fig = figures(arrays if arrays is not None else to_arrays(instance), mix_t)
    found = _non_negative(fig)
    for family in FAMILIES:
        found.extend(family.check(fig))
    return Evaluation(**{f: getattr(fig, f) for f in fig.__dataclass_fields__},
                      violations=tuple(found))


def recheck(plan: HorizonPlan) -> tuple[tuple[Evaluation, ...], list[Violation]]:
    """Every period's rules on its own figures, and every linking rule: (each period's
    evaluation, every violation; a period's keyed by its period first when the plan has
    named periods). No solver."""
    w = plan.window
    h = w.horizon
    evs = tuple(evaluate(h.instances[w.start + k], plan.mix_t[k], w.arrays[k]) for k in w.ks)
    bad = [dataclasses.replace(v, key=(w.period(k), *v.key)) if h.has_periods else v
           for k, ev in enumerate(evs) for v in ev.violations]
    for family in LINKING:
        bad += list(family.check(plan))
    return evs, bad


def money(plan: HorizonPlan, evs: tuple[Evaluation, ...]) -> list[dict[str, float]]:
    """Per period: purchases (stored materials when bought, others when charged), holding,
    carbon, revenue; and the take-or-pay shortfall paid in the last period."""
    w, h = plan.window, plan.window.horizon
    out = []
    for k, ev in enumerate(evs):
        d, kk = ev.arrays, w.start + k
        stored = np.array([name in h.stocked for name in d.materials])
        purchases = float(ev.cost.sum())
        if stored.any():  # paid when bought, not when charged
            buys = sum(h.stocked[m].cost[kk] * plan.bought(m)[k] for m in h.stocked)
            purchases = float(ev.mix_t[:, ~stored].sum(axis=0) @ d.cost_per_t[~stored] + buys)
        holding = sum(h.stocked[m].holding_cost[kk] * plan.closing(m)[k] for m in h.stocked)
        out.append({"purchases": purchases, "holding": float(holding),
                    "carbon": float(ev.carbon_cost.sum()), "revenue": float(ev.revenue.sum()),
                    "take_or_pay": 0.0})
    if out and w.at_end:
        out[-1]["take_or_pay"] = float(sum(h.contract_price(m) * t
                                           for m, t in plan.shortfall_t.items()))
    return out


def objective_of(plan: HorizonPlan, evs: tuple[Evaluation, ...]) -> float:
    """The reported objective, recomputed from the rechecked plan: the footprint per t of
    slab over the window (casting included), or the net cost (purchases, holding, carbon
    and take-or-pay, less revenue)."""
    if plan.window.horizon.objective.minimise == "footprint":
        return float(sum(ev.footprint_t.sum() for ev in evs)
                     / sum(ev.arrays.slab_tonnes.sum() for ev in evs))
    return float(sum(r["purchases"] + r["holding"] + r["carbon"] + r["take_or_pay"]
                     - r["revenue"] for r in money(plan, evs)))


def objective_unit(h: Horizon) -> str:
    return "t CO2e/t slab" if h.objective.minimise == "footprint" else h.currency
