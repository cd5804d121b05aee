"""Writing outputs: all at once or not at all, never over a file without ``force``, and
only ever to what the user named.

Every file mixopt writes (results, reports, charts, workbooks, instances) goes through
``write_atomic`` (or ``replace_all`` for several files that are one update):

- a regular file is written to a temporary file beside it, flushed to disk, then put in
  place in one step, so a reader never sees half a file. A new file is *created
  exclusively* (hard-linked into place, which fails if the name exists): a file that
  appeared after the existence check is never replaced without ``force``. A file replaced
  (``force``) keeps its permissions and its owner and group; one whose owner cannot be
  kept is refused rather than taken over. A symbolic link is followed: the file it
  names is written, the link stays;
- a stream is written in place, as that is what naming it means: ``/dev/stdout``,
  ``/dev/stderr``, ``/dev/fd/N`` (a shell's process substitution), ``/dev/null`` and a
  terminal. Any other device, a FIFO, a socket or a folder is refused by name, before
  any work;
- several files (``replace_all``) are staged beside their targets first; the renames
  then run with SIGINT and SIGTERM held, and if one fails those already made are undone
  (each replaced file comes back from a hard link kept until the end).

Within ``reading_guarded()`` (every CLI command runs in one), the files read as inputs are
remembered and no output may replace one of them, ``--force`` or not.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from mixopt.signals import held

_INPUTS: ContextVar[set[Path] | None] = ContextVar("mixopt_inputs", default=None)

Content = str | bytes | Callable[[Path], None]


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


@dataclass(frozen=True)
class Target:
    """Where an output goes: a regular file (``real``: the symbolic links followed;
    ``existing``: its status when it exists), or a stream written in place."""

    path: Path
    real: Path
    existing: os.stat_result | None = None
    stream_fd: int | None = None  # an open descriptor of this process to write to
    in_place: bool = False  # /dev/null or a terminal: opened and written as it is


#: Names that mean this process's own streams, whatever they are connected to.
_STREAMS = {"/dev/stdout": 1, "/dev/stderr": 2}
_FD_PREFIXES = ("/dev/fd/", "/proc/self/fd/")


def _stream_fd(path: Path) -> int | None:
    name = str(path)
    if name in _STREAMS:
        return _STREAMS[name]
    for prefix in _FD_PREFIXES:
        if name.startswith(prefix) and name[len(prefix):].isdigit():
            return int(name[len(prefix):])
    return None


def _kind(mode: int) -> str:
    return ("a folder" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "a block device" if stat.S_ISBLK(mode)
            else "a device" if stat.S_ISCHR(mode) else "not a regular file")


def _writable_in_place(path: Path, st: os.stat_result) -> bool:
    """/dev/null, or a terminal: devices whose meaning as an output is 'write here'."""
    if not stat.S_ISCHR(st.st_mode):
        return False
    with suppress(OSError):
        if st.st_rdev == os.stat(os.devnull).st_rdev:
            return True
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        return os.isatty(fd)
    finally:
        os.close(fd)


def target(path: Path, force: bool, in_place: bool = False) -> Target:
    """Where ``path`` would be written, or an ``OSError`` naming it: an input of this run
    (unless ``in_place``: a command whose job is to update that file), an existing file
    without ``force``, a folder, a FIFO, a socket or a device that is not a stream, a
    folder that does not exist."""
    path = Path(path)
    fd = _stream_fd(path)
    if fd is not None:
        try:
            os.fstat(fd)
        except OSError:
            raise OSError(errno.EBADF, "names no open stream of this process",
                          str(path)) from None
        return Target(path, path, stream_fd=fd)
    real = Path(os.path.realpath(path))  # a symbolic link: the file it names is written
    inputs = _INPUTS.get() or set()
    if not in_place and real in inputs:
        raise FileExistsError(f"{path} is an input of this run; mixopt never writes over "
                              "its inputs: choose another output file")
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise OSError(exc.errno, f"cannot be checked ({exc.strerror})", str(path)) from None
    if st is not None:
        if not stat.S_ISREG(st.st_mode):
            if _writable_in_place(real, st):
                return Target(path, real, st, in_place=True)
            raise OSError(errno.EINVAL, f"is {_kind(st.st_mode)}: mixopt writes outputs to "
                                        "regular files only (to stream one, name "
                                        "/dev/stdout)", str(path))
        if not force:
            raise FileExistsError(f"{path} exists; pass --force to replace it")
    if not real.parent.is_dir():
        raise FileNotFoundError(2, "the folder does not exist", str(path.parent))
    return Target(path, real, st)


def check_new(path: Path, force: bool, in_place: bool = False) -> None:
    """Refuse, before any work, what ``write_atomic`` would refuse (``target``)."""
    target(path, force, in_place)


def write_atomic(path: Path, content: Content, force: bool = False,
                 in_place: bool = False) -> None:
    """Write ``content`` (text, bytes, or a function that writes a given path) to ``path``
    atomically; never over an existing file unless ``force`` (not even one that appears
    meanwhile), never over an input of this run unless ``in_place``; a replaced file keeps
    its mode and owner; streams are written in place."""
    t = target(path, force, in_place)
    if t.stream_fd is not None or t.in_place:
        _write_stream(t, content)
        return
    tmp = _stage(t, content)
    try:
        _install(t, tmp, force)
    finally:
        tmp.unlink(missing_ok=True)
    _sync_folder(t.real.parent)


def replace_all(files: dict[Path, str | bytes], force: bool = False,
                in_place: bool = False) -> None:
    """Write several files as one update: each is checked (as ``check_new``; regular files
    only) and staged beside its target; then they are put in place with SIGINT and SIGTERM
    held, and if one fails, those already put in place are undone: all or nothing."""
    targets = []
    for path in files:
        t = target(path, force, in_place)
        if t.stream_fd is not None or t.in_place:
            raise OSError(errno.EINVAL, "is a stream: several files that are one update "
                                        "are written to regular files only", str(path))
        targets.append(t)
    staged: list[tuple[Target, Path]] = []
    done: list[tuple[Target, Path | None]] = []  # put in place, with the old file's link
    try:
        for t, content in zip(targets, files.values(), strict=True):
            staged.append((t, _stage(t, content)))
        with held():
            try:
                for t, tmp in staged:
                    old = _keep(t)
                    try:
                        _install(t, tmp, force)
                    except BaseException:
                        if old is not None:
                            old.unlink(missing_ok=True)
                        raise
                    done.append((t, old))
            except BaseException:
                for t, kept in reversed(done):  # undo, newest first
                    with suppress(OSError):
                        if kept is not None:
                            os.replace(kept, t.real)
                        else:
                            t.real.unlink()
                done.clear()
                raise
    finally:
        for _, tmp in staged:
            tmp.unlink(missing_ok=True)
        for _, kept in done:
            if kept is not None:
                kept.unlink(missing_ok=True)
    for folder in {t.real.parent for t in targets}:
        _sync_folder(folder)


# -- the steps ------------------------------------------------------------------------------


def _umask() -> int:
    with suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _stage(t: Target, content: Content) -> Path:
    """``content`` in a temporary file beside ``t.real`` (private while written), flushed
    to disk, with the mode (and owner) the target will have."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{t.real.name}.", suffix=t.real.suffix,
                                    dir=t.real.parent)
    except OSError as exc:  # name the file asked for, not the temporary one
        raise OSError(exc.errno, f"cannot be written ({exc.strerror})", str(t.path)) from None
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(content, str):
                fh.write(content.encode("utf-8"))
            elif isinstance(content, bytes):
                fh.write(content)
        if callable(content):
            content(tmp)
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        _take_on(t, tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _take_on(t: Target, tmp: Path) -> None:
    """Give ``tmp`` the owner, group and mode of the file it replaces (a new file: the
    ordinary mode, 0666 less the umask). An owner that cannot be kept is refused."""
    old = t.existing
    if old is None:
        os.chmod(tmp, 0o666 & ~_umask())
        return
    mine = os.stat(tmp)
    if (old.st_uid, old.st_gid) != (mine.st_uid, mine.st_gid):
        try:
            os.chown(tmp, old.st_uid, old.st_gid)
        except PermissionError:
            raise PermissionError(errno.EPERM, f"belongs to user {old.st_uid} and group "
                                               f"{old.st_gid}: replacing it would change its "
                                               "owner; remove it first, or write elsewhere",
                                  str(t.path)) from None
    os.chmod(tmp, stat.S_IMODE(old.st_mode))  # after chown, which clears set-id bits


def _install(t: Target, tmp: Path, force: bool) -> None:
    """Put ``tmp`` in place of ``t.real``: replaced when ``force``, else created
    exclusively (a file that appeared since the check is refused, never replaced)."""
    if force:
        os.replace(tmp, t.real)
        return
    try:
        os.link(tmp, t.real)  # fails if the name exists: exclusive, and never half a file
    except FileExistsError:
        raise FileExistsError(f"{t.path} exists; pass --force to replace it") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK,
                             errno.EXDEV, errno.ENOSYS):
            raise
        _reserve_then_replace(t, tmp)


def _reserve_then_replace(t: Target, tmp: Path) -> None:
    """Where the file system has no hard links: reserve the name exclusively with an
    empty file, then rename over that reservation (ours)."""
    try:
        os.close(os.open(t.real, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise FileExistsError(f"{t.path} exists; pass --force to replace it") from None
    try:
        os.replace(tmp, t.real)
    except BaseException:
        t.real.unlink(missing_ok=True)
        raise


def _keep(t: Target) -> Path | None:
    """A hard link to the file ``t`` replaces (None for a new file), to undo with."""
    if t.existing is None:
        return None
    for i in range(100):
        keep = t.real.with_name(f".{t.real.name}.{os.getpid()}.{i}.old")
        try:
            os.link(t.real, keep)
            return keep
        except FileExistsError:
            continue
        except FileNotFoundError:  # gone meanwhile: nothing to come back to
            return None
    raise FileExistsError(f"{t.path}: cannot keep a copy to undo with")


def _write_stream(t: Target, content: Content) -> None:
    """Write to a stream in place (stdout, a pipe, /dev/null, a terminal)."""
    if callable(content):  # the writer wants a path: a private scratch file first
        with tempfile.TemporaryDirectory() as scratch:
            tmp = Path(scratch) / f"out{t.path.suffix}"
            content(tmp)
            data = tmp.read_bytes()
    else:
        data = content.encode("utf-8") if isinstance(content, str) else content
    if t.stream_fd is not None:
        stream = {1: sys.stdout, 2: sys.stderr}.get(t.stream_fd)
        if stream is not None:
            stream.flush()
        _write_fd(t.stream_fd, data)
        return
    fd = os.open(t.real, os.O_WRONLY | os.O_NOCTTY)
    try:
        _write_fd(fd, data)
    finally:
        os.close(fd)


def _write_fd(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _sync_folder(folder: Path) -> None:
    """The renames in ``folder`` on disk too (best effort: not every system can)."""
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
