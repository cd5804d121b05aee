"""SIGINT and SIGTERM: how mixopt stops (as by Ctrl-C: ``KeyboardInterrupt``), and the
short sections no signal may cut.

A ``KeyboardInterrupt`` can be raised between any two Python instructions. Where that
would leave the world half-changed — HiGHS's thread still running when the process
exits (C++ then aborts it: exit 134), a multi-file update half renamed, a Dask cluster
half started with its processes orphaned — the section runs inside ``held()``: the
Python-level handlers of SIGINT and SIGTERM are swapped for one that only notes the
signal (and calls ``on_signal``, e.g. to ask HiGHS to stop), and the first signal noted is
handed to the handler it was held from when the section ends. Only the main thread
receives Python signal handlers, so elsewhere ``held()`` holds nothing.
"""

from __future__ import annotations

import _signal as signal  # the C module: ``signal`` would import enum (half of start-up)
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

#: The signals that stop mixopt.
STOPPING = (signal.SIGINT, signal.SIGTERM)
#: The exit code of a stopped ``mixopt`` process (``mixopt.cli.Exit.INTERRUPTED``).
INTERRUPTED = 130


def in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def held(on_signal: Callable[[], None] | None = None) -> Iterator[list[int]]:
    """Hold SIGINT and SIGTERM until the block ends (yields the list of signals noted
    so far); ``on_signal`` is called for each as it arrives (it must not raise). Signals
    whose handler is not a Python function (the default action, ignored) are left alone."""
    if not in_main_thread():
        yield []
        return
    pending: list[int] = []

    def note(signum: int, frame: object) -> None:
        pending.append(signum)
        if on_signal is not None:
            on_signal()

    before: dict[int, Callable] = {}
    try:
        for s in STOPPING:
            handler = signal.getsignal(s)
            if callable(handler):
                before[s] = handler
                signal.signal(s, note)
        yield pending
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
        if pending and pending[0] in before:
            before[pending[0]](pending[0], None)  # as if it came now (Ctrl-C: raises)


class Run:
    """Where the ``mixopt`` process is, for its SIGINT and SIGTERM handler (``stop``):

    - ``starting`` (importing, reading the command line): nothing is done yet, so the
      process says so in one line and exits 130 at once;
    - ``working`` (inside a command's error guard): the first signal raises
      ``KeyboardInterrupt`` (HiGHS is stopped, the work finished is written, the command
      exits 130); later ones are ignored while it stops, but a third exits at once,
      without cleaning up;
    - ``done`` (the command has ended): the exit code is that of what finished.

    Installed by the process's entry (``mixopt.__main__.run``, and ``mixopt.cli.main()``
    when called), never by an in-process caller such as click's test runner."""

    phase = "starting"
    signals = 0

    @classmethod
    def install(cls) -> None:
        if in_main_thread():
            for s in STOPPING:
                signal.signal(s, cls.stop)

    @classmethod
    def stop(cls, signum: int, frame: object) -> None:
        cls.signals += 1
        if cls.phase == "starting" or cls.signals == 3:
            again = " again: stopped without cleaning up" if cls.signals == 3 else ""
            os.write(2, f"mixopt: interrupted{again}\n".encode())
            os._exit(INTERRUPTED)
        if cls.phase == "working" and cls.signals == 1:
            raise KeyboardInterrupt
