"""Write an ``Instance`` back to text: TOML, with the large tables inline or in CSV files.

The inverse of ``mixopt.io.read``: ``read_instance(write_instance(inst, path))`` equals
``inst`` (tested). Files are written atomically and never over existing ones unless
``force``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import tomli_w

from mixopt.io.atomic import check_new, write_atomic
from mixopt.io.schema import CONSTITUENT_TABLES, MATERIAL_COLUMNS, flatten_record
from mixopt.model.schema.instance import Instance, Material


def instance_dict(instance: Instance) -> dict[str, Any]:
    """The instance as plain data, defaults left out (what a person would write)."""
    raw = instance.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True)
    raw["name"] = instance.name
    raw["products"] = [p.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True)
                       | {"name": p.name, "alloy": p.alloy, "tonnes": p.tonnes}
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


def write_instance(instance: Instance, path: str | Path, csv_tables: bool = False,
                   force: bool = False) -> list[Path]:
    """Write ``instance`` to ``path`` (.toml); with ``csv_tables`` the materials and their
    constituent tables go to ``<stem>.materials.csv``, ``<stem>.composition.csv`` (and
    ``<stem>.composition_sd.csv`` when spreads are given) beside it. Returns the files
    written."""
    path = Path(path)
    raw = instance_dict(instance)
    tables: dict[str, str] = {}
    if csv_tables:
        mats = raw.pop("materials")
        m_path = path.with_name(f"{path.stem}.materials.csv")
        tables[m_path.name] = _csv([flatten_record(m, MATERIAL_COLUMNS) for m in mats],
                                   list(MATERIAL_COLUMNS))
        raw["files"] = {"materials": m_path.name}
        for table in CONSTITUENT_TABLES:
            els = constituent_columns(mats, table)
            if table == "composition" or els:
                name = f"{path.stem}.{table}.csv"
                tables[name] = _csv([{"material": m["name"], **m.get(table, {})} for m in mats],
                                    ["material", *els])
                raw["files"][table] = name
    paths = [path, *(path.with_name(n) for n in tables)]
    for p in paths:
        check_new(p, force)
    for name, text in tables.items():
        write_atomic(path.with_name(name), text, force)
    write_atomic(path, tomli_w.dumps(raw), force)
    return paths
