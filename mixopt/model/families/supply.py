"""(SU) Supply: charged tonnes of each material over all products, within what is on offer."""

from __future__ import annotations

import numpy as np

from mixopt.model.arrays import InstanceArrays
from mixopt.model.families.base import Dual, Elastic, Family, Relaxation
from mixopt.model.families.shared import kept, round_out, use_terms, violation
from mixopt.model.figures import Figures, Violation, tolerance
from mixopt.model.lp import Block, LinearProgram, LPBuilder
from mixopt.model.schema.instance import Instance

#: Slack on a supply limit of (near) zero is measured against this share of the month.
FLOOR_SUPPLY_SHARE = 0.01


def define_supply(b: LPBuilder, d: InstanceArrays) -> None:
    """(SU) a_min_m <= sum_p x[p,m] + sum_o c_mo sum_p x[p,o] <= a_max_m  for every
    material with a limit (for every material when ``b.every_row``, so that a re-solve can
    add a limit); c_mo: t of m a process consumes per t of its output o."""
    has = (d.available_min_t > 0) | np.isfinite(d.available_max_t)
    ms = np.flatnonzero(has | b.every_row)
    rows, cols, vals = use_terms(d, ms)
    b.add_rows("supply", [(d.materials[m],) for m in ms], rows, cols, vals,
               d.available_min_t[ms], d.available_max_t[ms])


def check(fig: Figures) -> list[Violation]:
    d, use = fig.arrays, fig.use_t
    lo, hi = d.available_min_t, d.available_max_t
    with np.errstate(invalid="ignore"):  # inf - inf where there is no maximum
        suspect = (lo - use > tolerance(lo)) | (np.isfinite(hi) & (use - hi > tolerance(hi)))
    out = []
    for m in np.flatnonzero(suspect):  # only the materials past a limit are worded
        name = d.materials[m]
        out.append(violation("supply", "min", (name,), lo[m] - use[m], lo[m], "t",
                             f"uses {use[m]:,.6g} t, at least {lo[m]:,.6g} t required"))
        if np.isfinite(hi[m]):
            out.append(violation("supply", "max", (name,), use[m] - hi[m], hi[m], "t",
                                 f"uses {use[m]:,.6g} t, only {hi[m]:,.6g} t available"))
    return kept(out)


def words(key: tuple, side: str, d: InstanceArrays) -> str:
    m = d.material_index[key[0]]
    if side == "max":
        return f"{key[0]}: at most {d.available_max_t[m]:,.6g} t available"
    return f"{key[0]}: at least {d.available_min_t[m]:,.6g} t must be used"


def reached(key: tuple, side: str, d: InstanceArrays) -> str:
    return f"{key[0]} exhausted" if side == "max" else f"{key[0]} at its least use"


def refs(lp: LinearProgram, b: Block, d: InstanceArrays) -> tuple[np.ndarray, np.ndarray]:
    floor = FLOOR_SUPPLY_SHARE * d.slab_tonnes.sum()
    hi = lp.row_hi[b.start:b.stop]
    return (np.maximum(lp.row_lo[b.start:b.stop], floor),
            np.maximum(np.where(np.isfinite(hi), hi, 0), floor))


def relax(v: Violation, fig: Figures, instance: Instance) -> Relaxation:
    d = fig.arrays
    name = v.key[0]
    m = d.material_index[name]
    use = float(fig.use_t[m])
    if v.side == "max":
        new = round_out(use, up=True)
        was = d.available_max_t[m]
        return Relaxation("supply", v.key, v.side, f"materials.{name}.available.max", new,
                          f"make at least {new - was:,.4g} t more {name} available "
                          f"({new:,.4g} t instead of {was:,.4g} t)")
    new = round_out(use, up=False)
    return Relaxation("supply", v.key, v.side, f"materials.{name}.available.min", new,
                      f"lower the minimum use of {name} to {new:,.4g} t")


FAMILY = Family(
    name="supply", label="SU", title="supply",
    math="a⁻_m ≤ Σ_p x_pm + Σ_o c_mo Σ_p x_po ≤ a⁺_m (c_mo: t of m a process uses per t "
         "of its output o)", domain="m with a⁻_m > 0 or a⁺_m < ∞",
    fields="`materials.available.min`, `materials.available.max`, `processes.inputs`, "
           "`processes.capacity_t`", keys=("material",),
    define=define_supply, check=check, words=words, dual=Dual("t"),
    elastic=Elastic("supply", refs, relax), reached=reached)
