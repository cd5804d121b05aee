"""A ``Result`` as tables: the mix, footprint by kind, sensitivity per material, the summary
figures of a product or of the month; as records (JSON) and as CSV.

Every figure comes from the solver-free ``Evaluation``; the JSON document, the text
table, the workbook and the HTML report are all built from these frames.
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
import pandas as pd

from mixopt.io.spreadsheet import formula_safe
from mixopt.model.evaluate import Evaluation
from mixopt.model.pipeline import Result


def number(x: float | None) -> float | None:
    """A finite float, or None (JSON has no infinity or NaN)."""
    if x is None or not math.isfinite(x):
        return None
    return float(x)


def summary_figures(ev: Evaluation, sel: slice | int) -> dict[str, float | None]:
    """Slab, charge, cost, footprint and recycled shares of one product (``sel`` = p) or of
    all products (``slice(None)``)."""
    slab = float(np.sum(ev.slab_t[sel]))
    charged = float(np.sum(ev.charged_t[sel]))
    post, pre = float(np.sum(ev.recycled_post_t[sel])), float(np.sum(ev.recycled_pre_t[sel]))
    fp = float(np.sum(ev.footprint_t[sel]))

    def share(x: float) -> float | None:
        return x / charged if charged > 0 else None

    return {
        "slab_t": slab, "charged_t": charged,
        "cost": float(np.sum(ev.cost[sel])), "carbon_cost": float(np.sum(ev.carbon_cost[sel])),
        "footprint_t": fp, "footprint_per_t": fp / slab if slab > 0 else None,
        "footprint_full_per_t": float(np.sum(ev.footprint_full_t[sel])) / slab if slab else None,
        "footprint_scope12_per_t": (float(np.sum(ev.footprint_scope12_t[sel])) / slab
                                    if slab else None),
        "recycled_share": share(post + pre),
        "recycled_post_consumer_share": share(post),
        "recycled_pre_consumer_share": share(pre),
    }


def mix_table(result: Result) -> pd.DataFrame:
    """Every non-zero charge: product, material, kind, tonnes, share of the product's charge."""
    cols = ["product", "material", "kind", "tonnes", "share"]
    ev = result.evaluation
    if ev is None:
        return pd.DataFrame(columns=cols)
    inst = result.instance
    recs = []
    for p, prod in enumerate(inst.products):
        for m, mat in enumerate(inst.materials):
            t = float(ev.mix_t[p, m])
            if t > 1e-9:
                recs.append((prod.name, mat.name, mat.kind, t, t / ev.charged_t[p]))
    return pd.DataFrame.from_records(recs, columns=cols)


def footprint_by_kind(result: Result) -> pd.DataFrame:
    """Footprint (objective scope) per product and material kind, casting as its own kind."""
    ev, inst = result.evaluation, result.instance
    cols = ["product", "kind", "footprint_t", "footprint_per_t"]
    if ev is None:
        return pd.DataFrame(columns=cols)
    d = ev.arrays
    recs = []
    for p, prod in enumerate(inst.products):
        by: dict[str, float] = {}
        for m, mat in enumerate(inst.materials):
            f = ev.mix_t[p, m] * d.footprint_t_co2e_per_t[m]
            if f > 0:
                by[mat.kind or mat.name] = by.get(mat.kind or mat.name, 0.0) + f
        by["casting"] = d.casting_t_co2e_per_t * d.slab_tonnes[p]
        recs += [(prod.name, k, v, v / prod.tonnes) for k, v in by.items()]
    return pd.DataFrame.from_records(recs, columns=cols)


def materials_sensitivity(result: Result) -> pd.DataFrame:
    """Per material: tonnes used; if unused, how much lower its objective coefficient (price,
    or footprint when minimising footprint) must be to enter (the least reduced cost over
    the products); if used, the range of the coefficient that keeps the mix optimal (the
    narrowest over the products it goes to, each holding with the others unchanged)."""
    cols = result.columns
    if cols is None:
        return pd.DataFrame()
    rows = []
    for name, g in cols.groupby("material", sort=False):
        used = g[g.tonnes > 1e-9]
        rows.append({
            "material": name, "tonnes": float(g.tonnes.sum()),
            "coefficient": float(g.coefficient.iloc[0]),
            "enter_if_lower_by": None if len(used) else float(g.reduced_cost.min()),
            "optimal_from": float(used.coefficient_min.max()) if len(used) else None,
            "optimal_to": float(used.coefficient_max.min()) if len(used) else None,
        })
    return pd.DataFrame.from_records(rows)


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON objects; absent (NaN/None) fields dropped, infinities as null."""
    out = []
    for r in df.to_dict(orient="records"):
        rec = {}
        for k, v in r.items():
            if isinstance(v, float) and math.isinf(v):
                rec[k] = None
            elif not pd.isna(v):
                rec[k] = v.item() if isinstance(v, np.generic) else v
        out.append(rec)
    return out


def frame_csv(df: pd.DataFrame) -> str:
    """A table as CSV; text cells never start a spreadsheet formula."""
    buf = io.StringIO()
    df.map(formula_safe).to_csv(buf, index=False, float_format="%.10g")
    return buf.getvalue()


def to_csv(result: Result) -> str:
    """The mix as a tidy CSV."""
    return frame_csv(mix_table(result))


