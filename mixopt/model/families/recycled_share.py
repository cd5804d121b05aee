"""(RS) Recycled share: the least share of each product's charge from recycled materials."""

from __future__ import annotations

import numpy as np

from mixopt.model.arrays import InstanceArrays
from mixopt.model.families.base import Dual, Elastic, Family, Relaxation
from mixopt.model.families.shared import kept, per_product_rows, product_index, round_out, violation
from mixopt.model.figures import Figures, Violation
from mixopt.model.lp import INF, Block, LinearProgram, LPBuilder
from mixopt.model.schema.instance import Instance


def define_recycled_share(b: LPBuilder, d: InstanceArrays) -> None:
    """(RS) sum_m (r_m - s_p) x[p,m] / T_p >= 0  for every product with s_p > 0."""
    ps = np.flatnonzero(d.min_recycled_share > 0)
    coef = d.recycled[None, :].astype(float) - d.min_recycled_share[ps, None]
    per_product_rows(b, "recycled_share", d, ps, coef, np.zeros(len(ps)),
                     np.full(len(ps), INF))


def _share(fig: Figures, p: int) -> float:
    charged = fig.charged_t[p]
    return float(fig.recycled_t[p] / charged) if charged > 0 else 0.0


def check(fig: Figures) -> list[Violation]:
    d = fig.arrays
    out = []
    for p, name in enumerate(d.products):
        s = d.min_recycled_share[p]
        if s > 0:
            got = _share(fig, p)
            out.append(violation("recycled_share", "min", (name,), s - got, s, "share",
                                 f"recycled share {got:.6g} below the minimum {s:g}"))
    return kept(out)


def words(key: tuple, side: str, d: InstanceArrays) -> str:
    return f"{key[0]}: recycled share at least {d.min_recycled_share[product_index(d, key[0])]:g}"


def reached(key: tuple, side: str, d: InstanceArrays) -> str:
    return f"{key[0]}: recycled share at its minimum"


def refs(lp: LinearProgram, b: Block, d: InstanceArrays) -> tuple[np.ndarray, np.ndarray]:
    ref = np.array([d.min_recycled_share[product_index(d, k[0])] for k in b.keys])
    return ref, ref


def relax(v: Violation, fig: Figures, instance: Instance) -> Relaxation:
    d, name = fig.arrays, v.key[0]
    p = product_index(d, name)
    got = _share(fig, p)
    new = round_out(got, up=False)
    return Relaxation("recycled_share", v.key, v.side, f"products.{name}.min_recycled", new,
                      f"{name}: recycled share {d.min_recycled_share[p]:g} cannot be reached; "
                      f"the highest is {got:.4g}. Lower it to {new:g}")


def _per_share(fig: Figures, key: tuple) -> float:
    """The row is (recycled - s charged) / T_p; one more unit of share s costs charged/T."""
    p = product_index(fig.arrays, key[0])
    return fig.charged_t[p] / fig.arrays.slab_tonnes[p]


FAMILY = Family(
    name="recycled_share", label="RS", title="recycled share",
    math="Σ_m (r_m − s_p) x_pm / T_p ≥ 0, i.e. Σ_{m∈M^R} x_pm ≥ s_p Σ_m x_pm",
    domain="p with s_p > 0", fields="`products.min_recycled`, `materials.route` (and `recycled`)",
    keys=("product",), define=define_recycled_share, check=check, words=words,
    dual=Dual("share", _per_share, "y · Σ_m x_pm / T_p (0.01 share = one percentage point)"),
    elastic=Elastic("limit", refs, relax), reached=reached)
