"""Stopping and failing well: Ctrl-C and SIGTERM stop HiGHS at once and keep finished
points; dead Dask workers are reported, not waited for forever.

No test here waits a fixed time: each signal is sent once the process says (in its -v
log) that HiGHS is running, or from inside HiGHS's own callback."""

from __future__ import annotations

import _thread
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mixopt.cli import Exit
from mixopt.model.backend import interrupt as running
from mixopt.model.backend.highs import load_arrays
from mixopt.model.backend.highs_status import HMS
from mixopt.model.formulation import build_window
from tests.conftest import INSTANCES

#: What the -v log says just before HiGHS starts a run.
SOLVING = "HiGHS: solving"


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated month whose cold solve takes a while (HiGHS is still running when
    the signal comes, on any machine: it is sent once HiGHS says it started)."""
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
    h.setOptionValue("solver", "simplex")
    calls = []

    def press_ctrl_c(event: object) -> None:  # once HiGHS is iterating: Ctrl-C
        calls.append(1)
        if len(calls) == 1:
            _thread.interrupt_main()

    h.cbSimplexInterrupt += press_ctrl_c
    with pytest.raises(KeyboardInterrupt):
        running.run(h)
    assert h.getModelStatus() == HMS.kInterrupt  # stopped by the signal, not finished
    assert not [t for t in threading.enumerate() if t.name == "highs"]
    h.cbSimplexInterrupt -= press_ctrl_c
    h.setOptionValue("simplex_iteration_limit", 200)
    running.run(h)  # the same HiGHS runs on afterwards: the stop is not sticky
    assert h.getModelStatus() == HMS.kIterationLimit


def _signal_once_solving(cmd: list[str], sig: int = signal.SIGINT, after: int = 1,
                         ) -> tuple[int, str]:
    """Run ``mixopt -v CMD``; send ``sig`` once HiGHS has started ``after`` runs; return
    the exit code and what stderr said after the signal (the log aside)."""
    p = subprocess.Popen([sys.executable, "-m", "mixopt", "-v", *cmd],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert p.stderr is not None
    seen = 0
    for line in p.stderr:
        seen += SOLVING in line
        if seen == after:
            p.send_signal(sig)
            break
    rest = [line for line in p.stderr.read().splitlines()
            if not line.startswith(("INFO ", "WARNING ", "DEBUG "))]
    p.stderr.close()
    return p.wait(timeout=300), "\n".join(rest)


def test_ctrl_c_on_solve_exits_130_with_one_line(big: Path) -> None:
    code, err = _signal_once_solving(["solve", str(big), "--format", "json"])
    assert code == Exit.INTERRUPTED
    assert err == "mixopt: interrupted"


def test_ctrl_c_on_a_sweep_keeps_the_finished_points(tmp_path: Path) -> None:
    out = tmp_path / "grid.csv"
    code, err = _signal_once_solving(
        ["sweep", str(INSTANCES / "can-body.toml"), "--minimise", "cost", "--grid",
         "objective.footprint_cap=1.6:3:0.0001", "--format", "csv", "-o", str(out)],
        after=4)  # three points solved, the fourth under way
    assert code == Exit.INTERRUPTED
    assert err.startswith("mixopt: interrupted: ") and "\n" not in err  # one line
    n = int(err.split("interrupted: ")[1].split(" points")[0])
    assert err.endswith(f"points finished and written to {out}")
    lines = out.read_text().splitlines()
    assert 3 <= n < 14001 and len(lines) == n + 1
    assert lines[0].startswith("objective.footprint_cap,status")
    assert all(",optimal," in line for line in lines[1:])
    assert not list(tmp_path.glob(".grid.csv.*"))  # no temporary file left behind


def test_a_cluster_that_cannot_start_fails_every_point_by_name() -> None:
    from mixopt.analysis.distributed import Unavailable, gather

    done, failed = gather(Unavailable("no cluster"), {1: (abs, 1), 2: (abs, 2)})
    assert done == {} and failed == {1: "no cluster", 2: "no cluster"}


def test_sigterm_is_an_interrupt_and_leaves_no_temporary_file(big: Path,
                                                               tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    code, err = _signal_once_solving(["solve", str(big), "--format", "json", "-o", str(out)],
                                     signal.SIGTERM)
    assert code == Exit.INTERRUPTED and err == "mixopt: interrupted"
    assert list(tmp_path.iterdir()) == []


def test_a_signal_while_the_command_line_is_read_exits_130_at_once() -> None:
    p = subprocess.run([sys.executable, "-c", (
        "import os, signal, sys\n"
        "from mixopt.signals import Run\n"
        "Run.install()\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "print('not reached')\n")], capture_output=True, text=True, timeout=120, check=False)
    assert (p.returncode, p.stdout, p.stderr) == (130, "", "mixopt: interrupted\n")


def test_exit_codes_are_documented_once() -> None:
    readme = (INSTANCES.parent / "README.md").read_text()
    for code in Exit:
        assert f"| {code.value} |" in readme, code
