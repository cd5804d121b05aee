from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
INSTANCES = ROOT / "instances"

# Hypothesis's own clocks (a deadline per example, "too slow" to generate) would make the
# tests depend on the machine's speed and load: both are off, in every test module.
settings.register_profile("default", max_examples=30, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=400, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def shared_dask(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One Dask cluster for the tests that need one (all in ``tests/test_cluster.py``, so
    that one test process starts it): a ``dask scheduler`` and two ``dask worker``
    processes started with distributed's own tools (``tests.dask_cluster``)."""
    pytest.importorskip("distributed")
    from tests.dask_cluster import DASK, cluster

    if not DASK.exists():
        pytest.skip("the 'dask' command (distributed's command-line tools) is not installed")
    with cluster(tmp_path_factory.mktemp("dask")) as c:
        yield c
