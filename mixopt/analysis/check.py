"""A regression suite: solve every run of a folder's manifest (``mixopt.io.manifest``)
and compare status, objective (relative tolerance) and named tonnages with what it
expects. Used by ``mixopt check`` and by mixopt's own ``tests/test_regression.py``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mixopt.errors import InputError, Interrupted
from mixopt.io.manifest import Manifest, Run
from mixopt.model.backend import SolveOptions

#: Objectives and tonnages agree within this relative tolerance unless told otherwise.
DEFAULT_RTOL = 1e-6
#: Tonnages also agree when within this many tonnes (a material expected at 0 t).
TONNES_ATOL = 1e-6


@dataclass(frozen=True)
class Outcome:
    """What one run gave, against what it expected."""

    id: str
    expected_status: str
    status: str
    expected_objective: float | None
    objective: float | None
    failures: tuple[str, ...]  # empty: passed
    tonnes: dict[str, float] = field(default_factory=dict)  # of the named materials
    problems: int | None = None  # invalid runs: problems found
    time_s: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def rel_diff(self) -> float | None:
        if self.objective is None or self.expected_objective is None:
            return None
        return abs(self.objective - self.expected_objective) / max(
            abs(self.expected_objective), 1e-300)


def _rel_close(got: float, want: float, rtol: float, atol: float = 0.0) -> bool:
    return math.isclose(got, want, rel_tol=rtol, abs_tol=atol)


def run_one(folder: Path, run: Run, rtol: float = DEFAULT_RTOL,
            options: SolveOptions | None = None) -> Outcome:
    """Solve one run (in its own process when called from a worker) and compare; its
    tonnes are those bought of each material over every period."""
    from mixopt.io.read import read
    from mixopt.io.variants import variant
    from mixopt.model.planner import solve

    rtol = run.rtol or rtol
    t0 = time.perf_counter()
    path = Path(folder) / run.path
    if run.status == "invalid":
        try:
            read(path)
        except InputError as err:
            found = [str(p) for p in err.problems]
            fails = []
            if run.problems is not None and len(found) != run.problems:
                fails.append(f"{len(found)} problems found, {run.problems} expected")
            fails += [f"no problem says {m!r}" for m in run.messages
                      if not any(m in p for p in found)]
            return Outcome(run.id, "invalid", "invalid", None, None, tuple(fails),
                           problems=len(found), time_s=time.perf_counter() - t0)
        return Outcome(run.id, "invalid", "valid", None, None,
                       ("the input was accepted; it was expected to be refused",),
                       time_s=time.perf_counter() - t0)
    try:
        plan = variant(read(path), run.scenario, run.field_overrides(), f"run {run.id!r}",
                       **run.objective_settings())
    except InputError as err:
        return Outcome(run.id, run.status, "invalid", run.objective, None,
                       (f"the input was refused: {err}",), time_s=time.perf_counter() - t0)
    if run.correct is not None:
        try:
            status, message, got, use = _correction(folder, path, run, plan, options)
        except InputError as err:
            return Outcome(run.id, run.status, "invalid", run.objective, None,
                           (f"the correction was refused: {err}",),
                           time_s=time.perf_counter() - t0)
    else:
        result = solve(plan, options, sensitivity=False)
        status, message, got = str(result.status), result.message, result.objective_value
        use = (None if result.plan is None else
               dict(zip(result.plan.window.materials,
                        map(float, result.plan.bought_t.sum(axis=0)), strict=True)))
    fails: list[str] = []
    if status != run.status:
        fails.append(f"status {status}, {run.status} expected ({message})")
    if use is not None and run.status == status:
        if run.objective is None:
            fails.append(f"objective {got!r}, none stored: run `mixopt check --update`")
        elif got is None or not _rel_close(got, run.objective, rtol):
            fails.append(f"objective {got!r}, {run.objective!r} expected (relative difference "
                         f"{abs(got - run.objective) / max(abs(run.objective), 1e-300):.3g},"
                         f" over {rtol:g})")
    tonnes: dict[str, float] = {}
    if use is not None:
        for name, want in run.tonnes.items():
            if name not in use:
                fails.append(f"no material {name!r} in the instance")
                continue
            tonnes[name] = float(use[name])
            if not _rel_close(tonnes[name], want, rtol, TONNES_ATOL):
                fails.append(f"{name}: {tonnes[name]:.9g} t, {want:.9g} t expected")
    elif run.tonnes:
        fails.append("no plan, so no tonnages to compare")
    return Outcome(run.id, run.status, status, run.objective, got, tuple(fails), tonnes,
                   time_s=time.perf_counter() - t0)


def _correction(folder: Path, path: Path, run: Run, h: Any,
                options: SolveOptions | None) -> tuple[str, str, float | None,
                                                       dict[str, float] | None]:
    """(status, message, objective, t of each addition) of a run's furnace correction."""
    from mixopt.analysis.correct import correct
    from mixopt.analysis.correct_spec import spec_for

    k = run.correct
    spec = spec_for(h, path, k.product, k.melt_t, Path(folder) / k.analysis, k.heat_t,
                    k.furnace_max_t, k.may_tap, k.minimise, k.confidence, None, k.period)
    c = correct(h, spec, options, diagnose=False)
    if c.evaluation is None:
        return c.status, c.message, None, None
    adds = dict(c.additions)
    return c.status, c.message, c.objective_value, {m.name: adds.get(m.name, 0.0)
                                                    for m in c.base.materials}


def _run_chunk(folder: str, runs: list[Run], rtol: float,
               options: SolveOptions | None) -> list[Outcome]:
    return [run_one(Path(folder), r, rtol, options) for r in runs]


def check(folder: Path, manifest: Manifest, rtol: float = DEFAULT_RTOL,
          options: SolveOptions | None = None, client: Any = None) -> list[Outcome]:
    """Every run of ``manifest`` (in the manifest's order): serially, or on a Dask
    ``client`` in chunks (a run the cluster could not run is a failed run, saying why).
    Ctrl-C raises ``Interrupted`` with the outcomes finished (in the manifest's order)."""
    runs = list(manifest.runs)
    if client is None:
        out: list[Outcome] = []
        try:
            for r in runs:
                out.append(run_one(folder, r, rtol, options))
        except KeyboardInterrupt:
            raise Interrupted(out) from None
        return out
    from mixopt.analysis.distributed import gather, n_workers

    size = max(1, -(-len(runs) // (4 * max(1, n_workers(client)))))
    chunks = {i: runs[i:i + size] for i in range(0, len(runs), size)}
    try:
        done, failed = gather(client, {i: (_run_chunk, str(folder), chunk, rtol, options)
                                       for i, chunk in chunks.items()})
    except Interrupted as exc:
        raise Interrupted([o for i in sorted(exc.finished) for o in exc.finished[i]]) \
            from None
    out = []
    for i, chunk in chunks.items():
        if i in done:
            out += done[i]
        else:
            out += [Outcome(r.id, r.status, "not_run", r.objective, None,
                            (f"not run: {failed[i]}",)) for r in chunk]
    return out


def updated(manifest: Manifest, outcomes: list[Outcome]) -> tuple[Manifest, list[str]]:
    """The manifest with what each run now gives (status, objective, named tonnages),
    published values kept; and the ids whose expectation changed."""
    by_id = {o.id: o for o in outcomes}
    runs, changed = [], []
    for run in manifest.runs:
        o = by_id[run.id]
        if run.published or run.status == "invalid" or o.status in ("invalid", "not_run"):
            runs.append(run)
            continue
        new = run.model_copy(update={
            "status": o.status, "objective": _kept(run.objective, o.objective),
            "tonnes": {k: _kept(v, o.tonnes.get(k, v)) for k, v in run.tonnes.items()}})
        if new != run:
            changed.append(run.id)
        runs.append(new)
    return manifest.model_copy(update={"runs": tuple(runs)}), changed


#: An update keeps a stored value that differs from the new one by no more than this
#: (relative): last-digit noise is not a change to review.
UPDATE_RTOL = 1e-12


def _kept(old: float | None, new: float | None) -> float | None:
    if old is not None and new is not None and math.isclose(old, new, rel_tol=UPDATE_RTOL,
                                                            abs_tol=1e-12):
        return old
    return new
