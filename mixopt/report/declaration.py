"""The slab's footprint declaration: per product, the figures a buyer can trace.

Every figure comes from the solver-free recheck; the instance is identified by its name
and a SHA-256 of its canonical content (the same for the TOML, CSV and workbook forms of
one instance), so a statement points at the exact input it was computed from.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from mixopt.errors import InputError, Problem
from mixopt.model.pipeline import Result
from mixopt.model.schema.instance import Instance
from mixopt.report.frames import summary_figures


def _canonical(x: Any) -> Any:
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return x
    if isinstance(x, int | float):
        return float(x)  # 10000 from TOML and 10000.0 from a workbook are one number
    if isinstance(x, dict):
        return {k: _canonical(v) for k, v in x.items()}
    return [_canonical(v) for v in x]


def content_hash(instance: Instance) -> str:
    """SHA-256 of the instance's canonical JSON (sorted keys, numbers as floats)."""
    doc = _canonical(instance.model_dump(mode="json", by_alias=True))
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()


def declarations(result: Result) -> dict[str, Any]:
    """One declaration per product of a solved instance."""
    from importlib.metadata import version

    inst, ev = result.instance, result.evaluation
    if inst.unknown_footprints:
        raise InputError([Problem(inst.name, f"{', '.join(inst.unknown_footprints)} give no "
                                             "footprint: no footprint can be declared")])
    head = {"instance": inst.name, "instance_sha256": content_hash(inst),
            "status": str(result.status), "generated_by": f"mixopt {version('mixopt')}",
            "scrap_method": inst.scrap_method, "products": []}
    if ev is None:
        return head
    cast = inst.casting.footprint
    for p, prod in enumerate(inst.products):
        slab, charged = float(ev.slab_t[p]), float(ev.charged_t[p])
        full, s12 = float(ev.footprint_full_t[p] / slab), float(ev.footprint_scope12_t[p] / slab)
        mats = []
        for m, mat in enumerate(inst.materials):
            t = float(ev.mix_t[p, m])
            if t > 1e-9:
                route, how = mat.route_known
                mats.append({"material": mat.name, "kind": mat.kind, "tonnes": t,
                             "route": route if how != "unknown" else None,
                             "route_from": how, "recycled": mat.recycled_as,
                             "footprint_full_t_co2e_per_t": inst.footprints[m].full,
                             "footprint_scope12_t_co2e_per_t": inst.footprints[m].scope12,
                             "footprint_from": "energy" if mat.energy else "given",
                             "footprint_source": mat.source or "not stated in the instance"})
        fig = summary_figures(ev, p)
        head["products"].append({
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
            # shares rest on routes; a material of unknown route is listed, never guessed
            "unknown_route_materials": [m["material"] for m in mats
                                        if m["route_from"] == "unknown"],
            "charged_t": charged,
            "labels_required": list(prod.labels),
            "labels": _labels(inst, ev, p),
            "materials": mats,
        })
    return head


def _labels(inst: Instance, ev: Any, p: int) -> list[dict[str, Any]]:
    """Every label of the instance against this product's plan: each limit with the
    figure reached, and whether the label is met (all its limits; a limit that cannot be
    assessed, e.g. no electricity data, is said so and leaves the label unconfirmed)."""
    from mixopt.model.families.labels import SIDE, figure
    from mixopt.model.figures import tolerance

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
