"""Reading CSV tables (materials, composition, lab analyses): UTF-8, a header row, bounded."""

from __future__ import annotations

import csv
from pathlib import Path

from mixopt.errors import Problem
from mixopt.io.validate import MAX_ROWS, check_size


def read_rows(path: Path, table: str, problems: list[Problem]) -> list[dict[str, str]] | None:
    """The data rows of a CSV file as {header: stripped text}; None (with a problem added)
    when the file cannot be read."""
    if not check_size(path, problems):
        return None
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            rows = []
            for row in reader:
                if len(rows) >= MAX_ROWS:
                    problems.append(Problem(str(path), f"has more than {MAX_ROWS:,} rows",
                                            table))
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
