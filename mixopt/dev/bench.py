"""Benchmarks that print figures (never assertions): ``mixopt bench ...``.

``sweep``: a cap sweep solved by mixopt (one warm ``Session``: override, formulate,
update HiGHS in place, solve, recheck each point) against a minimal raw-highspy
persistent sweep of the very same LP (passed once as arrays, then only the cap row's
bound changed per point), side by side in one process. The baseline is not charged
for building the arrays; mixopt is charged for everything it does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from mixopt.dev.generate import generate
from mixopt.io.variants import apply_overrides
from mixopt.model.arrays import to_arrays
from mixopt.model.backend import SolveOptions
from mixopt.model.backend.highs import load_arrays
from mixopt.model.formulation import build_lp
from mixopt.model.lp import LinearProgram
from mixopt.model.planner import Session, solve


@dataclass(frozen=True)
class SweepFigures:
    shape: tuple[int, int, int]
    caps: list[float]
    mixopt_s: float
    raw_s: float
    mixopt_highs_s: float  # HiGHS's own run time inside mixopt's sweep
    rebuilds: int
    max_rel_diff: float  # largest relative objective difference between the two sweeps

    @property
    def ratio(self) -> float:
        return self.mixopt_s / self.raw_s


def _raw_sweep(lp: LinearProgram, caps_rhs: list[float], row: int) -> list[float]:
    h = load_arrays(lp)
    out = []
    for rhs in caps_rhs:
        h.changeRowBounds(row, -highspy.kHighsInf, rhs)
        h.run()
        np.asarray(h.getSolution().col_value)  # the baseline reads its solution too
        out.append(h.getInfo().objective_function_value)
    return out


def sweep(lots: int = 500, products: int = 20, elements: int = 12, points: int = 20,
          seed: int = 0) -> SweepFigures:
    """Time a ``points``-cap sweep from near least footprint to least cost, both ways."""
    inst = generate(lots, products, elements, seed)
    opts = SolveOptions()
    f_min = solve(apply_overrides(inst, {"objective.minimise": "footprint"})).objective_value
    f_max = float(solve(inst).totals["footprint_per_t"])
    caps = np.linspace(f_min * 1.001, f_max, points).tolist()

    t0 = time.perf_counter()
    session = Session(opts, sensitivity=False)
    mixopt_obj, highs_s = [], 0.0
    for cap in caps:
        r = session.solve(apply_overrides(inst, {"objective.footprint_cap": cap}, "bench"))
        mixopt_obj.append(r.objective_value)
        highs_s += r.raw.solve_time_s
    mixopt_s = time.perf_counter() - t0

    d = to_arrays(inst)
    lp = build_lp(d, "cost", every_row=True)
    row = lp.row_block("footprint_cap").start
    cast = d.casting_t_co2e_per_t
    t0 = time.perf_counter()
    raw_obj = _raw_sweep(lp, [c - cast for c in caps], row)
    raw_s = time.perf_counter() - t0
    diff = max(abs(a - b) / max(1.0, abs(b)) for a, b in zip(mixopt_obj, raw_obj, strict=True))
    return SweepFigures((lots, products, elements), caps, mixopt_s, raw_s, highs_s,
                        session.rebuilds, diff)
