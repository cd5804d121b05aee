"""A ``Result`` and any table for a person at a terminal (rich, no colour codes in files)."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from mixopt.model.evaluate import Evaluation
from mixopt.model.families.charges import materials_used
from mixopt.model.figures import summary
from mixopt.model.planner import Result
from mixopt.model.risk import ProductRisk
from mixopt.model.schema.instance import Instance
from mixopt.report.declaration import label_status, label_words
from mixopt.report.document import planning_ahead
from mixopt.report.frames import footprint_by_kind, materials_sensitivity, mix_table
from mixopt.report.labels import confidence_words, number, worth_words


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


def _num(x: float | None, digits: int = 4) -> str:
    return "-" if x is None else number(x, digits)


def _fmt(x: float | None, spec: str = ",.2f") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return "unbounded" if math.isinf(x) else format(x, spec)


def render_table(result: Result, ahead: Result | None = None, width: int = 110) -> str:
    """A readable summary for a person: per product (and period) the mix, chemistry and
    footprint, then the totals, shadow prices and per-material ranges; with periods, the
    periods' figures and the purchases and stock first (``ahead``: the myopic or rolling
    plan it is compared with)."""
    h, evs = result.horizon, result.evaluations
    con = Console(file=io.StringIO(), width=width, force_terminal=False, color_system=None)
    obj = h.objective
    said = "" if result.message in ("", str(result.status)) else f" - {result.message}"
    how = f" ({result.method}, {len(h.periods)} periods)" if result.named else ""
    con.print(f"[bold]{h.name}[/bold]: {result.status}{how}{said}")
    cap = f", cap {obj.footprint_cap:g} t CO2e/t" if obj.footprint_cap else ""
    con.print(f"minimise {obj.minimise} (scope {obj.scope}{cap})"
              + (f": {number(result.objective_value)} {result.objective_unit}"
                 if result.objective_value is not None else ""))
    conf = confidence_words(obj, h.first.products)
    if conf:
        con.print(f"confidence: {conf}")
    if result.mip_gap is not None:
        con.print(f"MIP gap achieved: {number(result.mip_gap, 3)}")
    if evs is None:
        return con.file.getvalue()
    if result.named:
        _periods(con, result)
    if sum(len(i.products) for i in h.instances) > 1:
        wide = Console(file=io.StringIO(), width=max(width, 160), force_terminal=False,
                       color_system=None)  # one line per product, whatever its names
        wide.print(_products_summary(result))
        con.file.write(wide.file.getvalue())
        con.print("[bold]details per product[/bold]")
    mix, kinds = mix_table(result), footprint_by_kind(result)
    for k in range(len(h.periods)):
        if result.named:
            con.print(f"[bold]period {h.periods[k]}[/bold]")
        for p in range(len(h.instances[k].products)):
            _product(con, result, k, p, mix, kinds)
    tot = result.totals
    con.print(f"[bold]totals[/bold]: {tot['slab_t']:,.1f} t slab from {tot['charged_t']:,.1f} t "
              f"charged; cost {tot['cost']:,.0f} {h.currency}; footprint "
              f"{tot['footprint_t']:,.1f} t CO2e = {_fmt(tot['footprint_per_t'], '.4f')} "
              f"t CO2e/t ({obj.scope}); recycled {_fmt(tot['recycled_share'], '.1%')}")
    if result.dual_records is not None:
        _shadow_prices(con, result)
    elif result.raw is not None:
        con.print("sensitivity skipped (--no-sensitivity): no shadow prices, reduced costs "
                  "or ranging")
    if result.columns is not None:
        con.print(_columns_table(result))
    if result.duals_conditional:
        con.print("sensitivity is conditional on the integer decisions (whole lots, minimum "
                  "orders, which materials are charged): it is that of the problem with those "
                  "decisions fixed")
    if ahead is not None:
        pa = planning_ahead(result, ahead)
        v = pa["value_of_planning_ahead"]
        con.print(f"value of planning ahead against the {pa['method']} plan: "
                  + (f"{v:,.2f} {pa['unit']}" if v is not None else f"- ({pa['message']})"))
    return con.file.getvalue()


#: The terms of the money a plan costs: (figure, column, sign in the net cost).
TERMS = (("cost", "purchases", 1), ("holding_cost", "holding", 1),
         ("carbon_cost", "carbon", 1), ("take_or_pay_cost", "take-or-pay", 1),
         ("revenue", "revenue", -1))


def _periods(con: Console, result: Result) -> None:
    """Per period: slab, each term of the money and their net, footprint (a total row
    that adds up to the objective); then per material the purchases and stock."""
    cur = result.horizon.currency
    t = Table(title=f"per period ({cur}: purchases + holding + carbon + take-or-pay - "
                    "revenue = net cost)", title_justify="left")
    for c in ("period", "slab t", *(c for _, c, _ in TERMS), "net cost", "t CO2e/t slab"):
        t.add_column(c, justify="left" if c == "period" else "right")
    rows = [(period, result.figures(k)) for k, period in enumerate(result.periods)]
    for period, r in [*rows, ("total", result.totals)]:
        net = sum(sign * (r.get(key) or 0.0) for key, _, sign in TERMS)
        t.add_row(period, f"{r['slab_t']:,.1f}",
                  *(f"{r.get(key) or 0.0:,.0f}" for key, _, _ in TERMS), f"{net:,.0f}",
                  _fmt(r["footprint_per_t"], ".4f"), end_section=period == rows[-1][0])
    con.print(t)
    net = sum(sign * (result.totals.get(key) or 0.0) for key, _, sign in TERMS)
    value = result.objective_value
    if result.horizon.objective.minimise == "cost" and value is not None:
        same = abs(net - value) <= 1e-6 * max(1.0, abs(value))
        con.print(f"net cost over the horizon {number(net)} {cur} "
                  + ("= the objective" if same else f"(the objective is {number(value)})"))
    t = Table(title="purchases and stock (t)", title_justify="left")
    recs = result.purchase_records()
    back = any(r["returned_t"] > 1e-9 for r in recs)  # home scrap comes back
    for c in ("material", "period", "opening stock", "bought", *(("returned",) if back else ()),
              "charged", "closing stock"):
        t.add_column(c, justify="left" if c in ("material", "period") else "right")
    for r in recs:
        if max(r["bought_t"], r["returned_t"], r["charged_t"], r["closing_stock_t"]) > 1e-9:
            t.add_row(r["material"], r["period"], f"{r['opening_stock_t']:,.1f}",
                      f"{r['bought_t']:,.1f}",
                      *((f"{r['returned_t']:,.1f}",) if back else ()),
                      f"{r['charged_t']:,.1f}", f"{r['closing_stock_t']:,.1f}")
    con.print(t)


def _products_summary(result: Result) -> Table:
    """One row per product (and period) before the details: what is made, its cost and
    footprint, the limits that bind and the labels it meets."""
    h = result.horizon
    cur = h.currency
    t = Table(title="products (details below)", title_justify="left")
    cols = [*(["period"] if result.named else []), "product", "alloy", "slab t",
            f"cost {cur}", "t CO2e/t slab", "recycled", "binding limits",
            *(["labels"] if any(i.labels for i in h.instances) else [])]
    for c in cols:
        t.add_column(c, justify="right" if c in ("slab t", f"cost {cur}", "t CO2e/t slab",
                                                  "recycled") else "left",
                     no_wrap=c not in ("binding limits", "labels"))
    for k, inst in enumerate(h.instances):
        ev = result.evaluations[k]
        for p, prod in enumerate(inst.products):
            f = summary((ev,), p)
            bind = ", ".join(f"{e} {side}" for e, side in ev.binding(p).items()) or "-"
            row = [*([result.periods[k]] if result.named else []), prod.name, prod.alloy,
                   f"{ev.slab_t[p]:,.1f}", _fmt(f["cost"], ",.0f"),
                   _fmt(f["footprint_per_t"], ".4f"), _fmt(f["recycled_share"], ".1%"), bind]
            if inst.labels:
                row.append(", ".join(f"{n} {said}" for n, said, _ in
                                     label_status(inst, ev, p)))
            t.add_row(*row)
    return t


def _product(con: Console, result: Result, k: int, p: int, mix: pd.DataFrame,
             kinds: pd.DataFrame) -> None:
    """One product of period k: its mix, its chemistry against the window, its footprint by
    kind."""
    inst, ev = result.horizon.instances[k], result.evaluations[k]
    prod = inst.products[p]
    if result.named:
        mix = mix[mix["period"] == result.periods[k]]
        kinds = kinds[kinds["period"] == result.periods[k]]
    made = "sold" if prod.sold else "ordered"
    t = Table(title=f"{prod.name} ({prod.alloy}, {ev.slab_t[p]:,.0f} t slab {made})",
              title_justify="left")
    for c in ("material", "kind", "t", "share"):
        t.add_column(c, justify="right" if c in ("t", "share") else "left")
    for r in mix[mix["product"] == prod.name].itertuples():
        t.add_row(r.material, r.kind, f"{r.tonnes:,.2f}", f"{r.share:.1%}")
    con.print(t)
    risk = result.risk[k] if result.risk is not None else None
    con.print(chemistry_table(inst, ev, p, risk))
    if risk is not None:
        con.print(risk_line(risk[p]))
    kt = Table(title=f"footprint ({inst.objective.scope} scope)", title_justify="left")
    kt.add_column("kind")
    kt.add_column("t CO2e", justify="right")
    kt.add_column("t CO2e/t slab", justify="right")
    for r in kinds[kinds["product"] == prod.name].itertuples():
        kt.add_row(r.kind, f"{r.footprint_t:,.1f}", f"{r.footprint_per_t:.3f}")
    con.print(kt)
    f = summary((ev,), p)
    con.print(f"footprint {_fmt(f['footprint_per_t'], '.3f')} t CO2e/t "
              f"(full {_fmt(f['footprint_full_per_t'], '.3f')}, scope 1+2 "
              f"{_fmt(f['footprint_scope12_per_t'], '.3f')}); recycled "
              f"{_fmt(f['recycled_share'], '.1%')} (post-consumer "
              f"{_fmt(f['recycled_post_consumer_share'], '.1%')}, pre-consumer "
              f"{_fmt(f['recycled_pre_consumer_share'], '.1%')}); cost "
              f"{_fmt(f['cost'], ',.0f')} {inst.currency}; {materials_used(ev)[p]} materials "
              "charged" + (f" (at most {prod.max_materials})" if prod.max_materials else ""))
    if prod.returns is not None:
        back = prod.returns.share * float(ev.slab_t[p])
        when = "into stock for the next period" if result.named else "this month"
        con.print(f"home scrap: {back:,.1f} t ({prod.returns.share:.1%} of the slab) comes "
                  f"back as {prod.returns.material}, {when}", markup=False)
    if inst.labels:
        con.print(f"labels: {label_words(inst, ev, p)}", markup=False)
    con.print("")


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


def render_verification(result: Result, violations: list, solution: str,
                        width: int = 110) -> str:
    """``mixopt verify``: the rules a plan breaks (each with its size), or that all hold;
    with spreads, the plan's chemistry and off-spec risk (``result``: the plan read from
    ``solution``, rechecked)."""
    h = result.horizon
    con = Console(file=io.StringIO(), width=width, force_terminal=False, color_system=None)
    if violations:
        con.print(f"{solution}: {len(violations)} rule(s) broken:")
        for v in violations:
            con.print(f"  - {v}", markup=False)
    elif result.named:
        value = result.objective_value
        shown = number(value) if h.objective.minimise == "footprint" else f"{value:,.2f}"
        con.print(f"{solution}: every rule of {h.name} holds in every period (objective "
                  f"{shown} {result.objective_unit})", markup=False)
    else:
        ev = result.evaluations[0]
        fp = ev.footprint_t.sum() / ev.arrays.slab_tonnes.sum()
        con.print(f"{solution}: every rule of {h.name} holds (cost {ev.cost.sum():,.2f} "
                  f"{h.currency}, footprint {number(fp)} t CO2e/t slab, {h.objective.scope} "
                  "scope)", markup=False)
    for k, risk in enumerate(result.risk or ()):
        inst, ev = h.instances[k], result.evaluations[k]
        for p, prod in enumerate(inst.products):
            con.print(f"{prod.name}{' in ' + h.periods[k] if result.named else ''}:",
                      markup=False)
            con.print(chemistry_table(inst, ev, p, risk))
            con.print(risk_line(risk[p]))
    return con.file.getvalue()


def _objective_unit(result: Result) -> str:
    h = result.horizon
    return "t CO2e" if h.objective.minimise == "footprint" else h.currency


def _shadow_prices(con: Console, result: Result) -> None:
    duals = result.duals
    dl = duals[(duals["binding"].notna()) & (duals["shadow_price"].abs() > 1e-9)]
    if not len(dl):
        return
    unit = _objective_unit(result)
    s = Table(title=f"shadow prices (change of the objective, {unit}, per unit more of the "
                    "limit)", title_justify="left")
    cols = (("period",) if result.named else ()) + ("limit", "binding", "shadow price", "per",
                                                      "in words")
    for col in cols:
        s.add_column(col, justify="right" if col == "shadow price" else "left")
    for r in dl.itertuples():
        s.add_row(*((str(r.period),) if result.named else ()), r.limit, r.binding,
                  number(r.shadow_price), r.per, worth_words(r.shadow_price, r.per, unit))
    con.print(s)


def _columns_table(result: Result) -> Table:
    h = result.horizon
    unit = _objective_unit(result)
    what = "footprint" if h.objective.minimise == "footprint" else "price"
    t = Table(title=f"per material {what} ({unit}/t): how much lower to enter, range that "
                    "keeps the mix optimal", title_justify="left")
    cols = (("period",) if result.named else ()) + (
        "material", "t", what, "enters if lower by", "optimal from", "optimal to")
    for col in cols:
        t.add_column(col, justify="left" if col in ("material", "period") else "right")
    for r in materials_sensitivity(result).itertuples():
        t.add_row(*((str(r.period),) if result.named else ()), r.material, f"{r.tonnes:,.1f}",
                  number(r.coefficient, 4), _num(r.enter_if_lower_by),
                  _num(r.optimal_from), _num(r.optimal_to))
    return t


