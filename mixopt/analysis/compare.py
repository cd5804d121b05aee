"""Scenario comparison and parameter grids: many solves of variants of one instance.

Serial runs share one ``Session`` (warm re-solves where only bounds and costs change).
Grids can also run on Dask distributed (``run_grid(..., client=...)``); each worker
solves its points with its own session, and results are the same numbers.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mixopt.analysis.distributed import gather, n_workers
from mixopt.errors import Incomplete, InputError, Interrupted, Problem
from mixopt.io.variants import apply_overrides, parse_value
from mixopt.model.backend import SolveOptions
from mixopt.model.planner import Result, Session
from mixopt.model.risk import DEFAULT_SAMPLES
from mixopt.model.schema.horizon import Horizon


def off_spec(result: Result) -> float | None:
    """The plan's share of off-spec heats, per t of slab: every product's rate in every
    period weighted by its tonnes (None without spreads or a plan)."""
    if result.risk is None or result.evaluations is None:
        return None
    rates = np.array([r.off_spec_heat_probability for rs in result.risk for r in rs])
    slab = np.concatenate([ev.slab_t for ev in result.evaluations])
    return float(rates @ slab / slab.sum())


def summary(result: Result) -> dict[str, Any]:
    """The figures procurement compares, from the rechecked plan (every period)."""
    row: dict[str, Any] = {"status": str(result.status), "objective": result.objective_value,
                           "objective_unit": result.objective_unit, "cost": None,
                           "footprint_per_t": None, "inert_anode_t": None,
                           "recycled_post_consumer_share": None,
                           "recycled_pre_consumer_share": None}
    if result.horizon.has_spreads:
        row["off_spec_heat_probability"] = off_spec(result)
    tot = result.totals
    if tot is None:
        return row
    evs = result.evaluations
    row.update({
        "cost": tot["cost"], "footprint_per_t": tot["footprint_per_t"],
        "inert_anode_t": float(sum(ev.use_t[ev.arrays.inert_anode].sum() for ev in evs)),
        "recycled_post_consumer_share": tot["recycled_post_consumer_share"],
        "recycled_pre_consumer_share": tot["recycled_pre_consumer_share"],
    })
    return row


def _use_by_material(result: Result) -> dict[str, float]:
    if result.plan is None:
        return {}
    return dict(zip(result.plan.window.materials, result.plan.bought_t.sum(axis=0).tolist(),
                    strict=True))


def largest_changes(result: Result, base: Result, n: int = 3) -> str:
    """The ``n`` largest differences of material use against the base, in words."""
    a, b = _use_by_material(result), _use_by_material(base)
    if not a or not b:
        return ""
    delta = {m: a.get(m, 0.0) - b.get(m, 0.0) for m in {**b, **a}}
    # ties broken by name: the text must not depend on set order (hash seeds differ by process)
    top = sorted((m for m in delta if abs(delta[m]) > 1e-6),
                 key=lambda m: (-round(abs(delta[m]), 6), m))[:n]
    return "; ".join(f"{m} {delta[m]:+,.1f} t" for m in top)


#: In a Dask worker, the warm session of its last task, kept for the next one: a worker's
#: tasks after its first re-solve warm, as one serial session does (the session rebuilds
#: by itself when a variant's structure differs). One per thread: a worker may run tasks
#: on several threads, and a HiGHS model is not to be shared between them.
_KEPT = threading.local()


def _session(options: SolveOptions | None, samples: int, keep: bool) -> Session:
    """A fresh session, or (``keep``: in a worker) the one this thread kept for these
    settings (one HiGHS model per thread at most)."""
    if not keep:
        return Session(options, sensitivity=False, risk_samples=samples)
    key = repr((options, samples))
    if getattr(_KEPT, "key", None) != key:
        _KEPT.key, _KEPT.session = key, Session(options, sensitivity=False,
                                               risk_samples=samples)
    return _KEPT.session


def _solve_all(instances: Sequence[Horizon], options: SolveOptions | None,
               samples: int = DEFAULT_SAMPLES, into: list[Result] | None = None,
               keep: bool = False) -> list[Result]:
    session = _session(options, samples, keep)
    out = into if into is not None else []
    for inst in instances:
        out.append(session.solve(inst))
    return out


def compare(variants: Sequence[tuple[str, Horizon]], options: SolveOptions | None = None,
            client: Any = None, samples: int = DEFAULT_SAMPLES) -> pd.DataFrame:
    """One row per variant (the first is the base): status, cost, footprint, shares, and
    the largest mix differences against the base. Serially with one warm session, or on
    a Dask ``distributed.Client`` (one solve per task). Ctrl-C raises ``Interrupted`` with
    the table of the variants finished; dead workers, ``Incomplete``."""
    instances = [inst for _, inst in variants]
    names = [name for name, _ in variants]
    failed: dict[int, str] = {}
    if client is None:
        solved: list[Result] = []
        try:
            _solve_all(instances, options, samples, into=solved)
        except KeyboardInterrupt:
            raise Interrupted(_table(dict(enumerate(solved)), names)) from None
        by_index = dict(enumerate(solved))
    else:
        try:
            done, failed = gather(client, {i: (_solve_all, [inst], options, samples, None,
                                               True) for i, inst in enumerate(instances)})
        except Interrupted as exc:
            raise Interrupted(_table({i: r[0] for i, r in exc.finished.items()}, names)) \
                from None
        by_index = {i: r[0] for i, r in done.items()}
    table = _table(by_index, names)
    if failed:
        raise Incomplete(table, [({"scenario": names[i]}, why) for i, why in failed.items()])
    return table


def _table(results: dict[int, Result], names: list[str]) -> pd.DataFrame:
    base = results.get(0)
    rows = [{"scenario": names[i], **summary(r),
             "largest_changes_vs_base": largest_changes(r, base) if base else ""}
            for i, r in sorted(results.items())]
    return pd.DataFrame.from_records(rows)


# -- grids -----------------------------------------------------------------------------


def parse_grid(spec: str) -> tuple[str, list[Any]]:
    """``PATH=START:STOP:STEP`` (inclusive of STOP) or ``PATH=V1,V2,...``.

    Examples
    --------
    >>> parse_grid("materials.UBC.cost=1700:1900:100")
    ('materials.UBC.cost', [1700.0, 1800.0, 1900.0])
    >>> parse_grid("objective.scope=full,scope12")
    ('objective.scope', ['full', 'scope12'])
    """
    path, sep, values = spec.partition("=")
    if not sep or not path.strip() or not values.strip():
        raise InputError([Problem("--grid", f"{spec!r} is not PATH=START:STOP:STEP or "
                                            "PATH=V1,V2,...")])
    path, values = path.strip(), values.strip()
    if values.count(":") == 2:
        try:
            start, stop, step = (float(v) for v in values.split(":"))
        except ValueError:
            raise InputError([Problem("--grid", f"{values!r}: start, stop and step must be "
                                                "numbers", field=path)]) from None
        if step <= 0 or stop < start:
            raise InputError([Problem("--grid", f"{values!r}: need step > 0 and stop >= start",
                                      field=path)])
        n = int(np.floor((stop - start) / step + 1e-9)) + 1
        return path, [round(start + i * step, 12) for i in range(n)]
    return path, [parse_value(v.strip()) for v in values.split(",")]


def grid_points(axes: Sequence[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
    """The cartesian product of the axes, the last axis varying fastest."""
    paths = [p for p, _ in axes]
    return [dict(zip(paths, combo, strict=True))
            for combo in itertools.product(*(v for _, v in axes))]


def _rows(point: dict[str, Any], result: Result, tonnes: bool) -> list[dict[str, Any]]:
    """The point's tidy row; with ``tonnes``, one row per (period and) material instead:
    the charged tonnes of each material over all products (long format)."""
    if not tonnes:
        return [{**point, **summary(result)}]
    head = {**point, "status": str(result.status), "objective": result.objective_value}
    if result.evaluations is None:
        return [{**head, "material": None, "charged_t": None}]
    return [{**head, **result.period_of(k), "material": m, "charged_t": float(t)}
            for k, ev in enumerate(result.evaluations)
            for m, t in zip(ev.arrays.materials, ev.use_t, strict=True)]


def solve_points(instance: Horizon, points: Sequence[dict[str, Any]],
                 options: SolveOptions | None = None,
                 progress: Callable[[], None] | None = None,
                 samples: int = DEFAULT_SAMPLES,
                 into: list[dict[str, Any]] | None = None,
                 keep: bool = False, tonnes: bool = False) -> list[dict[str, Any]]:
    """Solve each point (a dict of overrides) with one warm session (``keep``: the one
    this worker process kept from its last task); one tidy row each, or with ``tonnes``
    one per (period and) material (appended to ``into`` as each finishes, when given)."""
    session = _session(options, samples, keep)
    rows = into if into is not None else []
    for point in points:
        rows.extend(_rows(point, session.solve(apply_overrides(instance, point, "--grid")),
                          tonnes))
        if progress is not None:
            progress()
    return rows


#: A grid on Dask is cut into this many chunks per worker (at most a few points each: the
#: last chunks keep every worker busy until the grid ends).
CHUNKS_PER_WORKER = 16


def _chunks(items: Sequence[Any], n: int) -> Iterable[Sequence[Any]]:
    size = max(1, -(-len(items) // n))
    return (items[i:i + size] for i in range(0, len(items), size))


def run_grid(instance: Horizon, axes: Sequence[tuple[str, list[Any]]],
             options: SolveOptions | None = None, client: Any = None,
             progress: Callable[[], None] | None = None,
             samples: int = DEFAULT_SAMPLES, tonnes: bool = False) -> pd.DataFrame:
    """Solve every point of the grid: serially with one warm session, or on a Dask
    ``distributed.Client`` in contiguous chunks (one warm session per chunk). Ctrl-C
    raises ``Interrupted`` with the table of the points finished; points whose workers
    died raise ``Incomplete`` with the rest solved. ``tonnes``: the long table of each
    point's charged tonnes per material."""
    points = grid_points(axes)
    if not points:
        return pd.DataFrame()
    for path, values in axes:  # fail early, naming the path, before any solve
        apply_overrides(instance, {path: values[0]}, "--grid")
    if client is None:
        rows: list[dict[str, Any]] = []
        try:
            solve_points(instance, points, options, progress, samples, into=rows,
                         tonnes=tonnes)
        except KeyboardInterrupt:
            raise Interrupted(pd.DataFrame.from_records(rows)) from None
        return pd.DataFrame.from_records(rows)
    # small chunks keep every worker busy to the end of the grid (each worker keeps its
    # warm session from chunk to chunk). The instance travels with each task (a 500-lot
    # month pickles to 0.25 MB in 10 ms): scattered once, it would die with the workers
    # holding it, and the points left could not be run again on the workers that replace
    # them
    chunks = list(_chunks(points, CHUNKS_PER_WORKER * max(1, n_workers(client))))
    tasks = {i: (solve_points, instance, chunk, options, None, samples, None, True, tonnes)
             for i, chunk in enumerate(chunks)}
    try:
        done, failed = gather(client, tasks, on_done=(
            lambda i, _: [progress() for _ in chunks[i]]) if progress else None)
    except Interrupted as exc:
        raise Interrupted(pd.DataFrame.from_records(
            [r for i in sorted(exc.finished) for r in exc.finished[i]])) from None
    table = pd.DataFrame.from_records([r for i in sorted(done) for r in done[i]])
    if failed:
        raise Incomplete(table, [(p, why) for i, why in sorted(failed.items())
                                 for p in chunks[i]])
    return table
