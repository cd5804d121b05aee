"""Small instances written as dicts, for tests."""

from __future__ import annotations

import copy
from typing import Any

from mixopt.io.validate import instance_from_dict
from mixopt.model.schema.instance import Instance


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


def lots_milp(n_lots: int = 40, n_products: int = 3, seed: int = 1) -> dict[str, Any]:
    """A MILP month: scrap lots bought in whole 7.3 t lots with 14.6 t minimum orders, and
    primary metal by the tonne. Needs branching; solves to optimality in about a second."""
    import numpy as np

    rng = np.random.default_rng(seed)
    els = ["Si", "Fe", "Cu", "Mn", "Mg"]
    mats: list[dict[str, Any]] = [
        {"name": f"lot{i}", "cost": float(rng.uniform(1500, 2500)),
         "footprint": {"full": 0.5, "scope12": 0.2},
         "available": {"max": float(rng.integers(3, 12)) * 7.3}, "lot": 7.3, "min_order": 14.6,
         "composition": {e: float(rng.uniform(0, 1.5)) for e in els}}
        for i in range(n_lots)]
    mats.append({"name": "primary", "cost": 2600, "footprint": {"full": 5.9, "scope12": 4.0},
                 "composition": {}})
    alloys = {f"A{p}": {e: [float(rng.uniform(0.2, 0.4)), float(rng.uniform(0.6, 0.9))]
                        for e in els} for p in range(n_products)}
    prods = [{"name": f"p{p}", "alloy": f"A{p}", "tonnes": float(rng.uniform(300, 500))}
             for p in range(n_products)]
    return {"name": "lots-milp", "objective": {"minimise": "cost"}, "alloys": alloys,
            "products": prods, "materials": mats}


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(float(v))
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f'"{k}" = {_toml_value(x)}' for k, x in v.items()) + " }"
    raise TypeError(type(v))


def to_toml(raw: dict[str, Any]) -> str:
    """A test instance dict as TOML text (inline tables only; enough for tests)."""
    lines = []
    for key, value in raw.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for row in value:
                lines.append(f"[[{key}]]")
                lines += [f'"{k}" = {_toml_value(v)}' for k, v in row.items()]
        else:
            lines.append(f'"{key}" = {_toml_value(value)}')
    return "\n".join(lines) + "\n"


def square_or_die(x: int) -> int:
    """For the Dask tests: x squared, but the worker process dies on x < 0."""
    import os

    if x < 0:
        os._exit(1)
    return x * x


def square_or_raise(x: int) -> int:
    """For the Dask tests: x squared, but the task's own error on x < 0: a ValueError, or
    for -3 a file error (an OSError that is the task's, not the cluster's)."""
    if x == -3:
        raise FileNotFoundError(2, "No such file or directory", "missing.toml")
    if x < 0:
        raise ValueError(f"negative: {x}")
    return x * x
