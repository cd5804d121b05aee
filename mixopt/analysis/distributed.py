"""Dask distributed for grids that outgrow one process: an existing engine, not a pool.

Workers are started with *spawn*: HiGHS's thread pool does not survive ``fork``.

What can go wrong on a cluster is told apart from what goes wrong in mixopt's own work:

- the cluster cannot be had (a local cluster that fails to start, a scheduler that
  cannot be reached): ``client_for`` yields ``Unavailable``, and every task run on it
  fails with that reason;
- a task's workers keep dying (killed, out of memory, crashed): the scheduler gives it up
  (``KilledWorker``); the connection to the scheduler is lost; no worker is alive for
  ``NO_WORKER_TIMEOUT_S``: those tasks fail, each with its reason, and the rest are kept
  (the CLI writes what finished and exits 11);
- a task raises (a bug, a plan that fails its recheck): that exception is raised, as a
  serial run would raise it.

Waiting has no deadline of its own: a task may take as long as it takes.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from mixopt.signals import held

log = logging.getLogger(__name__)

#: A grid gives up on the tasks still waiting once no worker has been alive this long.
NO_WORKER_TIMEOUT_S = 60.0
#: How often a wait wakes to see whether any worker is alive (not a deadline).
WATCH_S = 2.0
#: Seconds a local worker or a scheduler may take to answer a connection: generous, as a
#: machine busy with other work can be slow to start Python processes (not a deadline on
#: any solve).
CONNECT_TIMEOUT_S = 120


@dataclass(frozen=True)
class Unavailable:
    """A cluster that could not be had: every task run on it fails with ``reason``."""

    reason: str


@contextlib.contextmanager
def client_for(workers: int | None = None, scheduler: str | None = None
               ) -> Iterator[Any]:
    """A ``distributed.Client`` on ``scheduler`` if given, else on a local cluster of
    ``workers`` single-threaded, spawned worker processes (closed on exit); or
    ``Unavailable`` when it cannot be had. Starting and closing run with SIGINT and
    SIGTERM held, so that no signal leaves worker processes behind."""
    import dask
    import distributed  # noqa: F401 - its defaults, registered before the settings below
    #                     (else leaving them would drop what importing it meanwhile added)

    settings = {"distributed.worker.multiprocessing-method": "spawn"}
    if not scheduler:
        settings["distributed.comm.timeouts.connect"] = f"{CONNECT_TIMEOUT_S}s"
    with dask.config.set(settings), contextlib.ExitStack() as stack:
        try:
            with held():
                client = _start(stack, workers, scheduler)
        except KeyboardInterrupt:
            _close(stack)
            raise
        except Exception as exc:  # noqa: BLE001 - every failure to start is reported
            _close(stack)
            where = f"the Dask scheduler at {scheduler}" if scheduler else (
                f"a local Dask cluster of {workers or 1} worker(s)")
            said = str(exc) or type(exc).__name__
            log.info("%s could not be started or reached: %s", where, said)
            yield Unavailable(f"{where} could not be started or reached "
                              f"({type(exc).__name__}: {said})")
            return
        try:
            yield client
        finally:
            _close(stack)


def _start(stack: contextlib.ExitStack, workers: int | None, scheduler: str | None) -> Any:
    from distributed import Client, LocalCluster

    if scheduler:
        return stack.enter_context(Client(scheduler))
    cluster = stack.enter_context(LocalCluster(
        n_workers=workers or 1, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=":0", silence_logs=logging.WARNING))
    return stack.enter_context(Client(cluster))


def _close(stack: contextlib.ExitStack) -> None:
    with held(), contextlib.suppress(Exception):
        stack.close()


def n_workers(client: Any) -> int:
    """Workers alive now (0 when none, or when the scheduler cannot be asked)."""
    if isinstance(client, Unavailable):
        return 0
    try:
        return len(client.scheduler_info(n_workers=-1).get("workers", {}))
    except TypeError:  # distributed before 2025: every worker is listed
        return len(client.scheduler_info().get("workers", {}))
    except Exception:  # noqa: BLE001 - the scheduler is gone: no worker to count
        return 0


def _infrastructure(exc: BaseException) -> str | None:
    """Why a task failed, when the cluster failed it (None: the task itself raised)."""
    from concurrent.futures import CancelledError

    from distributed import KilledWorker
    from distributed.comm import CommClosedError

    if isinstance(exc, KilledWorker):
        return (f"its Dask worker died each time it ran it (killed, out of memory or "
                f"crashed): {exc}")
    if isinstance(exc, CancelledError):
        said = str(exc)
        if "scheduler-connection-lost" in said or "lost the connection" in said:
            return "the connection to the Dask scheduler was lost"
        return f"cancelled by the Dask cluster ({said or type(exc).__name__})"
    if isinstance(exc, CommClosedError | OSError):
        return f"the Dask cluster could not be reached ({type(exc).__name__}: {exc})"
    return None


def gather(client: Any, tasks: dict[Any, tuple],
           on_done: Callable[[Any, Any], object] | None = None,
           ) -> tuple[dict[Any, Any], dict[Any, str]]:
    """Run ``tasks`` (key -> (function, *args)) on ``client``: (results by key, reason by
    key of the tasks the cluster failed; see the module's docstring). An exception a task
    raises itself is raised here, the other tasks cancelled. Ctrl-C cancels what is left
    and raises ``Interrupted`` carrying the results finished so far."""
    from concurrent.futures import CancelledError

    from distributed import KilledWorker, wait

    from mixopt.errors import Interrupted

    if isinstance(client, Unavailable):
        return {}, {key: client.reason for key in tasks}
    done: dict[Any, Any] = {}
    failed: dict[Any, str] = {}
    futures: dict[Any, Any] = {}
    pending: set[Any] = set()
    alone_since: float | None = None
    try:
        for key, (fn, *args) in tasks.items():
            futures[client.submit(fn, *args, pure=False)] = key
        pending = set(futures)
        log.info("Dask: %d task(s) sent to the cluster", len(futures))
        while pending:
            try:  # wake now and then to watch the workers; a step with nothing done is fine
                finished, pending = wait(pending, timeout=WATCH_S, return_when="FIRST_COMPLETED")
            except TimeoutError:  # distributed says "nothing finished yet" by raising
                finished = set()
            except CancelledError:  # the scheduler is gone: every future was cancelled
                finished, pending = set(pending), set()
            for fut in finished:
                key = futures[fut]
                if fut.status not in ("finished", "error", "cancelled"):
                    pending.add(fut)  # lost with a worker after it finished: run again
                    continue
                try:
                    if fut.status == "finished":
                        done[key] = fut.result()
                        log.info("Dask: task %s done (%d of %d)", key, len(done), len(futures))
                        if on_done is not None:
                            on_done(key, done[key])
                        continue
                    if fut.status == "error":
                        exc = fut.exception()
                        if not isinstance(exc, KilledWorker):  # the task's own error
                            _cancel(client, pending)
                            raise _Raised(exc)
                    else:  # cancelled: by the scheduler, or with it
                        gone = getattr(client, "status", "running") != "running"
                        exc = CancelledError(f"the task is {fut.status}" + (
                            " (scheduler-connection-lost)" if gone else ""))
                except _Raised:
                    raise
                except Exception as lost:  # noqa: BLE001 - the result could not be fetched
                    exc = lost
                why = _infrastructure(exc)
                if why is None:  # fetching it raised something the cluster does not
                    _cancel(client, pending)
                    raise _Raised(exc)
                failed[key] = why
            if not pending:
                break
            alone_since = None if n_workers(client) else (alone_since or time.monotonic())
            if alone_since and time.monotonic() - alone_since > NO_WORKER_TIMEOUT_S:
                _cancel(client, pending)
                for fut in pending:
                    failed[futures[fut]] = (f"no Dask worker alive for "
                                            f"{NO_WORKER_TIMEOUT_S:g} s: not solved")
                pending = set()
    except KeyboardInterrupt:
        _cancel(client, pending)
        raise Interrupted(done) from None
    except _Raised as raised:  # as a serial run would raise it
        raise raised.exc from None
    except Exception as exc:
        why = _infrastructure(exc)
        if why is None:
            raise
        for key in tasks:  # submitting, or asking, failed: what is left fails with it
            if key not in done and key not in failed:
                failed[key] = why
    return done, failed


class _Raised(Exception):
    """A task's own exception, on its way out of ``gather`` untouched."""

    def __init__(self, exc: BaseException) -> None:
        super().__init__(str(exc))
        self.exc = exc


def _cancel(client: Any, futures: set[Any]) -> None:
    with contextlib.suppress(Exception):
        client.cancel(list(futures))
