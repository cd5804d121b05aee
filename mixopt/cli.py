"""The ``mixopt`` command line: the only place that prints and chooses exit codes."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from enum import IntEnum
from pathlib import Path

import click
import pandas as pd
from rich.console import Console

from mixopt.compare import compare, grid_points, parse_grid, run_grid
from mixopt.diagnose import diagnose
from mixopt.diagnose import render as render_diagnosis
from mixopt.diagnose import to_json_dict as diagnosis_json
from mixopt.errors import InputError
from mixopt.evaluate import evaluate
from mixopt.instance import Instance
from mixopt.pipeline import RecheckError, solve
from mixopt.read import read_instance, read_mix
from mixopt.report import (
    frame_csv,
    frame_records,
    render_frame,
    render_table,
    to_csv,
    to_json_dict,
    write_atomic,
)
from mixopt.scenario import apply_overrides, parse_assignment, scenario, variants, with_overrides
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
        except OSError as exc:  # a file that cannot be written or opened (folder, permission)
            if _Ctx.debug:
                raise
            where = f"{exc.filename}: " if exc.filename else ""
            _fail(Exit.INVALID_INPUT, f"{where}{exc.strerror or exc}")
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


def _dask_options(fn):
    fn = click.option("--scheduler", metavar="tcp://HOST:PORT",
                      help="Solve on an existing Dask distributed scheduler.")(fn)
    return click.option("--workers", type=click.IntRange(min=1),
                        help="Solve on a local Dask cluster of N worker processes "
                             "(spawned).")(fn)


def _remember(ctx: click.Context, param: click.Parameter, value: object) -> object:
    ctx.meta.setdefault("mixopt.solver", {})[param.name] = value
    return value


def _solver_options(fn):
    """--time-limit, --mip-gap, --threads, --backend, --lp-solver (read by _options)."""
    for decl, kw in (
        ("--lp-solver", {"type": click.Choice(["auto", "simplex", "ipm", "pdlp"]),
                             "default": "auto", "show_default": True,
                             "help": "LP algorithm for a cold solve (warm re-solves use "
                                  "simplex)."}),
        ("--backend", {"type": click.Choice(["highspy", "pyomo"]), "default": "highspy",
                           "show_default": True,
                           "help": "Into HiGHS straight from the arrays, or through Pyomo."}),
        ("--threads", {"type": click.IntRange(min=1), "default": 1, "show_default": True,
                           "help": "HiGHS threads (1 keeps MILP runs reproducible)."}),
        ("--mip-gap", {"type": click.FloatRange(min=0), "default": 1e-6, "show_default": True,
                           "help": "Relative MIP gap at which a MILP counts as solved."}),
        ("--time-limit", {"type": click.FloatRange(min=0, min_open=True),
                              "help": "Seconds per solve; a plan found by then is reported "
                                   "as such."}),
    ):
        fn = click.option(decl, expose_value=False, callback=_remember, **kw)(fn)
    return fn


def _output_options(fn=None, formats=("table", "json", "csv", "xlsx")):
    def deco(fn):
        fn = click.option("--force", is_flag=True,
                          help="Allow -o to replace an existing file.")(fn)
        fn = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                          help="Write to this file instead of stdout (never over an "
                               "existing file; xlsx needs it).")(fn)
        return click.option("--format", "fmt", type=click.Choice(list(formats)),
                            default="table", show_default=True)(fn)
    return deco(fn) if fn is not None else deco


def _variant_options(fn):
    fn = click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
                      help="Override a field, e.g. materials.INERTA.available.max=2000 "
                           "(repeatable; applied after --scenario).")(fn)
    fn = click.option("--scope", type=click.Choice(["full", "scope12"]),
                      help="Footprint scope.")(fn)
    fn = click.option("--cap", type=float,
                      help="Footprint cap over all products, t CO2e/t slab.")(fn)
    return click.option("--minimise", type=click.Choice(["footprint", "cost"]),
                        help="Override the instance's objective.")(fn)


def _options() -> SolveOptions:
    o = click.get_current_context().meta.get("mixopt.solver", {})
    return SolveOptions(time_limit_s=o.get("time_limit"), mip_rel_gap=o.get("mip_gap", 1e-6),
                        threads=o.get("threads", 1), backend=o.get("backend", "highspy"),
                        lp_solver=o.get("lp_solver", "auto"))


def _variant(inst: Instance, scenario_name: str | None, sets: tuple[str, ...],
             minimise: str | None, cap: float | None, scope: str | None) -> Instance:
    if scenario_name:
        inst = scenario(inst, scenario_name)
    if sets:
        inst = apply_overrides(inst, dict(parse_assignment(s) for s in sets), "--set")
    return with_overrides(inst, minimise=minimise, cap=cap, scope=scope)


def _check_output(output: Path | None, force: bool, fmt: str = "") -> None:
    if fmt == "xlsx" and output is None:
        raise click.UsageError("--format xlsx writes a workbook: give it a file with -o")
    if output is not None and output.exists() and not force:
        raise FileExistsError(f"{output} exists; pass --force to replace it")


def _emit(text: str, output: Path | None, force: bool) -> None:
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text, force=force)


def _emit_frame(df: pd.DataFrame, fmt: str, title: str, output: Path | None,
                force: bool) -> None:
    if fmt == "xlsx":
        from mixopt.excel import frame_workbook, save

        save(frame_workbook({title[:31].replace(":", " "): df}), output, force)
    else:
        _emit(_frame_text(df, fmt, title), output, force)


def _frame_text(df: pd.DataFrame, fmt: str, title: str) -> str:
    if fmt == "json":
        return json.dumps(frame_records(df), indent=2, allow_nan=False) + "\n"
    if fmt == "csv":
        return frame_csv(df)
    return render_frame(df, title)


@main.command("solve", epilog=EXIT_HELP)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--scenario", "scenario_name", help="Solve this [scenarios.NAME] variant.")
@click.option("--no-diagnose", is_flag=True,
              help="Do not explain an infeasible instance (saves the extra solves).")
@click.option("--start", "start_path", type=click.Path(dir_okay=False, path_type=Path),
              help="A plan (JSON with a 'mix' list) handed to HiGHS as the starting plan.")
@click.option("--no-sensitivity", is_flag=True,
              help="Skip shadow prices, reduced costs and ranging (faster on large LPs).")
@_variant_options
@_solver_options
@_output_options(formats=("table", "json", "csv", "xlsx", "declaration"))
@_guard
def solve_cmd(path: Path, scenario_name: str | None, no_diagnose: bool,
              start_path: Path | None, no_sensitivity: bool, sets: tuple[str, ...],
              minimise: str | None, cap: float | None, scope: str | None,
              fmt: str,
              output: Path | None, force: bool) -> None:
    """Solve an instance for least footprint, or least cost under a cap.

    PATH is a .toml instance (tables may sit in CSV files beside it) or an .xlsx workbook
    (see `mixopt template`). `--format declaration` writes the products' footprint
    declarations (JSON); `--format xlsx -o FILE` a results workbook."""
    _check_output(output, force, fmt)
    inst = _variant(read_instance(path), scenario_name, sets, minimise, cap, scope)
    opts = _options()
    start = read_mix(start_path, inst) if start_path is not None else None
    result = solve(inst, opts, start, sensitivity=not no_sensitivity)
    diag = diagnose(inst, opts) if result.status == Status.INFEASIBLE and not no_diagnose \
        else None
    if fmt == "json":
        doc = to_json_dict(result)
        if diag is not None:
            doc["diagnosis"] = diagnosis_json(diag)
        text = json.dumps(doc, indent=2, allow_nan=False) + "\n"
    elif fmt == "declaration":
        from mixopt.declaration import declarations

        text = json.dumps(declarations(result), indent=2, allow_nan=False) + "\n"
    elif fmt == "xlsx":
        from mixopt.excel import results_workbook, save

        save(results_workbook(result), output, force)
        text = ""
    elif fmt == "csv":
        text = to_csv(result)
    else:
        text = render_table(result) + (render_diagnosis(diag) if diag is not None else "")
    if fmt != "xlsx":
        _emit(text, output, force)
    if diag is not None and fmt in ("csv", "xlsx", "declaration"):
        click.echo(render_diagnosis(diag), err=True, nl=False)
    code = STATUS_EXIT[result.status]
    if code != Exit.OK:
        click.echo(f"mixopt: {result.status}: {result.message}", err=True)
    sys.exit(int(code))


@main.command("diagnose", epilog=EXIT_HELP)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--scenario", "scenario_name", help="Diagnose this [scenarios.NAME] variant.")
@_variant_options
@_solver_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of stdout (never over an existing file).")
@click.option("--force", is_flag=True, help="Allow -o to replace an existing file.")
@_guard
def diagnose_cmd(path: Path, scenario_name: str | None, sets: tuple[str, ...],
                 minimise: str | None, cap: float | None, scope: str | None,
                 fmt: str,
                 output: Path | None, force: bool) -> None:
    """Explain why an instance has no plan: checks, the least change that gives one
    (verified by solving), and the limits that conflict. Exits 3 when infeasible."""
    _check_output(output, force)
    inst = _variant(read_instance(path), scenario_name, sets, minimise, cap, scope)
    diag = diagnose(inst, _options())
    text = (json.dumps(diagnosis_json(diag), indent=2, allow_nan=False) + "\n"
            if fmt == "json" else render_diagnosis(diag))
    _emit(text, output, force)
    sys.exit(int(STATUS_EXIT[diag.status]))


@main.command("compare", epilog=EXIT_HELP)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--scenario", "names", multiple=True, help="A scenario to compare (repeatable).")
@click.option("--all", "all_", is_flag=True, help="Compare every scenario of the instance.")
@_dask_options
@_solver_options
@_output_options
@_guard
def compare_cmd(path: Path, names: tuple[str, ...], all_: bool, workers: int | None,
                scheduler: str | None, fmt: str, output: Path | None, force: bool) -> None:
    """Solve the base instance and its scenarios; one row each, against the base.

    Exits 0 when every run ends with a status (infeasible scenarios are rows, not errors).
    """
    _check_output(output, force, fmt)
    inst = read_instance(path)
    chosen = list(inst.scenarios) if all_ else list(names)
    if not chosen:
        raise click.UsageError("name scenarios with --scenario NAME, or pass --all")
    with _dask_client(workers, scheduler) as client:
        df = compare(variants(inst, chosen), _options(), client)
    _emit_frame(df, fmt, f"{inst.name}: scenarios against the base", output, force)


@main.command("sweep", epilog=EXIT_HELP)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--grid", "grids", multiple=True, required=True,
              metavar="PATH=START:STOP:STEP|PATH=V1,V2",
              help="An axis of the grid (repeatable; the grid is their product).")
@click.option("--scenario", "scenario_name", help="Sweep around this scenario.")
@_variant_options
@_dask_options
@_solver_options
@_output_options
@_guard
def sweep_cmd(path: Path, grids: tuple[str, ...], scenario_name: str | None,
              sets: tuple[str, ...], minimise: str | None, cap: float | None,
              scope: str | None, workers: int | None, scheduler: str | None, fmt: str,
              output: Path | None, force: bool) -> None:
    """Solve a grid of what-ifs and write one tidy row per point."""
    _check_output(output, force, fmt)
    inst = _variant(read_instance(path), scenario_name, sets, minimise, cap, scope)
    axes = [parse_grid(g) for g in grids]
    opts = _options()
    with _progress(len(grid_points(axes))) as tick, _dask_client(workers, scheduler) as client:
        df = run_grid(inst, axes, opts, client=client, progress=tick)
    _emit_frame(df, fmt, f"{inst.name}: grid of {len(df)} points", output, force)


@main.command("pareto", epilog=EXIT_HELP)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--scenario", "scenario_name", help="Trace the frontier of this scenario.")
@click.option("--points", type=click.IntRange(min=2), default=11, show_default=True,
              help="MILP only: caps sampled from least footprint to least cost.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a chart of cost against footprint (.png or .svg).")
@_solver_options
@_output_options
@_guard
def pareto_cmd(path: Path, scenario_name: str | None, points: int, plot_path: Path | None,
               fmt: str,
               output: Path | None, force: bool) -> None:
    """The cost-carbon frontier: exact breakpoints for an LP, sampled for a MILP.

    Each point gives the cap (t CO2e/t slab), the least cost under it, the marginal
    abatement cost of the segment below it (currency per t CO2e avoided), and what changes
    in the mix as the cap tightens past it.
    """
    from mixopt import frontier as fr_mod

    _check_output(output, force, fmt)
    if plot_path is not None:
        if plot_path.suffix.lower() not in (".png", ".svg"):
            raise click.BadParameter("must end in .png or .svg", param_hint="--plot")
        _check_output(plot_path, force)
    inst = _variant(read_instance(path), scenario_name, (), None, None, None)
    try:
        fr = fr_mod.frontier(inst, points, _options())
    except fr_mod.FrontierError as exc:
        _fail(Exit.INFEASIBLE, f"no frontier: {exc}")
    if fmt == "json":
        _emit(json.dumps(fr_mod.to_json_dict(fr), indent=2, allow_nan=False) + "\n", output,
              force)
    else:
        kind = ("exact breakpoints" if fr.method == "exact"
                else "SAMPLED (MILP: not exact between points)")
        _emit_frame(fr.table(), fmt, f"{inst.name}: cost ({inst.currency}) against "
                                     f"footprint cap, {kind}; {fr.solves} solves", output, force)
    if plot_path is not None:
        fr_mod.plot(fr, plot_path, force)
    for note in fr.notes:
        click.echo(f"mixopt: {note}", err=True)


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[], None] | None]:
    """A progress bar on stderr when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("solving", total=total)
        yield lambda: bar.advance(task)


@contextlib.contextmanager
def _dask_client(workers: int | None, scheduler: str | None) -> Iterator[object | None]:
    if workers and scheduler:
        raise click.UsageError("use --workers or --scheduler, not both")
    if not workers and not scheduler:
        yield None
        return
    import distributed  # configures its loggers on import: quiet them afterwards

    from mixopt.distributed import client_for

    if not logging.getLogger("mixopt").isEnabledFor(logging.INFO):
        for name in [distributed.__name__] + [n for n in logging.root.manager.loggerDict
                                              if n.startswith("distributed.")]:
            logging.getLogger(name).setLevel(logging.WARNING)
    with client_for(workers=workers, scheduler=scheduler) as client:
        yield client


@main.group("bench")
def bench() -> None:
    """Benchmarks that print their figures (run on demand, not in the test suite)."""


@bench.command("sweep")
@click.option("--lots", type=click.IntRange(min=1), default=500, show_default=True)
@click.option("--products", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--elements", type=click.IntRange(min=1, max=15), default=12, show_default=True)
@click.option("--points", type=click.IntRange(min=2), default=20, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@_guard
def bench_sweep(lots: int, products: int, elements: int, points: int, seed: int) -> None:
    """A footprint-cap sweep: mixopt's warm session against raw highspy, same LP and caps."""
    import platform

    import highspy
    import pyomo

    from mixopt.bench import sweep

    f = sweep(lots, products, elements, points, seed)
    click.echo(f"cap sweep, {lots} lots x {products} products x {elements} elements, "
               f"{points} caps from {f.caps[0]:.4f} to {f.caps[-1]:.4f} t CO2e/t (seed {seed})")
    click.echo(f"machine: {platform.machine()}, {os.cpu_count()} cores; HiGHS "
               f"{highspy.Highs().version()}, pyomo {pyomo.version.version}, threads 1")
    click.echo(f"  mixopt (one warm Session)       {f.mixopt_s:8.3f} s   "
               f"(HiGHS's own run time {f.mixopt_highs_s:.3f} s, {f.rebuilds} build)")
    click.echo(f"  raw highspy (persistent)        {f.raw_s:8.3f} s")
    click.echo(f"  ratio mixopt / raw              {f.ratio:8.2f}   (target <= 2)")
    click.echo(f"  largest objective difference    {f.max_rel_diff:8.1e}   (relative)")


@main.command("generate")
@click.option("--lots", type=click.IntRange(min=1), required=True)
@click.option("--products", type=click.IntRange(min=1), required=True)
@click.option("--elements", type=click.IntRange(min=1, max=15), required=True)
@click.option("--milp", is_flag=True, help="Buy half the lots in whole lots, some with "
                                            "minimum orders.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--tables", type=click.Choice(["csv", "inline"]), default="csv",
              show_default=True, help="Materials and composition in CSV files or inline.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="The .toml to write (CSV tables go beside it).")
@click.option("--force", is_flag=True, help="Replace existing files.")
@_guard
def generate_cmd(lots: int, products: int, elements: int, milp: bool, seed: int, tables: str,
                 output: Path, force: bool) -> None:
    """Write a synthetic month (placeholder chemistry; deterministic for a seed)."""
    from mixopt.generate import generate
    from mixopt.write import write_instance

    inst = generate(lots, products, elements, seed, milp)
    for f in write_instance(inst, output, csv_tables=tables == "csv", force=force):
        click.echo(f"wrote {f}")


def _size(text: str) -> tuple[int, int, int]:
    try:
        lots, products, elements = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not LOTSxPRODUCTSxELEMENTS") from None
    return lots, products, elements


@bench.command("solve")
@click.option("--size", "sizes", multiple=True, metavar="LOTSxPRODUCTSxELEMENTS",
              help="Sizes to run (repeatable); default 50x5x10 500x20x12 2000x40x12 "
                   "5000x60x14.")
@click.option("--backend", type=click.Choice(["highspy", "pyomo"]), default="highspy",
              show_default=True)
@click.option("--lp-solver", type=click.Choice(["auto", "simplex", "ipm"]), default="auto",
              show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--no-sensitivity", is_flag=True, help="mixopt without duals and ranging.")
@_guard
def bench_solve(sizes: tuple[str, ...], backend: str, lp_solver: str, seed: int,
                no_sensitivity: bool) -> None:
    """mixopt end to end against a minimal raw-highspy baseline, phase by phase."""
    import platform

    import highspy

    from mixopt.bench_scale import SIZES, bench_size

    click.echo(f"machine: {platform.machine()}, {os.cpu_count()} cores; HiGHS "
               f"{highspy.Highs().version()}; each contender in its own spawned process; "
               "times in s, memory in MB above the process's size after imports")
    head = (f"{'size':>12} {'who':<28} {'read':>7} {'build':>7} {'load':>7} {'solve':>8} "
            f"{'extract':>8} {'outside':>8} {'peak MB':>8} {'objective':>16}")
    click.echo(head)
    for text in sizes or [f"{a}x{b}x{c}" for a, b, c in SIZES]:
        ours, raw = bench_size(*_size(text), backend=backend, lp_solver=lp_solver, seed=seed,
                               sensitivity=not no_sensitivity)
        for r in (ours, raw):
            p = r.phases
            click.echo(f"{text:>12} {r.who:<28} {p['read']:7.3f} {p['build']:7.3f} "
                       f"{p['load']:7.3f} {p['solve']:8.3f} {p['extract']:8.3f} "
                       f"{r.outside_solve:8.3f} {r.work_mb:8.1f} {r.objective:16.6f}")
        rel = abs(ours.objective - raw.objective) / max(1.0, abs(raw.objective))
        click.echo(f"{text:>12} {'ratio mixopt/raw':<28} outside solve "
                   f"{ours.outside_solve / raw.outside_solve:.2f}x (target <= 1.5), outside "
                   f"share of mixopt's total {ours.outside_solve / ours.total:.1%} (target <= "
                   f"10%), memory {ours.work_mb / max(raw.work_mb, 1e-9):.2f}x (target <= 2),"
                   f" objectives differ by {rel:.1e}")


@bench.command("solvers")
@click.option("--size", default="2000x40x12", show_default=True,
              metavar="LOTSxPRODUCTSxELEMENTS")
@click.option("--time-limit", type=float, default=120.0, show_default=True)
@_guard
def bench_solvers(size: str, time_limit: float) -> None:
    """HiGHS's LP algorithms on one generated month (cold solves)."""
    from mixopt.bench_scale import solver_times

    click.echo(f"{size}, cold solve, time limit {time_limit:g} s")
    for name, status, secs, obj in solver_times(*_size(size), time_limit_s=time_limit):
        click.echo(f"  {name:<30} {status:<20} {secs:8.2f} s   objective {obj:.6f}")


@bench.command("milp")
@click.option("--size", default="2000x40x12", show_default=True,
              metavar="LOTSxPRODUCTSxELEMENTS")
@click.option("--time-limit", type=float, default=300.0, show_default=True)
@_guard
def bench_milp(size: str, time_limit: float) -> None:
    """A generated MILP month (half the lots in whole lots, some minimum orders): time to
    a first plan, to 1% and to 0.1% gap, on this machine's cores (threads 1)."""
    from mixopt.bench_scale import milp_times

    click.echo(f"{size} MILP, time limit {time_limit:g} s per run")
    for name, status, secs, gap in milp_times(*_size(size), time_limit_s=time_limit):
        g = "no plan" if gap is None else f"gap {gap:.3%}"
        click.echo(f"  {name:<22} {status:<28} {secs:8.2f} s   {g}")


@main.command("template")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--from", "source", type=click.Path(dir_okay=False, path_type=Path),
              help="Fill the workbook from this instance (.toml or .xlsx).")
@click.option("--force", is_flag=True, help="Replace an existing file.")
@_guard
def template_cmd(output: Path, source: Path | None, force: bool) -> None:
    """Write an instance workbook (.xlsx): one sheet per table and a README sheet listing
    every field with its unit, default and meaning."""
    from mixopt.excel import instance_workbook, save

    if output.suffix.lower() != ".xlsx":
        raise click.BadParameter("must end in .xlsx", param_hint="OUTPUT")
    save(instance_workbook(read_instance(source) if source else None), output, force)
    click.echo(f"wrote {output}")


@main.command("convert")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--tables", type=click.Choice(["inline", "csv"]), default="inline",
              show_default=True, help="To TOML: materials inline or in CSV files beside it.")
@click.option("--force", is_flag=True, help="Replace existing files.")
@_guard
def convert_cmd(source: Path, target: Path, tables: str, force: bool) -> None:
    """Convert an instance between TOML (+CSV) and an .xlsx workbook, either way."""
    inst = read_instance(source)
    if target.suffix.lower() == ".xlsx":
        from mixopt.excel import instance_workbook, save

        save(instance_workbook(inst), target, force)
        written = [target]
    elif target.suffix.lower() == ".toml":
        from mixopt.write import write_instance

        written = write_instance(inst, target, csv_tables=tables == "csv", force=force)
    else:
        raise click.BadParameter("must end in .toml or .xlsx", param_hint="TARGET")
    for f in written:
        click.echo(f"wrote {f}")


@main.command("report")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="The .html file to write.")
@click.option("--scenario", "scenario_name", help="Report this [scenarios.NAME] variant.")
@click.option("--pareto", is_flag=True, help="Also trace and show the cost-carbon curve.")
@_variant_options
@_solver_options
@click.option("--force", is_flag=True, help="Replace an existing file.")
@_guard
def report_cmd(path: Path, output: Path, scenario_name: str | None, pareto: bool,
               sets: tuple[str, ...], minimise: str | None, cap: float | None,
               scope: str | None, force: bool) -> None:
    """Solve and write a self-contained HTML report (no network; prints on A4)."""
    from mixopt import frontier as fr_mod
    from mixopt.html_report import render

    _check_output(output, force)
    inst = _variant(read_instance(path), scenario_name, sets, minimise, cap, scope)
    opts = _options()
    result = solve(inst, opts)
    fr = fr_mod.frontier(inst, options=opts) if pareto and result.status.has_solution \
        else None
    write_atomic(output, render(result, fr), force=force)
    click.echo(f"wrote {output}")
    sys.exit(int(STATUS_EXIT[result.status]))
