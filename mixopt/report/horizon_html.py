"""A multi-period plan as a self-contained HTML report: the horizon at a glance, the
stock of every stored material and the footprint per period as charts, per-period
figures, purchases and shadow prices, and the value of planning ahead. Every figure
comes from the JSON document of the plan (``report.horizon``), itself from the
solver-free recheck; key figures carry ``data-field`` attributes for tests."""

from __future__ import annotations

from typing import Any

from mixopt.model.multiperiod import HorizonResult
from mixopt.report.charts import BLUE, RED, pyplot, to_svg
from mixopt.report.horizon import to_json_dict
from mixopt.report.html import _card, _e, _page


def stock_figure(doc: dict[str, Any], stored: dict[str, Any]) -> Any:
    """Closing stock of each stored material per period, with its storage limit."""
    plt = pyplot()
    periods = doc["periods"]
    fig, ax = plt.subplots(figsize=(8, 3.2), dpi=120)
    for name in stored:
        rows = [r for r in doc["purchases"] if r["material"] == name]
        ax.plot(periods, [r["closing_stock_t"] for r in rows], "-o", label=f"{name} stock")
        ax.bar(periods, [r["bought_t"] for r in rows], alpha=0.25, label=f"{name} bought")
    ax.set_ylabel("t")
    ax.set_title("stock at the end of each period, and purchases", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.15))
    return fig


def footprint_figure(doc: dict[str, Any]) -> Any:
    """Footprint per t of slab in each period (casting included), and per product."""
    plt = pyplot()
    periods = doc["periods"]
    fig, ax = plt.subplots(figsize=(8, 3.0), dpi=120)
    ax.bar(periods, [r["footprint_per_t"] or 0.0 for r in doc["period_totals"]], color=BLUE,
           alpha=0.7, label="all products")
    names = list(dict.fromkeys(p["name"] for p in doc["products"]))
    if len(names) > 1:
        for name in names:
            ax.plot(periods, [p["footprint_per_t"] for p in doc["products"]
                              if p["name"] == name], "-o", label=name)
    caps = [p.get("footprint_cap") for p in doc["products"] if p.get("footprint_cap")]
    if caps:
        ax.axhline(min(caps), color=RED, linestyle="--", linewidth=1, label="tightest cap")
    ax.set_ylabel("t CO2e per t of slab")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.15))
    return fig


def render(result: HorizonResult, ahead: HorizonResult | None = None,
           diagnosis: dict[str, Any] | None = None) -> str:
    """The whole report as one HTML document."""
    doc = to_json_dict(result, ahead)
    h = result.horizon
    parts = [f"<h1>{_e(h.name)}</h1>",
             (f'<p class="sub">{_e(h.first.description)} — {len(h.periods)} periods '
              f"({_e(h.periods[0])} to {_e(h.periods[-1])}) — status: "
              f'<span data-field="status">{_e(result.status)}</span> ({_e(result.message)})'
              "</p>")]
    if doc["totals"] is None:
        parts.append("<p>No plan to report.</p>")
        if diagnosis is not None:
            parts.append('<section data-field="diagnosis"><h2>Why there is no plan</h2><ul>'
                         + "".join(f"<li>{_e(x)}</li>" for x in diagnosis["lines"][1:])
                         + "</ul></section>")
        return _page(h.name, parts)
    parts.append(_glance(doc))
    if h.stocked:
        parts.append("<h2>Stock</h2><figure>" + to_svg(stock_figure(doc, h.stocked))
                     + "</figure>")
    parts.append("<h2>Footprint per period</h2><figure>" + to_svg(footprint_figure(doc))
                 + "</figure>")
    parts.append(_periods_table(doc))
    parts.append(_purchases_table(doc))
    parts.append(_duals_table(doc))
    parts.append('<p class="note">mixopt. Figures are rechecked without the solver: every '
                 "period's limits, every stock balance, storage limit, capacity and "
                 "contract.</p>")
    return _page(h.name, parts)


def _glance(doc: dict[str, Any]) -> str:
    t, obj, cur = doc["totals"], doc["objective"], doc["currency"]
    cards = [_card("slab over the horizon", f"{t['slab_t']:,.1f} t", "slab_t"),
             _card(f"purchases ({cur})", f"{t['cost']:,.0f}", "cost"),
             _card(f"holding ({cur})", f"{t['holding_cost']:,.0f}", "holding_cost"),
             _card(f"margin ({cur})", f"{t['margin']:,.2f}", "margin"),
             _card("footprint, t CO2e/t", f"{t['footprint_per_t']:.3f}", "footprint_per_t")]
    if obj["minimise"] == "cost":
        cards.insert(0, _card(f"objective ({obj['unit']})", f"{obj['value']:,.2f}",
                              "objective"))
    pa = doc.get("planning_ahead")
    if pa and pa["value_of_planning_ahead"] is not None:
        cards.append(_card(f"planning ahead is worth ({pa['method']})",
                           f"{pa['value_of_planning_ahead']:,.2f} {pa['unit']}",
                           "value_of_planning_ahead", "ok"))
    return '<h2>The horizon at a glance</h2><div class="cards">' + "".join(cards) + "</div>"


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
    rows = [[r["material"], r["period"], f"{r['bought_t']:,.1f}", f"{r['charged_t']:,.1f}",
             f"{r['closing_stock_t']:,.1f}"] for r in doc["purchases"]
            if max(r["bought_t"], r["charged_t"], r["closing_stock_t"]) > 1e-9]
    return _table("Purchases and stock (t)", ["material", "period", "bought", "charged",
                                              "closing stock"], rows, {2, 3, 4})


def _duals_table(doc: dict[str, Any]) -> str:
    rows = [[d["period"], d["limit"], f"{d['shadow_price']:,.4g}", f"per {d['per']}"]
            for d in doc["duals"] or () if d.get("binding") and abs(d["shadow_price"]) > 1e-9]
    if not rows:
        return ""
    return _table(f"What one more unit of a binding limit is worth ({doc['currency']} or "
                  "t CO2e)", ["period", "limit", "shadow price", ""], rows, {2})
