"""How HiGHS runs inside mixopt: its log goes to Python's logging (stderr, never stdout),
and Ctrl-C stops it promptly.

A run happens on a worker thread while the main thread waits, so a signal reaches Python
at once; it asks HiGHS to stop through its interrupt callbacks (simplex, IPM, MIP), waits
for HiGHS to return and its thread to end, and raises KeyboardInterrupt.

highspy's own ``Highs.solve`` does the same but prints to stdout and exits the process
after five presses; mixopt's CLI turns the KeyboardInterrupt into exit code 130 and keeps
the work already finished."""

from __future__ import annotations

import logging
import threading

import highspy

from mixopt.signals import held, in_main_thread

#: HiGHS's own log, at DEBUG (``mixopt --debug`` shows it on stderr).
highs_log = logging.getLogger("mixopt.highs")
#: How often the waiting main thread wakes to see a signal (seconds): the latency of a stop.
POLL_S = 0.1


def prepare(h: highspy.Highs) -> highspy.Highs:
    """Ready a fresh HiGHS for mixopt: cancellable, and logging through ``highs_log``
    (HiGHS's console output is always off: stdout belongs to the data)."""
    h.setOptionValue("log_to_console", False)
    h.setOptionValue("output_flag", False)
    enable(h)
    if highs_log.isEnabledFor(logging.DEBUG):
        h.cbLogging += lambda event: highs_log.debug("%s", event.message.rstrip())
    return h


def log_on(h: highspy.Highs) -> None:
    """HiGHS writes its log (to the logging callback only) when DEBUG is on."""
    h.setOptionValue("output_flag", highs_log.isEnabledFor(logging.DEBUG))
    h.setOptionValue("log_to_console", False)


def enable(h: highspy.Highs) -> None:
    """Let ``h`` be cancelled: its interrupt callbacks watch a flag of its own (set only
    by a Ctrl-C during ``run``, cleared before every run)."""
    if getattr(h, "_mixopt_stop", None) is not None:
        return
    stop = threading.Event()

    def check(event: object) -> None:
        # set both ways: HiGHS keeps the flag between runs, so a run after a stop would
        # stop at once if only ever set
        event.interrupt(stop.is_set())

    h._mixopt_stop = stop
    h.cbSimplexInterrupt += check
    h.cbIpmInterrupt += check
    h.cbMipInterrupt += check


def run(h: highspy.Highs) -> None:
    """``h.run()``, cancelled promptly by Ctrl-C or SIGTERM (then KeyboardInterrupt is
    raised once HiGHS has stopped, its thread is joined and the model is consistent).

    HiGHS runs on a thread of its own while the main thread waits with the signals held
    (``mixopt.signals.held``): a signal only asks HiGHS to stop, and nothing can make the
    main thread leave while HiGHS's thread still runs (a process that exits with it alive
    is aborted by C++: exit 134)."""
    stop = getattr(h, "_mixopt_stop", None)
    if stop is None or not in_main_thread():
        h.run()  # signals reach the main thread only: nothing to wait for elsewhere
        return
    stop.clear()
    failure: list[BaseException] = []

    def work() -> None:
        try:
            h.run()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            failure.append(exc)

    worker = threading.Thread(target=work, name="highs", daemon=True)
    with held(on_signal=stop.set):  # a signal is raised here, once HiGHS has returned
        worker.start()
        while worker.is_alive():
            worker.join(POLL_S)  # wakes to run the handlers of signals sent to any thread
    if failure:
        raise failure[0]
