"""Every shipped instance solves to its stored expectation (status, objective 1e-6 rel)."""

from __future__ import annotations

import pytest

from mixopt import read, solve, with_overrides
from mixopt.analysis.check import run_one
from mixopt.io.manifest import Run, read_manifest
from mixopt.testing import assert_objective
from tests.conftest import INSTANCES

MANIFEST_PATH, MANIFEST = read_manifest(INSTANCES)
RUNS = MANIFEST.runs


def test_every_shipped_instance_has_an_expectation() -> None:
    covered = {r.path for r in RUNS}
    shipped = {str(p.relative_to(INSTANCES)) for p in INSTANCES.rglob("*.toml")}
    assert shipped == covered


@pytest.mark.parametrize("run", RUNS, ids=[r.id for r in RUNS])
def test_instance(run: Run) -> None:
    """Through the same runner as ``mixopt check instances`` (refresh the stored values
    after an intended change with ``mixopt check instances --update``)."""
    outcome = run_one(INSTANCES, run)
    assert outcome.passed, "\n".join(outcome.failures)
    assert outcome.status == run.status
    if run.status == "optimal":
        assert_objective(outcome.objective, run.objective)


def test_can_body_story() -> None:
    """The README's account of the can-body month holds."""
    inst = read(INSTANCES / "can-body.toml")
    low = solve(inst)
    ev = low.evaluations[0]
    assert low.objective_value < 3.0
    names = [m.name for m in inst.first.materials]
    use = dict(zip(names, ev.mix_t.sum(axis=0), strict=True))
    # every low-carbon supply is exhausted, coal primary is not used
    for m in ("UBC bales", "Process scrap 3xxx", "INERTA", "Scrap-electrolysis P1020"):
        avail = inst.first.materials[names.index(m)].available.max
        assert use[m] == pytest.approx(avail, rel=1e-9)
    assert use["Coal P1020"] == pytest.approx(0.0, abs=1e-9)
    capped = solve(with_overrides(inst, minimise="cost", cap=3.0))
    per_t = capped.evaluations[0].footprint_t.sum() / 10000
    assert per_t <= 3.0 * (1 + 1e-9)
    assert per_t == pytest.approx(3.0, rel=1e-6)  # the cap binds: coal is cheaper than hydro
