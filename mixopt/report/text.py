"""A ``Result`` and any table for a person at a terminal (rich, no colour codes in files)."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from mixopt.model.evaluate import Evaluation
from mixopt.model.pipeline import Result
from mixopt.model.risk import ProductRisk
from mixopt.model.schema.instance import Instance
from mixopt.report.frames import (
    footprint_by_kind,
    materials_sensitivity,
    mix_table,
    summary_figures,
)
from mixopt.report.labels import number, worth_words


def render_frame(df: pd.DataFrame, title: str, width: int = 160) -> str:
    """Any result table for a person: numbers right-aligned, at most 6 significant digits."""
    con = Console(file=io.StringIO(), width=width, force_terminal=False, color_system=None)
    t = Table(title=title, title_justify="left")
    for col in df.columns:
        t.add_column(str(col), overflow="fold",
                     justify="right" if pd.api.types.is_numeric_dtype(df[col])
                     else "left")
    for row in df.itertuples(index=False):
        t.add_row(*(number(v) if isinstance(v, float) else "-" if v is None else str(v)
                    for v in row))
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
    said = "" if result.message in ("", str(result.status)) else f" - {result.message}"
    con.print(f"[bold]{inst.name}[/bold]: {result.status}{said}")
    cap = f", cap {obj.footprint_cap:g} t CO2e/t" if obj.footprint_cap else ""
    con.print(f"minimise {obj.minimise} (scope {obj.scope}{cap})"
              + (f": {result.objective_value:,.6g} {result.objective_unit}"
                 if result.objective_value is not None else ""))
    if result.raw.mip_gap is not None:
        con.print(f"MIP gap achieved: {result.raw.mip_gap:.3g}")
    if ev is None:
        return con.file.getvalue()
    mix, kinds = mix_table(result), footprint_by_kind(result)
    for p in range(len(inst.products)):
        _product(con, result, p, mix, kinds)
    tot = summary_figures(ev, slice(None))
    con.print(f"[bold]totals[/bold]: {tot['slab_t']:,.1f} t slab from {tot['charged_t']:,.1f} t "
              f"charged; cost {tot['cost']:,.0f} {inst.currency}; footprint "
              f"{tot['footprint_t']:,.1f} t CO2e = {_fmt(tot['footprint_per_t'], '.4f')} "
              f"t CO2e/t ({obj.scope}); recycled {_fmt(tot['recycled_share'], '.1%')}")
    if result.dual_records is not None:
        _shadow_prices(con, result)
    else:
        con.print("sensitivity skipped (--no-sensitivity): no shadow prices, reduced costs "
                  "or ranging")
    if result.columns is not None:
        con.print(_columns_table(result))
    if result.duals_conditional:
        con.print("sensitivity is conditional on the purchase decisions (whole lots, minimum "
                  "orders): it is that of the LP with those decisions fixed")
    return con.file.getvalue()


def _product(con: Console, result: Result, p: int, mix: pd.DataFrame,
             kinds: pd.DataFrame) -> None:
    """One product: its mix, its chemistry against the window, its footprint by kind."""
    inst, ev = result.instance, result.evaluation
    prod = inst.products[p]
    made = "sold" if prod.sold else "ordered"
    t = Table(title=f"{prod.name} ({prod.alloy}, {ev.slab_t[p]:,.0f} t slab {made})",
              title_justify="left")
    for c in ("material", "kind", "t", "share"):
        t.add_column(c, justify="right" if c in ("t", "share") else "left")
    for r in mix[mix["product"] == prod.name].itertuples():
        t.add_row(r.material, r.kind, f"{r.tonnes:,.2f}", f"{r.share:.1%}")
    con.print(t)
    con.print(chemistry_table(inst, ev, p, result.risk))
    if result.risk is not None:
        con.print(risk_line(result.risk[p]))
    k = Table(title=f"footprint ({inst.objective.scope} scope)", title_justify="left")
    k.add_column("kind")
    k.add_column("t CO2e", justify="right")
    k.add_column("t CO2e/t slab", justify="right")
    for r in kinds[kinds["product"] == prod.name].itertuples():
        k.add_row(r.kind, f"{r.footprint_t:,.1f}", f"{r.footprint_per_t:.3f}")
    con.print(k)
    f = summary_figures(ev, p)
    con.print(f"footprint {_fmt(f['footprint_per_t'], '.3f')} t CO2e/t "
              f"(full {_fmt(f['footprint_full_per_t'], '.3f')}, scope 1+2 "
              f"{_fmt(f['footprint_scope12_per_t'], '.3f')}); recycled "
              f"{_fmt(f['recycled_share'], '.1%')} (post-consumer "
              f"{_fmt(f['recycled_post_consumer_share'], '.1%')}, pre-consumer "
              f"{_fmt(f['recycled_pre_consumer_share'], '.1%')}); cost "
              f"{_fmt(f['cost'], ',.0f')} {inst.currency}\n")


def chemistry_table(inst: Instance, ev: Evaluation, p: int,
                    risk: tuple[ProductRisk, ...] | None) -> Table:
    """Achieved chemistry against the alloy's window (and the aim, where given); with
    spreads, the heat-to-heat standard deviation and the probability that a heat falls
    below the minimum or above the maximum."""
    d = ev.arrays
    aims = d.aimed[p].any()
    c = Table(title="chemistry (wt%; * = binding)", title_justify="left")
    cols = ["constituent", "min", *(["aim"] if aims else []), "achieved", "max"]
    if risk is not None:
        cols += ["sd", "P(below min)", "P(above max)"]
    for col in [*cols, ""]:
        c.add_column(col, justify="left" if col == "constituent" else "right")
    bind = ev.binding(p)
    out = {(lim.constituent, lim.bound): lim for lim in risk[p].limits} if risk else {}
    for e in np.flatnonzero(d.limited[p] | d.aimed[p]):
        name = d.constituents[e]
        row = [name, f"{d.limit_min_wt_pct[p, e]:g}"]
        if aims:
            row.append(f"{d.aim_min_wt_pct[p, e]:g}-{d.aim_max_wt_pct[p, e]:g}"
                       if d.aimed[p, e] else "")
        row += [f"{ev.composition_wt_pct[p, e]:.4f}", f"{d.limit_max_wt_pct[p, e]:g}"]
        if risk is not None:
            lim = out.get((name, "min")) or out.get((name, "max"))
            row.append(f"{lim.sd_wt_pct:.4f}" if lim else "")
            row += [_pct(out[(name, b)].probability_outside) if (name, b) in out else ""
                    for b in ("min", "max")]
        c.add_row(*row, f"* {bind[name]}" if name in bind else "")
    return c


def _pct(x: float) -> str:
    return "<0.01%" if 0 < x < 1e-4 else f"{x:.2%}"


def risk_line(r: ProductRisk) -> str:
    return (f"off-spec heats: {r.off_spec_heat_probability:.2%} of {r.samples:,} simulated "
            f"(exact {r.off_spec_heat_probability_exact:.2%})")


def render_verification(inst: Instance, ev: Evaluation, solution: str, samples: int,
                        width: int = 110) -> str:
    """``mixopt verify``: the rules a plan breaks (each with its size), or that all hold;
    with spreads, the plan's chemistry and off-spec risk."""
    from mixopt.model.risk import plan_risk

    con = Console(file=io.StringIO(), width=width, force_terminal=False, color_system=None)
    if ev.violations:
        con.print(f"{solution}: {len(ev.violations)} rule(s) broken:")
        for v in ev.violations:
            con.print(f"  - {v}", markup=False)
    else:
        fp = ev.footprint_t.sum() / ev.arrays.slab_tonnes.sum()
        con.print(f"{solution}: every rule of {inst.name} holds (cost {ev.cost.sum():,.2f} "
                  f"{inst.currency}, footprint {fp:.6g} t CO2e/t slab, {inst.objective.scope} "
                  "scope)", markup=False)
    if inst.has_spreads:
        risk = plan_risk(ev, samples)
        for p, prod in enumerate(inst.products):
            con.print(f"{prod.name}:", markup=False)
            con.print(chemistry_table(inst, ev, p, risk))
            con.print(risk_line(risk[p]))
    return con.file.getvalue()


def _shadow_prices(con: Console, result: Result) -> None:
    inst, duals = result.instance, result.duals
    dl = duals[(duals["binding"].notna()) & (duals["shadow_price"].abs() > 1e-9)]
    if not len(dl):
        return
    unit = "t CO2e" if inst.objective.minimise == "footprint" else inst.currency
    s = Table(title=f"shadow prices (change of the objective, {unit}, per unit more of the "
                    "limit)", title_justify="left")
    for col in ("limit", "binding", "shadow price", "per", "in words"):
        s.add_column(col, justify="right" if col == "shadow price" else "left")
    for r in dl.itertuples():
        s.add_row(r.limit, r.binding, number(r.shadow_price), r.per,
                  worth_words(r.shadow_price, r.per, unit))
    con.print(s)


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


