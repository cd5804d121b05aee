"""``mixopt bench check``: a suite of small generated months (a manifest filled by one
serial run), then ``mixopt check`` timed serially and on Dask workers, in fresh
processes (start-up and the cluster included, as CI pays them)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def build_suite(folder: Path, n: int, size: tuple[int, int, int]) -> None:
    from mixopt.dev.generate import generate
    from mixopt.io.write import write_instance

    runs = []
    for seed in range(n):
        path = folder / f"m{seed:03d}.toml"
        write_instance(generate(*size, seed=seed), path, csv_tables=False)
        runs.append({"id": path.stem, "path": path.name, "status": "optimal"})
    (folder / "expected.json").write_text(json.dumps({"runs": runs}))


def timed(args: list[str]) -> tuple[float, int]:
    t0 = time.perf_counter()
    code = subprocess.run([sys.executable, "-m", "mixopt", *args], capture_output=True,
                          check=False).returncode
    return time.perf_counter() - t0, code


def bench(n: int, size: tuple[int, int, int], workers: int) -> list[tuple[str, float, int]]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        build_suite(folder, n, size)
        _, code = timed(["check", str(folder), "--update"])  # fill the expectations
        out = []
        for label, extra in (("serial", []), (f"--workers {workers}",
                                              ["--workers", str(workers)])):
            seconds, code = timed(["check", str(folder), *extra])
            out.append((label, seconds, code))
        return out
