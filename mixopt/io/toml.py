"""Read an instance from TOML (with optional CSV tables) into a validated ``Instance``.

Every problem is gathered before anything is raised, and each names its file,
table, row and field. Readers never evaluate code: ``tomllib`` and ``csv`` only.

The TOML may move the large tables out to CSV files next to it::

    [files]
    materials = "materials.csv"      # one row per material, flat columns (io.schema)
    composition = "composition.csv"  # wide: a 'material' column, then one per constituent
    composition_sd = "composition_sd.csv"  # the same shape: spreads (wt%)
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from mixopt.errors import Problem
from mixopt.io.csvfile import read_rows
from mixopt.io.files import read_document
from mixopt.io.periods import read_plan
from mixopt.io.schema import (
    CONSTITUENT_TABLES,
    HORIZON_MATERIAL_COLUMNS,
    MATERIAL_COLUMNS,
    PERIOD_COLUMN,
    nest,
)
from mixopt.io.validate import TableOrigin
from mixopt.model.schema.horizon import Horizon

FILES_KEYS = ("materials", *CONSTITUENT_TABLES)


def _materials_from_csv(path: Path, problems: list[Problem], inside: Path,
                        origin: TableOrigin, periods: Any) -> list[dict[str, Any]]:
    """The materials table; with ``periods`` a long table (``period`` column, one row per
    material and period) folded into one record per material (``io.periods.fold_long``)."""
    rows = read_rows(path, "materials", problems, inside)
    if rows is None:
        return []
    columns = HORIZON_MATERIAL_COLUMNS if periods is not None else MATERIAL_COLUMNS
    known = [*columns, PERIOD_COLUMN] if periods is not None else list(columns)
    if rows:
        unknown = [c for c in rows[0] if c not in known]
        if unknown:
            hint = (" (a period column and stock_/contract_ columns need periods = [...] "
                    "in the instance)" if periods is None and any(
                        c == PERIOD_COLUMN or c.startswith(("stock_", "contract_"))
                        for c in unknown) else "")
            problems.append(Problem(str(path), f"unknown columns {unknown}; known columns are "
                                               f"{known}{hint}", "materials"))
    if periods is not None and isinstance(periods, list):
        from mixopt.io.periods import fold_long

        def locate(i: int, column: str, msg: str) -> Problem:
            return Problem(str(path), msg, "materials", i, str(rows[i - 1].get("name")),
                           column)

        rows, origin.materials_rows = fold_long(rows, [str(p) for p in periods], locate,
                                                problems)
    return [nest(row, columns) for row in rows]


def _attach_constituents(path: Path, table: str, materials: list[dict[str, Any]],
                         origin: TableOrigin, problems: list[Problem], inside: Path,
                         periods: Any) -> None:
    """A wide constituent table (``composition`` or ``composition_sd``) into the records;
    with ``periods``, a ``period`` column gives a material's complete row for one period
    (blank: every period without a row of its own)."""
    from mixopt.io.periods import fold_rows

    rows = read_rows(path, table, problems, inside)
    if rows is None:
        return
    index = {m.get("name"): m for m in materials if isinstance(m, dict)}
    origin.tables[table] = (path, {})
    groups: dict[str, list[tuple[Any, dict[str, Any], Any]]] = {}
    for i, row in enumerate(rows, start=1):
        name = row.get("material", "")
        period = row.get(PERIOD_COLUMN, "")
        if name not in index:
            problems.append(Problem(str(path), f"names material {name!r}, which the instance "
                                               "does not have", table, i, name or None,
                                    "material"))
            continue
        if table in index[name]:
            problems.append(Problem(str(path), f"this material's {table} is also given "
                                               "inline", table, i, name, "material"))
            continue
        if period and not isinstance(periods, list):
            problems.append(Problem(str(path), "a period column needs periods = [...] in the "
                                               "instance", table, i, name, PERIOD_COLUMN))
            continue
        origin.tables[table][1].setdefault(name, i)
        values: dict[str, Any] = {}
        for col, value in row.items():
            if col in ("material", PERIOD_COLUMN) or value == "":
                continue
            try:
                values[col] = float(value)
            except ValueError:
                problems.append(Problem(str(path), f"{value!r} is not a number", table, i,
                                        name, col))

        def locate(msg: str, i: int = i, name: str = name) -> Problem:
            return Problem(str(path), msg, table, i, name, PERIOD_COLUMN)

        groups.setdefault(name, []).append((period, values, locate))
    for name, lines in groups.items():
        if not isinstance(periods, list) and len(lines) > 1:
            problems.append(lines[1][2]("a second row for this material"))
            continue
        folded = (fold_rows(lines, [str(p) for p in periods], table, problems)
                  if isinstance(periods, list) else lines[0][1])
        if folded is not None:
            index[name][table] = folded


def read_toml(path: Path) -> Horizon:
    """Read and validate a TOML instance (and the CSV tables it names); with ``periods``,
    a multi-period instance (``mixopt.io.periods``)."""
    problems: list[Problem] = []
    raw = read_document(path, tomllib.loads, "an instance")
    origin = TableOrigin(path)
    files = raw.pop("files", {})
    if not isinstance(files, dict):
        problems.append(Problem(str(path), "must be a table of file names", "files"))
        files = {}
    for key in files:
        if key not in FILES_KEYS:
            problems.append(Problem(str(path), f"unknown table file {key!r}; known: "
                                               f"{list(FILES_KEYS)}", "files", field=key))
    if "materials" in files:
        if "materials" in raw:
            problems.append(Problem(str(path), "materials are given both inline and in "
                                               f"{files['materials']!r}", "files",
                                    field="materials"))
        origin.materials_csv = path.parent / str(files["materials"])
        raw["materials"] = _materials_from_csv(origin.materials_csv, problems, path.parent,
                                               origin, raw.get("periods"))
    mats = raw.get("materials")
    for table in CONSTITUENT_TABLES:
        if table in files and isinstance(mats, list):
            _attach_constituents(path.parent / str(files[table]), table, mats, origin,
                                 problems, path.parent, raw.get("periods"))
    return read_plan(raw, origin, problems)
