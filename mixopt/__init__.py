"""mixopt: least-carbon (or least-cost under a carbon cap) charge mixes for aluminium slabs.

A one-way pipeline, one package per stage (``docs/ARCHITECTURE.md``)::

    mixopt.io        read (TOML + CSV, xlsx) -> validate -> Horizon (frozen; a month is
                     a horizon of one period)
    mixopt.model     arrays -> constraint families -> LP -> one solver entry point
                     (mixopt.model.backend) -> solver-free recheck -> Result
    mixopt.analysis  scenarios and grids, the cost-carbon frontier, diagnosis
    mixopt.report    JSON, tables, charts, HTML report, declaration, workbooks
    mixopt.cli       the command line (the only place that prints)

The names below are the public Python API; they are imported on first use, so
``import mixopt`` itself loads nothing heavy.
"""

from __future__ import annotations

import importlib

#: ``typing.TYPE_CHECKING`` without importing typing (a tenth of the command's start-up,
#: before it can handle a signal): type checkers read the block below, Python skips it.
TYPE_CHECKING = False

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_API = {
    "read": "mixopt.api",
    "solve": "mixopt.api",
    "Evaluation": "mixopt.model.evaluate",
    "evaluate": "mixopt.model.evaluate",
    "InputError": "mixopt.errors",
    "Problem": "mixopt.errors",
    "RecheckError": "mixopt.errors",
    "Horizon": "mixopt.model.schema.horizon",
    "Instance": "mixopt.model.schema.instance",
    "Result": "mixopt.model.result",
    "Session": "mixopt.model.planner",
    "SolveOptions": "mixopt.model.backend",
    "Status": "mixopt.model.backend",
    "apply_overrides": "mixopt.io.variants",
    "scenario": "mixopt.io.variants",
    "variant": "mixopt.io.variants",
    "with_overrides": "mixopt.io.variants",
}
__all__ = ["Evaluation", "Horizon", "InputError", "Instance", "Problem", "RecheckError",
           "Result", "Session", "SolveOptions", "Status", "apply_overrides", "evaluate", "read",
           "scenario", "solve", "variant", "with_overrides"]

if TYPE_CHECKING:
    from typing import Any

    from mixopt.api import read, solve
    from mixopt.errors import InputError, Problem, RecheckError
    from mixopt.io.variants import apply_overrides, scenario, variant, with_overrides
    from mixopt.model.backend import SolveOptions, Status
    from mixopt.model.evaluate import Evaluation, evaluate
    from mixopt.model.planner import Session
    from mixopt.model.result import Result
    from mixopt.model.schema.horizon import Horizon
    from mixopt.model.schema.instance import Instance


def __getattr__(name: str) -> Any:
    if name in _API:
        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mixopt' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])
