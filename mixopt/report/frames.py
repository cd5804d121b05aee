"""A ``Result`` as tables: the mix, footprint by kind, sensitivity per material (each per
period when the plan has periods); as records (JSON) and as CSV.

Every figure comes from the solver-free ``Evaluation``; the JSON document, the text
table, the workbook and the HTML report are all built from these frames.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from mixopt.io.spreadsheet import formula_safe
from mixopt.model.result import MIX_COLUMNS, Result

if TYPE_CHECKING:
    import pandas as pd

KIND_COLUMNS = ["product", "kind", "footprint_t", "footprint_per_t"]


def number(x: float | None) -> float | None:
    """A finite float, or None (JSON has no infinity or NaN)."""
    if x is None or not math.isfinite(x):
        return None
    return float(x)


def mix_records(result: Result) -> list[dict[str, Any]]:
    """Every non-zero charge: (period,) product, material, kind, tonnes, share of the
    product's charge."""
    return result.mix_records()


def footprint_by_kind_records(result: Result) -> list[dict[str, Any]]:
    """Footprint (objective scope) per (period,) product and material kind, casting as its
    own kind."""
    recs = []
    for k, ev in enumerate(result.evaluations or ()):
        inst, d = result.horizon.instances[k], ev.arrays
        slab = d.slab_basis_t(ev.slab_t)
        kinds = [mat.kind or mat.name for mat in inst.materials]
        for p, prod in enumerate(inst.products):
            by: dict[str, float] = {}
            for m in np.flatnonzero(ev.mix_t[p] * d.footprint_t_co2e_per_t > 0):
                f = float(ev.mix_t[p, m] * d.footprint_t_co2e_per_t[m])
                by[kinds[m]] = by.get(kinds[m], 0.0) + f
            by["casting"] = float(d.casting_t_co2e_per_t * slab[p])
            recs += [{**result.period_of(k), **dict(zip(
                KIND_COLUMNS, (prod.name, kind, v, v / slab[p] if slab[p] > 0 else 0.0),
                strict=True))} for kind, v in by.items()]
    return recs


def materials_sensitivity_records(result: Result) -> list[dict[str, Any]]:
    """Per (period and) material: tonnes used; if unused, how much lower its objective
    coefficient (price, or footprint when minimising footprint) must be to enter (the least
    reduced cost over the products); if used, the range of the coefficient that keeps the
    mix optimal (the narrowest over the products it goes to, each holding with the others
    unchanged). Linear in the number of columns."""
    cols = result.column_arrays
    if cols is None:
        return []
    rows, at = [], 0
    for k, ev in enumerate(result.evaluations):
        P, M, _ = ev.arrays.shape
        part = {key: v[at:at + P * M].reshape(P, M) for key, v in cols.items()}
        at += P * M
        t = part["tonnes"].astype(float)
        used = t > 1e-9
        any_used = used.any(axis=0)
        low = np.where(used, part["coefficient_min"].astype(float), -np.inf).max(axis=0)
        high = np.where(used, part["coefficient_max"].astype(float), np.inf).min(axis=0)
        enter = part["reduced_cost"].astype(float).min(axis=0)
        total, coef = t.sum(axis=0), part["coefficient"][0].astype(float)
        for m, name in enumerate(ev.arrays.materials):
            rows.append({**result.period_of(k), "material": name, "tonnes": float(total[m]),
                         "coefficient": float(coef[m]),
                         "enter_if_lower_by": None if any_used[m] else float(enter[m]),
                         "optimal_from": float(low[m]) if any_used[m] else None,
                         "optimal_to": float(high[m]) if any_used[m] else None})
    return rows


def _frame(recs: list[dict[str, Any]], columns: list[str] | None = None) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame.from_records(recs, columns=columns)


def _period(result: Result) -> list[str]:
    return ["period"] if result.named else []


def mix_table(result: Result) -> pd.DataFrame:
    """``mix_records`` as a table."""
    return _frame(mix_records(result), _period(result) + MIX_COLUMNS)


def footprint_by_kind(result: Result) -> pd.DataFrame:
    """``footprint_by_kind_records`` as a table."""
    return _frame(footprint_by_kind_records(result), _period(result) + KIND_COLUMNS)


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


