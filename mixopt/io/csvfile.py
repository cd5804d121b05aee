"""Reading CSV tables (materials, composition, lab analyses): UTF-8 (a byte-order mark is
dropped), a header row, bounded, strictly quoted (an unterminated quote is refused, not
read to the end of the file as one cell). A file saved by an Excel in a comma-decimal
locale (semicolons between cells, decimal commas: ``1,5``) is recognised from its header,
or from Excel's ``sep=;`` first line, and read as meant; the dialect found is logged.

``read_table`` reads one table by the header rules of ``mixopt.io.columns``: every
header names a field or a constituent (case, spaces and a unit aside), a unit in a header
is converted to the field's, a column given twice or naming nothing known is refused, and
a file whose header row cannot be found is refused in one message naming the columns it
needs.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mixopt.errors import Problem
from mixopt.io.columns import Column, Header, Vocabulary, resolve
from mixopt.io.files import check_size, read_text
from mixopt.io.validate import MAX_ROWS

log = logging.getLogger(__name__)

#: A number with a decimal comma (and perhaps points between thousands): 1,5 or 1.234,5
DECIMAL_COMMA = re.compile(r"^[-+]?(\d{1,3}(\.\d{3})+|\d+),\d+$")
#: A number with a point and no comma: ambiguous in a decimal-comma file (1.250 = 1250?)
DECIMAL_POINT = re.compile(r"^[-+]?\d+\.\d+$")
#: Excel's first line naming the separator (``sep=;``).
SEP_LINE = re.compile(r"^sep=(.)\s*$")


@dataclass(frozen=True)
class RawTable:
    """A CSV file's cells as text: the header as written and the data rows."""

    path: Path
    header: list[str]
    rows: list[list[str]]
    delimiter: str
    decimal_comma: bool
    lines: list[int]  # the file line of each data row
    row_problems: list[Problem]  # of cells (said once the header row is found)


def read_raw(path: Path, table: str, problems: list[Problem],
             inside: Path | None = None) -> RawTable | None:
    """The cells of a CSV file (stripped; decimal commas turned into points in a
    comma-decimal file); None, with a problem added, when it cannot be read. ``inside``:
    the folder the file must be in."""
    if not check_size(path, problems, inside):
        return None
    text = read_text(path, problems, "text")
    if text is None:
        return None
    first, _, rest = text.partition("\n")
    skip = 0
    m = SEP_LINE.match(first.strip().strip('"'))
    if m:  # Excel's "sep=;" line: the separator, said
        delimiter, text, skip = m.group(1), rest, 1
        first = text.split("\n", 1)[0]
    else:
        delimiter = ";" if first.count(";") > first.count(",") else ","
    comma = delimiter == ";"
    if comma:
        log.info("%s: read as separated by ';' with decimal commas (a comma-decimal "
                 "locale's CSV)", path)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        header = [h.strip() for h in next(reader, [])]
        rows: list[list[str]] = []
        lines: list[int] = []
        found: list[Problem] = []
        for cells in reader:
            if len(rows) >= MAX_ROWS:
                problems.append(Problem(str(path), f"has more than {MAX_ROWS:,} rows", table))
                return None
            if not any(c.strip() for c in cells):
                continue  # a blank line
            if len(cells) > len(header):
                hint = "" if comma else (" (cells separated by ';' or decimal commas? the "
                                         "header decides: save it with ',' between cells "
                                         "or ';' throughout)")
                found.append(Problem(str(path), "has more cells than the header" + hint,
                                     table, len(rows) + 1))
                cells = cells[: len(header)]
            values = []
            for k, v in enumerate(cells):
                value = v.strip()
                if comma:
                    if DECIMAL_POINT.match(value):
                        found.append(Problem(
                            str(path), f"{value!r} has a decimal point in a file written with "
                            "decimal commas: is it a thousands separator or a decimal? "
                            "write it with a comma (e.g. '0,85') or no separator", table,
                            len(rows) + 1, field=header[k]))
                    elif DECIMAL_COMMA.match(value):
                        value = value.replace(".", "").replace(",", ".")
                values.append(value)
            rows.append(values + [""] * (len(header) - len(values)))
            lines.append(reader.line_num + skip)
        return RawTable(path, header, rows, delimiter, comma, lines, found)
    except csv.Error as exc:
        problems.append(Problem(str(path), f"is not a readable CSV file (line "
                                           f"{reader.line_num + skip}: {exc}; an unterminated "
                                           "quote?): nothing was read", table))
        return None


def header_of(raw: RawTable, table: str, fields: Mapping[str, str], key: str,
              problems: list[Problem], *, constituents: Vocabulary | None = None,
              currency: str = "USD", lab: bool = False) -> Header | None:
    """The columns of ``raw`` (``mixopt.io.columns.resolve``); None, with one problem,
    when the header row cannot be found (no ``key`` column): a title row above it, a
    separator that is not the file's."""
    head = resolve(enumerate(raw.header), fields, constituents=constituents,
                   currency=currency, lab=lab)
    if not head.has(key):
        problems.append(Problem(str(raw.path), no_header(key, raw.header, fields,
                                                         constituents is not None), table))
        return None
    for _, text, msg in head.problems:
        problems.append(Problem(str(raw.path), msg, table, field=text))
    problems.extend(raw.row_problems)
    if head.converted():
        log.info("%s: read in the fields' units: %s", raw.path, "; ".join(head.converted()))
    return head


def no_header(key: str, first: list[Any], fields: Mapping[str, str], wide: bool) -> str:
    """Why a table's header row cannot be found: what its first row holds and the columns
    it needs."""
    shown = ", ".join(repr(str(h)) for h in first[:6] if h not in (None, "")) or "nothing"
    needs = [key, *[f for f in fields if f != key][:8]]
    more = ", ..." if len(fields) > 9 else ""
    wide_ = ", then one per constituent" if wide else ""
    return (f"has no header row with a {key!r} column: its first row holds {shown}; the "
            f"first row must name the columns ({', '.join(needs)}{more}{wide_}): delete any "
            "title rows above it")


def cell_value(column: Column, text: str) -> Any:
    """A cell's text in its field's unit: converted when its header gives another unit
    and the text is a number (otherwise as it is, for validation to name)."""
    if column.factor == 1 or text == "":
        return text
    try:
        return column.value(float(text))
    except ValueError:
        return text


def read_table(path: Path, table: str, fields: Mapping[str, str], key: str,
               problems: list[Problem], *, inside: Path | None = None,
               currency: str = "USD") -> tuple[list[dict[str, Any]], list[int]] | None:
    """The rows of a table of fields (the materials CSV) as {field: text or number},
    each cell in its field's unit, and the file line of each row; None when the file or
    its header cannot be read (the problem is added)."""
    raw = read_raw(path, table, problems, inside)
    if raw is None:
        return None
    head = header_of(raw, table, fields, key, problems, currency=currency)
    if head is None:
        return None
    rows = [{c.name: cell_value(c, cells[c.index]) for c in head.columns} for cells in raw.rows]
    return rows, raw.lines
