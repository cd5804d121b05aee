"""A ``Result`` as tables: the mix, footprint by kind, sensitivity per material, the summary
figures of a product or of the month; as records (JSON) and as CSV.

Every figure comes from the solver-free ``Evaluation``; the JSON document, the text
table, the workbook and the HTML report are all built from these frames.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from mixopt.io.spreadsheet import formula_safe
from mixopt.model.evaluate import Evaluation
from mixopt.model.pipeline import Result
from mixopt.model.schema.instance import Instance

if TYPE_CHECKING:
    import pandas as pd

MIX_COLUMNS = ["product", "material", "kind", "tonnes", "share"]
KIND_COLUMNS = ["product", "kind", "footprint_t", "footprint_per_t"]


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

    full = float(np.sum(ev.footprint_full_t[sel]))
    s12 = float(np.sum(ev.footprint_scope12_t[sel]))
    s1 = float(np.sum(ev.footprint_scope1_t[sel]))  # nan: some charge's split unknown
    mwh, ren = float(np.sum(ev.electricity_mwh[sel])), float(np.sum(ev.renewable_mwh[sel]))

    def per_t(x: float) -> float | None:
        return x / slab if slab > 0 and math.isfinite(x) else None

    return {
        "slab_t": slab, "charged_t": charged,
        "cost": float(np.sum(ev.cost[sel])), "carbon_cost": float(np.sum(ev.carbon_cost[sel])),
        "revenue": float(np.sum(ev.revenue[sel])),
        # what the plan earns: revenue less purchases and carbon (minus the net cost)
        "margin": float(np.sum(ev.revenue[sel]) - np.sum(ev.cost[sel])
                        - np.sum(ev.carbon_cost[sel])),
        "footprint_t": fp, "footprint_per_t": fp / slab if slab > 0 else None,
        "footprint_full_per_t": float(np.sum(ev.footprint_full_t[sel])) / slab if slab else None,
        "footprint_scope12_per_t": (float(np.sum(ev.footprint_scope12_t[sel])) / slab
                                    if slab else None),
        "footprint_scope1_t_co2e_per_t": per_t(s1),
        "footprint_scope2_t_co2e_per_t": per_t(s12 - s1),
        "footprint_scope3_t_co2e_per_t": per_t(full - s12),
        "electricity_mwh_per_t": per_t(mwh) if mwh > 0 else None,
        "renewable_electricity_share": ren / mwh if mwh > 0 else None,
        "recycled_share": share(post + pre),
        "inert_anode_share": share(float(np.sum(ev.mix_t[sel][..., ev.arrays.inert_anode]))),
        "primary_share": share(float(np.sum(ev.mix_t[sel][..., ev.arrays.primary]))),
        "recycled_post_consumer_share": share(post),
        "recycled_pre_consumer_share": share(pre),
    }


def mix_records(result: Result) -> list[dict[str, Any]]:
    """Every non-zero charge: product, material, kind, tonnes, share of the product's charge."""
    if result.evaluation is None:
        return []
    return plan_mix_records(result.instance, result.evaluation)


def plan_mix_records(inst: Instance, ev: Evaluation) -> list[dict[str, Any]]:
    """``mix_records`` of one plan of ``inst`` (a month, or one period of a horizon)."""
    recs = []
    for p, prod in enumerate(inst.products):
        for m, mat in enumerate(inst.materials):
            t = float(ev.mix_t[p, m])
            if t > 1e-9:
                recs.append(dict(zip(MIX_COLUMNS, (prod.name, mat.name, mat.kind, t,
                                                   t / float(ev.charged_t[p])), strict=True)))
    return recs


def footprint_by_kind_records(result: Result) -> list[dict[str, Any]]:
    """Footprint (objective scope) per product and material kind, casting as its own kind."""
    if result.evaluation is None:
        return []
    return plan_footprint_by_kind(result.instance, result.evaluation)


def plan_footprint_by_kind(inst: Instance, ev: Evaluation) -> list[dict[str, Any]]:
    """``footprint_by_kind_records`` of one plan of ``inst``."""
    d = ev.arrays
    slab = d.slab_basis_t(ev.slab_t)
    recs = []
    for p, prod in enumerate(inst.products):
        by: dict[str, float] = {}
        for m, mat in enumerate(inst.materials):
            f = float(ev.mix_t[p, m] * d.footprint_t_co2e_per_t[m])
            if f > 0:
                by[mat.kind or mat.name] = by.get(mat.kind or mat.name, 0.0) + f
        by["casting"] = float(d.casting_t_co2e_per_t * slab[p])
        recs += [dict(zip(KIND_COLUMNS, (prod.name, k, v, v / slab[p] if slab[p] > 0 else 0.0),
                          strict=True)) for k, v in by.items()]
    return recs


def materials_sensitivity_records(result: Result) -> list[dict[str, Any]]:
    """Per material: tonnes used; if unused, how much lower its objective coefficient (price,
    or footprint when minimising footprint) must be to enter (the least reduced cost over
    the products); if used, the range of the coefficient that keeps the mix optimal (the
    narrowest over the products it goes to, each holding with the others unchanged)."""
    cols = result.column_arrays
    if cols is None:
        return []
    rows = []
    materials = cols["material"]
    for name in dict.fromkeys(materials):  # in the instance's order
        g = materials == name
        used = g & (cols["tonnes"] > 1e-9)
        rows.append({
            "material": name, "tonnes": float(cols["tonnes"][g].sum()),
            "coefficient": float(cols["coefficient"][g][0]),
            "enter_if_lower_by": None if used.any() else float(cols["reduced_cost"][g].min()),
            "optimal_from": float(cols["coefficient_min"][used].max()) if used.any() else None,
            "optimal_to": float(cols["coefficient_max"][used].min()) if used.any() else None,
        })
    return rows


def _frame(recs: list[dict[str, Any]], columns: list[str] | None = None) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame.from_records(recs, columns=columns)


def mix_table(result: Result) -> pd.DataFrame:
    """``mix_records`` as a table."""
    return _frame(mix_records(result), MIX_COLUMNS)


def footprint_by_kind(result: Result) -> pd.DataFrame:
    """``footprint_by_kind_records`` as a table."""
    return _frame(footprint_by_kind_records(result), KIND_COLUMNS)


def materials_sensitivity(result: Result) -> pd.DataFrame:
    """``materials_sensitivity_records`` as a table."""
    return _frame(materials_sensitivity_records(result))


def clean(rec: dict[str, Any]) -> dict[str, Any]:
    """A record for JSON: absent (None/NaN) fields dropped, infinities as null, numpy
    scalars as Python numbers."""
    out: dict[str, Any] = {}
    for k, v in rec.items():
        if isinstance(v, np.generic):
            v = v.item()
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        out[k] = None if isinstance(v, float) and math.isinf(v) else v
    return out


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON objects (``clean``)."""
    return [clean(r) for r in df.to_dict(orient="records")]


def frame_csv(df: pd.DataFrame) -> str:
    """A table as CSV; text cells never start a spreadsheet formula."""
    buf = io.StringIO()
    df.map(formula_safe).to_csv(buf, index=False, float_format="%.10g")
    return buf.getvalue()


def to_csv(result: Result) -> str:
    """The mix as a tidy CSV."""
    return frame_csv(mix_table(result))


