"""Dotted paths into plain nested mappings: the one getter, setter and flattener.

Readers (CSV columns such as ``footprint_full``, workbook settings such as
``objective.footprint_cap``), writers and overrides all address nested records by a
tuple of keys; this module is the only place that walks them.

Examples
--------
>>> doc = {}
>>> set_path(doc, ("footprint", "full"), 0.5)
>>> get_path(doc, ("footprint", "full")), get_path(doc, ("footprint", "scope12"))
(0.5, None)
>>> flatten({"objective": {"minimise": "cost", "footprint_cap": 3.0}, "x": 1})
{'objective.minimise': 'cost', 'objective.footprint_cap': 3.0, 'x': 1}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def get_path(doc: Any, path: Sequence[str]) -> Any:
    """The value at ``path``, or None where any step is missing or not a mapping."""
    node = doc
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def set_path(doc: dict[str, Any], path: Sequence[str], value: Any) -> None:
    """Set ``path`` to ``value``, creating the mappings on the way."""
    *parents, leaf = path
    node = doc
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value


def flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested tables -> ``{dotted path: value}`` (an empty table stays a value)."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, path + "."))
        else:
            out[path] = value
    return out
