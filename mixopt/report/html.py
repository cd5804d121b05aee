"""A self-contained HTML report a planner can mail: no network, no CDN, prints on A4.

Charts are inline SVG (``mixopt.report.charts``). Every number shown comes from the
solver-free recheck (``Evaluation``) or the declaration built on it; key figures carry
``data-field`` attributes so tests (and a browser test) can check them against the
solution.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

from mixopt.analysis.compare import off_spec
from mixopt.model.planner import Result
from mixopt.report.charts import (
    chemistry_figure,
    confidence_figure,
    footprint_figure,
    frontier_figure,
    period_footprint_figure,
    stock_figure,
    to_svg,
)
from mixopt.report.declaration import declarations, label_status
from mixopt.report.document import to_json_dict
from mixopt.report.frames import footprint_by_kind, mix_table
from mixopt.report.labels import confidence_words, number

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #1d2733; background: #fff; line-height: 1.4; }
main { max-width: 1000px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.6em; margin: 0 0 4px; } h2 { font-size: 1.25em; margin-top: 28px;
     border-bottom: 2px solid #1f5f8b; padding-bottom: 4px; } h3 { font-size: 1.05em; }
.sub { color: #566; margin: 0 0 16px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; }
.card { border: 1px solid #d5dde5; border-radius: 8px; padding: 10px 12px; }
.card .k { font-size: .8em; color: #566; } .card .v { font-size: 1.35em; font-weight: 600; }
.ok { color: #1b7f3b; } .bad { color: #b3261e; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 12px; font-size: .92em; }
th, td { border-bottom: 1px solid #e3e8ee; padding: 4px 8px; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.binding td { background: #fff4cf; }
figure { margin: 8px 0; } figure svg { width: 100%; height: auto; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.note { font-size: .85em; color: #566; }
@media (max-width: 760px) { .grid2 { grid-template-columns: 1fr; } }
@page { size: A4; margin: 14mm; }
@media print { main { max-width: none; padding: 0; } h2 { break-after: avoid; }
  section.product, figure, table { break-inside: avoid; } }
"""


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _card(key: str, value: str, field: str, cls: str = "") -> str:
    return (f'<div class="card"><div class="k">{_e(key)}</div>'
            f'<div class="v {cls}" data-field="{field}">{_e(value)}</div></div>')


def render(result: Result, frontier: Any = None, curve: Any = None,
           diagnosis: Any = None, ahead: Result | None = None) -> str:
    """The whole report as one HTML document (``frontier``: a cost-carbon frontier to
    show; ``curve``: a confidence curve, ``analysis.confidence.confidence_curve``;
    ``diagnosis``: why the plan has no solution, ``analysis.diagnose.diagnose``; ``ahead``:
    the myopic or rolling plan a plan of several periods is compared with)."""
    h = result.horizon
    span = (f" — {len(h.periods)} periods ({_e(h.periods[0])} to {_e(h.periods[-1])})"
            if result.named else "")
    parts = [f"<h1>{_e(h.name)}</h1>",
             (f'<p class="sub">{_e(h.first.description)}{span} — status: '
              f'<span data-field="status">{_e(result.status)}</span> '
              f"({_e(result.message)})</p>")]
    if result.evaluations is None:
        parts.append("<p>No plan to report.</p>" if diagnosis is None
                     else _diagnosis(diagnosis))
        return _page(h.name, parts)
    decl = declarations(result)
    doc = to_json_dict(result, ahead)
    parts.append(_glance(result, doc))
    if result.named:
        if h.stocked:
            parts.append("<h2>Stock</h2><figure>" + to_svg(stock_figure(doc, h.stocked))
                         + "</figure>")
        parts.append("<h2>Footprint per period</h2><figure>"
                     + to_svg(period_footprint_figure(doc)) + "</figure>")
        parts += [_periods_table(doc), _purchases_table(doc), _duals_table(doc)]
    mix, kinds = mix_table(result), footprint_by_kind(result)
    at = 0
    for k in range(len(h.periods)):
        if result.named:
            parts.append(f"<h2>{_e(h.periods[k])}</h2>")
            m = mix[mix["period"] == h.periods[k]]
            kk = kinds[kinds["period"] == h.periods[k]]
        else:
            m, kk = mix, kinds
        for p in range(len(h.instances[k].products)):
            parts.append(_product(result, k, p, decl["products"][at], decl, m, kk))
            at += 1
    if frontier is not None:
        parts.append(_frontier(frontier))
    if curve is not None:
        parts.append(_curve(curve, h))
    parts.append(f'<p class="note">mixopt; instance SHA-256 {_e(decl["instance_sha256"])}. '
                 "Figures are rechecked without the solver"
                 + (": every period's limits, every stock balance, storage limit, capacity "
                    "and contract" if result.named else "") + ".</p>")
    return _page(h.name, parts)


def _diagnosis(diag: Any) -> str:
    """Why there is no plan and the ways out, each with the change that makes it."""
    from mixopt.report.diagnosis import set_flag

    out = ['<section data-field="diagnosis"><h2>Why there is no plan</h2>']
    if diag.checks:
        out.append("<ul>" + "".join(f"<li>{_e(c)}</li>" for c in diag.checks) + "</ul>")
    for k, o in enumerate(diag.options):
        out.append(f"<h3>{'A way out' if k == 0 else 'Or'} ({_e(o.title)}; then the month "
                   f"is {_e(o.verified)})</h3><ul>")
        out += [f"<li>{_e(r.message)} <code>{_e(set_flag(r))}</code></li>"
                for r in o.relaxations]
        out.append("</ul>")
    if diag.conflict:
        out.append("<h3>These limits fight each other</h3><ul>"
                   + "".join(f"<li>{_e(c)}</li>" for c in diag.conflict) + "</ul>")
    if diag.notes:
        out.append("<ul>" + "".join(f'<li class="note">{_e(n)}</li>' for n in diag.notes)
                   + "</ul>")
    return "".join(out) + "</section>"


def _glance(result: Result, doc: dict[str, Any]) -> str:
    """The plan at a glance, from its JSON document: slab, money, footprint against the
    cap, recycled, inert-anode and off-spec shares; with periods, holding, margin and the
    value of planning ahead."""
    t, obj, cur = doc["totals"], doc["objective"], doc["currency"]
    cap, fp = obj["footprint_cap"], t["footprint_per_t"]
    named = "periods" in doc
    cards = [_card("slab over the horizon" if named else "slab", f"{t['slab_t']:,.1f} t",
                   "slab_t"),
             _card(f"{'purchases' if named else 'cost'} ({cur})", f"{t['cost']:,.0f}",
                   "cost")]
    if named:
        cards += [_card(f"holding ({cur})", f"{t['holding_cost']:,.0f}", "holding_cost"),
                  _card(f"margin ({cur})", f"{t['margin']:,.2f}", "margin")]
        if obj["minimise"] == "cost":
            cards.insert(0, _card(f"objective ({obj['unit']})", f"{obj['value']:,.2f}",
                                  "objective"))
    cards += [_card(f"footprint, t CO2e/t ({obj['scope']})", f"{fp:.3f}", "footprint_per_t",
                    "ok" if cap is None or fp <= cap * (1 + 1e-9) else "bad"),
              _card("cap, t CO2e/t", "none" if cap is None else f"{cap:g}", "cap"),
              _card("recycled, post-consumer", f"{t['recycled_post_consumer_share']:.1%}",
                    "recycled_post"),
              _card("recycled, pre-consumer", f"{t['recycled_pre_consumer_share']:.1%}",
                    "recycled_pre"),
              _card("inert-anode metal", f"{t['inert_anode_share']:.1%}", "inert_anode_share")]
    h = result.horizon
    cards.append(_card("confidence", confidence_words(h.objective, h.first.products)
                       or "limits held on the mean", "confidence"))
    if result.risk:
        cards.append(_card("off-spec heats (simulated)", f"{off_spec(result):.1%}", "off_spec",
                           "bad" if off_spec(result) > 0.1 else "ok"))
    pa = doc.get("planning_ahead")
    if pa and pa["value_of_planning_ahead"] is not None:
        cards.append(_card(f"planning ahead is worth ({pa['method']})",
                           f"{pa['value_of_planning_ahead']:,.2f} {pa['unit']}",
                           "value_of_planning_ahead", "ok"))
    head = "The horizon at a glance" if named else "The month at a glance"
    return f'<h2>{head}</h2><div class="cards">' + "".join(cards) + "</div>"


def _product(result: Result, k: int, p: int, declared: dict[str, Any],
             decl: dict[str, Any], mix: pd.DataFrame, kinds: pd.DataFrame) -> str:
    inst, ev = result.horizon.instances[k], result.evaluations[k]
    prod = inst.products[p]
    parts = [(f'<section class="product"><h2>{_e(prod.name)} — {_e(prod.alloy)}, '
              f'{ev.slab_t[p]:,.0f} t{" sold" if prod.sold else ""}</h2>'),
             ('<div class="grid2"><div><h3>Charge mix</h3><table><tr><th>material</th>'
              '<th>kind</th><th class="n">t</th><th class="n">share</th></tr>')]
    for r in mix[mix["product"] == prod.name].itertuples():
        parts.append(f'<tr><td>{_e(r.material)}</td><td>{_e(r.kind)}</td>'
                     f'<td class="n" data-field="mix:{_e(prod.name)}:{_e(r.material)}">'
                     f'{r.tonnes:,.2f}</td><td class="n">{r.share:.1%}</td></tr>')
    parts.append("</table></div><div><h3>Footprint by kind "
                 f"({_e(inst.objective.scope)} scope)</h3><table><tr><th>kind</th>"
                 '<th class="n">t CO2e/t slab</th></tr>')
    for r in kinds[kinds["product"] == prod.name].itertuples():
        parts.append(f'<tr><td>{_e(r.kind)}</td><td class="n">{r.footprint_per_t:.3f}'
                     "</td></tr>")
    parts.append(f'<tr><th>total</th><th class="n" data-field="product_footprint:'
                 f'{_e(prod.name)}">{ev.footprint_t[p] / ev.slab_t[p]:.3f}</th></tr>'
                 "</table></div></div><h3>Chemistry against the alloy window</h3>"
                 f'<figure class="chart chemistry">'
                 f"{to_svg(chemistry_figure(result, p, k))}</figure>")
    parts.append(_chemistry(result, k, p))
    if inst.labels:
        parts.append("<h3>Labels</h3><table><tr><th>label</th><th>asked</th><th>holds</th>"
                     "</tr>" + "".join(
                         f'<tr><td>{_e(n)}</td><td>{"yes" if asked else ""}</td>'
                         f'<td data-field="label:{_e(prod.name)}:{_e(n)}">{_e(said)}</td></tr>'
                         for n, said, asked in label_status(inst, ev, p)) + "</table>")
    parts.append("<h3>Footprint breakdown, full scope and scope 1+2</h3>"
                 f'<figure class="chart footprint">{to_svg(footprint_figure(result, p, k))}'
                 "</figure>")
    parts.append(_declaration(decl, declared))
    parts.append("</section>")
    return "".join(parts)


def _chemistry(result: Result, k: int, p: int) -> str:
    """Chemistry against the window and aims; with spreads, each limit's risk."""
    inst, ev = result.horizon.instances[k], result.evaluations[k]
    d = ev.arrays
    prod = inst.products[p]
    risk = {(lim.constituent, lim.bound): lim for lim in result.risk[k][p].limits} \
        if result.risk else None
    head = [('<th>constituent</th><th class="n">min</th><th class="n">aim</th>'
             '<th class="n">achieved</th><th class="n">max</th>')]
    if risk is not None:
        head.append('<th class="n">sd</th><th class="n">P(below min)</th>'
                    '<th class="n">P(above max)</th>')
    parts = ["<table><tr>", *head, "<th></th></tr>"]
    bind = ev.binding(p)
    for e in np.flatnonzero(d.limited[p] | d.aimed[p]):
        el = d.constituents[e]
        cls = ' class="binding"' if el in bind else ""
        aim = (f"{d.aim_min_wt_pct[p, e]:g}–{d.aim_max_wt_pct[p, e]:g}" if d.aimed[p, e]
               else "")
        parts.append(f'<tr{cls}><td>{_e(el)}</td><td class="n">{d.limit_min_wt_pct[p, e]:g}'
                     f'</td><td class="n">{aim}</td><td class="n" data-field="chem:'
                     f'{_e(prod.name)}:{_e(el)}">{ev.composition_wt_pct[p, e]:.4f}</td>'
                     f'<td class="n">{d.limit_max_wt_pct[p, e]:g}</td>')
        if risk is not None:
            lim = risk.get((el, "min")) or risk.get((el, "max"))
            parts.append(f'<td class="n">{lim.sd_wt_pct:.4f}</td>' if lim else "<td></td>")
            for b in ("min", "max"):
                r = risk.get((el, b))
                parts.append(f'<td class="n" data-field="risk:{_e(prod.name)}:{_e(el)}:{b}">'
                             f"{r.probability_outside:.2%}</td>" if r else "<td></td>")
        parts.append(f'<td>{"binding (" + bind[el] + ")" if el in bind else ""}</td></tr>')
    parts.append("</table>")
    if result.risk is not None:
        r = result.risk[k][p]
        parts.append(f'<p>Off-spec heats: <b data-field="off_spec:{_e(prod.name)}">'
                     f"{r.off_spec_heat_probability:.2%}</b> of {r.samples:,} simulated heats "
                     f"(exact {r.off_spec_heat_probability_exact:.2%}).</p>")
    return "".join(parts)


def _curve(curve: pd.DataFrame, inst: Any) -> str:
    """The price of confidence: objective and off-spec heats at each confidence."""
    parts = ["<h2>The price of confidence</h2>",
             (f'<figure class="chart confidence">{to_svg(confidence_figure(curve, inst))}'
              "</figure>"),
             ('<table><tr><th class="n">confidence</th><th class="n">objective</th>'
              '<th class="n">cost</th><th class="n">footprint t CO2e/t</th>'
              '<th class="n">off-spec heats</th></tr>')]
    for r in curve.itertuples():
        if r.objective is None or r.objective != r.objective:
            parts.append(f'<tr><td class="n">{r.confidence:g}</td><td colspan="4">'
                         f"{_e(r.status)}</td></tr>")
            continue
        parts.append(f'<tr><td class="n">{r.confidence:g}</td><td class="n">'
                     f'{number(r.objective)}</td><td class="n">{r.cost:,.0f}</td>'
                     f'<td class="n">{r.footprint_per_t:.4f}</td><td class="n">'
                     f"{r.off_spec_heat_probability:.1%}</td></tr>")
    parts.append("</table>")
    return "".join(parts)


def _frontier(frontier: Any) -> str:
    kind = "exact breakpoints" if frontier.method == "exact" else "sampled (MILP)"
    parts = [f"<h2>Cost against footprint ({kind})</h2>",
             (f'<figure class="chart frontier">{to_svg(frontier_figure(frontier, (7, 3.6)))}'
              "</figure>"),
             ('<table><tr><th class="n">cap t CO2e/t</th><th class="n">cost</th>'
              '<th class="n">MAC per t CO2e</th><th>as the cap tightens past it</th></tr>')]
    for r in frontier.table().itertuples():
        mac = "" if r.mac_per_t_co2e is None or np.isnan(r.mac_per_t_co2e) \
            else f"{r.mac_per_t_co2e:,.1f}"
        parts.append(f'<tr><td class="n">{r.cap_t_co2e_per_t:.3f}</td><td class="n">'
                     f"{r.cost:,.0f}</td><td class=\"n\">{mac}</td>"
                     f"<td>{_e(r.changes)}</td></tr>")
    parts.append("</table>")
    return "".join(parts)


def _declaration(decl: dict[str, Any], d: dict[str, Any]) -> str:
    rows = "".join(
        f'<tr><td>{_e(m["material"])}</td><td class="n">{m["tonnes"]:,.2f}</td>'
        f'<td class="n">{m["footprint_full_t_co2e_per_t"]:g}</td>'
        f'<td class="n">{m["footprint_scope12_t_co2e_per_t"]:g}</td>'
        f'<td>{_e(m["footprint_source"])}</td></tr>' for m in d["materials"])
    return (
        f'<h3>Footprint declaration</h3><table class="declaration">'
        f'<tr><th>slab</th><td>{_e(d["alloy"])}, {d["slab_t"]:,.1f} t</td></tr>'
        f'<tr><th>footprint, full scope</th><td data-field="decl_full:{_e(d["product"])}">'
        f'{d["footprint_full_t_co2e_per_t"]:.3f}</td></tr>'
        f'<tr><th>footprint, scope 1+2</th><td data-field="decl_s12:{_e(d["product"])}">'
        f'{d["footprint_scope12_t_co2e_per_t"]:.3f}</td></tr>'
        f'<tr><th>of which casting</th><td>{d["casting_full_t_co2e_per_t"]:g} full, '
        f'{d["casting_scope12_t_co2e_per_t"]:g} scope 1+2 ({_e(d["casting_source"])})</td></tr>'
        f'<tr><th>recycled content</th><td>{d["recycled_post_consumer_share"]:.1%} '
        f'post-consumer, {d["recycled_pre_consumer_share"]:.1%} pre-consumer</td></tr>'
        f'<tr><th>inert-anode metal</th><td>{d["inert_anode_share"]:.1%}</td></tr>'
        f'<tr><th>scrap method</th><td>{_e(decl["scrap_method"])}</td></tr>'
        f'<tr><th>instance</th><td>{_e(decl["instance"])}, SHA-256 '
        f'{_e(decl["instance_sha256"][:16])}…</td></tr></table>'
        '<table><tr><th>material</th><th class="n">t</th><th class="n">full t CO2e/t</th>'
        f'<th class="n">scope 1+2</th><th>source of the factor</th></tr>{rows}</table>')


def _table(title: str, heads: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    head = "".join(f'<th{" class=n" if i in numeric else ""}>{_e(x)}</th>'
                   for i, x in enumerate(heads))
    body = "".join("<tr>" + "".join(f'<td{" class=n" if i in numeric else ""}>{_e(x)}</td>'
                                    for i, x in enumerate(r)) + "</tr>" for r in rows)
    return f"<h2>{_e(title)}</h2><table><tr>{head}</tr>{body}</table>"


def _periods_table(doc: dict[str, Any]) -> str:
    rows = [[r["period"], f"{r['slab_t']:,.1f}", f"{r['cost']:,.0f}",
             f"{r['holding_cost']:,.0f}", f"{r['revenue']:,.0f}", f"{r['margin']:,.0f}",
             f"{r['footprint_per_t']:.4f}", f"{r['recycled_share'] or 0:.1%}"]
            for r in doc["period_totals"]]
    return _table("Per period", ["period", "slab t", "purchases", "holding", "revenue",
                                 "margin", "t CO2e/t slab", "recycled"], rows,
                  set(range(1, 8)))


def _purchases_table(doc: dict[str, Any]) -> str:
    rows = [[r["material"], r["period"], f"{r['opening_stock_t']:,.1f}",
             f"{r['bought_t']:,.1f}", f"{r['returned_t']:,.1f}", f"{r['charged_t']:,.1f}",
             f"{r['closing_stock_t']:,.1f}"] for r in doc["purchases"]
            if max(r["bought_t"], r["returned_t"], r["charged_t"], r["closing_stock_t"]) > 1e-9]
    return _table("Purchases and stock (t)", ["material", "period", "opening stock", "bought",
                                              "returned (home scrap)", "charged",
                                              "closing stock"], rows, {2, 3, 4, 5, 6})


def _duals_table(doc: dict[str, Any]) -> str:
    rows = [[d.get("period", ""), d["limit"], number(d["shadow_price"], 4), f"per {d['per']}"]
            for d in doc["duals"] or () if d.get("binding") and abs(d["shadow_price"]) > 1e-9]
    if not rows:
        return ""
    return _table(f"What one more unit of a binding limit is worth ({doc['currency']} or "
                  "t CO2e)", ["period", "limit", "shadow price", ""], rows, {2})


def _page(title: str, parts: list[str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_e(title)} — mixopt report</title><style>{CSS}</style></head>"
            f"<body><main>{''.join(parts)}</main></body></html>\n")
