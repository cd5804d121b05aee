"""Dask distributed for grids that outgrow one process: an existing engine, not a pool.

Workers are started with *spawn*: HiGHS's thread pool does not survive ``fork``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any


@contextlib.contextmanager
def client_for(workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A ``distributed.Client``: on ``scheduler`` if given, else on a local cluster of
    ``workers`` single-threaded, spawned worker processes (closed on exit)."""
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set({"distributed.worker.multiprocessing-method": "spawn"}):
        if scheduler:
            with Client(scheduler) as client:
                yield client
            return
        with (LocalCluster(n_workers=workers or 1, threads_per_worker=1, processes=True,
                           dashboard_address=":0", silence_logs=logging.WARNING) as cluster,
              Client(cluster) as client):
            yield client


#: A grid gives up on the points still waiting once no worker has been alive this long.
NO_WORKER_TIMEOUT_S = 60.0
#: A task that fails is retried this many times (then its points are reported).
RETRIES = 1


def gather(client: Any, tasks: dict[Any, tuple],
           on_done: Callable[[Any, Any], object] | None = None,
           ) -> tuple[dict[Any, Any], dict[Any, str]]:
    """Run ``tasks`` (key -> (function, *args)) on ``client``: (results by key, reason by
    key of the tasks that failed). A task whose workers keep dying fails once the
    scheduler gives it up (``distributed.scheduler.allowed-failures`` deaths, then
    ``KilledWorker``; an innocent task queued on the same dying workers may share that
    fate, and is reported the same way); when no worker is alive for
    ``NO_WORKER_TIMEOUT_S``, the tasks still waiting fail. Ctrl-C cancels what is left
    and raises ``Interrupted`` carrying the results finished so far."""
    import time

    from distributed import wait

    from mixopt.errors import Interrupted

    futures = {client.submit(fn, *args, pure=False, retries=RETRIES): key
               for key, (fn, *args) in tasks.items()}
    done: dict[Any, Any] = {}
    failed: dict[Any, str] = {}
    pending = set(futures)
    alone_since: float | None = None
    try:
        while pending:
            try:  # wait in steps, to watch the workers; a step with nothing done is fine
                finished, pending = wait(pending, timeout=2.0, return_when="FIRST_COMPLETED")
            except TimeoutError:  # distributed says "nothing finished yet" by raising
                finished = set()
            for fut in finished:
                key = futures[fut]
                if fut.status == "finished":
                    done[key] = fut.result()
                    if on_done is not None:
                        on_done(key, done[key])
                else:
                    exc = fut.exception()
                    failed[key] = f"{type(exc).__name__}: {exc}"
            workers = client.scheduler_info().get("workers", {})
            alone_since = None if workers else (alone_since or time.monotonic())
            if pending and alone_since and time.monotonic() - alone_since > NO_WORKER_TIMEOUT_S:
                client.cancel(list(pending))
                for fut in pending:
                    failed[futures[fut]] = (f"no Dask worker alive for {NO_WORKER_TIMEOUT_S:g} "
                                            "s: not solved")
                pending = set()
    except KeyboardInterrupt:
        client.cancel(list(pending))
        raise Interrupted(done) from None
    return done, failed
