"""Read an instance from TOML (with optional CSV tables) into a validated ``Instance``.

Every problem is gathered before anything is raised, and each names its file,
table, row and field. Readers never evaluate code: ``tomllib`` and ``csv`` only.

The TOML may move the large tables out to CSV files next to it::

    [files]
    materials = "materials.csv"      # one row per material, flat columns (see CSV_COLUMNS)
    composition = "composition.csv"  # wide: a 'material' column, then one column per constituent
"""

from __future__ import annotations

import copy
import csv
import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ValidationError

from mixopt.alloys import library
from mixopt.errors import InputError, Problem
from mixopt.instance import Instance, Material

#: Inputs above this size are refused before parsing.
MAX_FILE_BYTES = 50 * 1024 * 1024
#: Tables above this many rows are refused (a month has at most a few thousand lots).
MAX_ROWS = 100_000
FILES_KEYS = ("materials", "composition")


def _csv_columns(model: type[BaseModel], prefix: str = "") -> dict[str, tuple[str, ...]]:
    """Flat CSV column name -> path in the nested record, derived from the registry."""
    out: dict[str, tuple[str, ...]] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key == "composition":
            continue  # its own table
        ann = info.annotation
        sub = next((a for a in getattr(ann, "__args__", (ann,))
                    if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if sub is not None:
            for col, path in _csv_columns(sub).items():
                out[f"{prefix}{key}_{col}"] = (key, *path)
        else:
            out[f"{prefix}{key}"] = (key,)
    return out


#: Columns of a materials CSV, e.g. ``footprint_full`` -> ``footprint.full``.
CSV_COLUMNS: dict[str, tuple[str, ...]] = _csv_columns(Material)


class _Origin:
    """Where each row of the materials table came from, for error messages."""

    def __init__(self, toml: Path) -> None:
        self.toml = toml
        self.materials_csv: Path | None = None

    def locate(self, loc: tuple[Any, ...], raw: Mapping[str, Any], msg: str) -> Problem:
        parts = list(loc)
        table = str(parts[0]) if parts else None
        if table in ("materials", "products") and len(parts) >= 2 and isinstance(parts[1], int):
            i = parts[1]
            rows = raw.get(table) or []
            name = rows[i].get("name") if i < len(rows) and isinstance(rows[i], dict) else None
            field = ".".join(str(p) for p in parts[2:]) or None
            if table == "materials" and self.materials_csv is not None:
                if field is not None and field != "composition":
                    field = _column_of(parts[2:])
                return Problem(str(self.materials_csv), msg, "materials", i + 1,
                               str(name) if name else None, field)
            return Problem(str(self.toml), msg, table, i + 1, str(name) if name else None, field)
        if table == "alloys" and len(parts) >= 2:
            rest = [str(p) for p in parts[2:] if p != "[key]"]
            return Problem(str(self.toml), msg, f"alloys.{parts[1]}", None, None,
                           ".".join(rest) or None)
        return Problem(str(self.toml), msg, table, None, None,
                       ".".join(str(p) for p in parts[1:]) or None)


def _column_of(path: list[Any]) -> str:
    for col, p in CSV_COLUMNS.items():
        if tuple(path[: len(p)]) == p:
            return col
    return ".".join(str(p) for p in path)


def _check_size(path: Path, problems: list[Problem]) -> bool:
    try:
        size = path.stat().st_size
    except OSError as exc:
        problems.append(Problem(str(path), f"cannot be read: {exc.strerror or exc}"))
        return False
    if size > MAX_FILE_BYTES:
        problems.append(Problem(str(path), f"is {size:,} bytes, over the limit of "
                                           f"{MAX_FILE_BYTES:,}"))
        return False
    return True


def _read_csv(path: Path, table: str, problems: list[Problem]) -> list[dict[str, str]] | None:
    if not _check_size(path, problems):
        return None
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            rows = []
            for row in reader:
                if len(rows) >= MAX_ROWS:
                    problems.append(Problem(str(path), f"has more than {MAX_ROWS:,} rows", table))
                    return None
                if None in row:
                    problems.append(Problem(str(path), "has more cells than the header", table,
                                            len(rows) + 1))
                    row.pop(None)
                rows.append({k.strip(): (v or "").strip() for k, v in row.items()
                             if k is not None})
            return rows
    except (UnicodeDecodeError, csv.Error) as exc:
        problems.append(Problem(str(path), f"is not a readable UTF-8 CSV file: {exc}", table))
        return None


def _materials_from_csv(path: Path, problems: list[Problem]) -> list[dict[str, Any]]:
    rows = _read_csv(path, "materials", problems)
    if rows is None:
        return []
    if rows:
        unknown = [c for c in rows[0] if c not in CSV_COLUMNS]
        if unknown:
            problems.append(Problem(str(path), f"unknown columns {unknown}; known columns are "
                                               f"{list(CSV_COLUMNS)}", "materials"))
    out = []
    for row in rows:
        rec: dict[str, Any] = {}
        for col, value in row.items():
            if value == "" or col not in CSV_COLUMNS:
                continue
            *parents, leaf = CSV_COLUMNS[col]
            node = rec
            for p in parents:
                node = node.setdefault(p, {})
            node[leaf] = value
        out.append(rec)
    return out


def _attach_composition(path: Path, materials: list[dict[str, Any]],
                        problems: list[Problem]) -> None:
    rows = _read_csv(path, "composition", problems)
    if rows is None:
        return
    index = {m.get("name"): m for m in materials if isinstance(m, dict)}
    for i, row in enumerate(rows, start=1):
        name = row.get("material", "")
        if name not in index:
            problems.append(Problem(str(path), f"names material {name!r}, which the instance "
                                               "does not have", "composition", i, name or None,
                                    "material"))
            continue
        if "composition" in index[name]:
            problems.append(Problem(str(path), "this material's composition is also given "
                                               "inline", "composition", i, name, "material"))
            continue
        comp: dict[str, Any] = {}
        for col, value in row.items():
            if col == "material" or value == "":
                continue
            try:
                comp[col] = float(value)
            except ValueError:
                problems.append(Problem(str(path), f"{value!r} is not a number", "composition",
                                        i, name, col))
        index[name]["composition"] = comp


def _duplicates(raw: Mapping[str, Any], origin: _Origin, problems: list[Problem]) -> None:
    for table in ("products", "materials"):
        rows = raw.get(table)
        if not isinstance(rows, list):
            continue
        first: dict[str, int] = {}
        for i, row in enumerate(rows):
            name = row.get("name") if isinstance(row, dict) else None
            if not isinstance(name, str):
                continue
            if name in first:
                problems.append(origin.locate((table, i, "name"), raw,
                                              f"duplicate name {name!r} (first used in row "
                                              f"{first[name] + 1})"))
            else:
                first[name] = i


def _resolve_alloys(raw: dict[str, Any], origin: _Origin, problems: list[Problem]) -> None:
    """Add library alloys for products whose alloy the instance does not define."""
    alloys = raw.setdefault("alloys", {})
    if not isinstance(alloys, dict):
        return
    lib = library()
    for i, p in enumerate(raw.get("products") or []):
        if not isinstance(p, dict) or not isinstance(p.get("alloy"), str):
            continue
        a = p["alloy"]
        if a in alloys:
            continue
        if a in lib:
            alloys[a] = {k: list(v) for k, v in lib[a].limits_wt_pct.items()}
        else:
            problems.append(origin.locate(
                ("products", i, "alloy"), raw,
                f"unknown alloy {a!r}: define it under [alloys.{a}] or use one of the "
                f"shipped library ({', '.join(sorted(lib))})"))


def _from_validation_error(err: ValidationError, raw: Mapping[str, Any],
                           origin: _Origin) -> list[Problem]:
    errors = err.errors(include_url=False)
    locs = [tuple(e["loc"]) for e in errors]
    out = []
    for e, loc in zip(errors, locs, strict=True):
        # pydantic adds "too short" to a tuple whose items failed: noise next to the real error
        if e["type"] == "too_short" and any(o[: len(loc)] == loc and o != loc for o in locs):
            continue
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] in ("float_parsing", "float_type", "int_parsing"):
            msg = f"{e['input']!r} is not a number"
        out.append(origin.locate(loc, raw, msg))
    return out


def instance_from_dict(raw: dict[str, Any], source: str = "<dict>") -> Instance:
    """Validate a plain mapping (as read from TOML) into an ``Instance``; ``raw`` is not
    changed (library alloys are added to a copy)."""
    return _validate(copy.deepcopy(raw), _Origin(Path(source)), [])


def _validate(raw: dict[str, Any], origin: _Origin, problems: list[Problem]) -> Instance:
    for table in ("products", "materials"):
        rows = raw.get(table)
        if isinstance(rows, list) and len(rows) > MAX_ROWS:
            problems.append(Problem(str(origin.toml), f"has {len(rows):,} rows, over the limit "
                                                      f"of {MAX_ROWS:,}", table))
            raise InputError(problems)
    _duplicates(raw, origin, problems)
    _resolve_alloys(raw, origin, problems)
    try:
        instance = Instance.model_validate(raw)
    except ValidationError as err:
        problems.extend(_from_validation_error(err, raw, origin))
    if problems:
        raise InputError(problems)
    return instance


def read_instance(path: str | Path) -> Instance:
    """Read and validate an instance file; raise ``InputError`` listing every problem.

    The caller's files are only read, never changed.
    """
    path = Path(path)
    problems: list[Problem] = []
    origin = _Origin(path)
    if path.suffix.lower() == ".xlsx":
        from mixopt.excel import read_workbook  # the workbook reader builds on this one

        return read_workbook(path)
    if path.suffix.lower() != ".toml":
        raise InputError([Problem(str(path), "unsupported file type: expected a .toml "
                                             "instance or an .xlsx workbook")])
    if not _check_size(path, problems):
        raise InputError(problems)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError([Problem(str(path), f"is not UTF-8 text: {exc}")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError([Problem(str(path), f"is not valid TOML: {exc}")]) from None

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
        raw["materials"] = _materials_from_csv(origin.materials_csv, problems)
    if "composition" in files:
        mats = raw.get("materials")
        if isinstance(mats, list):
            _attach_composition(path.parent / str(files["composition"]), mats, problems)
    instance = _validate(raw, origin, problems)
    from mixopt.scenario import check_scenarios  # scenarios are variants of this reader's output

    problems = check_scenarios(instance, str(path))
    if problems:
        raise InputError(problems)
    return instance


def read_mix(path: str | Path, instance: Instance) -> np.ndarray:
    """Read a plan (a mixopt JSON result, or any JSON with a ``mix`` list of
    {product, material, tonnes}) into a products x materials array of charged t."""
    path = Path(path)
    problems: list[Problem] = []
    if not _check_size(path, problems):
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
