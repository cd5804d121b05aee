"""Every chart mixopt draws, with one matplotlib setup (headless ``Agg``, imported only
when a chart is drawn): the chemistry window, the footprint breakdown, the cost-carbon
frontier, the price of confidence, and for plans of several periods the stock and the
footprint per period. Charts are returned as figures and written as files or inline SVG."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np

from mixopt.io.atomic import write_atomic
from mixopt.model.planner import Result

BLUE, RED, INK = "#1f5f8b", "#b3261e", "#1d2733"


def pyplot() -> Any:
    """matplotlib's pyplot on the headless backend (the one place that sets it up)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def to_svg(fig: Any) -> str:
    """The figure as an inline ``<svg>`` element (no XML prolog); the figure is closed."""
    plt = pyplot()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def save(fig: Any, path: Path, force: bool = False) -> None:
    """Write the figure to ``path`` (format from its suffix), atomically; the figure is
    closed."""
    plt = pyplot()
    try:
        write_atomic(path, lambda tmp: fig.savefig(tmp, format=path.suffix.lstrip(".")),
                     force)
    finally:
        plt.close(fig)


def frontier_figure(fr: Any, size: tuple[float, float] = (8, 5)) -> Any:
    """Cost against footprint, breakpoints marked, each segment labelled with its MAC."""
    plt = pyplot()
    t = fr.table()
    cur = fr.instance.currency
    fig, ax = plt.subplots(figsize=size, dpi=120)
    ax.plot(t.footprint_per_t, t.cost / 1e6, "-o" if fr.method == "exact" else "o", color=BLUE)
    for k in range(1, len(t)):
        mac = t.mac_per_t_co2e.iloc[k]
        if mac is None or (isinstance(mac, float) and math.isnan(mac)):
            continue
        ax.annotate(f"{mac:,.0f} {cur}/t CO2e",
                    ((t.footprint_per_t.iloc[k - 1] + t.footprint_per_t.iloc[k]) / 2,
                     (t.cost.iloc[k - 1] + t.cost.iloc[k]) / 2e6), fontsize=8,
                    xytext=(6, 6), textcoords="offset points")
    ax.set_xlabel(f"footprint, t CO2e per t slab ({fr.instance.objective.scope} scope)")
    ax.set_ylabel(f"cost, million {cur}")
    kind = "exact breakpoints" if fr.method == "exact" else "sampled (MILP)"
    ax.set_title(f"{fr.instance.name}: cost against footprint, {kind}")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def chemistry_figure(result: Result, p: int, k: int = 0) -> Any:
    """Allowed band and achieved value per limited constituent of product ``p`` (of
    period k)."""
    plt = pyplot()
    ev = result.evaluations[k]
    d = ev.arrays
    es = [e for e in range(len(d.constituents)) if d.limited[p, e]]
    sd = {(lim.constituent): lim.sd_wt_pct for lim in result.risk[k][p].limits} \
        if result.risk else {}
    fig, ax = plt.subplots(figsize=(7, 0.42 * len(es) + 0.9))
    for i, e in enumerate(es):
        lo, hi = d.limit_min_wt_pct[p, e], d.limit_max_wt_pct[p, e]
        got = ev.composition_wt_pct[p, e]
        ax.barh(i, hi - lo, left=lo, height=0.5, color="#cfe0ee", edgecolor=BLUE)
        s = sd.get(d.constituents[e], 0.0)
        if s > 0:  # where 95% of heats land
            ax.errorbar([got], [i], xerr=[[min(1.96 * s, got)], [1.96 * s]], color=INK,
                        capsize=3, linewidth=1)
        ax.plot([got], [i], marker="D", markersize=6,
                color=RED if got < lo - 1e-9 or got > hi + 1e-9 else INK)
        ax.annotate(f"{got:.3g}", (got, i), xytext=(6, 4), textcoords="offset points",
                    fontsize=8)
    ax.set_yticks(range(len(es)), [d.constituents[e] for e in es])
    ax.set_xscale("symlog", linthresh=0.01)
    ax.set_xlabel("wt% (band: allowed window; diamond: achieved" +
                  ("; bar: 95% of heats)" if sd else ")"))
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    return fig


def footprint_figure(result: Result, p: int, k: int = 0) -> Any:
    """Footprint per t of slab of product ``p`` (of period k) by material kind, full scope
    and scope 1+2."""
    plt = pyplot()
    import matplotlib

    inst, ev = result.horizon.instances[k], result.evaluations[k]
    d = ev.arrays
    slab = ev.slab_t[p]
    by: dict[str, list[float]] = {}
    for m, mat in enumerate(inst.materials):
        t = ev.mix_t[p, m]
        if t > 1e-9:
            full, s12 = by.get(mat.kind or mat.name, [0.0, 0.0])
            by[mat.kind or mat.name] = [full + t * d.footprint_full_t_co2e_per_t[m] / slab,
                                        s12 + t * d.footprint_scope12_t_co2e_per_t[m] / slab]
    by["casting"] = [d.casting_full_t_co2e_per_t, d.casting_scope12_t_co2e_per_t]
    fig, ax = plt.subplots(figsize=(7, 2.6))
    left = np.zeros(2)
    colors = matplotlib.colormaps["tab20"].colors
    for i, (kind, (full, s12)) in enumerate(by.items()):
        ax.barh([0, 1], [full, s12], left=left, color=colors[i % 20], label=kind)
        left += [full, s12]
    for y, v in enumerate(left):
        ax.annotate(f"{v:.3f}", (v, y), xytext=(4, -3), textcoords="offset points", fontsize=8)
    ax.set_yticks([0, 1], ["full scope", "scope 1+2"])
    ax.set_xlabel("t CO2e per t of slab")
    ax.invert_yaxis()
    ax.legend(fontsize=7, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.3))
    return fig


def confidence_figure(curve: Any, instance: Any) -> Any:
    """The price of confidence: the objective (left) and the share of off-spec heats
    (right) of the plan at each confidence."""
    plt = pyplot()
    ok = curve[curve.objective.notna()]
    fig, ax = plt.subplots(figsize=(7, 3.4))
    unit = ("t CO2e per t slab" if instance.objective.minimise == "footprint"
            else f"cost, {instance.currency}")
    ax.plot(ok.confidence, ok.objective, "-o", color=BLUE, label="objective")
    ax.set_xlabel("confidence: probability with which each limit holds")
    ax.set_ylabel(unit, color=BLUE)
    ax.grid(alpha=0.3)
    right = ax.twinx()
    right.plot(ok.confidence, 100 * ok.off_spec_heat_probability, "-s", color=RED,
               label="off-spec heats")
    right.set_ylabel("off-spec heats, %", color=RED)
    right.set_ylim(bottom=0)
    fig.tight_layout()
    return fig


def stock_figure(doc: dict[str, Any], stored: Any) -> Any:
    """Closing stock of each stored material per period, what is bought and what comes
    back as home scrap (stacked on the purchases)."""
    plt = pyplot()
    periods = doc["periods"]
    fig, ax = plt.subplots(figsize=(8, 3.2), dpi=120)
    back = False
    for name in stored:
        rows = [r for r in doc["purchases"] if r["material"] == name]
        bought = [r["bought_t"] for r in rows]
        ax.plot(periods, [r["closing_stock_t"] for r in rows], "-o", label=f"{name} stock")
        ax.bar(periods, bought, alpha=0.25, label=f"{name} bought")
        returned = [r.get("returned_t", 0.0) for r in rows]
        if any(t > 1e-9 for t in returned):
            back = True
            ax.bar(periods, returned, bottom=bought, alpha=0.25, hatch="//",
                   label=f"{name} returned (home scrap)")
    ax.set_ylabel("t")
    ax.set_title("stock at the end of each period, purchases"
                 + (" and home scrap returned" if back else ""), fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.15))
    return fig


def period_footprint_figure(doc: dict[str, Any]) -> Any:
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
