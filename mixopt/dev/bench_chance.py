"""``mixopt bench chance``: the price, in time, of plans that hold in the furnace.

A generated month with a spread on every scrap lot is solved on the mean (an LP, HiGHS)
and with every limit held with a confidence (second-order cones: the block interior
point, Clarabel or HiGHS's cut loop, as ``--cones`` asks), each from a cold start in this
process; the figures are mixopt's wall times end to end (build, solve, recheck; no
sensitivity), the solvers' own, the conic iterations, the gap, the block structure, and
the time to simulate the off-spec heats of the chance plan.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from mixopt.dev.generate import generate
from mixopt.io.variants import apply_overrides
from mixopt.model.backend import SolveOptions
from mixopt.model.planner import solve
from mixopt.model.risk import plan_risk


@dataclass(frozen=True)
class MeanFigures:
    size: tuple[int, int, int]
    seconds: float  # mixopt end to end, limits on the mean
    solver_s: float
    objective: float
    off_spec: float  # share of slab tonnes in off-spec heats, simulated


@dataclass(frozen=True)
class ChanceFigures:
    cones: str  # the method asked for
    method: str  # the one that solved ("blocks", "clarabel", "cuts")
    seconds: float  # mixopt end to end, chance constraints
    solver_s: float
    iterations: int | None  # conic iterations (None for the cut loop)
    rounds: int | None  # cut rounds (the cut loop)
    cones_count: int
    gap: float | None
    blocks: int | None
    coupling: int | None
    status: str
    objective: float | None
    off_spec: float | None
    simulate_s: float
    samples: int

    def ratio(self, mean: MeanFigures) -> float:
        return self.seconds / mean.seconds


def _off_spec(result: object, samples: int) -> float:
    ev = result.evaluations[0]
    rates = [p.off_spec_heat_probability for p in plan_risk(ev, samples)]
    return float((ev.slab_t @ rates) / ev.slab_t.sum())


def bench(lots: int, products: int, elements: int, confidence: float = 0.95, seed: int = 0,
          samples: int = 20_000, methods: tuple[str, ...] = ("auto",)
          ) -> tuple[MeanFigures, list[ChanceFigures]]:
    base = generate(lots, products, elements, seed, spreads=True)
    t = time.perf_counter()
    mean = solve(base, sensitivity=False)
    mean_s = time.perf_counter() - t
    m = MeanFigures((lots, products, elements), mean_s, mean.raw.solve_time_s,
                    mean.objective_value, _off_spec(mean, samples))
    chance_inst = apply_overrides(base, {"objective.confidence": confidence})
    out = []
    for method in methods:
        t = time.perf_counter()
        chance = solve(chance_inst, SolveOptions(cones=method), sensitivity=False)
        seconds = time.perf_counter() - t
        s = chance.raw.solver
        has = chance.status.has_solution
        t = time.perf_counter()
        off = _off_spec(chance, samples) if has else None
        simulate_s = time.perf_counter() - t
        out.append(ChanceFigures(
            method, s.get("conic_method") or "cuts", seconds, chance.raw.solve_time_s,
            s.get("conic_iterations"), s.get("cone_cut_rounds"), int(s.get("cones") or 0),
            s.get("gap"), s.get("blocks"), s.get("coupling_unknowns"), str(chance.status),
            chance.objective_value if has else None, off, simulate_s, samples))
    return m, out
