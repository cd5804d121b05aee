"""The ``mixopt`` command line: the only place that prints and chooses exit codes.

One module per command group (``solving``, ``furnace``, ``whatif``, ``files``, ``bench``); options
and the error guard they share are in ``mixopt.cli.common``. Commands import what they
need when they run, so ``mixopt --help`` loads click and little else.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from mixopt.cli import bench, files, furnace, solving, suite, whatif
from mixopt.cli.common import EXIT_HELP, STATUS_EXIT, Debug, Exit
from mixopt.signals import Run

__all__ = ["EXIT_HELP", "STATUS_EXIT", "Exit", "main"]


class Command(click.Group):
    """The ``mixopt`` process: from its first instruction, SIGINT and SIGTERM stop it as
    ``Run.stop`` says (exit 130, one line; the work finished is written)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        Run.install()
        return super().__call__(*args, **kwargs)


@click.group(cls=Command, epilog=EXIT_HELP)
@click.version_option(package_name="mixopt")
@click.option("--debug", is_flag=True, help="Show tracebacks and solver logs.")
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
def main(debug: bool, verbose: bool) -> None:
    """Least-carbon (or least-cost under a carbon cap) charge mixes for aluminium slabs."""
    Debug.on = debug
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: "
                                                               "%(message)s")


for _command in (solving.validate, solving.verify, solving.solve_cmd, solving.diagnose_cmd,
                 furnace.correct_cmd,
                 whatif.compare_cmd, whatif.sweep_cmd, whatif.pareto_cmd, whatif.report_cmd,
                 files.template_cmd, files.convert_cmd, files.generate_cmd, files.spreads_cmd,
                 suite.check_cmd, suite.export_cmd, bench.bench):
    main.add_command(_command)
