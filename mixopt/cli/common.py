"""What every command shares: exit codes, the error guard, the common options, the
variant of an instance a command line asks for, and writing an output.

Only click is imported here at module level; each command imports what it needs when
it runs, so ``mixopt --help`` stays light.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import sys
from collections.abc import Callable, Iterator
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mixopt.errors import InputError, RecheckError
from mixopt.signals import Run

if TYPE_CHECKING:
    import pandas as pd

    from mixopt.model.backend import SolveOptions
    from mixopt.model.schema.horizon import Horizon


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
    INCOMPLETE = 11  # `compare`/`sweep`: some points could not be solved (workers died);
    #                  the points solved are written
    CHECK_FAILED = 12  # `check`: at least one run did not give what its manifest expects
    INTERRUPTED = 130  # Ctrl-C (or SIGINT): stopped promptly; finished points are written


#: mixopt status (its string value) -> exit code.
STATUS_EXIT = {
    "optimal": Exit.OK,
    "optimal_within_gap": Exit.OK,
    "infeasible": Exit.INFEASIBLE,
    "unbounded": Exit.UNBOUNDED,
    "infeasible_or_unbounded": Exit.INFEASIBLE_OR_UNBOUNDED,
    "time_limit_feasible": Exit.LIMIT_FEASIBLE,
    "stopped_feasible": Exit.LIMIT_FEASIBLE,
    "time_limit_no_solution": Exit.LIMIT_NO_SOLUTION,
    "stopped_no_solution": Exit.LIMIT_NO_SOLUTION,
    "numerical_failure": Exit.SOLVER_FAILURE,
    "solver_error": Exit.SOLVER_FAILURE,
}

EXIT_HELP = "\b\nExit codes:\n" + "\n".join(
    f"  {e.value}  {e.name.lower().replace('_', ' ')}" for e in Exit)


class Debug:
    """Whether --debug was given (tracebacks instead of messages)."""

    on = False


def fail(code: Exit, message: str) -> None:
    click.echo(f"mixopt: {message}", err=True)
    sys.exit(int(code))


def guard(fn: Callable) -> Callable:
    """Turn known errors into messages and exit codes; tracebacks only with --debug."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from mixopt.io.atomic import reading_guarded

        Run.phase = "working"
        try:
            with reading_guarded():
                return fn(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            fail(Exit.INTERRUPTED, "interrupted")
        except Exception as exc:
            if Run.signals or _cut_short(exc):
                # a KeyboardInterrupt raised inside a library that wraps what it catches
                # (pydantic building a schema, Dask): the signal, not a bug
                fail(Exit.INTERRUPTED, "interrupted")
            if isinstance(exc, FileExistsError):
                fail(Exit.INVALID_INPUT, str(exc))
            if Debug.on:
                raise
            if isinstance(exc, InputError):
                fail(Exit.INVALID_INPUT, str(exc))
            elif isinstance(exc, OSError) and (exc.filename or exc.strerror):
                # a file that cannot be written or opened (a bare OSError, such as a
                # TimeoutError, is no file's: it falls through to an internal error)
                where = f"{exc.filename}: " if exc.filename else ""
                fail(Exit.INVALID_INPUT, f"{where}{exc.strerror or exc}")
            elif isinstance(exc, RecheckError):
                fail(Exit.RECHECK_FAILED, str(exc))
            else:
                said = str(exc) or "(no message)"
                fail(Exit.INTERNAL_ERROR, f"internal error: {type(exc).__name__}: {said} "
                                          "(rerun with --debug for the traceback)")
        finally:
            Run.phase = "done"

    return wrapper


def _cut_short(exc: BaseException) -> bool:
    """Whether a KeyboardInterrupt is in the exception's chain (its cause or context)."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        if isinstance(e, KeyboardInterrupt):
            return True
        seen.add(id(e))
        e = e.__cause__ or e.__context__
    return False


# -- options -------------------------------------------------------------------------------


def dask_options(fn: Callable) -> Callable:
    fn = click.option("--scheduler", metavar="tcp://HOST:PORT",
                      help="Solve on an existing Dask distributed scheduler.")(fn)
    return click.option("--workers", type=click.IntRange(min=1),
                        help="Solve on a local Dask cluster of N worker processes "
                             "(spawned).")(fn)


def _remember(ctx: click.Context, param: click.Parameter, value: object) -> object:
    ctx.meta.setdefault("mixopt.solver", {})[param.name] = value
    return value


class Finite(click.ParamType):
    """A finite number, at least ``low`` (above it when ``open_low``); nan and inf are
    refused by name (click's FloatRange lets nan through)."""

    name = "number"

    def __init__(self, low: float = -math.inf, open_low: bool = False) -> None:
        self.low, self.open_low = low, open_low

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        if number < self.low or (self.open_low and number == self.low):
            word = "above" if self.open_low else "at least"
            self.fail(f"{value!r} must be {word} {self.low:g}", param, ctx)
        return number


def solver_options(fn: Callable) -> Callable:
    """--time-limit, --mip-gap, --threads, --backend, --solver, --lp-solver, --cones (read
    by ``options``)."""
    for decl, kw in (
        ("--cones", {"type": click.Choice(["auto", "blocks", "clarabel", "cuts"]),
                     "default": "auto", "show_default": True,
                     "help": "Chance cones of a continuous plan: mixopt's interior point "
                             "by product blocks (blocks), Clarabel's on the whole problem "
                             "(clarabel), auto by size, or tangent cuts on HiGHS."}),
        ("--lp-solver", {"type": click.Choice(["auto", "simplex", "ipm", "pdlp"]),
                         "default": "auto", "show_default": True,
                         "help": "LP algorithm for a cold solve (warm re-solves use "
                                 "simplex)."}),
        ("--solver", {"default": "highs", "show_default": True, "metavar": "NAME",
                      "help": "With --backend pyomo: any solver Pyomo finds (glpk, cbc, ...);"
                              " one cold solve, without sensitivity or chance cones."}),
        ("--backend", {"type": click.Choice(["highspy", "pyomo"]), "default": "highspy",
                       "show_default": True,
                       "help": "Into HiGHS straight from the arrays, or through Pyomo."}),
        ("--threads", {"type": click.IntRange(min=1), "default": 1, "show_default": True,
                       "help": "Threads of HiGHS and of the block interior point's "
                               "linear algebra (1 keeps MILP runs reproducible)."}),
        ("--mip-gap", {"type": Finite(0), "default": 1e-6, "show_default": True,
                       "help": "Relative MIP gap at which a MILP counts as solved."}),
        ("--time-limit", {"type": Finite(0, open_low=True),
                          "help": "Seconds per solve; a plan found by then is reported "
                                  "as such."}),
    ):
        fn = click.option(decl, expose_value=False, callback=_remember, **kw)(fn)
    return fn


def output_options(fn: Callable | None = None,
                   formats: tuple[str, ...] = ("table", "json", "csv", "xlsx")) -> Callable:
    def deco(fn: Callable) -> Callable:
        fn = click.option("--force", is_flag=True,
                          help="Allow -o to replace an existing file.")(fn)
        fn = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                          help="Write to this file instead of stdout (never over an "
                               "existing file; xlsx needs it).")(fn)
        return click.option("--format", "fmt", type=click.Choice(list(formats)),
                            default="table", show_default=True)(fn)
    return deco(fn) if fn is not None else deco


def uncertainty_options(fn: Callable) -> Callable:
    """--confidence, --confidence-per, --margin-sd: plans that hold in the furnace."""
    fn = click.option("--margin-sd", type=Finite(0),
                      help="Hold every uncertain limit with each material at mean +/- K "
                           "standard deviations (objective.margin_sd).")(fn)
    fn = click.option("--confidence-per", type=click.Choice(["limit", "heat"]),
                      help="The confidence holds for each limit alone, or for a heat's "
                           "limits all at once (objective.confidence_per).")(fn)
    return click.option("--confidence", type=Finite(), metavar="A",
                        help="Every alloy limit holds with probability A in [0.5, 1) given "
                             "the materials' composition_sd (objective.confidence).")(fn)


def samples_option(fn: Callable) -> Callable:
    return click.option("--samples", type=click.IntRange(min=1), default=20_000,
                        show_default=True,
                        help="Heats simulated for the off-spec risk of a plan (instances "
                             "with spreads).")(fn)


def variant_options(fn: Callable | None = None, cap: bool = True) -> Callable:
    """--scenario, --set, --minimise, --scope (and --cap unless the command sweeps the cap
    itself), and the uncertainty options: which variant of the instance a command works on.
    The command receives them as ``variant`` (a dict for ``read_variant``)."""
    def deco(fn: Callable) -> Callable:
        fn = _collect_variant(fn)
        fn = uncertainty_options(fn)
        fn = click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
                          help="Override a field, e.g. materials.INERTA.available.max=2000 "
                               "(repeatable; applied after --scenario; a flag for the same "
                               "field as a --set is refused).")(fn)
        fn = click.option("--scope", type=click.Choice(["full", "scope12"]),
                          help="Footprint scope.")(fn)
        if cap:
            fn = click.option("--cap", type=Finite(),
                              help="Footprint cap over all products, t CO2e/t slab.")(fn)
        fn = click.option("--minimise", type=click.Choice(["footprint", "cost"]),
                          help="Override the instance's objective.")(fn)
        return click.option("--scenario", "scenario_name",
                            help="Use this [scenarios.NAME] variant of the instance.")(fn)
    return deco(fn) if fn is not None else deco


def options() -> SolveOptions:
    """The solver options of the current command line."""
    from mixopt.model.backend import SolveOptions

    o = click.get_current_context().meta.get("mixopt.solver", {})
    solver, backend = o.get("solver", "highs"), o.get("backend", "highspy")
    if solver != "highs" and backend != "pyomo":
        raise click.UsageError(f"--solver {solver} runs through Pyomo: add --backend pyomo")
    return SolveOptions(time_limit_s=o.get("time_limit"), mip_rel_gap=o.get("mip_gap", 1e-6),
                        threads=o.get("threads", 1), backend=backend,
                        lp_solver=o.get("lp_solver", "auto"), solver=solver,
                        cones=o.get("cones", "auto"))


_VARIANT_KEYS = ("scenario_name", "sets", "minimise", "cap", "scope", "confidence",
                 "confidence_per", "margin_sd")


def _collect_variant(fn: Callable) -> Callable:
    """Gather the variant options into one ``variant`` argument."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs["variant"] = {k: kwargs.pop(k) for k in _VARIANT_KEYS if k in kwargs}
        return fn(*args, **kwargs)

    return wrapper


def read_variant(path: Path, variant: dict[str, Any] | None = None) -> Horizon:
    """The plan at ``path`` (a month, or several periods) with the command line's
    scenario, then its --set assignments and flags applied (``io.variants.variant``: the
    one way a variant is made)."""
    from mixopt.io.read import read
    from mixopt.io.variants import variant as make

    v = dict(variant or {})
    return make(read(path), v.pop("scenario_name", None), v.pop("sets", ()), "--set", **v)


# -- outputs -------------------------------------------------------------------------------


def check_output(output: Path | None, force: bool, fmt: str = "") -> None:
    """Fail before any work when the output cannot be written (an output over an input
    is refused once the input is read: ``io.atomic.reading_guarded``)."""
    from mixopt.io.atomic import check_new

    if fmt == "xlsx" and output is None:
        raise click.UsageError("--format xlsx writes a workbook: give it a file with -o")
    if output is not None:
        check_new(output, force)


def emit(text: str, output: Path | None, force: bool, say: bool = True) -> None:
    """Text to stdout, or atomically to ``output`` (``say``: and say so on stderr)."""
    from mixopt.io.atomic import write_atomic

    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text, force=force)
        if say:
            wrote(output)


def emit_many(compute: Callable[[], pd.DataFrame], fmt: str, title: str,
              output: Path | None, force: bool, currency: str, what: str) -> None:
    """The table of many solves (``compute``); on Ctrl-C, or when some points could not
    be solved, the finished rows are still written, then the exit code says so."""
    from mixopt.errors import Incomplete, Interrupted

    try:
        df = compute()
    except Interrupted as exc:
        df = exc.finished
        if len(df):
            emit_frame(df, fmt, f"{title} (interrupted)", output, force, currency,
                       say=False)
        into = f" to {output}" if output is not None else ""
        fail(Exit.INTERRUPTED, f"interrupted: {len(df)} {what} finished"
                               + (f" and written{into}" if len(df) else ""))
    except Incomplete as exc:
        emit_frame(exc.table, fmt, f"{title} (incomplete)", output, force, currency)
        for point, why in exc.failed:
            click.echo(f"mixopt: not solved: {point}: {why}", err=True)
        fail(Exit.INCOMPLETE, f"{len(exc.failed)} {what} could not be solved; the "
                              f"{len(exc.table)} solved are written")
    emit_frame(df, fmt, title, output, force, currency)


def wrote(path: Path) -> None:
    """Say on stderr which file was written (stdout stays the data's)."""
    click.echo(f"wrote {path}", err=True)


def emit_frame(df: pd.DataFrame, fmt: str, title: str, output: Path | None,
               force: bool, currency: str = "", say: bool = True) -> None:
    """A table as a terminal table, JSON records, CSV or a workbook (``say``: name the
    file written on stderr)."""
    if fmt == "xlsx":
        from mixopt.io.spreadsheet import save_workbook
        from mixopt.report.workbook import frame_workbook

        save_workbook(frame_workbook({title[:31].replace(":", " "): df}, currency), output,
                      force)
        if say:
            wrote(output)
        return
    if fmt == "json":
        from mixopt.report.frames import records

        text = json.dumps(records(df), indent=2, allow_nan=False) + "\n"
    elif fmt == "csv":
        from mixopt.report.frames import frame_csv

        text = frame_csv(df)
    else:
        from mixopt.report.text import render_frame

        text = render_frame(df, title)
    emit(text, output, force, say)


@contextlib.contextmanager
def progress(total: int) -> Iterator[Callable[[], None] | None]:
    """A progress bar on stderr when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("solving", total=total)
        yield lambda: bar.advance(task)


@contextlib.contextmanager
def dask_client(workers: int | None, scheduler: str | None) -> Iterator[object | None]:
    """A Dask client for --workers or --scheduler, or None to solve serially."""
    if workers and scheduler:
        raise click.UsageError("use --workers or --scheduler, not both")
    if not workers and not scheduler:
        yield None
        return
    import distributed  # configures its loggers on import: quiet them afterwards

    from mixopt.analysis.distributed import client_for

    if not logging.getLogger("mixopt").isEnabledFor(logging.INFO):
        for name in [distributed.__name__] + [n for n in logging.root.manager.loggerDict
                                              if n.startswith("distributed.")]:
            logging.getLogger(name).setLevel(logging.WARNING)
    with client_for(workers=workers, scheduler=scheduler) as client:
        yield client
