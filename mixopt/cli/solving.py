"""Commands on one instance: ``validate``, ``solve``, ``verify``, ``diagnose``."""

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
    emit,
    guard,
    options,
    output_options,
    read_variant_any,
    samples_option,
    solver_options,
    variant_options,
)


@click.command(epilog=EXIT_HELP)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@guard
def validate(path: Path) -> None:
    """Check an instance and list every problem at once."""
    from mixopt.io.read import read_any
    from mixopt.model.schema.horizon import Horizon

    inst = read_any(path)
    if isinstance(inst, Horizon):
        first = inst.first
        click.echo(f"{path}: valid ({'MILP' if inst.is_milp else 'LP'}; {len(inst.periods)} "
                   f"periods, {len(first.products)} products, {len(first.materials)} "
                   f"materials, {len(first.constituents())} constituents)")
        return
    kind = "MILP" if inst.is_milp else "LP"
    click.echo(f"{path}: valid ({kind}; {len(inst.products)} products, "
               f"{len(inst.materials)} materials, {len(inst.constituents())} constituents)")


@click.command(epilog=EXIT_HELP)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("solution", type=click.Path(dir_okay=False, path_type=Path))
@variant_options
@samples_option
@output_options(formats=("table", "json"))
@guard
def verify(path: Path, solution: Path, variant: dict, samples: int, fmt: str,
           output: Path | None, force: bool) -> None:
    """Recheck a plan (SOLUTION.json with a 'mix' list) against every rule of PATH (or of
    its --scenario / --set variant). Exits 10 when a rule is broken."""
    from mixopt.io.plan import read_mix
    from mixopt.model.evaluate import evaluate
    from mixopt.model.schema.horizon import Horizon
    from mixopt.report.document import verification_document
    from mixopt.report.text import render_verification

    check_output(output, force)
    inst = read_variant_any(path, variant)
    if isinstance(inst, Horizon):
        from mixopt.cli.periods import verify_horizon

        verify_horizon(inst, solution, fmt, output, force)
    ev = evaluate(inst, read_mix(solution, inst))
    if fmt == "json":
        doc = verification_document(inst, ev, str(solution), samples)
        emit(json.dumps(doc, indent=2, allow_nan=False) + "\n", output, force)
    else:
        emit(render_verification(inst, ev, str(solution), samples), output, force)
    sys.exit(int(Exit.VIOLATED if ev.violations else Exit.OK))


@click.command("solve", epilog=EXIT_HELP)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--no-diagnose", is_flag=True,
              help="Do not explain an infeasible instance (saves the extra solves).")
@click.option("--start", "start_path", type=click.Path(dir_okay=False, path_type=Path),
              help="A plan (JSON with a 'mix' list) handed to HiGHS as the starting plan.")
@click.option("--no-sensitivity", is_flag=True,
              help="Skip shadow prices, reduced costs and ranging (faster on large LPs).")
@click.option("--myopic", is_flag=True,
              help="Multi-period: also plan each period alone (stock carried over) and print "
                   "the value of planning ahead against the joint plan.")
@click.option("--rolling", type=click.IntRange(min=1), metavar="N",
              help="Multi-period: also re-plan every period with N periods in view, keeping "
                   "the first, and print the value of planning ahead against the joint plan.")
@variant_options
@samples_option
@solver_options
@output_options(formats=("table", "json", "csv", "xlsx", "declaration"))
@guard
def solve_cmd(path: Path, no_diagnose: bool, start_path: Path | None, no_sensitivity: bool,
              myopic: bool, rolling: int | None, variant: dict, samples: int, fmt: str,
              output: Path | None, force: bool) -> None:
    """Solve an instance for least footprint, or least cost under a cap.

    PATH is a .toml instance (tables may sit in CSV files beside it) or an .xlsx workbook
    (see `mixopt template`). `--format declaration` writes the products' footprint
    declarations (JSON); `--format xlsx -o FILE` a results workbook."""
    from mixopt.io.plan import read_mix
    from mixopt.model.pipeline import solve

    check_output(output, force, fmt)
    from mixopt.model.schema.horizon import Horizon

    inst = read_variant_any(path, variant)
    opts = options()
    if isinstance(inst, Horizon):
        from mixopt.cli.periods import solve_horizon_cmd

        solve_horizon_cmd(inst, opts, myopic, rolling, start_path, no_sensitivity,
                          no_diagnose, fmt, output, force)
    if myopic or rolling:
        raise click.UsageError("--myopic and --rolling plan multi-period instances "
                               "(periods = [...]); this one has a single period")
    start = read_mix(start_path, inst) if start_path is not None else None
    # ranging is the largest cost outside HiGHS on large months: computed only when the
    # output shows it (table, json, xlsx), and the output says when it was skipped
    shown = fmt in ("table", "json", "xlsx")
    result = solve(inst, opts, start, sensitivity=shown and not no_sensitivity,
                   risk_samples=samples)
    diag = None
    if result.status in ("infeasible", "unbounded", "infeasible_or_unbounded") and \
            not no_diagnose:
        from mixopt.analysis.diagnose import diagnose

        diag = diagnose(inst, opts)
    if fmt == "xlsx":
        from mixopt.io.spreadsheet import save_workbook
        from mixopt.report.workbook import results_workbook

        save_workbook(results_workbook(result), output, force)
    else:
        emit(_solution_text(result, fmt, diag), output, force)
    if diag is not None and fmt in ("csv", "xlsx", "declaration"):
        from mixopt.analysis.diagnose import render

        click.echo(render(diag), err=True, nl=False)
    code = STATUS_EXIT[result.status]
    if code != Exit.OK:
        click.echo(f"mixopt: {result.status}: {result.message}", err=True)
    sys.exit(int(code))


def _solution_text(result: object, fmt: str, diag: object) -> str:
    """A solve's output in a text format (json, declaration, csv or table)."""
    if fmt == "json":
        from mixopt.report.document import to_json_dict

        doc = to_json_dict(result)
        if diag is not None:
            from mixopt.analysis.diagnose import to_json_dict as diagnosis_json

            doc["diagnosis"] = diagnosis_json(diag)
        return json.dumps(doc, indent=2, allow_nan=False) + "\n"
    if fmt == "declaration":
        from mixopt.report.declaration import declarations

        return json.dumps(declarations(result), indent=2, allow_nan=False) + "\n"
    if fmt == "csv":
        from mixopt.report.frames import to_csv

        return to_csv(result)
    from mixopt.report.text import render_table

    if diag is None:
        return render_table(result)
    from mixopt.analysis.diagnose import render

    return render_table(result) + render(diag)


@click.command("diagnose", epilog=EXIT_HELP)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@variant_options
@solver_options
@output_options(formats=("table", "json"))
@guard
def diagnose_cmd(path: Path, variant: dict, fmt: str, output: Path | None,
                 force: bool) -> None:
    """Explain why an instance has no plan: checks, the least change that gives one
    (verified by solving), and the limits that conflict. Exits 3 when infeasible."""
    from mixopt.analysis.diagnose import diagnose, render, to_json_dict
    from mixopt.model.schema.horizon import Horizon

    check_output(output, force)
    inst = read_variant_any(path, variant)
    if isinstance(inst, Horizon):  # several periods: each alone, then what links them
        from mixopt.analysis.diagnose_periods import diagnose_horizon
        from mixopt.model.multiperiod import solve_horizon

        result = solve_horizon(inst, options(), sensitivity=False)
        doc = diagnose_horizon(inst, result, options())
        if result.plan is not None:
            doc["lines"].append(f"  note: the instance is {result.status}: nothing to relax")
        emit(json.dumps(doc, indent=2, allow_nan=False) + "\n" if fmt == "json"
             else "\n".join(doc["lines"]) + "\n", output, force)
        sys.exit(int(STATUS_EXIT[str(result.status)]))
    diag = diagnose(inst, options())
    text = (json.dumps(to_json_dict(diag), indent=2, allow_nan=False) + "\n"
            if fmt == "json" else render(diag))
    emit(text, output, force)
    sys.exit(int(STATUS_EXIT[diag.status]))
