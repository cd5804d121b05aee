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
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from mixopt.cli import Exit, main
from tests.conftest import INSTANCES
from tests.dask_cluster import DASK, PATIENCE_S, Cluster, cluster

pytest.importorskip("distributed")
if not DASK.exists():
    pytest.skip("the 'dask' command (distributed's command-line tools) is not installed",
                allow_module_level=True)
#: (every test of the shared cluster is in this module: --dist loadfile keeps a module's
#: tests in one test process, which starts the cluster once)

CAN = str(INSTANCES / "can-body.toml")


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout, r.stderr


GRID = ["--scenario", "cost-cap3", "--grid", "materials.UBC bales.cost=1800:2000:100",
        "--grid", "materials.INERTA.available.max=0:1000:500"]


def test_sweep_compare_and_check_on_a_scheduler_equal_serial(shared_dask: Cluster) -> None:
    serial = run("sweep", CAN, *GRID, "--format", "json")
    remote = run("sweep", CAN, *GRID, "--format", "json", "--scheduler", shared_dask.address)
    assert serial[0] == remote[0] == 0, remote[2]
    a, b = json.loads(serial[1]), json.loads(remote[1])
    assert len(a) == len(b) == 9
    for x, y in zip(a, b, strict=True):
        assert x["status"] == y["status"] == "optimal"
        assert y["objective"] == pytest.approx(x["objective"], rel=1e-9)
    serial = run("compare", CAN, "--all", "--format", "json")
    remote = run("compare", CAN, "--all", "--format", "json", "--scheduler", shared_dask.address)
    assert serial[0] == remote[0] == 0, remote[2]
    assert [r.get("objective", 0) for r in json.loads(remote[1])] == pytest.approx(
        [r.get("objective", 0) for r in json.loads(serial[1])], rel=1e-9)
    code, out, err = run("check", str(INSTANCES), "--scheduler", shared_dask.address, "--format",
                         "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["failed"] == 0 and doc["passed"] == doc["runs_total"] >= 18


SCENARIO_AXES = [("materials.UBC bales.cost", [1700.0, 1900.0, 2100.0]),
                 ("objective.footprint_cap", [1.55, 2.0, 3.0])]


def test_grid_and_compare_on_a_dask_cluster_equal_serial(shared_dask: Cluster) -> None:
    import pandas as pd

    from mixopt import apply_overrides, read
    from mixopt.analysis.compare import compare, run_grid
    from mixopt.analysis.distributed import client_for
    from mixopt.io.variants import variants
    from mixopt.testing import assert_objective

    can = read(CAN).first
    base = apply_overrides(can, {"objective.minimise": "cost"})
    serial = run_grid(base, SCENARIO_AXES)
    chosen = variants(can, list(can.scenarios))
    with client_for(scheduler=shared_dask.address) as client:
        parallel = run_grid(base, SCENARIO_AXES, client=client)
        compared = compare(chosen, client=client)
    pd.testing.assert_frame_equal(compared, compare(chosen), check_exact=False, rtol=1e-9)
    assert list(parallel.columns) == list(serial.columns)
    assert (parallel.status == serial.status).all()
    for a, b in zip(parallel.objective, serial.objective, strict=True):
        assert_objective(a, b)


def test_dead_workers_are_reported_and_the_rest_kept(shared_dask: object) -> None:
    from mixopt.analysis.distributed import client_for, gather
    from tests.helpers import square_or_die

    keys = (1, 2, -1, 3, 4)
    with client_for(scheduler=shared_dask.address) as client:
        done, failed = gather(client, {x: (square_or_die, x) for x in keys})
    assert set(done) | set(failed) == set(keys) and not set(done) & set(failed)
    assert done == {k: k * k for k in keys if k > 0}  # the others rerun elsewhere
    assert set(failed) == {-1} and "died each time it ran it" in failed[-1]


def test_a_task_that_raises_raises_as_serially(shared_dask: object) -> None:
    from mixopt.analysis.distributed import client_for, gather
    from tests.helpers import square_or_raise

    with (client_for(scheduler=shared_dask.address) as client,
          pytest.raises(ValueError, match="negative: -2")):
        gather(client, {x: (square_or_raise, x) for x in (1, -2, 3)})
    with (client_for(scheduler=shared_dask.address) as client,
          pytest.raises(FileNotFoundError, match="missing.toml")):
        gather(client, {x: (square_or_raise, x) for x in (1, -3)})


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


@pytest.mark.slow  # a local cluster's start-up: the same reporting as an unreachable one
def test_workers_that_die_at_start_up_fail_every_point_by_name(tmp_path: Path) -> None:
    die = tmp_path / "die_at_start.py"
    die.write_text("import os\nos._exit(3)\n")  # a worker killed while it starts
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__PRELOAD": json.dumps([str(die)])}
    r = subprocess.run([sys.executable, "-m", "mixopt", "sweep", CAN, *GRID, "--workers", "2",
                        "--format", "csv"], capture_output=True, text=True, env=env,
                       timeout=PATIENCE_S, check=False)
    assert r.returncode == Exit.INCOMPLETE, r.stderr
    said = [line for line in r.stderr.splitlines() if line.startswith("mixopt:")]
    assert said[-1] == "mixopt: 9 points could not be solved; the 0 solved are written"
    assert len(said) == 10 and all(
        "a local Dask cluster of 2 worker(s) could not be started or reached" in s
        for s in said[:-1])
