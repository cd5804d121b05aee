"""Reading one sheet of a planner's workbook as the planner meant it, cell by cell.

The header row names fields and constituents by the rules of ``mixopt.io.columns`` (case,
spaces and a unit in brackets aside; a unit is converted; a column given twice or naming
nothing known is refused by its cell; ``note:`` columns are the planner's own). A sheet
whose header row cannot be found (a title row above it) is refused in one message naming
the columns it needs. Every value is taken from the cell itself (every row present is
read, whatever the sheet's stored dimension says, in time linear in the cells the file
holds), and read in the unit of its column:

- a percent-formatted cell in a wt% column is the percentage the planner typed (Excel
  stores 0.85 % as 0.0085); in a share column it is the fraction it shows (64 % = 0.64);
  in any other column it is refused;
- a number typed as text follows the rules of a CSV of unknown locale (``1,5`` is 1.5;
  ``1.260`` could be 1260 or 1.26 and is refused by cell: ``columns.number_text``);
- a formula with no saved result (a file written by a program that does not compute
  formulas), an Excel error (#N/A) or a date in a number column is refused by cell;
- text is stripped; a number typed in a text column (a name "6063") is that text;
- merged cells in a table are refused (only their first cell holds a value); hidden rows
  are read like any other, with a warning; the template's ``(example)`` rows are skipped,
  with a warning.

A workbook whose sheet holds more rows than the cap (blank rows count: a formatted empty
row is a row of the file) is refused before it is loaded (``scan_sheets``); formulas are
streamed only from the sheets that hold some (``formula_cells``).
"""

from __future__ import annotations

import datetime
import logging
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter

from mixopt.errors import Problem
from mixopt.io.columns import Vocabulary, name_key, number_text, resolve, unit_factor
from mixopt.io.csvfile import no_header
from mixopt.io.validate import MAX_ROWS

log = logging.getLogger(__name__)

#: The template's example rows start with this; they are not data.
EXAMPLE = "(example)"
#: Columns whose percent-formatted cells hold the fraction they show.
SHARE_UNITS = ("share 0..1", "t/t", "probability 0.5..1")
TEXT = ""  # the unit of a text column
ANY = "number or text"  # a column whose numbers stay numbers and text stays text
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")


@dataclass(frozen=True)
class Row:
    number: int  # the Excel row
    values: dict[str, Any]  # column -> value as the planner meant it (None: blank)
    letters: dict[str, str]  # column -> its column letter


@dataclass(frozen=True)
class SheetScan:
    """What a sheet's XML holds, counted before the workbook is loaded."""

    rows: int  # <row> elements, blank ones included, counted up to the first past the cap
    formulas: bool  # some cell holds a formula


def scan_sheets(path: Path, limit: int = MAX_ROWS + 1) -> dict[str, SheetScan]:
    """Every sheet's rows (``<row>`` elements, blank ones included, each counted only up to
    the first row past ``limit``: a sheet that runs to row 1,048,576 costs what ``limit``
    rows cost) and whether it holds a formula, by streaming its XML."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)  # reads the sheet list, not the sheets
    out = {}
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            for ws in wb.worksheets:
                member = getattr(ws, "_worksheet_path", None)
                if member is None or member not in names:
                    continue
                n, tail, formulas = 0, b"", False
                with z.open(member) as fh:
                    while n <= limit:
                        chunk = fh.read(1 << 20)
                        if not chunk:
                            break
                        data = tail + chunk
                        n += len(_ROW_TAG.findall(data)) - len(_ROW_TAG.findall(tail))
                        formulas = formulas or _FORMULA_TAG.search(data) is not None
                        tail = data[-64:]
                out[ws.title] = SheetScan(n, formulas)
    finally:
        wb.close()
    return out


def formula_cells(path: Path, title: str) -> dict[tuple[int, int], str]:
    """(row, column) -> formula of every formula cell of a sheet, streamed (read-only, its
    stored dimension set aside): the cells whose saved result a reader needs."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=False)
    try:
        ws = wb[title]
        ws.reset_dimensions()
        return {(cell.row, cell.column): cell.value for row in ws.iter_rows() for cell in row
                if isinstance(getattr(cell, "value", None), str)
                and cell.value.startswith("=")}
    finally:
        wb.close()


def find_sheet(names: list[str], name: str) -> str | None:
    """The workbook's title of sheet ``name`` (case and spaces aside), or None."""
    return next((t for t in names if name_key(t) == name_key(name)), None)


class SheetReader:
    """The rows of one sheet, each cell read in its column's unit. ``fields``: column ->
    unit kind (``TEXT``, ``ANY`` or a unit of the registry); with ``constituents`` the
    other headers name constituents in ``constituent_kind``. Problems go to ``problems``,
    in the workbook's words; ``found`` is False when the header row cannot be found
    (one problem says so)."""

    def __init__(self, path: Path, name: str, values: Any,
                 formulas: dict[tuple[int, int], str],
                 fields: Mapping[str, str], key: str, problems: list[Problem], *,
                 constituents: Vocabulary | None = None, constituent_kind: str = "wt%",
                 currency: str = "USD") -> None:
        self.path, self.name, self.ws, self.formulas = path, name, values, formulas
        self.problems = problems
        first = {c: cell.value for (r, c), cell in values._cells.items() if r == 1}
        #: columns whose header row names something (a field, a note, or an unknown name)
        self.headed = {c for c, v in first.items() if v is not None and str(v).strip()}
        head = resolve(sorted(first.items()), fields, constituents=constituents,
                       constituent_kind=constituent_kind, currency=currency)
        self.columns = {c.index: c for c in head.columns}
        self.letters = {c.name: get_column_letter(c.index) for c in head.columns}
        self.found = head.has(key)
        if not self.found:
            self.problems.append(Problem(str(path), no_header(
                key, [first[c] for c in sorted(first)], {k: v for k, v in fields.items()},
                constituents is not None), sheet=name, row=1, cell="A1"))
            self.columns = {}
            return
        for index, text, msg in head.problems:
            self.problems.append(Problem(str(path), msg, row=1, field=text, sheet=name,
                                         cell=f"{get_column_letter(index)}1"))
        if head.converted():
            log.info("%s, sheet '%s': read in the fields' units: %s", path, name,
                     "; ".join(head.converted()))

    def problem(self, message: str, row: int | None = None, column: str | None = None,
                row_name: str | None = None) -> None:
        cell = f"{self.letters.get(column, '?')}{row}" if column and row else None
        self.problems.append(Problem(str(self.path), message, row=row, row_name=row_name,
                                     field=column, sheet=self.name, cell=cell))

    def names(self) -> list[str]:
        """The columns read, by the field or constituent each names."""
        return [c.name for c in self.columns.values()]

    def rows(self, name_column: str | None = None) -> Iterator[Row]:
        """Every non-blank data row, values read as meant (problems recorded)."""
        if not self.columns:
            return
        self._merged()
        hidden = [r for r, dim in self.ws.row_dimensions.items() if dim.hidden and r > 1]
        if hidden:
            log.warning("%s, sheet '%s': rows %s are hidden; they are read like any other",
                        self.path, self.name, ", ".join(map(str, sorted(hidden))))
        by_row: dict[int, dict[int, Any]] = {}
        stray: dict[int, int] = {}  # a column without a header that holds values: first row
        for (r, c), cell in self.ws._cells.items():  # the cells the file holds, no others
            if r > 1 and c in self.columns:
                by_row.setdefault(r, {})[c] = cell
            elif r > 1 and c not in self.headed and cell.value not in (None, ""):
                stray[c] = min(r, stray.get(c, r))
        for c, r in sorted(stray.items()):
            letter = get_column_letter(c)
            self.problems.append(Problem(
                str(self.path), f"column {letter} holds values (the first in row {r}) but no "
                                "header: name it in row 1, or start its header with 'note:' "
                                "for notes of your own", sheet=self.name, row=r,
                cell=f"{letter}{r}"))
        formulas: dict[int, set[int]] = {}
        for r, c in self.formulas:
            if r > 1 and c in self.columns:
                formulas.setdefault(r, set()).add(c)
                by_row.setdefault(r, {})
        count = 0
        for r in sorted(by_row):
            before = len(self.problems)
            cells = by_row[r]
            values = {col.name: self._value(r, c, cells.get(c), c in formulas.get(r, ()))
                      for c, col in self.columns.items()}
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

    def _value(self, r: int, c: int, cell: Any, formula: bool) -> Any:
        """The cell at (r, c) as the planner meant it, in the unit of its column."""
        col = self.columns[c]
        v = None if cell is None else cell.value
        unit = col.kind
        where = {"row": r, "column": col.name}
        if v is None:
            if formula:
                f = self.formulas[(r, c)]
                self.problem(f"holds the formula {f} with no saved result (the file was "
                             "written by a program that does not compute formulas): open "
                             "and save it in Excel or LibreOffice, or type the value", **where)
            return None
        if cell.data_type == "e":
            self.problem(f"holds the spreadsheet error {v}: fix the cell or its formula",
                         **where)
            return None
        if isinstance(v, datetime.datetime | datetime.date | datetime.time):
            if unit in (TEXT, ANY):
                return str(v)
            self.problem(f"holds a date or time ({v}): the spreadsheet turned what was typed "
                         "into a date; format the cell as a number and type it again", **where)
            return None
        if isinstance(v, str):
            v = v.strip()
            if not v:
                return None
            if unit in (TEXT, ANY):
                return v
            if v.endswith("%") and unit in ("wt%", *SHARE_UNITS):  # "0.9 %", "64%" typed
                number = number_text(v[:-1])
                if isinstance(number, float):
                    return number if unit == "wt%" else number / 100
            number = number_text(v)
            if isinstance(number, str):
                self.problem(number, **where)
                return None
            return v if number is None else col.value(number)
        if isinstance(v, bool):
            return v
        if unit == TEXT:  # a number typed in a text column: the text it shows
            return str(int(v)) if float(v).is_integer() else str(v)
        if "%" in (cell.number_format or "") and unit != ANY:
            return self._percent(v, col, where)
        return col.value(v)

    def _percent(self, v: float, col: Any, where: dict[str, Any]) -> Any:
        """A percent-formatted number: the percentage typed in a wt% column (unless its
        header says ppm), the fraction shown in a share column, else refused."""
        if col.kind == "wt%" and (col.given is None or col.factor == 1):
            return v * 100  # 0.85 % is stored as 0.0085: the planner meant 0.85 wt%
        if col.kind in SHARE_UNITS:
            return v  # 64 % is the share 0.64
        unit = col.given or col.kind
        self.problem(f"is formatted as a percentage ({v:.6g} shown as {v:.4%}), but the "
                     f"column is in {unit}: format it as a number", **where)
        return None


def setting_value(ws: SheetReader, row: Row, key: str, value: Any, kind: str,
                  currency: str) -> Any:
    """A value of the settings sheet (key | value | unit) read in its key's unit ``kind``,
    or in the unit its row's unit cell gives (converted, or refused by that cell)."""
    if value is None or kind == TEXT:
        return value
    if isinstance(value, str):
        number = number_text(value)
        if isinstance(number, str):
            ws.problem(number, row.number, "value", key)
            return None
        if number is None:
            return value  # not a number: validation names it
        value = number
    elif isinstance(value, bool):
        return value
    else:
        cell = ws.ws[f"{row.letters['value']}{row.number}"]
        if "%" in (cell.number_format or ""):
            if kind == "wt%":
                return value * 100
            if kind not in SHARE_UNITS:
                ws.problem(f"is formatted as a percentage, but the setting is in {kind}: "
                           "format it as a number", row.number, "value", key)
                return None
            return value
    given = row.values.get("unit")
    if isinstance(given, str) and given:
        factor = unit_factor(kind, given, currency)
        if isinstance(factor, str):
            ws.problem(factor, row.number, "unit", key)
            return None
        if factor != 1:
            return float(Fraction(value) * factor)
    return value
