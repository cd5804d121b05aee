"""Recheck a mix against every rule of an instance, without any solver.

``evaluate(instance, mix_t)`` computes the plan's figures from the instance arrays
(``mixopt.model.figures``) and runs every registered family's recheck on them. The
rechecks share nothing with the LP rows but the arrays, so a modelling slip in a
``define_*`` shows up here (``tests/test_families.py`` compares the two on random plans).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mixopt.model.arrays import InstanceArrays, to_arrays
from mixopt.model.families import FAMILIES
from mixopt.model.figures import REL_TOL, Figures, Violation, figures, tolerance
from mixopt.model.schema.instance import Instance

#: A constituent is shown as sitting on its limit when within this relative distance.
BINDING_REL_TOL = 1e-3

__all__ = ["BINDING_REL_TOL", "REL_TOL", "Evaluation", "Violation", "evaluate"]


@dataclass(frozen=True)
class Evaluation(Figures):
    """Figures of a mix and the rules it breaks."""

    violations: tuple[Violation, ...] = ()

    @property
    def feasible(self) -> bool:
        return not self.violations

    def binding(self, p: int) -> dict[str, str]:
        """Constituents of product ``p`` whose achieved wt% sits on a limit: 'min' or 'max'."""
        d, comp = self.arrays, self.composition_wt_pct[p]
        out = {}
        for e in np.flatnonzero(d.windowed[p]):
            lo, hi = d.limit_min_wt_pct[p, e], d.limit_max_wt_pct[p, e]
            if lo > 0 and abs(comp[e] - lo) <= BINDING_REL_TOL * max(1.0, lo):
                out[d.constituents[e]] = "min"
            elif hi < 100 and abs(comp[e] - hi) <= BINDING_REL_TOL * max(1.0, hi):
                out[d.constituents[e]] = "max"
        return out


def _non_negative(fig: Figures) -> list[Violation]:
    d, x = fig.arrays, fig.mix_t
    return [Violation("non_negative", "min", (d.products[p], d.materials[m]), float(-x[p, m]),
                      "t", f"charge is {x[p, m]:.6g} t")
            for p, m in np.argwhere(x < -tolerance(0.0))]


def evaluate(instance: Instance, mix_t: np.ndarray,
             arrays: InstanceArrays | None = None) -> Evaluation:
    """Recompute every figure of ``mix_t`` (P x M charged tonnes) and check every rule."""
    fig = figures(arrays if arrays is not None else to_arrays(instance), mix_t)
    found = _non_negative(fig)
    for family in FAMILIES:
        found.extend(family.check(fig))
    return Evaluation(**{f: getattr(fig, f) for f in fig.__dataclass_fields__},
                      violations=tuple(found))
