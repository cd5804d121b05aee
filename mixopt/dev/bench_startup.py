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
    wall_s: float  # the median
    peak_mib: float
    walls: tuple[float, ...] = ()  # each fresh process, in order


def _once(argv: list[str]) -> tuple[float, float]:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _WRAP, *argv], capture_output=True,
                         text=True, check=True).stdout
    return time.perf_counter() - t0, int(out.split()[-1]) / 1024


def measure_pair(ours: tuple[str, list[str]], base: tuple[str, list[str]], repeat: int = 7
                 ) -> tuple[Figure, Figure]:
    """Both commands in fresh processes, alternately (a load that comes and goes weighs on
    both alike): their medians and each run's figures."""
    runs: dict[int, list[tuple[float, float]]] = {0: [], 1: []}
    for _ in range(repeat):
        for k, (_, argv) in enumerate((ours, base)):
            runs[k].append(_once(argv))
    return tuple(Figure(label, statistics.median(w for w, _ in runs[k]),
                        statistics.median(m for _, m in runs[k]),
                        tuple(w for w, _ in runs[k]))
                 for k, (label, _) in enumerate((ours, base)))  # type: ignore[return-value]


def _mixopt() -> list[str]:
    """The installed ``mixopt`` command beside this Python (else ``python -m mixopt``)."""
    script = Path(sys.executable).with_name("mixopt")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mixopt"]


def pairs(instance: str, repeat: int = 7) -> list[tuple[Figure, Figure, float, float]]:
    """(mixopt, baseline, wall target, memory target) for --help and a JSON solve."""
    py = sys.executable
    help_ = measure_pair(("mixopt --help", [*_mixopt(), "--help"]),
                         ('python -c "import click"', [py, "-c", "import click"]), repeat)
    solve = measure_pair((f"mixopt solve {instance} --format json",
                          [*_mixopt(), "solve", instance, "--format", "json"]),
                         (f'python -c "{BARE_SOLVE}"', [py, "-c", BARE_SOLVE]), repeat)
    return [(*help_, 2.0, float("inf")), (*solve, 1.4, 1.5)]
