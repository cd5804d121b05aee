"""Start-up: what a command costs before and around its work, against bare Python doing
the least the command could (``mixopt bench startup``). Each figure is the median of
fresh processes; peak memory is the process's own maximum resident set."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

#: A child that runs a command and reports its own peak memory (KiB, Linux).
_WRAP = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=False, "
         "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
         "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")

BARE_SOLVE = "import highspy, numpy, scipy.sparse, pydantic, click, tomllib, json"


@dataclass(frozen=True)
class Figure:
    label: str
    wall_s: float
    peak_mib: float


def measure(label: str, argv: list[str], repeat: int = 5) -> Figure:
    walls, peaks = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", _WRAP, *argv], capture_output=True,
                             text=True, check=True).stdout
        walls.append(time.perf_counter() - t0)
        peaks.append(int(out.split()[-1]) / 1024)
    return Figure(label, statistics.median(walls), statistics.median(peaks))


def _mixopt() -> list[str]:
    """The installed ``mixopt`` command beside this Python (else ``python -m mixopt``)."""
    script = Path(sys.executable).with_name("mixopt")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mixopt"]


def pairs(instance: str, repeat: int = 5) -> list[tuple[Figure, Figure, float, float]]:
    """(mixopt, baseline, wall target, memory target) for --help and a JSON solve."""
    py = sys.executable
    help_ = measure("mixopt --help", [*_mixopt(), "--help"], repeat)
    click_ = measure('python -c "import click"', [py, "-c", "import click"], repeat)
    solve = measure(f"mixopt solve {instance} --format json",
                    [*_mixopt(), "solve", instance, "--format", "json"], repeat)
    bare = measure(f'python -c "{BARE_SOLVE}"', [py, "-c", BARE_SOLVE], repeat)
    return [(help_, click_, 2.0, float("inf")), (solve, bare, 1.5, 1.5)]
