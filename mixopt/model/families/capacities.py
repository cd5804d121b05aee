"""(CP) Capacities: plant limits shared by a group of materials (a melting furnace for
scrap, a shredder, a refining line): the charge of the group over all products is at
most the capacity."""

from __future__ import annotations

import numpy as np

from mixopt.model.arrays import InstanceArrays
from mixopt.model.families.base import Dual, Elastic, Family, Relaxation
from mixopt.model.families.shared import kept, round_out, violation
from mixopt.model.figures import Figures, Violation
from mixopt.model.lp import INF, Block, LinearProgram, LPBuilder, charge_col
from mixopt.model.schema.instance import Instance


def define_capacities(b: LPBuilder, d: InstanceArrays) -> None:
    """(CP) sum_p sum_{m in G_c} x[p,m] <= K_c  for every capacity c."""
    if not d.capacity_groups:
        return
    P, M, _ = d.shape
    rows, cols = [], []
    for k, (_, ms) in enumerate(d.capacity_groups):
        for m in ms:
            rows.append(np.full(P, k))
            cols.append(charge_col(M, np.arange(P), m))
    r, c = np.concatenate(rows), np.concatenate(cols)
    b.add_rows("capacities", [(name,) for name, _ in d.capacity_groups], r, c,
               np.ones(len(r)), np.full(len(d.capacity_groups), -INF), d.capacity_max_t)


def _charged(fig: Figures, k: int) -> float:
    return float(fig.mix_t[:, list(fig.arrays.capacity_groups[k][1])].sum())


def check(fig: Figures) -> list[Violation]:
    d = fig.arrays
    return kept(violation("capacities", "max", (name,), _charged(fig, k) - d.capacity_max_t[k],
                          d.capacity_max_t[k], "t",
                          f"charges {_charged(fig, k):,.6g} t, the capacity is "
                          f"{d.capacity_max_t[k]:,.6g} t")
                for k, (name, _) in enumerate(d.capacity_groups))


def _index(d: InstanceArrays, name: str) -> int:
    return next(k for k, (n, _) in enumerate(d.capacity_groups) if n == name)


def words(key: tuple, side: str, d: InstanceArrays) -> str:
    k = _index(d, key[0])
    mats = ", ".join(d.materials[m] for m in d.capacity_groups[k][1])
    return f"capacity {key[0]}: at most {d.capacity_max_t[k]:,.6g} t of {mats}"


def reached(key: tuple, side: str, d: InstanceArrays) -> str:
    return f"capacity {key[0]} full"


def refs(lp: LinearProgram, b: Block, d: InstanceArrays) -> tuple[np.ndarray, np.ndarray]:
    ref = np.array([max(d.capacity_max_t[_index(d, k[0])], 1.0) for k in b.keys])
    return ref, ref


def relax(v: Violation, fig: Figures, instance: Instance) -> Relaxation:
    k = _index(fig.arrays, v.key[0])
    new = round_out(_charged(fig, k), up=True)
    return Relaxation("capacities", v.key, v.side, f"capacities.{v.key[0]}.max", new,
                      f"capacity {v.key[0]} of {fig.arrays.capacity_max_t[k]:,.6g} t is too "
                      f"small; raise it to {new:,.6g} t")


FAMILY = Family(
    name="capacities", label="CP", title="capacities",
    math="Σ_p Σ_{m∈G_c} x_pm ≤ K_c", domain="c ∈ capacities",
    fields="`capacities.materials`, `capacities.max`", keys=("capacity",),
    define=define_capacities, check=check, words=words, dual=Dual("t"),
    elastic=Elastic("limit", refs, relax), reached=reached)
