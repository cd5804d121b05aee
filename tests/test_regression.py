"""Every shipped instance solves to its stored expectation (status, objective 1e-6 rel)."""

from __future__ import annotations

import json
import math

import pytest

from mixopt import InputError, read_instance, scenario, solve, with_overrides
from mixopt.testing import assert_objective, assert_rechecked
from tests.conftest import INSTANCES

EXPECTED_PATH = INSTANCES / "expected.json"
EXPECTED = json.loads(EXPECTED_PATH.read_text())
RUNS = EXPECTED["runs"]
_updated: dict[str, float] = {}


def test_every_shipped_instance_has_an_expectation() -> None:
    covered = {r["path"] for r in RUNS}
    shipped = {str(p.relative_to(INSTANCES)) for p in INSTANCES.rglob("*.toml")}
    assert shipped == covered


@pytest.mark.parametrize("run", RUNS, ids=[r["id"] for r in RUNS])
def test_instance(run: dict, update_expected: bool) -> None:
    path = INSTANCES / run["path"]
    if run["status"] == "invalid":
        with pytest.raises(InputError) as info:
            read_instance(path)
        problems = [str(p) for p in info.value.problems]
        assert len(problems) == run["problems"]
        for msg in run["messages"]:
            assert any(msg in p for p in problems), f"missing: {msg}\n" + "\n".join(problems)
        return
    inst = with_overrides(read_instance(path), **run.get("overrides", {}))
    if "scenario" in run:
        inst = scenario(inst, run["scenario"])
    result = solve(inst)
    assert str(result.status) == run["status"], result.message
    if result.status != "optimal":
        assert result.evaluation is None and result.objective_value is None
        return
    assert_rechecked(result)
    if update_expected and not run.get("published"):
        old = run.get("objective")
        if old is None or not math.isclose(old, result.objective_value, rel_tol=1e-12):
            run["objective"] = result.objective_value  # only what moved: diffs stay honest
            EXPECTED_PATH.write_text(json.dumps(EXPECTED, indent=2) + "\n")
        return
    assert run["objective"] is not None, "no stored objective: run with --update-expected"
    assert_objective(result.objective_value, run["objective"])


def test_can_body_story() -> None:
    """The README's account of the can-body month holds."""
    inst = read_instance(INSTANCES / "can-body.toml")
    low = solve(inst)
    ev = low.evaluation
    assert low.objective_value < 3.0
    names = [m.name for m in inst.materials]
    use = dict(zip(names, ev.mix_t.sum(axis=0), strict=True))
    # every low-carbon supply is exhausted, coal primary is not used
    for m in ("UBC bales", "Process scrap 3xxx", "INERTA", "Scrap-electrolysis P1020"):
        avail = inst.materials[names.index(m)].available.max
        assert use[m] == pytest.approx(avail, rel=1e-9)
    assert use["Coal P1020"] == pytest.approx(0.0, abs=1e-9)
    capped = solve(with_overrides(inst, minimise="cost", cap=3.0))
    per_t = capped.evaluation.footprint_t.sum() / 10000
    assert per_t <= 3.0 * (1 + 1e-9)
    assert per_t == pytest.approx(3.0, rel=1e-6)  # the cap binds: coal is cheaper than hydro
