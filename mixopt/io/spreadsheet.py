"""What every spreadsheet mixopt writes or reads shares: safe cells, headers, saving,
and the guard a workbook passes before it is opened."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from mixopt.errors import InputError, Problem
from mixopt.io.atomic import write_atomic
from mixopt.io.validate import MAX_FILE_BYTES

#: Workbooks above this uncompressed size are refused (a zip bomb guard).
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
#: Text starting with one of these would be read by a spreadsheet as a formula.
FORMULA_START = ("=", "+", "-", "@")


def formula_safe(value: Any) -> Any:
    """Text that a spreadsheet would take for a formula, prefixed with ``'``."""
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
    """The file is a zip of bounded packed and unpacked size, or ``InputError``."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError([Problem(str(path), f"cannot be read: {exc.strerror or exc}")]) \
            from None
    if size > MAX_FILE_BYTES:
        raise InputError([Problem(str(path), f"is {size:,} bytes, over the limit of "
                                             f"{MAX_FILE_BYTES:,}")])
    try:
        with zipfile.ZipFile(path) as z:
            total = sum(i.file_size for i in z.infolist())
    except zipfile.BadZipFile:
        raise InputError([Problem(str(path), "is not an .xlsx workbook")]) from None
    if total > MAX_UNCOMPRESSED_BYTES:
        raise InputError([Problem(str(path), f"unpacks to {total:,} bytes, over the limit of "
                                             f"{MAX_UNCOMPRESSED_BYTES:,}")])
