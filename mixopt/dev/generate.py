"""Synthetic monthly instances at scale, deterministic for a seed.

Scrap lots are drawn around the scrap classes of the reference data (their chemistry
means are *placeholders* there, and so here), some lots contaminated; products take
alloys of the shipped library; clean primary metal (hydro and coal), scarce
inert-anode metal and one master alloy per constituent with a minimum keep every
instance feasible. Used by the benchmarks and the property tests; not real data.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mixopt.io.validate import instance_from_dict
from mixopt.model.schema.alloys import library
from mixopt.model.schema.instance import Instance

#: Constituents in the order instances take them (``elements`` takes the first E).
ELEMENTS = ("Si", "Fe", "Cu", "Mn", "Mg", "Cr", "Zn", "Ti", "Ni", "Pb", "Sn", "V", "Ga", "Zr",
            "Bi")
#: Scrap classes: mean wt% (placeholder means of the reference scrap_compositions.csv),
#: yield, recycled class, base price per t.
SCRAP = {
    "UBC": ({"Si": 0.25, "Fe": 0.50, "Cu": 0.15, "Mn": 0.90, "Mg": 1.60, "Cr": 0.03,
             "Zn": 0.10, "Ti": 0.02}, 0.88, "post-consumer", 1850.0),
    "Taint/Tabor": ({"Si": 0.40, "Fe": 0.55, "Cu": 0.15, "Mn": 0.50, "Mg": 0.80, "Cr": 0.05,
                     "Zn": 0.20, "Ti": 0.03}, 0.93, "post-consumer", 1750.0),
    "clean sheet clips": ({"Si": 0.15, "Fe": 0.45, "Cu": 0.08, "Mn": 0.70, "Mg": 0.20,
                           "Cr": 0.02, "Zn": 0.05, "Ti": 0.02}, 0.97, "pre-consumer", 2100.0),
    "Twitch": ({"Si": 1.00, "Fe": 0.80, "Cu": 1.00, "Mn": 0.30, "Mg": 0.60, "Cr": 0.05,
                "Zn": 0.80, "Ti": 0.05}, 0.90, "post-consumer", 1550.0),
    "6063 extrusion": ({"Si": 0.45, "Fe": 0.25, "Cu": 0.03, "Mn": 0.04, "Mg": 0.60, "Cr": 0.02,
                        "Zn": 0.03, "Ti": 0.02}, 0.96, "pre-consumer", 2050.0),
    "5xxx clips": ({"Si": 0.15, "Fe": 0.30, "Cu": 0.07, "Mn": 0.35, "Mg": 3.50, "Cr": 0.10,
                    "Zn": 0.10, "Ti": 0.02}, 0.96, "pre-consumer", 2000.0),
}
ALLOYS = ("AA3104", "AA3004", "AA5182", "AA5052", "AA6063", "AA6061", "AA1050")
PRIMARY_WT_PCT = {"Si": 0.06, "Fe": 0.15, "Zn": 0.01, "Ga": 0.01, "V": 0.01}


def generate(lots: int, products: int, elements: int, seed: int = 0,
             milp: bool = False, spreads: bool = False) -> Instance:
    """An instance of ``lots`` scrap lots, ``products`` products, ``elements`` constituents
    (``spreads``: every scrap lot's chemistry varies, 5-20% of its mean)."""
    return instance_from_dict(generate_dict(lots, products, elements, seed, milp, spreads),
                              f"generated(seed={seed})")


def generate_dict(lots: int, products: int, elements: int, seed: int = 0,
                  milp: bool = False, spreads: bool = False) -> dict[str, Any]:
    if not 1 <= elements <= len(ELEMENTS):
        raise ValueError(f"elements must be 1..{len(ELEMENTS)}")
    rng = np.random.default_rng(seed)
    els = ELEMENTS[:elements]
    lib = library()
    classes = list(SCRAP)
    prods = []
    alloys_used = {}
    for p in range(products):
        base = ALLOYS[p % len(ALLOYS)]
        # the library's windows on this month's constituents only: its own alloy name
        # (a library name would have to keep every window of the library)
        alloy = f"{base} ({elements} constituents)"
        alloys_used[alloy] = {e: list(w) for e, w in lib[base].limits_wt_pct.items()
                              if e in els}
        prods.append({"name": f"product {p:03d} ({base})", "alloy": alloy,
                      "tonnes": round(float(rng.uniform(500, 3000)), 1)})
    total = sum(p["tonnes"] for p in prods)
    mats: list[dict[str, Any]] = []
    for i in range(lots):
        cls = classes[rng.integers(len(classes))]
        mean, yld, rec, price = SCRAP[cls]
        comp = {e: float(mean.get(e, 0.01) * rng.lognormal(0.0, 0.15)) for e in els}
        dirty = rng.random() < 0.05
        if dirty:  # contaminated lot: iron and copper picked up in collection
            for e in ("Fe", "Cu"):
                if e in comp:
                    comp[e] *= 2.5
        avail = float(rng.uniform(20, 300))
        lot: dict[str, Any] = {
            "name": f"lot {i:05d} ({cls}{', contaminated' if dirty else ''})",
            "kind": f"{cls} lot", "route": f"{rec} scrap",
            "cost": round(price * rng.uniform(0.9, 1.1) * (0.85 if dirty else 1.0), 2),
            "footprint": {"full": 0.5, "scope12": 0.3},
            "yield": float(np.clip(yld + rng.normal(0, 0.01), 0.5, 1.0)),
            "available": {"max": round(avail, 3)}, "composition": comp,
            "source": "synthetic (mixopt.dev.generate)",
        }
        if spreads:
            lot["composition_sd"] = {e: float(v * rng.uniform(0.05, 0.2))
                                     for e, v in comp.items()}
        if milp and i % 2 == 0:
            size = float(rng.choice([10.0, 20.0, 25.0]))
            lot["lot"] = size
            n_lots = max(1, int(avail // size))
            lot["available"] = {"max": size * n_lots}
            if i % 6 == 0 and n_lots >= 2:
                lot["min_order"] = 2 * size
        mats.append(lot)
    primary = {e: v for e, v in PRIMARY_WT_PCT.items() if e in els}
    mats += [
        {"name": "INERTA", "kind": "inert-anode primary", "route": "inert-anode primary",
         "cost": 2900.0,
         "footprint": {"full": 2.0, "scope12": 0.01}, "composition": primary,
         "available": {"max": round(0.1 * total, 1)},  # a tenth of the month
         "source": "RUSAL ALLOW INERTA (see instances/can-body.toml)"},
        {"name": "Hydro P1020", "kind": "hydro primary", "route": "carbon-anode primary",
         "cost": 2600.0,
         "footprint": {"full": 5.9, "scope12": 4.0}, "composition": primary,
         "source": "RUSAL ALLOW 2023"},
        {"name": "Coal P1020", "kind": "coal primary", "route": "carbon-anode primary",
         "cost": 2400.0,
         "footprint": {"full": 20.0, "scope12": 16.0}, "composition": primary,
         "source": "Hydro via Davis Index"},
    ]
    needs = sorted({e for lim in alloys_used.values() for e, (lo, _) in lim.items() if lo > 0})
    for e in needs:
        mats.append({"name": f"{e} master alloy", "kind": "master alloy",
                     "route": "master alloy", "cost": 3500.0,
                     "footprint": {"full": 8.0, "scope12": 5.0}, "yield": 0.98,
                     "composition": {e: 50.0 if e != "Mg" else 99.8},
                     "source": "assumption (see instances/can-body.toml)"})
    tag = ("-milp" if milp else "") + ("-spreads" if spreads else "")
    return {"name": f"generated-{lots}x{products}x{elements}-s{seed}{tag}",
            "description": "synthetic instance from mixopt.dev.generate (placeholder chemistry)",
            "objective": {"minimise": "cost"}, "alloys": alloys_used, "products": prods,
            "materials": mats}
