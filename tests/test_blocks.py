"""The block interior point (``--cones blocks``): mixopt's conic interior point, whose
Newton systems are solved by product blocks, against an independent cone program
(Clarabel on its own model, ``tests/conic_reference.py``) and against Clarabel on the
whole of mixopt's LP (months and a horizon with stock and a contract), with its gap,
duals, infeasibility certificates and the block structure it found.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import tomlkit

from mixopt import SolveOptions, Status, apply_overrides, read, solve
from mixopt.dev.bench_scale import generate_horizon
from mixopt.dev.generate import generate
from mixopt.model.backend.conic import product_blocks
from mixopt.model.backend.ipm import interior_point
from mixopt.model.backend.kkt import NotBlockable
from mixopt.model.formulation import build_window
from mixopt.testing import assert_objective, assert_rechecked
from tests.conftest import INSTANCES
from tests.helpers import inst, two_material
from tests.test_chance import assert_limits_hold, random_chance_instance

conic = pytest.importorskip("tests.conic_reference")

BLOCKS = SolveOptions(cones="blocks")
CLARABEL = SolveOptions(cones="clarabel")


def _blocks_solved(r: object) -> None:
    s = r.raw.solver
    assert r.status == Status.OPTIMAL, r.message
    assert s["conic_method"] == "blocks" and s["fallback"] is None
    assert s["gap"] <= 1e-7 and s["primal_residual"] <= 1e-7 and s["dual_residual"] <= 1e-7
    assert s["conic_iterations"] >= 3


@pytest.mark.parametrize("seed", range(10))
def test_random_months_equal_the_independent_cone_program(seed: int) -> None:
    i = inst(random_chance_instance(seed))
    r = solve(i, BLOCKS)
    status, ref, _ = conic.conic_optimum(i)
    assert "Solved" in status
    _blocks_solved(r)
    assert_objective(r.objective_value, ref, 1e-6)
    assert_rechecked(r)
    assert_limits_hold(r)


@pytest.mark.parametrize("seed", range(3))
def test_generated_months_with_shared_supplies(seed: int) -> None:
    """Four products drawing on the same lots: four blocks, coupled by the supply rows;
    the optimum of the independent model and of Clarabel on mixopt's LP, and the same
    shadow prices of the chance limits as Clarabel's."""
    i = apply_overrides(generate(15, 4, 6, seed, spreads=True),
                        {"objective.confidence": 0.95})
    r, c = solve(i, BLOCKS), solve(i, CLARABEL)
    _blocks_solved(r)
    assert r.raw.solver["blocks"] == 4 and r.raw.solver["coupling_unknowns"] >= 15
    _, ref, _ = conic.conic_optimum(i)
    assert_objective(r.objective_value, ref, 1e-6)
    assert_objective(r.objective_value, c.objective_value, 1e-7)
    assert_rechecked(r)
    assert_limits_hold(r)
    lp = build_window(r.horizon).lp
    chance = lp.row_block("chance")
    a, b = (x.raw.row_dual[chance.start:chance.stop] for x in (r, c))
    assert np.abs(a).max() > 0
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * np.abs(b).max())


def test_a_horizon_with_stock_and_a_contract(tmp_path: Path) -> None:
    """Three periods of three products with stored lots and a take-or-pay contract: the
    blocks are (period, product), the stock and contract rows and columns couple them."""
    raw = generate_horizon(3, 12, 3, 5, seed=2, spreads=True)
    raw["objective"]["confidence"] = 0.9
    path = tmp_path / "horizon.toml"
    path.write_text(tomlkit.dumps(raw))
    h = read(path)
    r, c = solve(h, BLOCKS), solve(h, CLARABEL)
    _blocks_solved(r)
    assert c.status == Status.OPTIMAL
    assert r.raw.solver["blocks"] == 9
    assert_objective(r.objective_value, c.objective_value, 1e-7)
    assert_rechecked(r)
    lp = build_window(h).lp
    block = product_blocks(lp)
    assert len(np.unique(block[block >= 0])) == 9
    assert (block[lp.col_block("stock").start:lp.col_block("stock").stop] == -1).all()
    charge = [b for b in lp.cols if b.name == "charge"]
    assert len({tuple(np.unique(block[b.start:b.stop])) for b in charge}) == 3


@pytest.mark.parametrize("a", [0.5, 0.9, 0.99])
def test_the_shipped_month(a: float) -> None:
    """One product (one block, nothing coupled), cost under a cap and per heat."""
    base = read(INSTANCES / "can-body.toml")
    for variant in ({"objective.confidence": a},
                    {"objective.confidence": a, "objective.minimise": "cost",
                     "objective.footprint_cap": 3.0},
                    {"objective.confidence": a, "objective.confidence_per": "heat"}):
        i = apply_overrides(base, variant)
        r = solve(i, BLOCKS)
        _blocks_solved(r)
        _, ref, _ = conic.conic_optimum(i.first)
        assert_objective(r.objective_value, ref, 1e-6)
        assert_rechecked(r)


def test_no_plan_reaches_the_confidence() -> None:
    """Cu in [1.5, 1.6] wt% from B's 4 +- 0.5 wt% with 99.9%: the spread alone (about
    0.19 wt% at 37.5 t of B) is wider than the window. A certificate, as Clarabel's."""
    raw = two_material(objective__confidence=0.999)
    raw["materials"][1]["composition_sd"] = {"Cu": 0.5}
    raw["alloys"]["X"]["Cu"] = [1.5, 1.6]
    i = inst(raw)
    r, c = solve(i, BLOCKS), solve(i, CLARABEL)
    assert c.status == Status.INFEASIBLE
    assert r.status == Status.INFEASIBLE and r.raw.solver["conic_method"] == "blocks"
    assert r.raw.solver["fallback"] is None and r.raw.solver["gap"] is None
    json.dumps(r.raw.solver, allow_nan=False)  # the record goes into the JSON document


def test_cones_it_cannot_block_go_to_clarabel() -> None:
    """A cone row on two columns is not the diagonal cone the block system takes."""
    A = sp.csr_matrix(np.array([[-1.0, 0.0], [0.0, -1.0], [-1.0, -1.0]]))
    with pytest.raises(NotBlockable):
        interior_point(np.array([1.0, 1.0]), A, np.zeros(3), 0, 0, np.array([3]),
                       np.array([-1, -1]))


def test_auto_takes_blocks_from_its_size_on() -> None:
    from mixopt.model.backend import conic as route

    small = inst(random_chance_instance(4))
    r = solve(small)
    expect = "blocks" if build_window(r.horizon).lp.A.shape[1] >= route.BLOCKS_FROM \
        else "clarabel"
    assert r.raw.solver["conic_method"] == expect


def test_the_formulation_study_solves_one_problem_in_every_form() -> None:
    """``mixopt bench conic``'s forms (a cone per side, the extended rotated cones, cones
    scaled per t) are the same problem: the same optimum as mixopt's form, by Clarabel."""
    from mixopt.dev.bench_conic import chance_lp, forms_table

    rows = forms_table(chance_lp(10, 2, 6), repeat=1)
    assert len(rows) == 6
    for r in rows:
        assert r.status in ("Solved", "AlmostSolved", "optimal"), r
        assert_objective(r.objective, rows[0].objective, 1e-6)


def test_dantzig_wolfe_brackets_the_optimum() -> None:
    """The bench's column generation: a lower bound below and a master value above the
    optimum every round once the big-M start is gone, the gap closing."""
    from mixopt.dev.bench_conic import chance_lp, dantzig_wolfe
    from mixopt.model.backend import solve_lp

    lp = chance_lp(30, 5, 8)
    opt = solve_lp(lp, BLOCKS, sensitivity=False).objective
    trail = dantzig_wolfe(lp, rounds=25)
    tol = 1e-6 * abs(opt)
    for r in trail[5:]:
        assert r.lower <= opt + tol and r.upper >= opt - tol
    assert trail[-1].gap < trail[1].gap
