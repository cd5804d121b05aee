"""Read a plan (for ``verify`` and ``--start``): a mixopt JSON result, or any JSON with a
``mix`` list (and the purchases of stored materials, with periods)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mixopt.errors import InputError, Problem
from mixopt.io.files import read_document
from mixopt.model.plan import HorizonPlan, plan_of, whole
from mixopt.model.schema.horizon import MONTH, Horizon
from mixopt.model.schema.instance import Instance


def read_solution(path: str | Path, h: Horizon) -> HorizonPlan:
    """Read a plan of ``h`` (a mixopt JSON result, or any JSON with a ``mix`` list of
    {product, material, tonnes}, each with its ``period`` when the plan has periods, and
    ``purchases`` {material, period, bought_t} of the stored materials) into the plan it
    describes, every problem gathered."""
    path = Path(path)
    problems: list[Problem] = []
    rows = _list(path, "mix", "{period, product, material, tonnes}" if h.has_periods
                 else "{product, material, tonnes}")
    by: dict[str, list[tuple[int, dict]]] = {p: [] for p in h.periods}
    for i, row in enumerate(rows, start=1):
        period = row.get("period", MONTH) if isinstance(row, dict) else None
        if period not in by:
            problems.append(Problem(str(path), f"period {period!r} is not one of the "
                                               f"instance's {list(h.periods)}" if h.has_periods
                                    else f"names period {period!r}, but the instance has no "
                                         "periods", "mix", i, field="period"))
            continue
        by[period].append((i, row))
    mixes = [_mix(path, by[p], inst, problems) for p, inst in zip(h.periods, h.instances,
                                                                  strict=True)]
    bought = {m: np.full(len(h.periods), np.nan) for m in h.stocked}
    purchases = _list(path, "purchases", "{material, period, bought_t}") if h.stocked else []
    for i, row in enumerate(purchases, start=1):
        if not isinstance(row, dict) or row.get("material") not in bought:
            continue  # materials bought when charged: their purchases follow the mix
        if row.get("period") not in by:
            problems.append(Problem(str(path), f"period {row.get('period')!r} is not one of "
                                               f"the instance's", "purchases", i,
                                    field="period"))
            continue
        t = _tonnes(row.get("bought_t"))
        if t is None:
            problems.append(Problem(str(path), f"{row.get('bought_t')!r} is not a finite "
                                               "number of tonnes (0 or more)", "purchases", i,
                                    row.get("material"), "bought_t"))
            continue
        bought[row["material"]][h.periods.index(row["period"])] = t
    for m, v in bought.items():
        missing = [h.periods[k] for k in np.flatnonzero(np.isnan(v))]
        if missing:
            problems.append(Problem(str(path), f"gives no purchase of the stored material "
                                               f"{m!r} in {', '.join(missing)}", "purchases"))
    if problems:
        raise InputError(problems)
    return plan_of(whole(h), mixes, bought)


def _list(path: Path, key: str, shape: str) -> list:
    doc = read_document(path, json.loads, "a plan JSON")
    rows = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(rows, list):
        raise InputError([Problem(str(path), f"has no {key!r} list of {shape}", key)])
    return rows


def _mix(path: Path, rows: list[tuple[int, object]], instance: Instance,
         problems: list[Problem]) -> np.ndarray:
    """The charged t of the numbered ``rows`` (of one period), every problem gathered."""
    p_index = {p.name: i for i, p in enumerate(instance.products)}
    m_index = {m.name: i for i, m in enumerate(instance.materials)}
    mix = np.zeros((len(p_index), len(m_index)))
    seen: dict[tuple[str, str], int] = {}
    for i, row in rows:
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
