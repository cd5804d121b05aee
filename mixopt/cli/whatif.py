"""Commands over many solves: ``compare``, ``sweep``, ``pareto``, and the ``report``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from mixopt.cli.common import (
    EXIT_HELP,
    STATUS_EXIT,
    Exit,
    check_output,
    dask_client,
    dask_options,
    emit,
    emit_frame,
    emit_many,
    fail,
    guard,
    options,
    output_options,
    progress,
    read_variant,
    samples_option,
    solver_options,
    uncertainty_options,
    variant_options,
    wrote,
)


@click.command("compare", epilog=EXIT_HELP)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--scenario", "names", multiple=True, help="A scenario to compare (repeatable).")
@click.option("--all", "all_", is_flag=True, help="Compare every scenario of the instance.")
@uncertainty_options
@samples_option
@dask_options
@solver_options
@output_options
@guard
def compare_cmd(path: Path, names: tuple[str, ...], all_: bool, confidence: float | None,
                confidence_per: str | None, margin_sd: float | None, samples: int,
                workers: int | None, scheduler: str | None, fmt: str, output: Path | None,
                force: bool) -> None:
    """Solve the base instance and its scenarios; one row each, against the base.

    Exits 0 when every run ends with a status (infeasible scenarios are rows, not errors).
    """
    from mixopt.analysis.compare import compare
    from mixopt.io.read import read
    from mixopt.io.variants import variant, variants

    check_output(output, force, fmt)
    inst = read(path)
    chosen = list(inst.scenarios) if all_ else list(names)
    if not chosen:
        raise click.UsageError("name scenarios with --scenario NAME, or pass --all")
    flags = {"confidence": confidence, "confidence_per": confidence_per,
             "margin_sd": margin_sd}
    runs = [(name, variant(v, **flags)) for name, v in variants(inst, chosen)]
    with dask_client(workers, scheduler) as client:
        emit_many(lambda: compare(runs, options(), client, samples), fmt,
                  f"{inst.name}: scenarios against the base", output, force, inst.currency,
                  "scenarios")


@click.command("sweep", epilog=EXIT_HELP)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--grid", "grids", multiple=True, required=True,
              metavar="PATH=START:STOP:STEP|PATH=V1,V2",
              help="An axis of the grid (repeatable; the grid is their product).")
@click.option("--tonnes", is_flag=True,
              help="One row per point and material (and period): the charged tonnes of "
                   "each material over all products (long format), instead of one row per "
                   "point.")
@variant_options
@samples_option
@dask_options
@solver_options
@output_options
@guard
def sweep_cmd(path: Path, grids: tuple[str, ...], tonnes: bool, variant: dict, samples: int,
              workers: int | None, scheduler: str | None, fmt: str, output: Path | None,
              force: bool) -> None:
    """Solve a grid of what-ifs and write one tidy row per point (with --tonnes, per point
    and material)."""
    from mixopt.analysis.compare import grid_points, parse_grid, run_grid

    check_output(output, force, fmt)
    inst = read_variant(path, variant)
    axes = [parse_grid(g) for g in grids]
    n = len(grid_points(axes))
    with progress(n) as tick, dask_client(workers, scheduler) as client:
        emit_many(lambda: run_grid(inst, axes, options(), client=client, progress=tick,
                                   samples=samples, tonnes=tonnes),
                  fmt, f"{inst.name}: grid of {n} points", output, force, inst.currency,
                  "points")


@click.command("pareto", epilog=EXIT_HELP)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--points", type=click.IntRange(min=2), default=11, show_default=True,
              help="MILP only: caps sampled from least footprint to least cost.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a chart of cost against footprint (.png or .svg).")
@variant_options(cap=False)
@solver_options
@output_options
@guard
def pareto_cmd(path: Path, points: int, plot_path: Path | None, variant: dict, fmt: str,
               output: Path | None, force: bool) -> None:
    """The cost-carbon frontier: exact breakpoints for an LP, sampled for a MILP.

    Each point gives the cap (t CO2e/t slab), the least cost under it, the marginal
    abatement cost of the segment below it (currency per t CO2e avoided), and what changes
    in the plan on that segment. When the least-cost plan is also the least-footprint one
    there is no trade-off: one point, said so, exit 0.
    """
    from mixopt.analysis.frontier import FrontierError, frontier

    check_output(output, force, fmt)
    if plot_path is not None:
        if plot_path.suffix.lower() not in (".png", ".svg"):
            raise click.BadParameter("must end in .png or .svg", param_hint="--plot")
        check_output(plot_path, force)
    inst = read_variant(path, variant)
    try:
        fr = frontier(inst, points, options())
    except FrontierError as exc:
        fail(Exit.INFEASIBLE, f"no frontier: {exc}")
    if fmt == "json":
        from mixopt.report.document import frontier_document

        emit(json.dumps(frontier_document(fr), indent=2, allow_nan=False) + "\n", output,
             force)
    else:
        kind = ("exact breakpoints" if fr.method == "exact"
                else "SAMPLED (not exact between points)")
        over = f" over the {len(inst.periods)} periods" if inst.has_periods else ""
        emit_frame(fr.table(), fmt, f"{inst.name}: cost ({inst.currency}) against "
                                    f"footprint cap{over}, {kind}; {fr.solves} solves", output,
                   force, inst.currency)
    if plot_path is not None:
        from mixopt.report.charts import frontier_figure, save

        save(frontier_figure(fr), plot_path, force)
        wrote(plot_path)
    for note in fr.notes:
        click.echo(f"mixopt: {note}", err=True)


@click.command("report", epilog=EXIT_HELP)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="The .html file to write.")
@click.option("--pareto", is_flag=True, help="Also trace and show the cost-carbon curve.")
@click.option("--no-confidence-curve", is_flag=True,
              help="With spreads: skip the curve of the objective and off-spec heats "
                   "against the confidence (7 more solves).")
@variant_options
@samples_option
@solver_options
@click.option("--force", is_flag=True, help="Replace an existing file.")
@guard
def report_cmd(path: Path, output: Path, pareto: bool, no_confidence_curve: bool,
               variant: dict, samples: int, force: bool) -> None:
    """Solve and write a self-contained HTML report (no network; prints on A4)."""
    from mixopt.analysis.frontier import frontier
    from mixopt.io.atomic import write_atomic
    from mixopt.model.planner import solve, solve_rolling
    from mixopt.report.html import render

    check_output(output, force)
    inst = read_variant(path, variant)
    opts = options()
    result = solve(inst, opts, risk_samples=samples)
    # several periods: the joint plan against the myopic one (what planning ahead is worth)
    ahead = (solve_rolling(inst, 1, opts) if inst.has_periods and result.plan is not None
             else None)
    fr = frontier(inst, options=opts) if pareto and result.status.has_solution else None
    curve = None
    if inst.has_spreads and not no_confidence_curve:
        from mixopt.analysis.confidence import confidence_curve

        curve = confidence_curve(inst, options=opts, samples=samples)
    diag = None
    if result.status in ("infeasible", "unbounded", "infeasible_or_unbounded"):
        from mixopt.analysis.diagnose import diagnose

        diag = diagnose(inst, opts)
    write_atomic(output, render(result, fr, curve, diag, ahead), force=force)
    wrote(output)
    sys.exit(int(STATUS_EXIT[result.status]))
