"""mixopt: least-carbon (or least-cost under a carbon cap) charge mixes for aluminium slabs.

A one-way pipeline, one package per stage (``docs/ARCHITECTURE.md``)::

    mixopt.io        read (TOML + CSV, xlsx) -> validate -> Instance (frozen)
    mixopt.model     arrays -> constraint families -> LP -> HiGHS (arrays straight in, or
                     through Pyomo) -> solver-free recheck -> Result
    mixopt.analysis  scenarios and grids, the cost-carbon frontier, diagnosis
    mixopt.report    JSON, tables, charts, HTML report, declaration, workbooks
    mixopt.cli       the command line (the only place that prints)

The names below are the public Python API; they are imported on first use, so
``import mixopt`` itself loads nothing heavy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_API = {
    "Evaluation": "mixopt.model.evaluate",
    "evaluate": "mixopt.model.evaluate",
    "InputError": "mixopt.errors",
    "Problem": "mixopt.errors",
    "RecheckError": "mixopt.errors",
    "Instance": "mixopt.model.schema.instance",
    "Result": "mixopt.model.pipeline",
    "Session": "mixopt.model.pipeline",
    "solve": "mixopt.model.pipeline",
    "SolveOptions": "mixopt.model.backend",
    "Status": "mixopt.model.backend",
    "read_instance": "mixopt.io.read",
    "apply_overrides": "mixopt.io.variants",
    "scenario": "mixopt.io.variants",
    "with_overrides": "mixopt.io.variants",
}
__all__ = ["Evaluation", "InputError", "Instance", "Problem", "RecheckError", "Result",
           "Session", "SolveOptions", "Status", "apply_overrides", "evaluate", "read_instance",
           "scenario", "solve", "with_overrides"]

if TYPE_CHECKING:
    from mixopt.errors import InputError, Problem, RecheckError
    from mixopt.io.read import read_instance
    from mixopt.io.variants import apply_overrides, scenario, with_overrides
    from mixopt.model.backend import SolveOptions, Status
    from mixopt.model.evaluate import Evaluation, evaluate
    from mixopt.model.pipeline import Result, Session, solve
    from mixopt.model.schema.instance import Instance


def __getattr__(name: str) -> Any:
    if name in _API:
        value = getattr(importlib.import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mixopt' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])
