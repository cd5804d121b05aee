"""What every spreadsheet mixopt writes or reads shares: safe cells, headers, saving,
and the guard a workbook passes before it is opened."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from mixopt.errors import InputError, Problem
from mixopt.io.atomic import write_atomic
from mixopt.io.files import check_size

#: Workbooks above this uncompressed size are refused (a zip bomb guard).
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
#: Text starting with one of these would be read by a spreadsheet as a formula (OWASP's
#: CSV injection list: tab and carriage return as well).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


#: Number formats by unit: tonnes to 0.1 t, contents to 1e-4 wt%, money with thousands
#: separators, shares as percentages (the reader takes a share's percent as its fraction).
NUMBER_FORMATS = {"t": "#,##0.0", "wt%": "0.0000", "currency/t": "#,##0.00",
                  "currency/t CO2e": "#,##0.00", "currency": "#,##0",
                  "t CO2e/t": "0.000", "t CO2e/t slab": "0.000", "t CO2e": "#,##0.0",
                  "t/t": "0.000", "share 0..1": "0.0%", "probability 0.5..1": "0.0%"}


def number_format(unit: str) -> str:
    """The cell format for a value in ``unit`` (General when none is set)."""
    return NUMBER_FORMATS.get(unit, "General")


def formula_safe(value: Any) -> Any:
    """Text that a spreadsheet would take for a formula, prefixed with ``'`` (for CSV; a
    workbook stores text cells as text instead: ``put``)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def put(ws: Any, row: int, col: int, value: Any) -> Any:
    """Write a cell; text is stored as text (never read back as a formula)."""
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def header(ws: Any, names: list[str]) -> None:
    """A bold header row, frozen."""
    from openpyxl.styles import Font

    for c, n in enumerate(names, start=1):
        put(ws, 1, c, n).font = Font(bold=True)
    ws.freeze_panes = "A2"


def save_workbook(wb: Any, path: Path, force: bool = False) -> None:
    """Save atomically; never over an existing file unless ``force``."""
    write_atomic(path, wb.save, force)


def check_workbook_file(path: Path) -> None:
    """The file is a regular file and a zip of bounded packed and unpacked size, or
    ``InputError``."""
    problems: list[Problem] = []
    if not check_size(path, problems):
        raise InputError(problems)
    try:
        with zipfile.ZipFile(path) as z:
            total = sum(i.file_size for i in z.infolist())
    except zipfile.BadZipFile:
        raise InputError([Problem(str(path), "is not an .xlsx workbook")]) from None
    if total > MAX_UNCOMPRESSED_BYTES:
        raise InputError([Problem(str(path), f"unpacks to {total:,} bytes, over the limit of "
                                             f"{MAX_UNCOMPRESSED_BYTES:,}")])
