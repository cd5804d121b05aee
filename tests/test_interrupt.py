"""Stopping and failing well: Ctrl-C stops HiGHS at once and keeps finished points; dead
Dask workers are reported, not waited for forever."""

from __future__ import annotations

import _thread
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mixopt.cli import Exit
from mixopt.model.backend import interrupt as running
from mixopt.model.backend.highs import load_arrays
from mixopt.model.backend.highs_status import HMS
from mixopt.model.formulation import build_window
from tests.conftest import INSTANCES


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated month whose cold solve takes seconds."""
    from click.testing import CliRunner

    from mixopt.cli import main

    out = tmp_path_factory.mktemp("big") / "m.toml"
    r = CliRunner().invoke(main, ["generate", "--lots", "1500", "--products", "30",
                                  "--elements", "12", "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    return out


def test_ctrl_c_stops_highs_inside_a_solve(big: Path) -> None:
    from mixopt import read

    h = load_arrays(build_window(read(big)).lp)
    timer = threading.Timer(0.5, _thread.interrupt_main)
    t0 = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        running.run(h)
    stopped = time.perf_counter() - t0
    assert h.getModelStatus() == HMS.kInterrupt
    assert stopped < 3.0, f"HiGHS took {stopped:.1f} s to stop"
    h.setOptionValue("simplex_iteration_limit", 200)
    running.run(h)  # the same HiGHS runs on afterwards: the stop is not sticky
    assert h.getModelStatus() == HMS.kIterationLimit


def _interrupt(cmd: list[str], after_s: float) -> tuple[int, str, str, float]:
    p = subprocess.Popen([sys.executable, "-m", "mixopt", *cmd], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(after_s)
    t0 = time.perf_counter()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    return p.returncode, out, err, time.perf_counter() - t0


def test_ctrl_c_on_solve_exits_130_with_one_line(big: Path) -> None:
    code, out, err, took = _interrupt(["solve", str(big), "--format", "json"], 2.0)
    assert code == Exit.INTERRUPTED and out == ""
    assert err == "mixopt: interrupted\n"
    assert took < 5.0


def test_ctrl_c_on_a_sweep_keeps_the_finished_points(big: Path, tmp_path: Path) -> None:
    out = tmp_path / "grid.csv"
    p = subprocess.Popen([sys.executable, "-m", "mixopt", "-v", "sweep", str(big),
                          "--minimise", "cost", "--grid", "objective.footprint_cap=1:3:0.001",
                          "--format", "csv", "-o", str(out)],
                         stderr=subprocess.PIPE, text=True)
    solved = 0
    for line in p.stderr:  # interrupt once three points are solved (the log says so)
        solved += "HiGHS: optimal" in line
        if solved == 3:
            p.send_signal(signal.SIGINT)
            break
    err = p.stderr.read()
    p.stderr.close()
    code = p.wait(timeout=120)
    assert code == Exit.INTERRUPTED
    n = int(err.split("interrupted: ")[1].split(" points")[0])
    lines = out.read_text().splitlines()
    assert 2 <= n < 2001 and len(lines) == n + 1  # the third may be cut mid-recheck
    assert lines[0].startswith("objective.footprint_cap,status")
    assert all(",optimal," in line for line in lines[1:])
    assert not list(tmp_path.glob(".grid.csv.*"))  # no temporary file left behind


def test_dead_workers_are_reported_and_the_rest_kept() -> None:
    pytest.importorskip("distributed")
    from mixopt.analysis.distributed import client_for, gather
    from tests.helpers import square_or_die

    keys = (1, 2, -1, 3, 4)
    with client_for(workers=2) as client:
        done, failed = gather(client, {x: (square_or_die, x) for x in keys})
    assert set(done) | set(failed) == set(keys) and not set(done) & set(failed)
    assert all(v == k * k for k, v in done.items())
    assert -1 in failed and "KilledWorker" in failed[-1]  # reported, not waited for


def test_sigterm_is_an_interrupt_and_leaves_no_temporary_file(big: Path,
                                                               tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    p = subprocess.Popen([sys.executable, "-m", "mixopt", "solve", str(big), "--format",
                          "json", "-o", str(out)], stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)
    p.terminate()
    _, err = p.communicate(timeout=60)
    assert p.returncode == Exit.INTERRUPTED and "interrupted" in err
    assert list(tmp_path.iterdir()) == []


def test_exit_codes_are_documented_once() -> None:
    readme = (INSTANCES.parent / "README.md").read_text()
    for code in Exit:
        assert f"| {code.value} |" in readme, code
