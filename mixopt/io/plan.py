"""Read a plan: a mixopt JSON result, or any JSON with a ``mix`` list."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mixopt.errors import InputError, Problem
from mixopt.io.validate import read_document
from mixopt.model.instance import Instance


def read_mix(path: str | Path, instance: Instance) -> np.ndarray:
    """Read a plan (a mixopt JSON result, or any JSON with a ``mix`` list of
    {product, material, tonnes}) into a products x materials array of charged t."""
    path = Path(path)
    problems: list[Problem] = []
    doc = read_document(path, json.loads, "a plan JSON")
    rows = doc.get("mix") if isinstance(doc, dict) else None
    if not isinstance(rows, list):
        raise InputError([Problem(str(path), "has no 'mix' list of {product, material, "
                                             "tonnes}", "mix")])
    p_index = {p.name: i for i, p in enumerate(instance.products)}
    m_index = {m.name: i for i, m in enumerate(instance.materials)}
    mix = np.zeros((len(p_index), len(m_index)))
    seen: dict[tuple[str, str], int] = {}
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            problems.append(Problem(str(path), "is not an object", "mix", i))
            continue
        name = f"{row.get('product')} / {row.get('material')}"
        p, m, t = row.get("product"), row.get("material"), row.get("tonnes")
        if p not in p_index:
            problems.append(Problem(str(path), f"unknown product {p!r}", "mix", i, name,
                                    "product"))
        if m not in m_index:
            problems.append(Problem(str(path), f"unknown material {m!r}", "mix", i, name,
                                    "material"))
        tonnes = _tonnes(t)
        if tonnes is None:
            shown = f"{t!r}"[:40]
            problems.append(Problem(str(path), f"{shown} is not a finite number of tonnes "
                                               "(0 or more)", "mix", i, name, "tonnes"))
        elif p in p_index and m in m_index:
            if (p, m) in seen:
                problems.append(Problem(str(path), f"repeats row {seen[p, m]} for the same "
                                                   "product and material; give each pair "
                                                   "once", "mix", i, name))
                continue
            seen[p, m] = i
            mix[p_index[p], m_index[m]] = tonnes
    if problems:
        raise InputError(problems)
    return mix


def _tonnes(value: object) -> float | None:
    """A finite, non-negative number of tonnes, or None. Booleans are not numbers here and
    an integer too large for a float is refused, not overflowed."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        t = float(value)
    except OverflowError:
        return None
    return t if np.isfinite(t) and t >= 0 else None
