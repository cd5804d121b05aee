"""Turn a ``Result`` into what people and programs read: JSON, CSV, a text table.

The JSON document is a published contract (``SCHEMA_VERSION``; fields only ever
get added). Figures all come from the solver-free ``Evaluation``.
"""

from __future__ import annotations

import io
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from mixopt.evaluate import Evaluation
from mixopt.pipeline import Result

SCHEMA_VERSION = 1
_FORMULA_START = ("=", "+", "-", "@")


def _num(x: float | None) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return float(x)


def _figures(ev: Evaluation, sel: slice | int) -> dict[str, float | None]:
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


def to_json_dict(result: Result) -> dict[str, Any]:
    """The documented JSON document (see README, 'JSON output')."""
    inst, ev, raw = result.instance, result.evaluation, result.raw
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "instance": inst.name,
        "currency": inst.currency,
        "status": str(result.status),
        "message": result.message,
        "problem_class": "MILP" if inst.is_milp else "LP",
        "objective": {"minimise": inst.objective.minimise, "scope": inst.objective.scope,
                      "footprint_cap": inst.objective.footprint_cap,
                      "carbon_price": inst.objective.carbon_price,
                      "value": _num(result.objective_value), "unit": result.objective_unit},
        "mip_gap": _num(raw.mip_gap),
        "totals": None, "products": [], "mix": [], "footprint_by_kind": [], "duals": None,
        "duals_conditional_on_purchase_decisions": result.duals_conditional,
        "materials_sensitivity": None,
        "solver": raw.solver,
        "timings_s": {k: round(v, 6) for k, v in result.timings_s.items()},
    }
    if ev is None:
        return doc
    doc["totals"] = _figures(ev, slice(None))
    d = ev.arrays
    for p, prod in enumerate(inst.products):
        limits = inst.alloys[prod.alloy]
        doc["products"].append({
            "name": prod.name, "alloy": prod.alloy, "tonnes": prod.tonnes,
            "footprint_cap": prod.footprint_cap, "min_recycled": prod.min_recycled,
            **_figures(ev, p),
            "composition": {e: float(ev.composition_wt_pct[p, i])
                            for i, e in enumerate(d.constituents)},
            "limits": {e: list(w) for e, w in limits.items()},
            "binding": ev.binding(p),
        })
    doc["mix"] = mix_table(result).drop(columns="share").to_dict(orient="records")
    doc["footprint_by_kind"] = footprint_by_kind(result).to_dict(orient="records")
    if result.duals is not None:
        doc["duals"] = _records(result.duals)
    if result.columns is not None:
        doc["materials_sensitivity"] = _records(materials_sensitivity(result))
    return doc


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


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
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


def _safe_cell(x: object) -> object:
    if isinstance(x, str) and x.startswith(_FORMULA_START):
        return "'" + x
    return x


def frame_csv(df: pd.DataFrame) -> str:
    """A table as CSV; text cells never start a spreadsheet formula."""
    buf = io.StringIO()
    df.map(_safe_cell).to_csv(buf, index=False, float_format="%.10g")
    return buf.getvalue()


def frame_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON-ready records (absent values dropped, infinities null)."""
    return _records(df)


def to_csv(result: Result) -> str:
    """The mix as a tidy CSV."""
    return frame_csv(mix_table(result))


def render_frame(df: pd.DataFrame, title: str, width: int = 160) -> str:
    """Any result table for a person: numbers right-aligned, at most 6 significant digits."""
    con = Console(file=io.StringIO(), width=width, force_terminal=False, color_system=None)
    t = Table(title=title, title_justify="left")
    for col in df.columns:
        t.add_column(str(col), overflow="fold",
                     justify="right" if pd.api.types.is_numeric_dtype(df[col])
                     else "left")
    for row in df.itertuples(index=False):
        t.add_row(*("-" if v is None or (isinstance(v, float) and math.isnan(v))
                    else f"{v:,.6g}" if isinstance(v, float) else str(v) for v in row))
    con.print(t)
    return con.file.getvalue()


def _fmt(x: float | None, spec: str = ",.2f") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return "unbounded" if math.isinf(x) else format(x, spec)


def render_table(result: Result, width: int = 110) -> str:
    """A readable summary for a person."""
    inst, ev = result.instance, result.evaluation
    con = Console(file=io.StringIO(), width=width, force_terminal=False, color_system=None)
    obj = inst.objective
    con.print(f"[bold]{inst.name}[/bold]: {result.status} - {result.message}")
    cap = f", cap {obj.footprint_cap:g} t CO2e/t" if obj.footprint_cap else ""
    con.print(f"minimise {obj.minimise} (scope {obj.scope}{cap})"
              + (f": {result.objective_value:,.6g} {result.objective_unit}"
                 if result.objective_value is not None else ""))
    if result.raw.mip_gap is not None:
        con.print(f"MIP gap achieved: {result.raw.mip_gap:.3g}")
    if ev is None:
        return con.file.getvalue()
    mix = mix_table(result)
    kinds = footprint_by_kind(result)
    for p, prod in enumerate(inst.products):
        f = _figures(ev, p)
        t = Table(title=f"{prod.name} ({prod.alloy}, {prod.tonnes:,.0f} t slab)",
                  title_justify="left")
        for c in ("material", "kind", "t", "share"):
            t.add_column(c, justify="right" if c in ("t", "share") else "left")
        for r in mix[mix["product"] == prod.name].itertuples():
            t.add_row(r.material, r.kind, f"{r.tonnes:,.2f}", f"{r.share:.1%}")
        con.print(t)
        c = Table(title="chemistry (wt%; * = binding)", title_justify="left")
        for col in ("constituent", "min", "achieved", "max", ""):
            c.add_column(col, justify="left" if col == "constituent" else "right")
        bind = ev.binding(p)
        d = ev.arrays
        for e in np.flatnonzero(d.limited[p]):
            name = d.constituents[e]
            c.add_row(name, f"{d.limit_min_wt_pct[p, e]:g}",
                      f"{ev.composition_wt_pct[p, e]:.4f}", f"{d.limit_max_wt_pct[p, e]:g}",
                      f"* {bind[name]}" if name in bind else "")
        con.print(c)
        k = Table(title=f"footprint ({obj.scope} scope)", title_justify="left")
        k.add_column("kind")
        k.add_column("t CO2e", justify="right")
        k.add_column("t CO2e/t slab", justify="right")
        for r in kinds[kinds["product"] == prod.name].itertuples():
            k.add_row(r.kind, f"{r.footprint_t:,.1f}", f"{r.footprint_per_t:.3f}")
        con.print(k)
        con.print(f"footprint {_fmt(f['footprint_per_t'], '.3f')} t CO2e/t "
                  f"(full {_fmt(f['footprint_full_per_t'], '.3f')}, scope 1+2 "
                  f"{_fmt(f['footprint_scope12_per_t'], '.3f')}); recycled "
                  f"{_fmt(f['recycled_share'], '.1%')} (post-consumer "
                  f"{_fmt(f['recycled_post_consumer_share'], '.1%')}, pre-consumer "
                  f"{_fmt(f['recycled_pre_consumer_share'], '.1%')}); cost "
                  f"{_fmt(f['cost'], ',.0f')} {inst.currency}\n")
    tot = _figures(ev, slice(None))
    con.print(f"[bold]totals[/bold]: {tot['slab_t']:,.1f} t slab from {tot['charged_t']:,.1f} t "
              f"charged; cost {tot['cost']:,.0f} {inst.currency}; footprint "
              f"{tot['footprint_t']:,.1f} t CO2e = {_fmt(tot['footprint_per_t'], '.4f')} "
              f"t CO2e/t ({obj.scope}); recycled {_fmt(tot['recycled_share'], '.1%')}")
    if result.duals is not None:
        dl = result.duals[(result.duals["binding"].notna())
                          & (result.duals["shadow_price"].abs() > 1e-9)]
        if len(dl):
            s = Table(title=f"shadow prices (change of the objective, "
                            f"{'t CO2e' if obj.minimise == 'footprint' else inst.currency}, "
                            "per unit more of the limit)", title_justify="left")
            for col in ("limit", "binding", "shadow price", "per"):
                s.add_column(col, justify="right" if col == "shadow price" else "left")
            for r in dl.itertuples():
                where = " / ".join(str(x) for x in (r.product, r.material, r.constituent)
                                   if isinstance(x, str))
                s.add_row(f"{r.family} {where}".strip(), r.binding, f"{r.shadow_price:,.6g}",
                          r.per)
            con.print(s)
    if result.columns is not None:
        con.print(_columns_table(result))
    if result.duals_conditional:
        con.print("sensitivity is conditional on the purchase decisions (whole lots, minimum "
                  "orders): it is that of the LP with those decisions fixed")
    return con.file.getvalue()


def _columns_table(result: Result) -> Table:
    inst = result.instance
    unit = "t CO2e" if inst.objective.minimise == "footprint" else inst.currency
    what = "footprint" if inst.objective.minimise == "footprint" else "price"
    t = Table(title=f"per material {what} ({unit}/t): how much lower to enter, range that "
                    "keeps the mix optimal", title_justify="left")
    for col in ("material", "t", what, "enters if lower by", "optimal from", "optimal to"):
        t.add_column(col, justify="left" if col == "material" else "right")
    for r in materials_sensitivity(result).itertuples():
        t.add_row(r.material, f"{r.tonnes:,.1f}", f"{r.coefficient:,.4g}",
                  _fmt(r.enter_if_lower_by, ",.4g"), _fmt(r.optimal_from, ",.4g"),
                  _fmt(r.optimal_to, ",.4g"))
    return t


def write_atomic(path: Path, text: str, force: bool = False) -> None:
    """Write ``text`` to ``path`` all at once; never over an existing file unless ``force``."""
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; pass --force to replace it")
    if not path.parent.is_dir():
        raise FileNotFoundError(2, "the folder does not exist", str(path.parent))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a result is an ordinary file
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        if not force and path.exists():
            raise FileExistsError(f"{path} exists; pass --force to replace it")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
