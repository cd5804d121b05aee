"""Read a plan: a mixopt JSON result, or any JSON with a ``mix`` list."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mixopt.errors import InputError, Problem
from mixopt.io.validate import check_size
from mixopt.model.instance import Instance


def read_mix(path: str | Path, instance: Instance) -> np.ndarray:
    """Read a plan (a mixopt JSON result, or any JSON with a ``mix`` list of
    {product, material, tonnes}) into a products x materials array of charged t."""
    path = Path(path)
    problems: list[Problem] = []
    if not check_size(path, problems):
        raise InputError(problems)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError([Problem(str(path), f"is not valid JSON: {exc}")]) from None
    rows = doc.get("mix") if isinstance(doc, dict) else None
    if not isinstance(rows, list):
        raise InputError([Problem(str(path), "has no 'mix' list of {product, material, "
                                             "tonnes}", "mix")])
    p_index = {p.name: i for i, p in enumerate(instance.products)}
    m_index = {m.name: i for i, m in enumerate(instance.materials)}
    mix = np.zeros((len(p_index), len(m_index)))
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
        if isinstance(t, bool) or not isinstance(t, int | float) or not np.isfinite(t):
            problems.append(Problem(str(path), f"{t!r} is not a finite number", "mix", i, name,
                                    "tonnes"))
        elif p in p_index and m in m_index:
            mix[p_index[p], m_index[m]] += float(t)
    if problems:
        raise InputError(problems)
    return mix
