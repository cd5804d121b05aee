"""Writing outputs: all at once or not at all, and never over a file without ``force``.

Every file mixopt writes (results, reports, charts, workbooks, instances) goes through
``write_atomic``: the content is written to a temporary file beside the target, flushed
to disk, then renamed over the target in one step, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def check_new(path: Path, force: bool) -> None:
    """Refuse to replace an existing file unless ``force``; the folder must exist."""
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; pass --force to replace it")
    if not path.parent.is_dir():
        raise FileNotFoundError(2, "the folder does not exist", str(path.parent))


def write_atomic(path: Path, content: str | bytes | Callable[[Path], None],
                 force: bool = False) -> None:
    """Write ``content`` (text, bytes, or a function that writes a given path) to ``path``
    atomically; never over an existing file unless ``force``."""
    path = Path(path)
    check_new(path, force)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix,
                                dir=path.parent)
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
