"""Read any instance file into a validated ``Instance``: the one entry point of every
command. The carrier is chosen by the file's suffix; every carrier reads into the same
``Instance`` through ``mixopt.io.validate``, and named scenarios are checked as well.
"""

from __future__ import annotations

from pathlib import Path

from mixopt.errors import InputError, Problem
from mixopt.io.variants import check_scenarios
from mixopt.model.schema.horizon import Horizon
from mixopt.model.schema.instance import Instance


def read_instance(path: str | Path) -> Instance:
    """Read and validate a single-period instance file (.toml, with CSV tables it names,
    or .xlsx); raise ``InputError`` listing every problem. The caller's files are only
    read. A multi-period instance is refused by name (``read_any`` reads it)."""
    read = read_any(path)
    if isinstance(read, Horizon):
        raise InputError([Problem(str(path), f"is a multi-period instance ({len(read.periods)} "
                                             "periods): `mixopt solve`, `validate` and "
                                             "`check` plan it; this command takes one period")])
    return read


def read_any(path: str | Path) -> Instance | Horizon:
    """Read and validate an instance file, single- or multi-period (``periods = [...]``)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from mixopt.io.workbook import read_workbook  # openpyxl only for workbooks

        instance = read_workbook(path)
    elif suffix == ".toml":
        from mixopt.io.toml import read_toml

        instance = read_toml(path)
    else:
        raise InputError([Problem(str(path), "unsupported file type: expected a .toml "
                                             "instance or an .xlsx workbook")])
    if isinstance(instance, Horizon):
        return instance
    problems = check_scenarios(instance, str(path))
    if problems:
        raise InputError(problems)
    return instance
