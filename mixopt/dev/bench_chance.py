"""``mixopt bench chance``: the price, in time, of plans that hold in the furnace.

A generated month with a spread on every scrap lot is solved on the mean and with every
limit held with a confidence (outer approximation on HiGHS), each from a cold start in
this process; the figures are HiGHS's and mixopt's wall times, the cut rounds and cuts,
and the time to simulate the off-spec heats of the chance plan.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from mixopt.dev.generate import generate
from mixopt.io.variants import apply_overrides
from mixopt.model.planner import solve
from mixopt.model.risk import plan_risk


@dataclass(frozen=True)
class ChanceFigures:
    size: tuple[int, int, int]
    confidence: float
    mean_s: float  # mixopt end to end, limits on the mean
    chance_s: float  # mixopt end to end, chance constraints
    mean_highs_s: float
    chance_highs_s: float
    rounds: int
    cuts: int
    cones: int
    objective_mean: float
    objective_chance: float
    off_spec_mean: float  # share of slab tonnes in off-spec heats, simulated
    off_spec_chance: float
    simulate_s: float  # the Monte Carlo of the chance plan
    samples: int

    @property
    def ratio(self) -> float:
        return self.chance_s / self.mean_s


def bench(lots: int, products: int, elements: int, confidence: float = 0.95, seed: int = 0,
          samples: int = 20_000) -> ChanceFigures:
    base = generate(lots, products, elements, seed, spreads=True)
    t = time.perf_counter()
    mean = solve(base, sensitivity=False)
    mean_s = time.perf_counter() - t
    t = time.perf_counter()
    chance = solve(apply_overrides(base, {"objective.confidence": confidence}),
                   sensitivity=False)
    chance_s = time.perf_counter() - t
    t = time.perf_counter()
    risk = plan_risk(chance.evaluations[0], samples)
    simulate_s = time.perf_counter() - t

    def off(r: object) -> float:
        ev = r.evaluations[0]
        rates = [p.off_spec_heat_probability for p in plan_risk(ev, samples)]
        return float((ev.slab_t @ rates) / ev.slab_t.sum())

    solver = chance.raw.solver
    ev = chance.evaluations[0]
    d = ev.arrays
    return ChanceFigures((lots, products, elements), confidence, mean_s, chance_s,
                         mean.raw.solve_time_s, chance.raw.solve_time_s,
                         solver["cone_cut_rounds"], solver["cone_cuts"],
                         int((d.uncertain & (d.limit_max_wt_pct < 100)).sum()
                             + (d.uncertain & (d.limit_min_wt_pct > 0)).sum()),
                         mean.objective_value, chance.objective_value, off(mean),
                         float((ev.slab_t @ [p.off_spec_heat_probability for p in risk])
                               / ev.slab_t.sum()),
                         simulate_s, samples)
