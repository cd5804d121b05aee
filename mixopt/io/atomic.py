"""Writing outputs: all at once or not at all, and never over a file without ``force``.

Every file mixopt writes (results, reports, charts, workbooks, instances) goes through
``write_atomic``: the content is written to a temporary file beside the target, flushed
to disk, then renamed over the target in one step, so a reader never sees half a file.

Within ``reading_guarded()`` (every CLI command runs in one), the files read as inputs are
remembered and no output may replace one of them, ``--force`` or not.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

_INPUTS: ContextVar[set[Path] | None] = ContextVar("mixopt_inputs", default=None)


@contextmanager
def reading_guarded() -> Iterator[None]:
    """Remember the inputs read inside the block; outputs may not replace them."""
    token = _INPUTS.set(set())
    try:
        yield
    finally:
        _INPUTS.reset(token)


def note_input(path: Path) -> None:
    """Remember ``path`` as an input of this run (inside ``reading_guarded`` only)."""
    inputs = _INPUTS.get()
    if inputs is not None:
        inputs.add(Path(os.path.realpath(path)))


def check_new(path: Path, force: bool, in_place: bool = False) -> None:
    """Refuse to replace an input of this run (unless ``in_place``: a command whose job is
    to update that file), or an existing file unless ``force``; the folder must exist."""
    inputs = _INPUTS.get() or set()
    if not in_place and Path(os.path.realpath(path)) in inputs:
        raise FileExistsError(f"{path} is an input of this run; mixopt never writes over "
                              "its inputs: choose another output file")
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; pass --force to replace it")
    if not path.parent.is_dir():
        raise FileNotFoundError(2, "the folder does not exist", str(path.parent))


def write_atomic(path: Path, content: str | bytes | Callable[[Path], None],
                 force: bool = False, in_place: bool = False) -> None:
    """Write ``content`` (text, bytes, or a function that writes a given path) to ``path``
    atomically; never over an existing file unless ``force``, never over an input of this
    run unless ``in_place``."""
    path = Path(path)
    check_new(path, force, in_place)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix,
                                    dir=path.parent)
    except OSError as exc:  # name the file asked for, not the temporary one
        raise OSError(exc.errno, f"cannot be written ({exc.strerror})", str(path)) from None
    tmp = Path(name)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a result is an ordinary file
        with os.fdopen(fd, "wb") as fh:
            if isinstance(content, str):
                fh.write(content.encode("utf-8"))
            elif isinstance(content, bytes):
                fh.write(content)
        if callable(content):
            content(tmp)
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        if not force and path.exists():  # appeared while we wrote
            raise FileExistsError(f"{path} exists; pass --force to replace it")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def replace_all(files: dict[Path, str | bytes], force: bool = False,
                in_place: bool = False) -> None:
    """Write several files as one update: each is checked (as ``check_new``) and written
    to a temporary file beside its target first; only when every one is written are they
    renamed over their targets. A failure before the renames changes nothing."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, content in files.items():
            path = Path(path)
            check_new(path, force, in_place)
            fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix,
                                        dir=path.parent)
            staged.append((Path(name), path))
            with os.fdopen(fd, "wb") as fh:
                fh.write(content.encode("utf-8") if isinstance(content, str) else content)
                fh.flush()
                os.fsync(fh.fileno())
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
