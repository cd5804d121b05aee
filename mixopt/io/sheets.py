"""Reading one sheet of a planner's workbook as the planner meant it, cell by cell.

Every value is taken from the cell itself (openpyxl in normal mode: every row is read,
whatever the sheet's stored dimension says), and read in the unit of its column:

- a percent-formatted cell in a wt% column is the percentage the planner typed (Excel
  stores 0.85 % as 0.0085); in a share column it is the fraction it shows (64 % = 0.64);
  in any other column it is refused;
- a formula with no saved result (a file written by a program that does not compute
  formulas), an Excel error (#N/A) or a date in a number column is refused by cell;
- text is stripped; a number typed in a text column (a name "6063") is that text;
- merged cells in a table are refused (only their first cell holds a value); hidden rows
  are read like any other, with a warning; the template's ``(example)`` rows are skipped,
  with a warning.

Headers may carry their unit in brackets (``cost [USD/t]``), as the template writes them.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter

from mixopt.errors import Problem
from mixopt.io.validate import MAX_ROWS

log = logging.getLogger(__name__)

#: A header ``name [unit]``: the unit is for people; the name is the column.
HEADER_RE = re.compile(r"^(?P<name>.*?)\s*\[[^\]]*\]\s*$")
#: The template's example rows start with this; they are not data.
EXAMPLE = "(example)"
#: Columns whose percent-formatted cells hold the fraction they show.
SHARE_UNITS = ("share 0..1", "t/t", "probability 0.5..1")
TEXT = ""  # the unit of a text column


def header_name(text: Any) -> str:
    """The column a header names (its bracketed unit dropped)."""
    s = "" if text is None else str(text).strip()
    m = HEADER_RE.match(s)
    return m.group("name").strip() if m else s


@dataclass(frozen=True)
class Row:
    number: int  # the Excel row
    values: dict[str, Any]  # column -> value as the planner meant it (None: blank)
    letters: dict[str, str]  # column -> its column letter


class SheetReader:
    """The rows of one sheet, each cell read in its column's unit (``units``: column ->
    unit; columns not listed are read with ``default_unit``). Problems go to ``problems``,
    in the workbook's words."""

    def __init__(self, path: Path, name: str, values: Any, formulas: Any,
                 units: dict[str, str], problems: list[Problem],
                 default_unit: str = TEXT) -> None:
        self.path, self.name, self.ws, self.wf = path, name, values, formulas
        self.units, self.default_unit, self.problems = units, default_unit, problems
        self.header: dict[int, str] = {}
        for cell in next(self.ws.iter_rows(min_row=1, max_row=1), ()):
            h = header_name(cell.value)
            if h:
                self.header[cell.column] = h
        self.letters = {h: get_column_letter(c) for c, h in self.header.items()}

    def problem(self, message: str, row: int | None = None, column: str | None = None,
                row_name: str | None = None) -> None:
        cell = f"{self.letters.get(column, '?')}{row}" if column and row else None
        self.problems.append(Problem(str(self.path), message, row=row, row_name=row_name,
                                     field=column, sheet=self.name, cell=cell))

    def columns(self) -> list[str]:
        return list(self.header.values())

    def rows(self, name_column: str | None = None) -> Iterator[Row]:
        """Every non-blank data row, values read as meant (problems recorded)."""
        self._merged()
        hidden = [r for r, dim in self.ws.row_dimensions.items() if dim.hidden and r > 1]
        if hidden:
            log.warning("%s, sheet '%s': rows %s are hidden; they are read like any other",
                        self.path, self.name, ", ".join(map(str, sorted(hidden))))
        count = 0
        for r in range(2, self.ws.max_row + 1):
            before = len(self.problems)
            values = {h: self._value(r, c, h) for c, h in self.header.items()}
            if all(v is None for v in values.values()):
                continue  # a blank row (a refused cell in it is already a problem)
            first = values.get(name_column) if name_column else next(
                (v for v in values.values() if v is not None), None)
            if isinstance(first, str):  # name the row in the problems of its cells
                self.problems[before:] = [replace(p, row_name=first)
                                          for p in self.problems[before:]]
            if isinstance(first, str) and first.startswith(EXAMPLE):
                log.warning("%s, sheet '%s', row %d: the template's example row, not read",
                            self.path, self.name, r)
                continue
            count += 1
            if count > MAX_ROWS:
                self.problem(f"has more than {MAX_ROWS:,} rows")
                return
            yield Row(r, values, self.letters)

    def _merged(self) -> None:
        for rng in self.ws.merged_cells.ranges:
            self.problems.append(Problem(
                str(self.path), f"cells {rng.coord} are merged (only the first holds a "
                                "value): unmerge them and type the value in each cell",
                sheet=self.name, cell=rng.coord.split(":")[0], row=rng.min_row))

    def _value(self, r: int, c: int, column: str) -> Any:
        """The cell at (r, c) as the planner meant it, in the unit of ``column``."""
        cell = self.ws.cell(row=r, column=c)
        v = cell.value
        unit = self.units.get(column, self.default_unit)
        where = {"row": r, "column": column}
        if v is None:
            f = self.wf.cell(row=r, column=c).value
            if isinstance(f, str) and f.startswith("="):
                self.problem(f"holds the formula {f} with no saved result (the file was "
                             "written by a program that does not compute formulas): open "
                             "and save it in Excel or LibreOffice, or type the value", **where)
            return None
        if cell.data_type == "e":
            self.problem(f"holds the spreadsheet error {v}: fix the cell or its formula",
                         **where)
            return None
        if isinstance(v, datetime.datetime | datetime.date | datetime.time):
            if unit == TEXT:
                return str(v)
            self.problem(f"holds a date or time ({v}): the spreadsheet turned what was typed "
                         "into a date; format the cell as a number and type it again", **where)
            return None
        if isinstance(v, str):
            v = v.strip()
            return v or None
        if isinstance(v, bool):
            return v
        if unit == TEXT:  # a number typed in a text column: the text it shows
            return str(int(v)) if float(v).is_integer() else str(v)
        if "%" in (cell.number_format or ""):
            if unit == "wt%":
                return v * 100  # 0.85 % is stored as 0.0085: the planner meant 0.85 wt%
            if unit in SHARE_UNITS:
                return v  # 64 % is the share 0.64
            self.problem(f"is formatted as a percentage ({v:.6g} shown as {v:.4%}), but the "
                         f"column is in {unit}: format it as a number", **where)
            return None
        return v
