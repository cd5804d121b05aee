"""mixopt: least-carbon (or least-cost under a carbon cap) charge mixes for aluminium slabs.

The pipeline, one module per step::

    read (mixopt.read) -> Instance (mixopt.instance) -> arrays (mixopt.data)
      -> formulation (mixopt.formulation) -> Pyomo model (mixopt.pyomo_model)
      -> HiGHS (mixopt.solver) -> recheck (mixopt.evaluate) -> Result (mixopt.pipeline)
      -> output (mixopt.report)
"""

from mixopt.errors import InputError, Problem
from mixopt.evaluate import Evaluation, evaluate
from mixopt.instance import Instance
from mixopt.pipeline import RecheckError, Result, Session, solve
from mixopt.read import read_instance
from mixopt.scenario import apply_overrides, scenario, with_overrides
from mixopt.solver import SolveOptions, Status

__version__ = "0.1.0"
__all__ = ["Evaluation", "InputError", "Instance", "Problem", "RecheckError", "Result",
           "Session", "SolveOptions", "Status", "apply_overrides", "evaluate", "read_instance",
           "scenario", "solve", "with_overrides"]
