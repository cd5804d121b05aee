"""``mixopt bench charges``: what charges a casthouse can run cost in time.

Three runs, each from a cold start in this process, each rechecked: the shipped AA3104
month (its scrap spreads at a confidence) with at most K materials, solved to the default
gap (1e-6) by outer approximation; a generated month with spreads on every lot, at most K
materials per product, to a 1% gap; and a generated month without spreads (a MILP) with at
most K per product, to a 1% gap. The figures: wall time end to end, the status, the gap,
the outer approximation's rounds and conic solves, and the deterministic LP's time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from mixopt.dev.generate import generate
from mixopt.io.variants import apply_overrides
from mixopt.model.backend import SolveOptions
from mixopt.model.planner import solve


@dataclass(frozen=True)
class ChargeFigures:
    label: str
    k: int
    confidence: float | None
    seconds: float
    lp_seconds: float  # the same month without the limit on materials (and its cones)
    status: str
    gap: float | None
    objective: float | None
    rounds: int | None
    conic_solves: int | None
    used_max: int  # most materials charged to one product


def _run(label: str, base: object, k: int, confidence: float | None, gap: float,
         time_limit_s: float | None) -> ChargeFigures:
    ov = {f"products.{p.name}.max_materials": k for p in base.products}
    if confidence is not None:
        ov["objective.confidence"] = confidence
    t = time.perf_counter()
    solve(base, sensitivity=False)
    lp_s = time.perf_counter() - t
    t = time.perf_counter()
    r = solve(apply_overrides(base, ov), SolveOptions(mip_rel_gap=gap,
                                                      time_limit_s=time_limit_s),
              sensitivity=False)
    s = time.perf_counter() - t
    used = max(int((ev.mix_t > 1e-6).sum(axis=1).max()) for ev in r.evaluations) \
        if r.evaluations else 0
    return ChargeFigures(label, k, confidence, s, lp_s, str(r.status), r.raw.mip_gap,
                         r.objective_value, r.raw.solver.get("oa_rounds"),
                         r.raw.solver.get("conic_solves"), used)


def bench(instances: Path, time_limit_s: float | None = 600.0) -> list[ChargeFigures]:
    from mixopt.io.read import read

    month = read(instances / "can-body.toml").first
    out = [_run("AA3104 month (9 materials)", month, k, 0.95, 1e-6, time_limit_s)
           for k in (5, 6)]
    out.append(_run("generated 100x10x10", generate(100, 10, 10, 0, spreads=True), 8, 0.95,
                    0.01, time_limit_s))
    out.append(_run("generated 2000x40x12", generate(2000, 40, 12, 0, spreads=True), 10,
                    None, 0.01, time_limit_s))
    return out
