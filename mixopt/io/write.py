"""A plan back to its document, and to text: TOML, with the large tables inline or in CSV
files (long tables, with a period column, for several periods).

``horizon_document(h)`` is the inverse of ``mixopt.io.periods.read_plan``: the plain
nested mapping a person would write (defaults left out; a value that differs by period as
a table keyed by period; stored materials' purchase rules, stock and contracts), which
``read_plan`` reads back to an equal horizon (tested). Overrides edit this document
(``mixopt.io.variants``); ``write_instance`` writes it. Files are written atomically and
never over existing ones unless ``force``.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import tomli_w

from mixopt.io.atomic import replace_all
from mixopt.io.periods import CONTAINERS, PERIOD_TABLES
from mixopt.io.schema import (
    CONSTITUENT_TABLES,
    HORIZON_MATERIAL_COLUMNS,
    MATERIAL_COLUMNS,
    PERIOD_COLUMN,
    flatten_record,
)
from mixopt.model.schema.horizon import Horizon
from mixopt.model.schema.instance import Instance, Material


def instance_dict(instance: Instance) -> dict[str, Any]:
    """The instance as plain data, defaults left out (what a person would write)."""
    raw = instance.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True)
    raw["name"] = instance.name
    raw["products"] = [p.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True)
                       | {"name": p.name, "alloy": p.alloy}
                       | ({"tonnes": p.tonnes} if p.tonnes is not None else {})
                       for p in instance.products]
    raw["materials"] = [material_dict(m) for m in instance.materials]
    if instance.alloys:
        raw["alloys"] = {a: {e: list(w) for e, w in lim.items()}
                         for a, lim in instance.alloys.items()}
    return raw


def material_dict(m: Material) -> dict[str, Any]:
    """One material as plain data: defaults left out, name, cost and footprint always in
    (when it has them)."""
    d = m.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True)
    d["name"] = m.name
    if m.cost is not None:  # a process's output has none: it is made, not bought
        d["cost"] = m.cost
    if m.footprint is not None:
        d["footprint"] = m.footprint.model_dump(exclude_none=True)
    return d


def horizon_document(h: Horizon) -> dict[str, Any]:
    """The plan as the document a person would write (see the module doc)."""
    docs = [instance_dict(i) for i in h.instances]
    if not h.has_periods:
        return docs[0]
    for k, d in enumerate(docs):
        for rec in d["materials"]:
            rec.update(_linked(h, rec["name"], k))
    doc = {"periods": list(h.periods), **docs[0]}
    for table in PERIOD_TABLES:
        if table in doc:
            doc[table] = [_merged([d[table][i] for d in docs], h.periods, CONTAINERS[table])
                          for i in range(len(doc[table]))]
    return doc


def _linked(h: Horizon, name: str, k: int) -> dict[str, Any]:
    """What a stored material's period record holds beyond the period's instance: its
    purchase rules (they rule what is bought, ``Stocked``), its stock and its contract."""
    out: dict[str, Any] = {}
    s = h.stocked.get(name)
    if s is not None:
        # a least purchase of 0 is the default; a most of 0 is a limit (none bought)
        out["available"] = {key: v for key, v in (("min", s.buy_min_t[k]),
                                                  ("max", s.buy_max_t[k]))
                            if math.isfinite(v) and (v or key == "max")}
        out.update({key: v for key, v in (("lot", s.lot(k)), ("min_order", s.min_order(k)))
                    if v is not None})
        out["stock"] = {key: v for key, v in (
            ("initial", s.initial_t), ("final", s.final_t), ("max", s.max_t[k]),
            ("holding_cost", s.holding_cost[k])) if v is not None and math.isfinite(v)}
    c = h.contracts.get(name)
    if c is not None:
        out["contract"] = c.model_dump(exclude_none=True)
    return {key: v for key, v in out.items() if v != {}}


def _merged(recs: list[dict[str, Any]], periods: tuple[str, ...],
            containers: tuple[str, ...], depth: int = 0) -> dict[str, Any]:
    """One record for every period: a value the periods share as it is, one that differs
    as a table keyed by period (absent in a period: None there)."""
    out: dict[str, Any] = {}
    for key in dict.fromkeys(k for r in recs for k in r):
        values = [r.get(key) for r in recs]
        if depth == 0 and key in containers and any(isinstance(v, dict) for v in values):
            out[key] = _merged([v if isinstance(v, dict) else {} for v in values], periods,
                               containers, 1)
        elif all(v == values[0] for v in values):
            out[key] = values[0]
        else:
            out[key] = dict(zip(periods, values, strict=True))
    return out


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def constituent_columns(mats: list[dict[str, Any]], table: str) -> list[str]:
    """The constituents named in ``table`` (composition or composition_sd) of any material,
    in first-seen order."""
    els: dict[str, None] = {}
    for m in mats:
        els.update(dict.fromkeys(m.get(table, {})))
    return list(els)


def long_rows(recs: list[dict[str, Any]], columns: dict[str, tuple[str, ...]],
              periods: tuple[str, ...]) -> list[dict[str, Any]]:
    """Records whose values may be tables by period as the rows of a long table: one row
    with what every period shares (period blank), then, per period, a row with only what
    differs in it (``mixopt.io.periods.fold_long`` reads them back)."""
    rows = []
    for rec in recs:
        flat = flatten_record(rec, columns)
        rows.append({**{c: "" if isinstance(v, dict) else v for c, v in flat.items()},
                     PERIOD_COLUMN: ""})
        varying = {c: v for c, v in flat.items() if isinstance(v, dict)}
        rows += [{"name": rec["name"], PERIOD_COLUMN: p,
                  **{c: "" if v.get(p) is None else v[p] for c, v in varying.items()}}
                 for p in (periods if varying else ())]
    return rows


def constituent_rows(mats: list[dict[str, Any]], table: str, periods: tuple[str, ...],
                     ) -> tuple[list[str], list[dict[str, Any]]]:
    """The constituents of ``table`` (composition or composition_sd) and its rows: one per
    material, or, where a material's values differ by period, one complete row per period
    (``period`` column); every composition cell holds a number (0: none), a spread's
    blank cell is no spread."""
    els = constituent_columns(mats, table)
    rows = []
    for m in mats:
        if table not in m and table != "composition":
            continue
        values = m.get(table, {})
        if table == "composition":  # every cell written: a blank is not a value (0 is none)
            values = {e: values.get(e, 0.0) for e in els}
        if not any(isinstance(v, dict) for v in values.values()):
            rows.append({"material": m["name"], PERIOD_COLUMN: "", **values})
            continue
        rows += [{"material": m["name"], PERIOD_COLUMN: p,
                  **{e: v.get(p) if isinstance(v, dict) else v for e, v in values.items()}}
                 for p in periods]
    return els, rows


def _gaps(doc: dict[str, Any], periods: tuple[str, ...]) -> list[str]:
    """Per-period tables that leave a value out in some period (an override of some
    periods on a field with no value): TOML and CSV cannot say "absent" there."""
    out: list[str] = []

    def walk(node: Any, path: str) -> None:
        if not isinstance(node, dict):
            return
        if set(node) == set(periods) and None in node.values():
            out.append(path)
            return
        for k, v in node.items():
            walk(v, f"{path}.{k}")

    for table in PERIOD_TABLES:
        for rec in doc.get(table) or []:
            walk(rec, f"{table}.{rec['name']}")
    return out


def write_instance(plan: Horizon | Instance, path: str | Path, csv_tables: bool = False,
                   force: bool = False) -> list[Path]:
    """Write ``plan`` to ``path`` (.toml); with ``csv_tables`` the materials and their
    constituent tables go to ``<stem>.materials.csv``, ``<stem>.composition.csv`` (and
    ``<stem>.composition_sd.csv`` when spreads are given) beside it, as long tables with a
    period column when the plan has periods. Returns the files written."""
    from mixopt.errors import InputError, Problem
    from mixopt.model.schema.horizon import as_horizon

    h = as_horizon(plan)
    path = Path(path)
    raw = horizon_document(h)
    gaps = _gaps(raw, h.periods) if h.has_periods else []
    if gaps:
        raise InputError([Problem(str(path), f"{g} is given in some periods only: a file "
                                             "cannot leave it out of the others") for g in gaps])
    tables: dict[str, str] = {}
    if csv_tables:
        mats = raw.pop("materials")
        m_path = path.with_name(f"{path.stem}.materials.csv")
        if h.has_periods:
            cols = ["name", PERIOD_COLUMN, *list(HORIZON_MATERIAL_COLUMNS)[1:]]
            tables[m_path.name] = _csv(long_rows(mats, HORIZON_MATERIAL_COLUMNS, h.periods),
                                       cols)
        else:
            tables[m_path.name] = _csv([flatten_record(m, MATERIAL_COLUMNS) for m in mats],
                                       list(MATERIAL_COLUMNS))
        raw["files"] = {"materials": m_path.name}
        for table in CONSTITUENT_TABLES:
            els, rows = constituent_rows(mats, table, h.periods)
            if table == "composition" or els:
                name = f"{path.stem}.{table}.csv"
                head = ["material", *([PERIOD_COLUMN] if h.has_periods else []), *els]
                tables[name] = _csv([{k: v for k, v in r.items() if k in head} for r in rows],
                                    head)
                raw["files"][table] = name
    files = {path: tomli_w.dumps(raw), **{path.with_name(n): t for n, t in tables.items()}}
    replace_all(files, force)
    return list(files)
