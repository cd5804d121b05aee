"""What mixopt reads, and how: only regular files (never a FIFO or a device), inside the
instance's folder where they are its tables, bounded in size, UTF-8, parsed by safe
loaders only (``json.loads``, ``tomllib.loads``): every failure an ``InputError`` naming
the file. Schema validation is ``mixopt.io.validate``'s."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mixopt.errors import InputError, Problem
from mixopt.io.atomic import note_input

#: Inputs above this size are refused before parsing.
MAX_FILE_BYTES = 50 * 1024 * 1024
#: No mixopt document nests deeper than a few levels (an instance: a table of tables of
#: lists); one nested deeper than this is refused before anything walks it.
MAX_DEPTH = 32


def nesting_depth(value: Any) -> int:
    """How deep lists and tables nest in ``value`` (a scalar: 0), without recursion."""
    deepest, todo = 0, [(value, 0)]
    while todo:
        node, depth = todo.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list | tuple):
            children = node
        else:
            deepest = max(deepest, depth)
            continue
        deepest = max(deepest, depth + 1)
        todo.extend((child, depth + 1) for child in children)
    return deepest


def too_deep(where: str, what: str) -> InputError:
    return InputError([Problem(where, f"is nested too deeply to be {what} (more than "
                                      f"{MAX_DEPTH} levels of lists or tables)")])


def check_size(path: Path, problems: list[Problem], inside: Path | None = None) -> bool:
    """The file is a regular file (not a device, a FIFO or a folder), not over
    ``MAX_FILE_BYTES``, and, given ``inside``, in that folder or below it; else a problem
    is added. Checked before the file is opened, so a FIFO cannot block the reader."""
    note_input(path)
    if inside is not None:
        try:
            path.resolve().relative_to(inside.resolve())
        except ValueError:
            problems.append(Problem(str(path), f"is outside the instance's folder "
                                               f"({inside}): tables must sit beside it or "
                                               "below it"))
            return False
    try:
        st = path.stat()
    except OSError as exc:
        problems.append(Problem(str(path), f"cannot be read: {exc.strerror or exc}"))
        return False
    if not stat.S_ISREG(st.st_mode):
        problems.append(Problem(str(path), "is not a regular file"))
        return False
    if st.st_size > MAX_FILE_BYTES:
        problems.append(Problem(str(path), f"is {st.st_size:,} bytes, over the limit of "
                                           f"{MAX_FILE_BYTES:,}"))
        return False
    return True


def read_text(path: Path, problems: list[Problem], what: str = "text") -> str | None:
    """The whole file as UTF-8 text (a byte-order mark is dropped), at most
    ``MAX_FILE_BYTES``; None, with a problem, when it is not UTF-8."""
    with path.open("rb") as fh:
        data = fh.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        problems.append(Problem(str(path), f"is over the limit of {MAX_FILE_BYTES:,} bytes"))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(Problem(str(path), f"is not UTF-8 {what} ({exc.reason} at byte "
                                           f"{exc.start}): save it as UTF-8 (in Excel: "
                                           "'CSV UTF-8')"))
        return None


def read_document(path: Path, parse: Callable[[str], Any], what: str) -> Any:
    """A whole text file (bounded, UTF-8, a regular file) parsed by ``parse`` (``json.loads``
    or ``tomllib.loads``: safe loaders only); every failure is an ``InputError`` naming the
    file: bad syntax with its line and column, nesting too deep for a ``what``."""
    problems: list[Problem] = []
    if not check_size(path, problems):
        raise InputError(problems)
    text = read_text(path, problems, "JSON" if what.endswith("JSON") else "text")
    if text is None:
        raise InputError(problems)
    try:
        doc = parse(text)
    except RecursionError:
        raise too_deep(str(path), what) from None
    except ValueError as exc:  # json.JSONDecodeError and tomllib.TOMLDecodeError
        kind = "JSON" if isinstance(exc, json.JSONDecodeError) else "TOML"
        raise InputError([Problem(str(path), f"is not valid {kind}: {exc}")]) from None
    if nesting_depth(doc) > MAX_DEPTH:  # before validation walks it (recursively)
        raise too_deep(str(path), what)
    return doc
