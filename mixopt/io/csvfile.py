"""Reading CSV tables (materials, composition, lab analyses): UTF-8 (a byte-order mark is
dropped), a header row, bounded. A file saved by an Excel in a comma-decimal locale
(semicolons between cells, decimal commas: ``1,5``) is recognised from its header and
read as meant; the dialect found is logged."""

from __future__ import annotations

import csv
import io
import logging
import re
from pathlib import Path

from mixopt.errors import Problem
from mixopt.io.files import check_size, read_text
from mixopt.io.validate import MAX_ROWS

log = logging.getLogger(__name__)

#: A number with a decimal comma (and perhaps points between thousands): 1,5 or 1.234,5
DECIMAL_COMMA = re.compile(r"^[-+]?(\d{1,3}(\.\d{3})+|\d+),\d+$")
#: A number with a point and no comma: ambiguous in a decimal-comma file (1.250 = 1250?)
DECIMAL_POINT = re.compile(r"^[-+]?\d+\.\d+$")


def read_rows(path: Path, table: str, problems: list[Problem],
              inside: Path | None = None) -> list[dict[str, str]] | None:
    """The data rows of a CSV file as {header: stripped text}; None (with a problem added)
    when the file cannot be read. ``inside``: the folder the file must be in."""
    if not check_size(path, problems, inside):
        return None
    text = read_text(path, problems, "text")
    if text is None:
        return None
    first = text.split("\n", 1)[0]
    semicolons = first.count(";") > first.count(",")
    if semicolons:
        log.info("%s: read as separated by ';' with decimal commas (a comma-decimal "
                 "locale's CSV)", path)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=";" if semicolons
                                else ",")
        rows = []
        for row in reader:
            if len(rows) >= MAX_ROWS:
                problems.append(Problem(str(path), f"has more than {MAX_ROWS:,} rows", table))
                return None
            if None in row:
                hint = "" if semicolons else (" (cells separated by ';' or decimal commas? "
                                              "the header decides: save it with ',' between "
                                              "cells or ';' throughout)")
                problems.append(Problem(str(path), "has more cells than the header" + hint,
                                        table, len(rows) + 1))
                row.pop(None)
            record = {}
            for k, v in row.items():
                if k is None:
                    continue
                value = (v or "").strip()
                if semicolons:
                    if DECIMAL_POINT.match(value):
                        problems.append(Problem(
                            str(path), f"{value!r} has a decimal point in a file written with "
                            "decimal commas: is it a thousands separator or a decimal? "
                            "write it with a comma (e.g. '0,85') or no separator", table,
                            len(rows) + 1, field=k.strip()))
                    elif DECIMAL_COMMA.match(value):
                        value = value.replace(".", "").replace(",", ".")
                record[k.strip()] = value
            rows.append(record)
        return rows
    except csv.Error as exc:
        problems.append(Problem(str(path), f"is not a readable CSV file: {exc}", table))
        return None
