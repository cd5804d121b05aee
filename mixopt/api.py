"""The Python API for notebooks and scripts: ``read`` a plan, ``solve`` it (with the same
scenario, ``--set`` and objective flags as the command line), and read the result as
tables (``Result.mix``, ``.purchases``, ``.products``, ``.shadow_prices``: pandas
DataFrames with units in their column names). Months and horizons alike.

>>> import mixopt
>>> result = mixopt.solve("instances/can-body.toml", minimise="cost", cap=3.0)
>>> str(result.status), round(result.objective_value)
('optimal', 22183898)
>>> list(result.mix.columns)
['product', 'material', 'kind', 'charged_t', 'share_of_charge']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from mixopt.model.backend import SolveOptions
from mixopt.model.plan import HorizonPlan
from mixopt.model.planner import Result
from mixopt.model.risk import DEFAULT_SAMPLES
from mixopt.model.schema.horizon import Horizon
from mixopt.model.schema.instance import Instance


def read(path: str | Path) -> Horizon:
    """Read and validate an instance file (.toml with its CSV tables, or .xlsx): a month
    is a horizon of one period (``periods == ("",)``)."""
    from mixopt.io.read import read as read_file

    return read_file(path)


def solve(plan: str | Path | Horizon | Instance, options: SolveOptions | None = None,
          start: HorizonPlan | None = None, *, scenario: str | None = None,
          overrides: Mapping[str, Any] | Iterable[str] = (), sensitivity: bool = True,
          risk_samples: int = DEFAULT_SAMPLES, risk_seed: int = 0, **flags: Any) -> Result:
    """Plan ``plan`` (a path, or what ``read`` gave) as ``mixopt solve`` does: the named
    ``scenario`` first, then ``overrides`` (``{path: value}`` or ``"PATH=VALUE"`` texts, as
    ``--set``), then the objective ``flags`` (``minimise``, ``cap``, ``scope``,
    ``confidence``, ``confidence_per``, ``margin_sd``). ``start``: a plan offered to the
    solver as its starting plan; ``risk_*``: the heats simulated for the off-spec risk.
    The plan is rechecked without the solver; a plan that fails the recheck raises
    ``RecheckError``."""
    from mixopt.io.variants import variant
    from mixopt.model.planner import solve as plan_it

    if isinstance(plan, str | Path):
        plan = read(plan)
    return plan_it(variant(plan, scenario, overrides, "overrides", **flags), options, start,
                   sensitivity, risk_samples, risk_seed)
