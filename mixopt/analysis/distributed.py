"""Dask distributed for grids that outgrow one process: an existing engine, not a pool.

Workers are started with *spawn*: HiGHS's thread pool does not survive ``fork``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
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
