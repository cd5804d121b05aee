"""The ``mixopt`` command line: the only place that prints and chooses exit codes."""

from __future__ import annotations

import functools
import json
import logging
import sys
from enum import IntEnum
from pathlib import Path

import click

from mixopt.errors import InputError
from mixopt.evaluate import evaluate
from mixopt.pipeline import RecheckError, solve, with_overrides
from mixopt.read import read_instance, read_mix
from mixopt.report import render_table, to_csv, to_json_dict, write_atomic
from mixopt.solver import SolveOptions, Status


class Exit(IntEnum):
    """Exit codes of every mixopt command (also in the README)."""

    OK = 0  # solved to optimality, or within the requested MIP gap; input valid
    INTERNAL_ERROR = 1  # a bug: please report it (rerun with --debug for the traceback)
    INVALID_INPUT = 2  # the instance or the command line is invalid; nothing was solved
    INFEASIBLE = 3  # no mix meets every rule
    UNBOUNDED = 4
    INFEASIBLE_OR_UNBOUNDED = 5
    LIMIT_FEASIBLE = 6  # a time (or other) limit stopped the solve; the plan is feasible,
    #                     not proven optimal
    LIMIT_NO_SOLUTION = 7  # a limit stopped the solve before any feasible plan was found
    SOLVER_FAILURE = 8  # numerical failure or solver error
    RECHECK_FAILED = 9  # the solver's plan failed mixopt's independent recheck
    VIOLATED = 10  # `verify`: the plan breaks at least one rule of the instance


STATUS_EXIT = {
    Status.OPTIMAL: Exit.OK,
    Status.OPTIMAL_WITHIN_GAP: Exit.OK,
    Status.INFEASIBLE: Exit.INFEASIBLE,
    Status.UNBOUNDED: Exit.UNBOUNDED,
    Status.INFEASIBLE_OR_UNBOUNDED: Exit.INFEASIBLE_OR_UNBOUNDED,
    Status.TIME_LIMIT_FEASIBLE: Exit.LIMIT_FEASIBLE,
    Status.STOPPED_FEASIBLE: Exit.LIMIT_FEASIBLE,
    Status.TIME_LIMIT_NO_SOLUTION: Exit.LIMIT_NO_SOLUTION,
    Status.STOPPED_NO_SOLUTION: Exit.LIMIT_NO_SOLUTION,
    Status.NUMERICAL_FAILURE: Exit.SOLVER_FAILURE,
    Status.SOLVER_ERROR: Exit.SOLVER_FAILURE,
}

EXIT_HELP = "\b\nExit codes:\n" + "\n".join(
    f"  {e.value}  {e.name.lower().replace('_', ' ')}" for e in Exit)


class _Ctx:
    debug = False


def _fail(code: Exit, message: str) -> None:
    click.echo(f"mixopt: {message}", err=True)
    sys.exit(int(code))


def _guard(fn):
    """Turn known errors into messages and exit codes; tracebacks only with --debug."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            if _Ctx.debug:
                raise
            _fail(Exit.INVALID_INPUT, str(exc))
        except FileExistsError as exc:
            _fail(Exit.INVALID_INPUT, str(exc))
        except RecheckError as exc:
            if _Ctx.debug:
                raise
            _fail(Exit.RECHECK_FAILED, str(exc))
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:
            if _Ctx.debug:
                raise
            _fail(Exit.INTERNAL_ERROR, f"internal error: {type(exc).__name__}: {exc} "
                                       "(rerun with --debug for the traceback)")

    return wrapper


@click.group(epilog=EXIT_HELP)
@click.version_option(package_name="mixopt")
@click.option("--debug", is_flag=True, help="Show tracebacks and solver logs.")
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
def main(debug: bool, verbose: bool) -> None:
    """Least-carbon (or least-cost under a carbon cap) charge mixes for aluminium slabs."""
    _Ctx.debug = debug
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: "
                                                               "%(message)s")


@main.command(epilog=EXIT_HELP)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@_guard
def validate(path: Path) -> None:
    """Check an instance and list every problem at once."""
    inst = read_instance(path)
    kind = "MILP" if inst.is_milp else "LP"
    click.echo(f"{path}: valid ({kind}; {len(inst.products)} products, "
               f"{len(inst.materials)} materials, {len(inst.constituents())} constituents)")


@main.command(epilog=EXIT_HELP)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("solution", type=click.Path(dir_okay=False, path_type=Path))
@_guard
def verify(path: Path, solution: Path) -> None:
    """Recheck a plan (SOLUTION.json with a 'mix' list) against every rule of PATH."""
    inst = read_instance(path)
    ev = evaluate(inst, read_mix(solution, inst))
    if ev.violations:
        click.echo(f"{solution}: {len(ev.violations)} rule(s) broken:")
        for v in ev.violations:
            click.echo(f"  - {v}")
        sys.exit(int(Exit.VIOLATED))
    fp = ev.footprint_t.sum() / ev.arrays.slab_tonnes.sum()
    click.echo(f"{solution}: every rule of {inst.name} holds (cost "
               f"{ev.cost.sum():,.2f} {inst.currency}, footprint {fp:.6g} t CO2e/t slab, "
               f"{inst.objective.scope} scope)")


@main.command("solve", epilog=EXIT_HELP)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--minimise", type=click.Choice(["footprint", "cost"]),
              help="Override the instance's objective.")
@click.option("--cap", type=float, help="Footprint cap over all products, t CO2e/t slab.")
@click.option("--scope", type=click.Choice(["full", "scope12"]), help="Footprint scope.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True),
              help="Seconds; the plan found by then is reported as such.")
@click.option("--mip-gap", type=click.FloatRange(min=0), default=1e-6, show_default=True,
              help="Relative MIP gap at which a MILP counts as solved.")
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of stdout (never over an existing file).")
@click.option("--force", is_flag=True, help="Allow -o to replace an existing file.")
@_guard
def solve_cmd(path: Path, minimise: str | None, cap: float | None, scope: str | None,
              time_limit: float | None, mip_gap: float, threads: int, fmt: str,
              output: Path | None, force: bool) -> None:
    """Solve an instance for least footprint, or least cost under a cap."""
    if output is not None and output.exists() and not force:
        raise FileExistsError(f"{output} exists; pass --force to replace it")
    inst = with_overrides(read_instance(path), minimise=minimise, cap=cap, scope=scope)
    opts = SolveOptions(time_limit_s=time_limit, mip_rel_gap=mip_gap, threads=threads)
    result = solve(inst, opts)
    if fmt == "json":
        text = json.dumps(to_json_dict(result), indent=2, allow_nan=False) + "\n"
    elif fmt == "csv":
        text = to_csv(result)
    else:
        text = render_table(result)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text, force=force)
    code = STATUS_EXIT[result.status]
    if code != Exit.OK:
        click.echo(f"mixopt: {result.status}: {result.message}", err=True)
    sys.exit(int(code))

