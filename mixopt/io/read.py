"""Read any instance file into a validated ``Horizon``: the one entry point of every
command. A month is the horizon of its one period; several periods (``periods = [...]``)
are read period by period (``mixopt.io.periods``). The carrier is chosen by the file's
suffix; every carrier reads into the same ``Horizon`` through the same validation, and
named scenarios are checked as well.
"""

from __future__ import annotations

from pathlib import Path

from mixopt.errors import InputError, Problem
from mixopt.io.variants import check_scenarios
from mixopt.model.schema.horizon import Horizon


def read(path: str | Path) -> Horizon:
    """Read and validate an instance file (.toml, with the CSV tables it names, or .xlsx);
    raise ``InputError`` listing every problem. The caller's files are only read.

    >>> h = read("instances/can-body.toml")
    >>> h.periods, h.name, len(h.first.materials)
    (('',), 'can-body-2026-06', 9)
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from mixopt.io.workbook import read_workbook  # openpyxl only for workbooks

        horizon = read_workbook(path)
    elif suffix == ".toml":
        from mixopt.io.toml import read_toml

        horizon = read_toml(path)
    else:
        raise InputError([Problem(str(path), "unsupported file type: expected a .toml "
                                             "instance or an .xlsx workbook")])
    problems = check_scenarios(horizon, str(path))
    if problems:
        raise InputError(problems)
    return horizon
