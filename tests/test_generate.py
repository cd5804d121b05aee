"""Synthetic instances are deterministic and feasible; the sweep benchmark agrees with raw
HiGHS on every objective (its timings are printed by `mixopt bench sweep`, never asserted)."""

from __future__ import annotations

import pytest

from mixopt import Status, solve
from mixopt.dev.bench import sweep
from mixopt.dev.generate import generate
from mixopt.testing import assert_rechecked


def test_same_seed_same_instance() -> None:
    assert generate(40, 4, 10, seed=7) == generate(40, 4, 10, seed=7)
    assert generate(40, 4, 10, seed=7) != generate(40, 4, 10, seed=8)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("milp", [False, True])
def test_generated_instances_solve(seed: int, milp: bool) -> None:
    inst = generate(60, 4, 10, seed=seed, milp=milp)
    assert inst.is_milp == milp
    assert len(inst.products) == 4 and len(inst.constituents()) == 10
    r = solve(inst)
    assert r.status in (Status.OPTIMAL, Status.OPTIMAL_WITHIN_GAP)
    assert_rechecked(r)


def test_sweep_benchmark_agrees_with_raw_highs() -> None:
    f = sweep(lots=40, products=3, elements=8, points=4)
    assert len(f.caps) == 4 and f.rebuilds == 1
    assert f.max_rel_diff < 1e-9
    assert f.mixopt_s > 0 and f.raw_s > 0


def test_scale_benchmark_runs_both_contenders_on_the_same_lp() -> None:
    from mixopt.dev.bench_scale import bench_size
    ours, raw, default = bench_size(40, 3, 8)
    # 40 lots, 3 primaries and one master alloy per constituent with a minimum in the
    # products' alloys (AA3104, AA3004, AA5182: Cu, Mg, Mn), for each of the 3 products
    assert ours.columns == raw.columns == default.columns == 3 * (40 + 3 + 3)
    assert abs(ours.objective - raw.objective) <= 1e-9 * abs(raw.objective)
    assert abs(default.objective - raw.objective) <= 1e-9 * abs(raw.objective)
    assert default.who == "raw highspy (default)"
    assert set(ours.phases) == set(raw.phases) == {"read", "build", "load", "solve",
                                                   "extract"}
    assert ours.rss_peak_mb >= ours.rss_base_mb > 0
