"""Commands on one plan (a month, or several periods): ``validate``, ``solve``,
``verify``, ``diagnose``."""

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
    read_variant,
    samples_option,
    solver_options,
    variant_options,
)


@click.command(epilog=EXIT_HELP)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@guard
def validate(path: Path) -> None:
    """Check an instance and list every problem at once."""
    from mixopt.io.read import read

    h = read(path)
    first = h.first
    periods = f"{len(h.periods)} periods, " if h.has_periods else ""
    click.echo(f"{path}: valid ({'MILP' if h.is_milp else 'LP'}; {periods}"
               f"{len(first.products)} products, {len(first.materials)} materials, "
               f"{len(first.constituents())} constituents)")


@click.command(epilog=EXIT_HELP)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("solution", type=click.Path(dir_okay=False, path_type=Path))
@variant_options
@samples_option
@output_options(formats=("table", "json"))
@guard
def verify(path: Path, solution: Path, variant: dict, samples: int, fmt: str,
           output: Path | None, force: bool) -> None:
    """Recheck a plan (SOLUTION.json with a 'mix' list; with periods, each row's period and
    the purchases of stored materials) against every rule of PATH (or of its --scenario /
    --set variant), or a correction (`mixopt correct --format json`) against the
    correction problem its inputs rebuild from PATH. Exits 10 when a rule is broken."""
    from mixopt.io.furnace import is_correction
    from mixopt.io.plan import read_solution
    from mixopt.model.backend import Status
    from mixopt.model.evaluate import objective_of, objective_unit, recheck
    from mixopt.model.result import Result
    from mixopt.report.document import verification_document
    from mixopt.report.text import render_verification

    check_output(output, force)
    h = read_variant(path, variant)
    if is_correction(solution):
        _verify_correction(h, solution, fmt, output, force)
    plan = read_solution(solution, h)
    evs, bad = recheck(plan)
    result = Result(h, Status.OPTIMAL if not bad else Status.INFEASIBLE, "a plan read",
                    objective_of(plan, evs), objective_unit(h), None, plan, evs, None, None,
                    {}, "given", samples)
    if fmt == "json":
        doc = verification_document(result, bad, str(solution))
        emit(json.dumps(doc, indent=2, allow_nan=False) + "\n", output, force)
    else:
        emit(render_verification(result, bad, str(solution)), output, force)
    sys.exit(int(Exit.VIOLATED if bad else Exit.OK))


def _verify_correction(h: object, solution: Path, fmt: str, output: Path | None,
                       force: bool) -> None:
    """``verify`` of a correction: its problem rebuilt from its inputs, its additions and
    tapping rechecked without a solver, its stated figures recomputed."""
    from mixopt.analysis.correct import recheck_correction
    from mixopt.analysis.correct_spec import spec_of
    from mixopt.io.furnace import read_correction
    from mixopt.report.correction import render_correction, verification_document

    doc = read_correction(solution)
    spec = spec_of(doc["inputs"], str(solution))
    stated = {"objective": (doc.get("objective") or {}).get("value"),
              "after_t": (doc.get("melt") or {}).get("after_t")}
    c, bad = recheck_correction(h, spec, doc["additions"], doc["tapped_t"], str(solution),
                                stated)
    if fmt == "json":
        text = json.dumps(verification_document(c, bad, str(solution)), indent=2,
                          allow_nan=False) + "\n"
    else:
        said = ([f"{solution}: {len(bad)} rule(s) broken:", *(f"  - {v}" for v in bad)]
                if bad else [f"{solution}: every rule of the correction holds"])
        text = "\n".join(said) + "\n" + render_correction(c)
    emit(text, output, force)
    sys.exit(int(Exit.VIOLATED if bad else Exit.OK))


@click.command("solve", epilog=EXIT_HELP)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--no-diagnose", is_flag=True,
              help="Do not explain an infeasible instance (saves the extra solves).")
@click.option("--start", "start_path", type=click.Path(dir_okay=False, path_type=Path),
              help="A plan (JSON with a 'mix' list) handed to HiGHS as the starting plan.")
@click.option("--no-sensitivity", is_flag=True,
              help="Skip shadow prices, reduced costs and ranging (faster on large LPs).")
@click.option("--myopic", is_flag=True,
              help="Several periods: also plan each period alone (stock carried over) and "
                   "report that plan and the value of planning ahead against the joint plan.")
@click.option("--rolling", type=click.IntRange(min=1), metavar="N",
              help="Several periods: also re-plan every period with N periods in view, "
                   "keeping the first, and report that plan and the value of planning ahead.")
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
    (see `mixopt template`), a month or several periods (`periods = [...]`).
    `--format declaration` writes the products' footprint declarations (JSON);
    `--format xlsx -o FILE` a results workbook."""
    from mixopt.io.plan import read_solution
    from mixopt.model.planner import solve, solve_rolling

    check_output(output, force, fmt)
    if myopic and rolling:
        raise click.UsageError("give --myopic or --rolling N, not both (--myopic is "
                               "--rolling 1)")
    h = read_variant(path, variant)
    if (myopic or rolling) and not h.has_periods:
        raise click.UsageError("--myopic and --rolling plan instances of several periods "
                               "(periods = [...]); this one has a single period")
    opts = options()
    start = read_solution(start_path, h) if start_path is not None else None
    # ranging is the largest cost outside HiGHS on large months: computed only when the
    # output shows it (table, json, xlsx), and the output says when it was skipped
    shown = fmt in ("table", "json", "xlsx")
    result = solve(h, opts, start, sensitivity=shown and not no_sensitivity,
                   risk_samples=samples)
    ahead = None
    if (myopic or rolling) and result.plan is not None:
        ahead = solve_rolling(h, 1 if myopic else rolling, opts)
    diag = None
    if result.status in ("infeasible", "unbounded", "infeasible_or_unbounded") and \
            not no_diagnose:
        from mixopt.analysis.diagnose import diagnose

        diag = diagnose(h, opts)
    if fmt == "xlsx":
        from mixopt.io.spreadsheet import save_workbook
        from mixopt.report.workbook import results_workbook

        save_workbook(results_workbook(result, ahead), output, force)
    else:
        emit(_solution_text(result, ahead, fmt, diag), output, force)
    if diag is not None and fmt in ("csv", "xlsx", "declaration"):
        from mixopt.report.diagnosis import render

        click.echo(render(diag), err=True, nl=False)
    code = STATUS_EXIT[result.status]
    if code != Exit.OK:
        click.echo(f"mixopt: {result.status}: {result.message}", err=True)
    sys.exit(int(code))


def _solution_text(result: object, ahead: object, fmt: str, diag: object) -> str:
    """A solve's output in a text format (json, declaration, csv or table)."""
    if fmt == "json":
        from mixopt.report.document import to_json_dict

        doc = to_json_dict(result, ahead)
        if diag is not None:
            from mixopt.report.diagnosis import to_json_dict as diagnosis_json

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
        return render_table(result, ahead)
    from mixopt.report.diagnosis import render

    return render_table(result, ahead) + render(diag)


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
    from mixopt.analysis.diagnose import diagnose
    from mixopt.report.diagnosis import render, to_json_dict

    check_output(output, force)
    diag = diagnose(read_variant(path, variant), options())
    text = (json.dumps(to_json_dict(diag), indent=2, allow_nan=False) + "\n"
            if fmt == "json" else render(diag))
    emit(text, output, force)
    sys.exit(int(STATUS_EXIT[diag.status]))
