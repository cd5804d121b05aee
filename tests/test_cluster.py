"""Grids on an existing Dask engine, as a cluster user runs one: a ``dask scheduler`` and
``dask worker`` processes started with the ``distributed`` command-line tools, then
``mixopt sweep/compare/check --scheduler tcp://...``. The answers equal the serial ones;
a worker killed mid-grid costs nothing but time; a lost scheduler fails the points still
out, by name (exit 11), and the points finished are written.

Nothing here waits a fixed time: processes are watched until they say what is awaited
(a scheduler file, a log line, a task on a worker); the bounds are hang guards only."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from mixopt.cli import Exit, main
from tests.conftest import INSTANCES

pytest.importorskip("distributed")
DASK = Path(sys.executable).with_name("dask")
if not DASK.exists():
    pytest.skip("the 'dask' command (distributed's command-line tools) is not installed",
                allow_module_level=True)

CAN = str(INSTANCES / "can-body.toml")
#: Hang guard only: nothing is asserted about how long anything takes.
PATIENCE_S = 600


class Cluster:
    """A scheduler and workers in their own processes, on 127.0.0.1."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.file = folder, folder / "scheduler.json"
        self.procs: dict[str, subprocess.Popen] = {}
        self._start("scheduler", [str(DASK), "scheduler", "--host", "127.0.0.1", "--port",
                                  "0", "--no-dashboard", "--scheduler-file", str(self.file)])
        deadline = time.monotonic() + PATIENCE_S
        while not self.file.exists() or not self.file.read_text().strip():
            assert self.procs["scheduler"].poll() is None, "the scheduler did not start"
            assert time.monotonic() < deadline, "hang guard: no scheduler file"
            time.sleep(0.05)
        self.address = json.loads(self.file.read_text())["address"]

    def _start(self, name: str, argv: list[str]) -> None:
        with (self.folder / f"{name}.log").open("w") as log:  # the child keeps its own copy
            self.procs[name] = subprocess.Popen(argv, stdout=log, stderr=log,
                                                cwd=self.folder, start_new_session=True)

    def worker(self, name: str, nanny: bool = True) -> None:
        self._start(name, [str(DASK), "worker", "--scheduler-file", str(self.file),
                           "--host", "127.0.0.1", "--nthreads", "1", "--name", name,
                           "--no-dashboard", "--nanny" if nanny else "--no-nanny"])

    def client(self) -> object:
        from distributed import Client

        return Client(self.address, timeout=PATIENCE_S)

    def wait_for_workers(self, n: int) -> None:
        with self.client() as c:
            c.wait_for_workers(n, timeout=PATIENCE_S)

    def kill(self, name: str) -> None:
        """Kill the process and all it started (a machine gone, not a clean stop)."""
        os.killpg(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait(timeout=PATIENCE_S)

    def close(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=PATIENCE_S)


@contextmanager
def cluster(folder: Path, workers: int = 2) -> Iterator[Cluster]:
    c = Cluster(folder)
    try:
        for i in range(workers):
            c.worker(f"w{i}")
        if workers:
            c.wait_for_workers(workers)
        yield c
    finally:
        c.close()


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with cluster(tmp_path_factory.mktemp("dask")) as c:
        yield c


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout, r.stderr


GRID = ["--scenario", "cost-cap3", "--grid", "materials.UBC bales.cost=1800:2000:100",
        "--grid", "materials.INERTA.available.max=0:1000:500"]


def test_sweep_compare_and_check_on_a_scheduler_equal_serial(running: Cluster) -> None:
    serial = run("sweep", CAN, *GRID, "--format", "json")
    remote = run("sweep", CAN, *GRID, "--format", "json", "--scheduler", running.address)
    assert serial[0] == remote[0] == 0, remote[2]
    a, b = json.loads(serial[1]), json.loads(remote[1])
    assert len(a) == len(b) == 9
    for x, y in zip(a, b, strict=True):
        assert x["status"] == y["status"] == "optimal"
        assert y["objective"] == pytest.approx(x["objective"], rel=1e-9)
    serial = run("compare", CAN, "--all", "--format", "json")
    remote = run("compare", CAN, "--all", "--format", "json", "--scheduler", running.address)
    assert serial[0] == remote[0] == 0, remote[2]
    assert [r.get("objective", 0) for r in json.loads(remote[1])] == pytest.approx(
        [r.get("objective", 0) for r in json.loads(serial[1])], rel=1e-9)
    code, out, err = run("check", str(INSTANCES), "--scheduler", running.address, "--format",
                         "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["failed"] == 0 and doc["passed"] == doc["runs_total"] >= 18


def test_a_lost_scheduler_fails_the_points_out_by_name(tmp_path: Path) -> None:
    out = tmp_path / "grid.csv"
    with cluster(tmp_path, workers=0) as c:  # no worker: the points wait on the scheduler
        p = subprocess.Popen([sys.executable, "-m", "mixopt", "-v", "sweep", CAN, *GRID,
                              "--format", "csv", "-o", str(out), "--scheduler", c.address],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        assert p.stderr is not None
        for line in p.stderr:
            if "task(s) sent to the cluster" in line:
                c.kill("scheduler")
                break
        err = [line for line in p.stderr.read().splitlines() if line.startswith("mixopt:")]
        p.stderr.close()
        code = p.wait(timeout=PATIENCE_S)
    assert code == Exit.INCOMPLETE
    assert err[-1] == "mixopt: 9 points could not be solved; the 0 solved are written"
    assert len(err) == 10 and all(
        "the connection to the Dask scheduler was lost" in e for e in err[:-1])


def test_an_unreachable_scheduler_is_a_start_up_failure_per_point(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import dask

    monkeypatch.setitem(dask.config.config, "distributed", {
        **dask.config.config["distributed"], "comm": {
            **dask.config.config["distributed"]["comm"],
            "timeouts": {"connect": "1s", "tcp": "30s"}}})  # refused at once anyway
    code, _, err = run("sweep", CAN, *GRID, "--scheduler", "tcp://127.0.0.1:9",
                         "--format", "csv")
    assert code == Exit.INCOMPLETE
    lines = err.strip().splitlines()
    assert len(lines) == 10 and lines[-1] == ("mixopt: 9 points could not be solved; the 0 "
                                              "solved are written")
    assert "the Dask scheduler at tcp://127.0.0.1:9 could not be started or reached" in lines[0]


@pytest.fixture(scope="module")
def slow_month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 500-lot month: each point of a grid over a yield is rebuilt and solved cold, and
    takes seconds."""
    out = tmp_path_factory.mktemp("slow") / "m.toml"
    code, _, err = run("generate", "--lots", "500", "--products", "20", "--elements", "12",
                       "-o", str(out))
    assert code == 0, err
    return out


@pytest.mark.slow
def test_a_worker_killed_mid_grid_costs_only_time(slow_month: Path, tmp_path: Path) -> None:
    from mixopt.analysis.compare import parse_grid, run_grid
    from mixopt.io.read import read

    first = read(slow_month).first.materials[0].name
    grid = [f"materials.{first}.yield=0.80:0.95:0.03", "objective.minimise=cost,footprint"]
    with cluster(tmp_path, workers=1) as c:
        c.worker("victim", nanny=False)
        c.wait_for_workers(2)
        p = subprocess.Popen([sys.executable, "-m", "mixopt", "sweep", str(slow_month),
                              *(a for g in grid for a in ("--grid", g)), "--format", "json",
                              "--scheduler", c.address], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        with c.client() as watcher:  # kill the victim while it solves a point
            deadline = time.monotonic() + PATIENCE_S
            while True:
                busy = {w["name"] for addr, w in watcher.scheduler_info(n_workers=-1)[
                    "workers"].items() if watcher.processing().get(addr)}
                if "victim" in busy:
                    break
                assert p.poll() is None and time.monotonic() < deadline, "never busy"
                time.sleep(0.05)
            c.kill("victim")
        out, err = p.communicate(timeout=PATIENCE_S)
    assert p.returncode == 0, err
    got = json.loads(out)
    want = run_grid(read(slow_month), [parse_grid(g) for g in grid])
    assert len(got) == len(want) == 12
    for g, w in zip(got, want.to_dict(orient="records"), strict=True):
        assert g["status"] == w["status"] == "optimal"
        assert g["objective"] == pytest.approx(w["objective"], rel=1e-6)
