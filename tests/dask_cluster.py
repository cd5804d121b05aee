"""A Dask cluster as a cluster user starts one, for the tests: a ``dask scheduler`` and
``dask worker`` processes (distributed's command-line tools), on 127.0.0.1, each in its
own session so that it can be killed whole. Nothing waits a fixed time: processes are
watched until they say what is awaited; the bounds are hang guards only."""

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

DASK = Path(sys.executable).with_name("dask")
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
