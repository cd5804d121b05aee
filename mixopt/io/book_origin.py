"""Where each value of a workbook came from: a problem of the instance, found by
validation, named by sheet, column, Excel row and cell, and advice in the workbook's
words (sheets and cells, not TOML tables)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mixopt.errors import Problem
from mixopt.io.schema import (
    CONSTITUENT_TABLES,
    HORIZON_MATERIAL_COLUMNS,
    NAMED_SHEETS,
    PRODUCT_COLUMNS,
)
from mixopt.io.schema import column_of as _column_of
from mixopt.io.sheets import Row

LOCATE_COLUMNS = {"products": PRODUCT_COLUMNS, "materials": HORIZON_MATERIAL_COLUMNS,
                  **{t: NAMED_SHEETS[t][1] for t in ("processes", "capacities", "rules")}}
#: Tables keyed by name (a sheet each, the name in the first column).
KEYED_SHEETS = ("power", "labels")
#: Where a table is written, for advice: the sheet and what its rows hold.
SHEET_WORDS = {"alloys": "in sheet 'alloys' (a row per constituent: alloy, constituent, "
                         "min_wt_pct, max_wt_pct)"}


class WorkbookOrigin:
    """Where each value of a workbook came from, to name it in the workbook's words."""

    def __init__(self, path: Path) -> None:
        self.file = path
        self.rows: dict[tuple[str, int], Row] = {}  # (sheet, index in the table) -> row
        self.settings: dict[str, int] = {}  # key -> Excel row
        self.windows: dict[tuple[str, str, str], int] = {}  # (sheet, owner, e) -> row
        self.constituents: dict[tuple[str, str], Row] = {}  # (sheet, material) -> row
        self.scenarios: dict[str, int] = {}
        self.keyed: dict[tuple[str, str], Row] = {}  # (sheet, name) -> row (power, labels)
        self.titles: dict[str, str] = {}  # sheet -> its title in this workbook
        self.letters: dict[str, dict[str, str]] = {}  # sheet -> column -> its letter

    def letter(self, sheet: str, column: str) -> str | None:
        return self.letters.get(sheet, {}).get(column)

    def place(self, table: str, name: str | None = None) -> str:
        """Where a planner writes an entry of ``table`` (advice in the workbook's words)."""
        return SHEET_WORDS.get(table, f"in sheet {table!r}").replace(
            f"'{table}'", repr(self.titles.get(table, table)))

    def _at(self, msg: str, sheet: str, row: int | None = None, column: str | None = None,
            letter: str | None = None, name: str | None = None) -> Problem:
        cell = f"{letter}{row}" if letter and row else None
        return Problem(str(self.file), msg, row=row, row_name=name, field=column,
                       sheet=self.titles.get(sheet, sheet), cell=cell)

    def locate(self, loc: tuple[Any, ...], raw: dict[str, Any], msg: str) -> Problem:
        parts = list(loc)
        head = str(parts[0]) if parts else ""
        if head in LOCATE_COLUMNS and len(parts) >= 2 and isinstance(parts[1], int):
            row = self.rows.get((head, parts[1]))
            name = raw[head][parts[1]].get("name") if parts[1] < len(raw[head]) else None
            path = [str(p) for p in parts[2:]]
            if head == "materials" and path[:1] and path[0] in CONSTITUENT_TABLES:
                crow = self.constituents.get((path[0], name))
                e = path[1] if len(path) > 1 else None
                return self._at(msg, path[0], crow.number if crow else None, e,
                                crow.letters.get(e) if crow and e else None, name)
            if head == "products" and path[:1] == ["aim"] and len(path) > 1:
                r = self.windows.get(("aims", str(name), path[1]))
                return self._at(msg, "aims", r, "min_wt_pct", self.letter("aims", "min_wt_pct"),
                                f"{name} / {path[1]}")
            col = _column_of(path, LOCATE_COLUMNS[head]) if path else "name"
            return self._at(msg, head, row.number if row else None, col,
                            row.letters.get(col) if row else None, name)
        if head == "alloys" and len(parts) >= 2:
            e = str(parts[2]) if len(parts) >= 3 else None
            r = self.windows.get(("alloys", str(parts[1]), e)) if e else min(
                (r for (s, a, _), r in self.windows.items() if s == "alloys" and a == parts[1]),
                default=None)
            col = "min_wt_pct" if e else "alloy"
            return self._at(msg, "alloys", r, col, self.letter("alloys", col),
                            f"{parts[1]} / {e}" if e else str(parts[1]))
        if head in KEYED_SHEETS and len(parts) >= 2:
            row = self.keyed.get((head, str(parts[1])))
            col = _column_of([str(p) for p in parts[2:]], NAMED_SHEETS[head][1]) \
                if len(parts) > 2 else "name"
            return self._at(msg, head, row.number if row else None, col,
                            row.letters.get(col) if row else None, str(parts[1]))
        if head == "scenarios" and len(parts) >= 2:
            return self._at(msg, "scenarios", self.scenarios.get(str(parts[1])), "scenario",
                            self.letter("scenarios", "scenario"), str(parts[1]))
        key = ".".join(str(p) for p in parts)
        r = self.settings.get(key)
        return self._at(msg, "settings", r, "value", self.letter("settings", "value"),
                        key or None)
