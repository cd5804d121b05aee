"""A Session re-uses one HiGHS instance when only bounds and costs change, with the same
answers as fresh solves."""

from __future__ import annotations

from mixopt import Session, read, solve, with_overrides
from mixopt.testing import assert_objective, assert_rechecked
from tests.conftest import INSTANCES


def test_cap_and_objective_changes_are_applied_in_place() -> None:
    base = read(INSTANCES / "can-body.toml")
    variants = [with_overrides(base, minimise="cost", cap=c) for c in (3.0, 2.5, 2.0, 1.6)]
    variants.append(base)  # back to least footprint: only the costs change
    s = Session()
    for v in variants:
        warm = s.solve(v)
        assert_rechecked(warm)
        assert_objective(warm.objective_value, solve(v).objective_value)
    assert s.rebuilds == 1


def test_structural_change_rebuilds() -> None:
    base = read(INSTANCES / "can-body.toml")
    s = Session()
    s.solve(base)
    s.solve(with_overrides(base, scope="scope12"))  # footprints sit in the cap rows' matrix
    assert s.rebuilds == 2
