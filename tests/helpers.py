"""Small instances written as dicts, for tests."""

from __future__ import annotations

import copy
from typing import Any

from mixopt.instance import Instance
from mixopt.read import instance_from_dict


def two_material(**changes: Any) -> dict[str, Any]:
    """100 t of slab with Cu in [1, 2] wt% from A (0 % Cu, 10/t, 1 t CO2e/t) and
    B (4 % Cu, 20/t, 0.5 t CO2e/t). Optimal by hand: least cost 25 t B + 75 t A = 1250;
    least footprint 50 t B + 50 t A = 0.75 t CO2e/t."""
    raw: dict[str, Any] = {
        "name": "two-material",
        "objective": {"minimise": "cost"},
        "alloys": {"X": {"Cu": [1.0, 2.0]}},
        "products": [{"name": "P", "alloy": "X", "tonnes": 100}],
        "materials": [
            {"name": "A", "cost": 10, "footprint": {"full": 1.0, "scope12": 0.4},
             "composition": {}},
            {"name": "B", "cost": 20, "footprint": {"full": 0.5, "scope12": 0.2},
             "composition": {"Cu": 4.0}},
        ],
    }
    for path, value in changes.items():
        node = raw
        *parents, leaf = path.split("__")
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node.setdefault(p, {})
        if isinstance(node, list):
            node[int(leaf)] = value
        else:
            node[leaf] = value
    return copy.deepcopy(raw)


def inst(raw: dict[str, Any]) -> Instance:
    return instance_from_dict(raw)
