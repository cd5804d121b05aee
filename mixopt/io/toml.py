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

from mixopt.errors import InputError, Problem
from mixopt.io.columns import BLANK_ROW, Blanks, Vocabulary, instance_constituents
from mixopt.io.csvfile import header_of, read_raw, read_table
from mixopt.io.files import read_document
from mixopt.io.periods import read_plan
from mixopt.io.schema import (
    CONSTITUENT_TABLES,
    HORIZON_MATERIAL_COLUMNS,
    MATERIAL_COLUMNS,
    PERIOD_COLUMN,
    material_units,
    nest,
)
from mixopt.io.validate import TableOrigin
from mixopt.model.schema.horizon import Horizon

FILES_KEYS = ("materials", *CONSTITUENT_TABLES)


def _materials_from_csv(path: Path, problems: list[Problem], inside: Path,
                        origin: TableOrigin, periods: Any,
                        currency: str) -> list[dict[str, Any]]:
    """The materials table; with ``periods`` a long table (``period`` column, one row per
    material and period) folded into one record per material (``io.periods.fold_long``)."""
    every = {**material_units(HORIZON_MATERIAL_COLUMNS), PERIOD_COLUMN: ""}
    got = read_table(path, "materials", every, "name", problems, inside=inside,
                     currency=currency)
    if got is None:  # the file or its header row: what would follow from it is noise
        raise InputError(problems)
    rows, _ = got
    columns = HORIZON_MATERIAL_COLUMNS if periods is not None else MATERIAL_COLUMNS
    if periods is None and rows:
        linking = [c for c in rows[0] if c not in columns]
        if linking:
            problems.append(Problem(str(path), f"columns {linking} link periods: they need "
                                               "periods = [...] in the instance", "materials",
                                    field=linking[0]))
    if periods is not None and isinstance(periods, list):
        from mixopt.io.periods import fold_long

        def locate(i: int, column: str, msg: str) -> Problem:
            return Problem(str(path), msg, "materials", i, str(rows[i - 1].get("name")),
                           column)

        rows, origin.materials_rows = fold_long(rows, [str(p) for p in periods], locate,
                                                problems)
    return [nest(row, columns) for row in rows]


def _attach_constituents(path: Path, table: str, raw: dict[str, Any],
                         origin: TableOrigin, problems: list[Problem], inside: Path,
                         periods: Any) -> None:
    """A wide constituent table (``composition`` or ``composition_sd``) into the records;
    with ``periods``, a ``period`` column gives a material's complete row for one period
    (blank: every period without a row of its own). Headers name constituents
    (``mixopt.io.columns``); in ``composition`` a 0 is no content, a row must hold a value
    (``io.columns.blank_cells``)."""
    from mixopt.io.periods import fold_rows

    materials = raw["materials"]
    table_raw = read_raw(path, table, problems, inside)
    if table_raw is None:
        raise InputError(problems)
    head = header_of(table_raw, table, {"material": "", PERIOD_COLUMN: ""}, "material",
                     problems, constituents=Vocabulary(instance_constituents(raw)),
                     currency=str(raw.get("currency", "USD")))
    if head is None:
        raise InputError(problems)
    index = {m.get("name"): m for m in materials if isinstance(m, dict)}
    origin.tables[table] = (path, {})
    groups: dict[str, list[tuple[Any, dict[str, Any], Any]]] = {}
    blanks = Blanks(str(path))
    cols = [c for c in head.columns if c.name not in ("material", PERIOD_COLUMN)]
    for i, cells in enumerate(table_raw.rows, start=1):
        row = {c.name: cells[c.index] for c in head.columns}
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
        blank = []
        for col in cols:
            text = cells[col.index]
            if text == "":
                blank.append(col.name)
                continue
            try:
                v = col.value(float(text))
            except ValueError:
                problems.append(Problem(str(path), f"{text!r} is not a number", table, i,
                                        name, col.name))
                continue
            if v != 0 or table != "composition":  # in a composition, 0 is no content
                values[col.name] = v
        if table == "composition" and blank:
            if len(blank) == len(cols) and cols:
                problems.append(Problem(str(path), BLANK_ROW, table, i, name, "material"))
                continue
            blanks.add(f"{name} ({', '.join(blank)})", len(blank))

        def locate(msg: str, i: int = i, name: str = name) -> Problem:
            return Problem(str(path), msg, table, i, name, PERIOD_COLUMN)

        groups.setdefault(name, []).append((period, values, locate))
    blanks.warn(table)
    for name, lines in groups.items():
        if not isinstance(periods, list) and len(lines) > 1:
            problems.append(lines[1][2]("a second row for this material"))
            continue
        folded = (fold_rows(lines, [str(p) for p in periods], table, problems)
                  if isinstance(periods, list) else lines[0][1])
        if folded is not None:
            index[name][table] = folded
    if table == "composition":
        for i, m in enumerate(materials):
            if isinstance(m, dict) and "composition" not in m and m.get("name") not in groups \
                    and isinstance(m.get("name"), str) and not _row_refused(problems, path, m):
                problems.append(origin.locate(("materials", i, "name"), raw,
                                              f"has no row in {path.name}: add one (0 in every "
                                              "column for pure metal)"))
                m["composition"] = {}  # refused above; not a second problem below


def _row_refused(problems: list[Problem], path: Path, m: dict[str, Any]) -> bool:
    """A material whose composition row was refused already (all blank)."""
    return any(p.file == str(path) and p.row_name == m.get("name") for p in problems)


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
                                               origin, raw.get("periods"),
                                               str(raw.get("currency", "USD")))
    mats = raw.get("materials")
    for table in CONSTITUENT_TABLES:
        if table in files and isinstance(mats, list):
            _attach_constituents(path.parent / str(files[table]), table, raw, origin,
                                 problems, path.parent, raw.get("periods"))
    return read_plan(raw, origin, problems)
