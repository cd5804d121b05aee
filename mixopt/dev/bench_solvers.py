"""The solver matrix (``mixopt bench solvers``): every run of a regression manifest that
any LP/MILP solver can take (no chance cones), solved by HiGHS straight from the arrays,
HiGHS through Pyomo, and every other solver Pyomo finds (GLPK, CBC, ...): time per run
and agreement with the manifest's objective. A solver the machine lacks is listed as
skipped, never a traceback."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

from mixopt.model.backend import SolveOptions

#: (label, backend, solver) of the contenders, in the order shown.
CONTENDERS = (("HiGHS (arrays)", "highspy", "highs"), ("HiGHS via Pyomo", "pyomo", "highs"),
              ("GLPK via Pyomo", "pyomo", "glpk"), ("CBC via Pyomo", "pyomo", "cbc"))


@dataclass(frozen=True)
class Cell:
    run: str
    status: str
    objective: float | None
    seconds: float
    agrees: bool | None  # None: nothing to compare (no expected objective)


def matrix(folder: Path, rtol: float = 1e-6) -> dict[str, list[Cell] | str]:
    """label -> its cells, or the reason it was skipped."""
    from mixopt.io.manifest import read_manifest
    from mixopt.io.read import read
    from mixopt.io.variants import variant
    from mixopt.model.backend.through_pyomo import available
    from mixopt.model.planner import solve

    path, manifest = read_manifest(folder)
    runs = []
    for run in manifest.runs:
        if run.status == "invalid":
            continue
        inst = variant(read(path.parent / run.path), run.scenario, run.field_overrides(),
                       run.id, **run.objective_settings())
        if inst.objective.confidence is None:  # cones: HiGHS only
            runs.append((run, inst))
    out: dict[str, list[Cell] | str] = {}
    for label, backend, solver in CONTENDERS:
        if solver != "highs" and not available(solver):
            out[label] = f"skipped: Pyomo finds no {solver} on this machine"
            continue
        cells = []
        for run, inst in runs:
            t0 = time.perf_counter()
            r = solve(inst, SolveOptions(backend=backend, solver=solver), sensitivity=False)
            dt = time.perf_counter() - t0
            got = r.objective_value
            agrees = None
            if run.objective is not None and got is not None:
                agrees = math.isclose(got, run.objective, rel_tol=rtol)
            elif str(r.status) != run.status:
                agrees = False
            elif run.objective is None:
                agrees = True  # the expected status, nothing more to compare
            cells.append(Cell(run.id, str(r.status), got, dt, agrees))
        out[label] = cells
    return out
