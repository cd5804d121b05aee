"""SIGINT and SIGTERM at random moments of real commands (slow: CI's second step): every
run ends with exit 130 and one line, or with the exit of what finished; what it wrote is
whole (never half a file, never a temporary file left), and no process it started
outlives it.

The moments are drawn (seeded) between mixopt's first instruction (the process catches
SIGTERM: Linux's /proc) and the command's end as measured on this machine; a signal within
the Python interpreter's own start, before any of mixopt runs, gets Python's default
handling (README, Exit codes)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import INSTANCES

pytestmark = pytest.mark.slow
#: Hang guard only.
PATIENCE_S = 600


def _handling(pid: int) -> bool:
    """Whether the process catches SIGTERM yet (Linux: its SigCgt mask), i.e. mixopt's
    handler is installed (Python's own start catches SIGINT only)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # gone already
        return True
    caught = int(next(line.split()[1] for line in status.splitlines()
                      if line.startswith("SigCgt:")), 16)
    return bool(caught >> (signal.SIGTERM - 1) & 1)


def _wait_until_handling(proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while not _handling(proc.pid) and proc.poll() is None:
        assert time.monotonic() < deadline, "hang guard: no signal handler installed"
        time.sleep(0.001)


def _group_gone(pgid: int) -> bool:
    """No process of the command's session is left (bounded wait: Dask workers close)."""
    deadline = time.monotonic() + PATIENCE_S
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def _loop(argv: list[str], tries: int, folder: Path, finished: set[int], seed: int,
          check_outputs: object = None) -> dict[int, int]:
    cmd = [sys.executable, "-m", "mixopt", *argv]
    t0 = time.perf_counter()
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=PATIENCE_S,
                           check=False)
    whole_s = time.perf_counter() - t0
    assert first.returncode in finished, first.stderr
    rng = random.Random(seed)
    codes: dict[int, int] = {}
    for k in range(tries):
        for p in folder.iterdir():
            p.unlink()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
        t0 = time.perf_counter()
        _wait_until_handling(proc)  # from mixopt's first instruction on
        time.sleep(rng.uniform(0, max(0.0, whole_s - (time.perf_counter() - t0))))
        sig = rng.choice([signal.SIGINT, signal.SIGTERM])
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=PATIENCE_S)
        code = proc.returncode
        codes[code] = codes.get(code, 0) + 1
        said = [line for line in err.splitlines() if line.startswith("mixopt:")]
        where = f"try {k}, {sig!r}: exit {code}: {err[-800:]}"
        assert code == 130 or code in finished, where
        if code == 130:
            assert len(said) == 1 and said[0].startswith("mixopt: interrupted"), where
            assert "Traceback" not in err and "terminate called" not in err, where
        assert _group_gone(proc.pid), f"{where}: a process it started is still running"
        assert not [p for p in folder.iterdir() if p.name.startswith(".")], where
        if check_outputs is not None:
            check_outputs(folder, code)
    return codes


def _json_or_nothing(folder: Path, code: int) -> None:
    for p in folder.iterdir():
        if p.suffix == ".json":
            json.loads(p.read_text())  # whole, never half a file


def test_solve_myopic_under_signals(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    codes = _loop(["solve", str(INSTANCES / "can-body-quarter.toml"), "--myopic", "--format",
                   "json", "-o", str(out / "plan.json")], 25, out, {0}, seed=1,
                  check_outputs=_json_or_nothing)
    assert codes.get(130, 0) >= 1, codes  # the loop did interrupt something


def test_sweep_under_signals(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()

    def rows_whole(folder: Path, code: int) -> None:
        grid = folder / "grid.csv"
        if grid.exists():
            lines = grid.read_text().splitlines()
            assert lines[0].startswith("objective.footprint_cap,")
            assert all(",optimal," in line for line in lines[1:])

    _loop(["sweep", str(INSTANCES / "can-body.toml"), "--minimise", "cost", "--grid",
           "objective.footprint_cap=1.6:3:0.05", "--format", "csv", "-o",
           str(out / "grid.csv")], 12, out, {0}, seed=2, check_outputs=rows_whole)


def test_convert_under_signals_is_all_or_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()

    whole = ["month.composition.csv", "month.composition_sd.csv", "month.materials.csv",
             "month.toml"]

    def all_or_none(folder: Path, code: int) -> None:
        names = sorted(p.name for p in folder.iterdir())
        assert names in ([], whole), names

    _loop(["convert", str(INSTANCES / "can-body.toml"), str(out / "month.toml"), "--tables",
           "csv"], 12, out, {0}, seed=3, check_outputs=all_or_none)


def test_check_on_local_workers_under_signals(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    out = tmp_path / "out"
    out.mkdir()

    def junit_whole(folder: Path, code: int) -> None:
        import xml.etree.ElementTree as ET

        junit = folder / "junit.xml"
        if code == 130 and junit.exists():
            root = ET.parse(junit).getroot()
            assert int(root.get("tests")) >= 18

    _loop(["check", str(INSTANCES), "--workers", "2", "--junit", str(out / "junit.xml")],
          4, out, {0}, seed=4, check_outputs=junit_whole)
