"""Names in an instance document: each used once per table, constituents in their
canonical spelling, and where a planner writes an entry, in the words of the input's
carrier. Called by ``mixopt.io.validate`` before the document is validated."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mixopt.errors import Problem
from mixopt.io.columns import Vocabulary, instance_constituents
from mixopt.io.schema import CONSTITUENT_TABLES


def duplicates(raw: Mapping[str, Any], origin: Any, problems: list[Problem]) -> None:
    """A name used twice in a table is refused, naming the row (as the carrier counts
    rows: the Excel row, the CSV row, the TOML entry) of its first use."""
    for table in ("products", "materials", "processes", "capacities"):
        rows = raw.get(table)
        if not isinstance(rows, list):
            continue
        first: dict[str, int] = {}
        for i, row in enumerate(rows):
            name = row.get("name") if isinstance(row, dict) else None
            if not isinstance(name, str):
                continue
            if name in first:
                at = origin.locate((table, first[name], "name"), raw, "").row
                problems.append(origin.locate((table, i, "name"), raw,
                                              f"duplicate name {name!r}" + (
                                                  f" (first used in row {at})" if at else "")))
            else:
                first[name] = i


def place(origin: Any, table: str, name: str | None = None) -> str:
    """Where a planner writes an entry of ``table``, in the words of the input's carrier:
    "under [alloys.X]" in TOML, "in sheet 'alloys' (...)" in a workbook."""
    words = getattr(origin, "place", None)
    if words is not None:
        return words(table, name)
    return f"under [{table}.{name}]" if name else f"under [{table}]"


def canonical_constituents(raw: dict[str, Any], origin: Any, problems: list[Problem]) -> None:
    """Constituent names in their canonical spelling (``FE`` is ``Fe``): keys of alloy
    windows, aims, compositions and spreads. A composition may name a chemical element or
    a constituent the instance's alloys (or aims) limit; any other name, and a name given
    twice in one table, is refused (``mixopt.io.columns``)."""
    vocabulary = Vocabulary(instance_constituents(raw))

    def table(mapping: Any, loc: tuple[Any, ...], free: bool) -> Any:
        if not isinstance(mapping, dict):
            return mapping
        out: dict[Any, Any] = {}
        for key, value in mapping.items():
            name = vocabulary.canonical(str(key)) if isinstance(key, str) else None
            if name is None:
                if not free:
                    near = vocabulary.closest(str(key))
                    problems.append(origin.locate((*loc, key), raw, (
                        f"{key!r} is not a chemical element nor a constituent the "
                        "instance's alloys limit" + (f"; did you mean {near!r}?" if near
                                                     else ""))))
                    continue
                name = key
            if name in out:
                problems.append(origin.locate((*loc, key), raw, f"{name!r} is given twice "
                                                                f"(as {key!r} too): keep one"))
                continue
            out[name] = value
        return out

    alloys = raw.get("alloys")
    if isinstance(alloys, dict):
        for a in list(alloys):
            alloys[a] = table(alloys[a], ("alloys", a), free=True)
    for i, p in enumerate(raw.get("products") or []):
        if isinstance(p, dict) and "aim" in p:
            p["aim"] = table(p["aim"], ("products", i, "aim"), free=True)
    for i, m in enumerate(raw.get("materials") or []):
        for key in CONSTITUENT_TABLES:
            if isinstance(m, dict) and key in m:
                m[key] = table(m[key], ("materials", i, key), free=False)
