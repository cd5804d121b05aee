"""Read any instance file into a validated ``Instance``: the one entry point of every
command. The carrier is chosen by the file's suffix; every carrier reads into the same
``Instance`` through ``mixopt.io.validate``, and named scenarios are checked as well.
"""

from __future__ import annotations

from pathlib import Path

from mixopt.errors import InputError, Problem
from mixopt.io.variants import check_scenarios
from mixopt.model.instance import Instance


def read_instance(path: str | Path) -> Instance:
    """Read and validate an instance file (.toml, with CSV tables it names, or .xlsx);
    raise ``InputError`` listing every problem. The caller's files are only read."""
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
    problems = check_scenarios(instance, str(path))
    if problems:
        raise InputError(problems)
    return instance
