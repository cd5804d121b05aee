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
from mixopt.io.schema import MATERIAL_COLUMNS, flatten_record
from mixopt.model.instance import Instance, Material


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
    """One material as plain data: defaults left out, name, cost and footprint always in."""
    d = m.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True)
    d.update(name=m.name, cost=m.cost, footprint=m.footprint.model_dump())
    return d


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def write_instance(instance: Instance, path: str | Path, csv_tables: bool = False,
                   force: bool = False) -> list[Path]:
    """Write ``instance`` to ``path`` (.toml); with ``csv_tables`` the materials and their
    composition go to ``<stem>.materials.csv`` and ``<stem>.composition.csv`` beside it.
    Returns the files written."""
    path = Path(path)
    raw = instance_dict(instance)
    written = []
    if csv_tables:
        mats = raw.pop("materials")
        m_path = path.with_name(f"{path.stem}.materials.csv")
        c_path = path.with_name(f"{path.stem}.composition.csv")
        for p in (path, m_path, c_path):
            check_new(p, force)
        els: dict[str, None] = {}
        for m in mats:
            els.update(dict.fromkeys(m.get("composition", {})))
        write_atomic(m_path, _csv([flatten_record(m, MATERIAL_COLUMNS) for m in mats],
                                  list(MATERIAL_COLUMNS)), force)
        write_atomic(c_path, _csv([{"material": m["name"], **m.get("composition", {})}
                                   for m in mats], ["material", *els]), force)
        raw["files"] = {"materials": m_path.name, "composition": c_path.name}
        written += [m_path, c_path]
    write_atomic(path, tomli_w.dumps(raw), force)
    return [path, *written]
