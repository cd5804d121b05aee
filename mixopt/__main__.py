"""The ``mixopt`` command and ``python -m mixopt``: SIGINT and SIGTERM are handled from
here on (``mixopt.signals.Run``), before the command line is even imported."""

import sys

from mixopt.signals import Run


def run() -> None:
    Run.install()
    from mixopt.cli import main

    try:
        main(prog_name="mixopt")
    except SystemExit as exc:
        _exit(exc.code)


def _exit(code: object) -> None:
    """End the process with the command's exit code, once the command has ended: the exit
    handlers run, the streams are flushed, and the process ends at once. Python's own
    ending would restore the default action of SIGINT and SIGTERM first (a signal then
    kills the process: exit -2 or -15 instead of the code of what finished), and (3.11)
    would kill itself with SIGINT after a KeyboardInterrupt raised inside ``exec``'d code
    (dataclasses, numpy and pydantic build functions that way), whatever code was chosen."""
    import atexit
    import os

    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"): Python prints it, exit 1
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":
    run()
