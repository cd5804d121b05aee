"""The ``mixopt`` command line: the only place that prints and chooses exit codes.

One module per command group (``solving``, ``furnace``, ``whatif``, ``files``, ``bench``); options
and the error guard they share are in ``mixopt.cli.common``. Commands import what they
need when they run, so ``mixopt --help`` loads click and little else.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading

import click

from mixopt.cli import bench, files, furnace, solving, suite, whatif
from mixopt.cli.common import EXIT_HELP, STATUS_EXIT, Debug, Exit

__all__ = ["EXIT_HELP", "STATUS_EXIT", "Exit", "main"]


@click.group(epilog=EXIT_HELP)
@click.version_option(package_name="mixopt")
@click.option("--debug", is_flag=True, help="Show tracebacks and solver logs.")
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
def main(debug: bool, verbose: bool) -> None:
    """Least-carbon (or least-cost under a carbon cap) charge mixes for aluminium slabs."""
    Debug.on = debug
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: "
                                                               "%(message)s")
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM stops like Ctrl-C: HiGHS is stopped, finished work written, temporary
    files removed, exit code 130."""
    raise KeyboardInterrupt


for _command in (solving.validate, solving.verify, solving.solve_cmd, solving.diagnose_cmd,
                 furnace.correct_cmd,
                 whatif.compare_cmd, whatif.sweep_cmd, whatif.pareto_cmd, whatif.report_cmd,
                 files.template_cmd, files.convert_cmd, files.generate_cmd, files.spreads_cmd,
                 suite.check_cmd, suite.export_cmd, bench.bench):
    main.add_command(_command)
