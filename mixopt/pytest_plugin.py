"""``pytest --mixopt-suite PATH``: every run of a mixopt regression manifest
(``PATH/expected.json``, ``mixopt.io.manifest``) as a pytest test, for projects whose CI
already runs pytest. Registered as a pytest plugin by mixopt's install (entry point
``pytest11``); inert unless ``--mixopt-suite`` is given."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mixopt")
    group.addoption("--mixopt-suite", action="append", default=[], metavar="PATH",
                    help="run the mixopt regression suite of PATH/expected.json "
                         "(repeatable)")
    group.addoption("--mixopt-rtol", type=float, default=1e-6, metavar="R",
                    help="relative tolerance of --mixopt-suite (default 1e-6)")


def _suites(config: pytest.Config) -> set[Path]:
    from mixopt.io.manifest import manifest_path

    return {manifest_path(Path(p)).resolve() for p in config.getoption("mixopt_suite")}


def pytest_configure(config: pytest.Config) -> None:
    for path in sorted(_suites(config)):
        config.args.append(str(path))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Any:
    if file_path.resolve() in _suites(parent.config):
        return Suite.from_parent(parent, path=file_path)
    return None


class Suite(pytest.File):
    def collect(self) -> Any:
        from mixopt.io.manifest import read_manifest

        _, manifest = read_manifest(self.path)
        for run in manifest.runs:
            yield RunItem.from_parent(self, name=run.id, run=run)


class ExpectationFailed(Exception):
    pass


class RunItem(pytest.Item):
    def __init__(self, *, run: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run = run

    def runtest(self) -> None:
        from mixopt.analysis.check import run_one

        outcome = run_one(self.path.parent, self.run, self.config.getoption("mixopt_rtol"))
        if not outcome.passed:
            raise ExpectationFailed("\n".join(outcome.failures))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, ExpectationFailed):
            return f"run {self.name!r} of {self.path}:\n{excinfo.value}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"mixopt run {self.name}"
