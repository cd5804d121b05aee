"""A furnace correction (``mixopt correct``) as a JSON document and as words: the
additions, the tapping, the melt before and after, its chemistry against the window, and
when there is none, why (README "At the furnace"). ``verify`` of a correction adds what
its recheck finds."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from rich.table import Table

from mixopt.analysis.correct import Correction
from mixopt.io.furnace import DOCUMENT
from mixopt.model.numbers import number as words_number
from mixopt.report.document import SCHEMA_VERSION, violations_document
from mixopt.report.frames import number


def correction_document(c: Correction) -> dict[str, Any]:
    """The correction's JSON document (README "At the furnace": its keys)."""
    s, base = c.spec, c.base
    prod = next(p for p in base.products if p.name == s.product)
    mats = {m.name: i for i, m in enumerate(base.materials)}
    fp = [f.full if base.objective.scope == "full" else f.scope12 for f in base.footprints]
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION, "document": DOCUMENT, "instance": base.name,
        "currency": base.currency, **({"period": s.period} if s.period else {}),
        "product": s.product, "alloy": prod.alloy, "status": c.status, "message": c.message,
        "objective": {"minimise": s.minimise, "value": number(c.objective_value),
                      "unit": c.objective_unit, "scope": base.objective.scope,
                      "additions_cost": number(c.additions_cost),
                      "tapping_cost": number(c.tapping_cost),
                      "footprint_t_co2e": number(c.footprint_t)},
        "additions": [{"material": name, "tonnes": t,
                       "recovered_t": t * base.materials[mats[name]].yield_,
                       "cost": t * base.costs[mats[name]],
                       "footprint_t_co2e": t * fp[mats[name]]} for name, t in c.additions],
        "tapped_t": number(c.tapped_t),
        "melt": {"before_t": s.melt_t, "after_t": number(c.after_t), "heat_t": s.heat_t,
                 "furnace_max_t": s.furnace_max_t},
        "confidence": s.confidence,
        "composition": c.composition(),
        "diagnosis": diagnosis_document(c),
        "inputs": s.inputs(),
        "solver": c.solver,
        "timings_s": {k: round(v, 6) for k, v in c.timings_s.items()},
    }
    return doc


def diagnosis_document(c: Correction) -> dict[str, Any] | None:
    d = c.diagnosis
    if d is None:
        return None
    return {"furnace_max_t": d.furnace_max_t, "furnace_needed_t": d.furnace_needed_t,
            "cannot_come_down": [e for e, side, _, _ in d.stuck if side == "max"],
            "cannot_come_up": [e for e, side, _, _ in d.stuck if side == "min"],
            "stuck": [{"constituent": e, "side": side, "sample_wt_pct": got,
                       "limit_wt_pct": lim} for e, side, got, lim in d.stuck],
            "least_tap_t": d.least_tap_t, "notes": list(d.notes)}


def verification_document(c: Correction, violations: list, path: str) -> dict[str, Any]:
    """``mixopt verify PATH CORRECTION.json --format json``: the correction rechecked."""
    doc = correction_document(c)
    for key in ("solver", "timings_s", "diagnosis", "status", "message"):
        doc.pop(key)
    return {"schema_version": SCHEMA_VERSION, "solution": path, "feasible": not violations,
            "violations": violations_document(violations), **doc}


def render_correction(c: Correction, width: int = 110) -> str:
    """The correction in words: what to add, what to tap, the melt after, its chemistry;
    or why there is none."""
    s = c.spec
    con = Console(file=io.StringIO(), width=width, force_terminal=False, color_system=None)
    cur = c.base.currency
    at = f" at {s.confidence:.4g} confidence" if s.confidence is not None else ""
    con.print(f"{c.base.name}: correct {s.melt_t:,.6g} t of {s.product} melt (sample "
              f"{s.analysis.source}) into a heat of at least {s.heat_t:,.6g} t, furnace "
              f"{s.furnace_max_t:,.6g} t{at}: {c.status}", markup=False)
    if c.evaluation is not None:
        value = c.objective_value
        shown = (f"{value:,.2f} {cur} (additions {c.additions_cost:,.2f}, tapping "
                 f"{c.tapping_cost:,.2f})" if s.minimise == "cost"
                 else f"{words_number(value)} t CO2e of additions")
        con.print(f"least {s.minimise}: {shown}", markup=False)
        t = Table(title="add", title_justify="left")
        for col in ("material", "t", f"cost {cur}"):
            t.add_column(col, justify="left" if col == "material" else "right")
        costs = dict(zip((m.name for m in c.base.materials), c.base.costs, strict=True))
        for name, tonnes in c.additions:
            t.add_row(name, f"{tonnes:,.3f}", f"{tonnes * costs[name]:,.2f}")
        con.print(t if c.additions else "add: nothing")
        tap = c.tapped_t or 0.0
        con.print(f"tap: {tap:,.3f} t" if tap > 0 else "tap: nothing", markup=False)
        con.print(f"melt: {s.melt_t:,.3f} t before, {c.after_t:,.3f} t after (heat at least "
                  f"{s.heat_t:,.6g} t, furnace at most {s.furnace_max_t:,.6g} t)",
                  markup=False)
    con.print(_chemistry(c))
    d = c.diagnosis
    if d is not None:
        con.print("no correction:", markup=False)
        for note in d.notes:
            con.print(f"  - {note}", markup=False)
    return con.file.getvalue()


def _chemistry(c: Correction) -> Table:
    after = c.evaluation is not None
    shown = after and c.spec.confidence
    t = Table(title="chemistry (wt%; * = binding" + (", p = probability within the window)"
                                                     if shown else ")"),
              title_justify="left")
    cols = ["constituent", "sample", "min", *(("after",) if after else ()), "max", ""]
    if shown:
        cols.append("p")
    for col in cols:
        t.add_column(col, justify="left" if col == "constituent" else "right")
    for r in c.composition():
        cells = [r["constituent"], f"{r['sample_wt_pct']:.4f}", f"{r['min_wt_pct']:g}"]
        if after:
            cells.append(f"{r['wt_pct']:.4f}")
        cells += [f"{r['max_wt_pct']:g}", f"* {r['binding']}" if r["binding"] else ""]
        if shown:
            cells.append(f"{r['probability_within']:.4f}")
        t.add_row(*cells)
    return t
