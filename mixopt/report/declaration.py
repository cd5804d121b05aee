"""The slab's footprint declaration: per product, the figures a buyer can trace.

Every figure comes from the solver-free recheck; the instance is identified by its name
and a SHA-256 of its canonical content (the same for the TOML, CSV and workbook forms of
one instance), so a statement points at the exact input it was computed from.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from mixopt.errors import InputError, Problem
from mixopt.model.figures import summary
from mixopt.model.planner import Result
from mixopt.model.schema.horizon import Horizon, as_horizon
from mixopt.model.schema.instance import Instance


def _canonical(x: Any) -> Any:
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return x
    if isinstance(x, int | float):
        return float(x)  # 10000 from TOML and 10000.0 from a workbook are one number
    if isinstance(x, dict):
        return {k: _canonical(v) for k, v in x.items()}
    return [_canonical(v) for v in x]


def content_hash(plan: Horizon | Instance) -> str:
    """SHA-256 of the plan's canonical JSON (sorted keys, numbers as floats); a month's is
    that of its instance, a horizon's that of its periods and what links them."""
    h = as_horizon(plan)
    if h.has_periods:
        raw: Any = {"periods": list(h.periods),
                    "instances": [i.model_dump(mode="json", by_alias=True)
                                  for i in h.instances],
                    "stocked": {m: dataclasses.asdict(s) for m, s in h.stocked.items()},
                    "contracts": {m: c.model_dump(mode="json") for m, c in
                                  h.contracts.items()}}
    else:
        raw = h.first.model_dump(mode="json", by_alias=True)
    doc = _canonical(raw)
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()


def declarations(result: Result) -> dict[str, Any]:
    """One declaration per product of a solved plan (per period, when it has periods, and
    then also per product over the whole horizon: ``horizon``)."""
    from importlib.metadata import version

    h = result.horizon
    if h.unknown_footprints:
        raise InputError([Problem(h.name, f"{', '.join(h.unknown_footprints)} give no "
                                          "footprint: no footprint can be declared")])
    head: dict[str, Any] = {"instance": h.name, "instance_sha256": content_hash(h),
                            "status": str(result.status),
                            "generated_by": f"mixopt {version('mixopt')}",
                            "scrap_method": h.first.scrap_method, "products": []}
    if result.evaluations is None:
        return head
    ks = range(len(h.periods))
    for k in ks:
        for p in range(len(h.instances[k].products)):
            head["products"].append({**result.period_of(k),
                                     **_declaration(h, result.evaluations, [k], p)})
    if result.named:
        head["horizon"] = [_declaration(h, result.evaluations, list(ks), p)
                           for p in range(len(h.first.products))]
    return head


def _declaration(h: Horizon, evs: tuple[Any, ...], ks: list[int], p: int) -> dict[str, Any]:
    """The declaration of product ``p`` over the periods ``ks``."""
    inst = h.instances[ks[0]]
    prod = inst.products[p]
    figs = [evs[k] for k in ks]
    slab = float(sum(ev.slab_t[p] for ev in figs))
    charged = float(sum(ev.charged_t[p] for ev in figs))
    full = float(sum(ev.footprint_full_t[p] for ev in figs)) / slab
    s12 = float(sum(ev.footprint_scope12_t[p] for ev in figs)) / slab
    cast = inst.casting.footprint
    home = {q.returns.material for q in inst.products if q.returns is not None}
    mats = []
    for m, mat in enumerate(inst.materials):
        t = float(sum(ev.mix_t[p, m] for ev in figs))
        if t > 1e-9:
            route, how = mat.route_known
            mats.append({"material": mat.name, "kind": mat.kind, "tonnes": t,
                         "route": route if how != "unknown" else None,
                         "route_from": how, "recycled": mat.recycled_as,
                         "home_scrap": mat.name in home,
                         "footprint_full_t_co2e_per_t": inst.footprints[m].full,
                         "footprint_scope12_t_co2e_per_t": inst.footprints[m].scope12,
                         "footprint_from": "energy" if mat.energy else "given",
                         "footprint_source": mat.source or "not stated in the instance"})
    fig = summary(figs, p)
    return {
        "product": prod.name, "alloy": prod.alloy, "slab_t": slab,
        "footprint_full_t_co2e_per_t": full,
        "footprint_scope12_t_co2e_per_t": s12,
        **{k: fig[k] for k in ("footprint_scope1_t_co2e_per_t",
                               "footprint_scope2_t_co2e_per_t",
                               "footprint_scope3_t_co2e_per_t",
                               "electricity_mwh_per_t", "renewable_electricity_share")},
        # EU CBAM's embedded emissions of the goods: direct (scope 1) and indirect
        # (electricity, scope 2) per t; null where the inputs do not split them
        "embedded_direct_t_co2e_per_t": fig["footprint_scope1_t_co2e_per_t"],
        "embedded_indirect_t_co2e_per_t": fig["footprint_scope2_t_co2e_per_t"],
        "casting_full_t_co2e_per_t": cast.full,
        "casting_scope12_t_co2e_per_t": cast.scope12,
        "casting_share_of_full": cast.full / full if full > 0 else None,
        "casting_source": inst.casting.source or "not stated in the instance",
        **{k: fig[k] for k in ("recycled_post_consumer_share",
                               "recycled_pre_consumer_share", "inert_anode_share",
                               "primary_share")},
        # home scrap (products' returns) is pre-consumer scrap: part of that share
        "home_scrap_share": (sum(m["tonnes"] for m in mats if m["home_scrap"]) / charged
                             if charged > 0 else None),
        # shares rest on routes; a material of unknown route is listed, never guessed
        "unknown_route_materials": [m["material"] for m in mats
                                    if m["route_from"] == "unknown"],
        "charged_t": charged,
        "labels_required": list(prod.labels),
        "labels": _labels(inst, figs, p) if len(ks) == 1 else [],
        "materials": mats,
    }


def _labels(inst: Instance, figs: list[Any], p: int) -> list[dict[str, Any]]:
    """Every label of the instance against this product's plan: each limit with the
    figure reached, and whether the label is met (all its limits; a limit that cannot be
    assessed, e.g. no electricity data, is said so and leaves the label unconfirmed)."""
    from mixopt.model.families.labels import SIDE, figure
    from mixopt.model.figures import tolerance

    ev = figs[0]
    out = []
    for name, label in inst.labels.items():
        limits, met = [], True
        for c, limit in label.limits():
            got = figure(ev, p, c)
            ok = None if got is None else bool(
                (got - limit if SIDE[c] == "max" else limit - got) <= tolerance(limit))
            met = met and bool(ok)
            limits.append({"criterion": c, "limit": limit, "figure": got, "met": ok})
        out.append({"label": name, "met": met, "source": label.source or None,
                    "limits": limits})
    return out


#: What a label's status is, in words.
MET, NOT_MET, UNASSESSED = "met", "not met", "not assessable"


def label_status(inst: Instance, ev: Any, p: int) -> list[tuple[str, str, bool]]:
    """Every label of the instance against product p's plan: (label, ``MET``, ``NOT_MET``
    or ``UNASSESSED`` — a limit without the data to measure it, e.g. no electricity data —,
    whether the product asks for it)."""
    out = []
    for item in _labels(inst, [ev], p):
        oks = [lim["met"] for lim in item["limits"]]
        said = MET if item["met"] else NOT_MET if False in oks else UNASSESSED
        out.append((item["label"], said, item["label"] in inst.products[p].labels))
    return out


def label_words(inst: Instance, ev: Any, p: int) -> str:
    """'ALLOW (asked): met; CIRCAL 75R: not met; Green Power: not assessable'."""
    return "; ".join(f"{name}{' (asked)' if asked else ''}: {said}"
                     for name, said, asked in label_status(inst, ev, p))

