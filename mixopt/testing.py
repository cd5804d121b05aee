"""Assertion helpers for tests of mixopt and of projects that use it."""

from __future__ import annotations

import math

from mixopt.model.evaluate import recheck
from mixopt.model.result import Result

#: Objectives are compared with this relative tolerance, never loose absolutes.
OBJECTIVE_RTOL = 1e-6


def assert_objective(actual: float | None, expected: float, rtol: float = OBJECTIVE_RTOL) -> None:
    """``actual`` equals ``expected`` within ``rtol`` (relative)."""
    assert actual is not None, "no objective value"
    assert math.isclose(actual, expected, rel_tol=rtol, abs_tol=0.0), (
        f"objective {actual!r} differs from {expected!r} by "
        f"{abs(actual - expected) / max(abs(expected), 1e-300):.3g} (relative), over {rtol:g}")


def assert_rechecked(result: Result) -> None:
    """The result has a plan, and a fresh solver-free recheck of every period and every
    link finds no violation."""
    assert result.plan is not None, f"no plan ({result.status})"
    _, bad = recheck(result.plan)
    assert not bad, "\n".join(str(v) for v in bad)
