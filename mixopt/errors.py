"""mixopt's errors: an input's every problem at once, each pointing at its place; and a
solver plan that failed the independent recheck."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem of an input, located as precisely as the input allows."""

    file: str
    message: str
    table: str | None = None
    row: int | None = None  # 1-based row of a table (TOML array entry or CSV data line);
    #                         in a workbook, the Excel row number
    row_name: str | None = None
    field: str | None = None  # in a workbook, the column's header
    sheet: str | None = None  # workbook inputs: the sheet and A1 cell instead of the table
    cell: str | None = None

    @property
    def place(self) -> tuple:
        """Where it is (its row name aside): one problem per place is enough."""
        return (self.file, self.sheet, self.table, self.row, self.field, self.cell)

    def __str__(self) -> str:
        where = [self.file]
        if self.sheet is not None:  # in the workbook's own words
            where.append(f"sheet '{self.sheet}'")
            if self.row is not None:
                where.append(f"row {self.row}" + (f" ({self.row_name!r})" if self.row_name
                                                   else ""))
            if self.field is not None:
                where.append(f"column '{self.field}'")
            if self.cell is not None:
                where[-1] += f" (cell {self.cell})"
            return ", ".join(where) + f": {self.message}"
        if self.table is not None:
            where.append(f"table '{self.table}'")
        if self.row is not None:
            where.append(f"row {self.row}" + (f" ({self.row_name!r})" if self.row_name else ""))
        if self.field is not None:
            where.append(f"field '{self.field}'")
        return ", ".join(where) + f": {self.message}"


class InputError(Exception):
    """An input (instance, override, solution file) has one or more problems."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the input"
        super().__init__(head + ":\n" + "\n".join(f"  - {p}" for p in self.problems))


class RecheckError(RuntimeError):
    """The solver reported a plan that breaks the instance's rules (``violations``: each
    broken rule with its size, from ``mixopt.model.evaluate``)."""

    def __init__(self, violations: tuple) -> None:
        self.violations = violations
        lines = "\n".join(f"  - {v}" for v in violations)
        super().__init__("the solver's plan fails the independent recheck:\n" + lines)


class Interrupted(Exception):
    """Ctrl-C during a run of many solves: ``finished`` holds what was done (by key or as
    a table), for the caller to keep."""

    def __init__(self, finished: object) -> None:
        super().__init__("interrupted")
        self.finished = finished


class Incomplete(Exception):
    """Some solves of a grid could not be run (their workers died): ``table`` holds the
    rows that were solved, ``failed`` a reason per point that was not."""

    def __init__(self, table: object, failed: list[tuple[dict, str]]) -> None:
        super().__init__(f"{len(failed)} point(s) could not be solved")
        self.table, self.failed = table, failed
