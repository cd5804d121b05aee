"""Scale-out of a grid (``mixopt bench sweep --scale-out``): the same grid of cap points
solved serially (one warm session), on a local Dask cluster of N spawned workers, and on
a separately started ``dask scheduler`` with N ``dask worker`` processes (distributed's
command-line tools, on 127.0.0.1), as a cluster user runs one. Parallel efficiency is the
serial time over N times the grid's time on the cluster; the cluster's start-up is timed
apart (it is paid once per command, not per point). Every run's objectives are compared
with the serial ones."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mixopt.analysis.compare import run_grid
from mixopt.analysis.distributed import client_for
from mixopt.dev.generate import generate
from mixopt.io.variants import apply_overrides
from mixopt.model.planner import solve


@dataclass(frozen=True)
class Run:
    label: str
    start_s: float  # the cluster's start-up (0 serially)
    grid_s: float  # solving the grid, results gathered
    max_rel_diff: float  # against the serial objectives

    def efficiency(self, serial_s: float, workers: int) -> float:
        return serial_s / (workers * self.grid_s)


@contextmanager
def _external(workers: int) -> Iterator[str]:
    """A ``dask scheduler`` and ``workers`` ``dask worker`` processes; yields the address."""
    dask = Path(sys.executable).with_name("dask")
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "scheduler.json"
        procs = [subprocess.Popen([str(dask), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                   "--no-dashboard", "--scheduler-file", str(file)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        try:
            while not file.exists() or not file.read_text().strip():
                if procs[0].poll() is not None:
                    raise RuntimeError("the dask scheduler did not start")
                time.sleep(0.05)
            procs += [subprocess.Popen([str(dask), "worker", "--scheduler-file", str(file),
                                        "--host", "127.0.0.1", "--nthreads", "1",
                                        "--no-dashboard"], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL) for _ in range(workers)]
            from distributed import Client

            address = json.loads(file.read_text())["address"]
            with Client(address) as c:
                c.wait_for_workers(workers)
            yield address
        finally:
            for p in reversed(procs):
                p.terminate()
            for p in procs:
                p.wait()


def scale_out(lots: int = 500, products: int = 20, elements: int = 12, points: int = 100,
              workers: int = 2, seed: int = 0, axis: str = "yield"
              ) -> tuple[float, list[Run]]:
    """(serial seconds, [local cluster, scheduler + workers]) for a ``points``-point grid:
    ``axis`` "yield" (the first lot's melt yield: every point a new LP, solved cold: the
    grids that take time) or "cap" (the footprint cap: bounds only, every point a warm
    re-solve of the one LP, cheap even serially)."""
    inst = generate(lots, products, elements, seed)
    if axis == "cap":
        f_min = solve(apply_overrides(inst, {"objective.minimise": "footprint"}),
                      sensitivity=False).objective_value
        f_max = float(solve(inst, sensitivity=False).totals["footprint_per_t"])
        axes = [("objective.footprint_cap",
                 np.round(np.linspace(f_min * 1.001, f_max, points), 9).tolist())]
    else:
        first = inst.materials[0].name
        axes = [(f"materials.{first}.yield",
                 np.round(np.linspace(0.80, 0.95, points), 9).tolist())]

    t0 = time.perf_counter()
    serial = run_grid(inst, axes)
    serial_s = time.perf_counter() - t0
    want = serial["objective"].to_numpy(dtype=float)

    def timed(label: str, **where: object) -> Run:
        t0 = time.perf_counter()
        with client_for(**where) as client:
            t1 = time.perf_counter()
            got = run_grid(inst, axes, client=client)
            t2 = time.perf_counter()
        diff = float(np.max(np.abs(got["objective"].to_numpy(dtype=float) - want)
                            / np.maximum(1.0, np.abs(want))))
        return Run(label, t1 - t0, t2 - t1, diff)

    runs = [timed(f"local cluster, {workers} workers", workers=workers)]
    t0 = time.perf_counter()
    with _external(workers) as address:
        started = time.perf_counter() - t0
        ext = timed(f"scheduler + {workers} dask workers", scheduler=address)
        runs.append(Run(ext.label, started + ext.start_s, ext.grid_s, ext.max_rel_diff))
    return serial_s, runs
