"""Commands for engineers: ``check`` (a regression suite with JUnit XML) and ``export``
(the exact LP/MILP as MPS or LP, for any solver)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from mixopt.cli.common import (
    EXIT_HELP,
    Exit,
    check_output,
    dask_client,
    dask_options,
    emit,
    fail,
    guard,
    options,
    output_options,
    read_variant,
    solver_options,
    variant_options,
    wrote,
)


@click.command("check", epilog=EXIT_HELP)
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--junit", "junit", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write JUnit XML here (one testcase per run).")
@click.option("--update", is_flag=True,
              help="Rewrite the manifest with what each run now gives (published values "
                   "are kept); review the diff.")
@click.option("--rtol", type=click.FloatRange(min=0, max=1, min_open=True, max_open=True),
              default=1e-6, show_default=True,
              help="Relative tolerance on objectives and tonnages.")
@dask_options
@solver_options
@output_options(formats=("table", "json"))
@guard
def check_cmd(folder: Path, junit: Path | None, update: bool, rtol: float,
              workers: int | None, scheduler: str | None, fmt: str, output: Path | None,
              force: bool) -> None:
    """Solve every run of FOLDER/expected.json and compare with what it expects.

    Each run names an instance (with overrides or a scenario) and its expected status,
    objective (relative tolerance) and, optionally, tonnes of named materials, or the
    problems an invalid input must raise. Exits 12 when any expectation fails.
    """
    from mixopt.analysis.check import Outcome, check, updated
    from mixopt.errors import Interrupted
    from mixopt.io.atomic import write_atomic
    from mixopt.io.manifest import manifest_json, read_manifest

    check_output(output, force, fmt)
    if junit is not None:
        check_output(junit, True)  # a report file: replaced, but its folder must exist
    path, manifest = read_manifest(folder)
    finished = None
    with dask_client(workers, scheduler) as client:
        try:
            outcomes = check(path.parent, manifest, rtol, options(), client)
        except Interrupted as exc:  # report what finished; the rest was not run
            finished = len(exc.finished)
            got = {o.id: o for o in exc.finished}
            outcomes = [got.get(r.id) or Outcome(r.id, r.status, "interrupted", r.objective,
                                                 None, ("not run: interrupted",))
                        for r in manifest.runs]
    written = [output] if output is not None else []
    if fmt == "json":
        emit(json.dumps(_document(path, rtol, outcomes), indent=2, allow_nan=False) + "\n",
             output, force, say=finished is None)
    else:
        emit(_table(path, outcomes), output, force, say=finished is None)
    if junit is not None:
        from mixopt.report.junit import junit_xml

        write_atomic(junit, junit_xml(path.parent.name or str(path.parent), outcomes),
                     force=True)
        written.append(junit)
        if finished is None:
            wrote(junit)
    if finished is not None:
        into = f"; written to {', '.join(map(str, written))}" if written else ""
        fail(Exit.INTERRUPTED, f"interrupted: {finished} of {len(outcomes)} run(s) finished"
                               f"{into} (the manifest is not updated)" if update else
                               f"interrupted: {finished} of {len(outcomes)} run(s) finished"
                               f"{into}")
    failed = [o for o in outcomes if not o.passed]
    if update:
        new, changed = updated(manifest, outcomes)
        if changed:
            write_atomic(path, manifest_json(new), force=True, in_place=True)
            click.echo(f"updated {len(changed)} run(s) in {path}: {', '.join(changed)}",
                       err=True)
        else:
            click.echo(f"{path}: nothing to update", err=True)
        left = [o for o in failed if o.id not in changed]
        if left:
            fail(Exit.CHECK_FAILED, f"{len(left)} run(s) still fail (published or invalid "
                                    "runs are never rewritten)")
        return
    not_run = [o for o in failed if o.status == "not_run"]
    if not_run and len(not_run) == len(failed):  # the cluster failed them, not the model
        for o in not_run:
            click.echo(f"mixopt: not run: {o.id}: {o.failures[0].removeprefix('not run: ')}",
                       err=True)
        fail(Exit.INCOMPLETE, f"{len(not_run)} of {len(outcomes)} run(s) could not be run; "
                              "the others pass")
    if failed:
        fail(Exit.CHECK_FAILED, f"{len(failed)} of {len(outcomes)} run(s) failed")


def _document(path: Path, rtol: float, outcomes: list) -> dict:
    return {"manifest": str(path), "rtol": rtol, "runs_total": len(outcomes),
            "passed": sum(o.passed for o in outcomes),
            "failed": sum(not o.passed for o in outcomes),
            "runs": [{"id": o.id, "passed": o.passed, "expected_status": o.expected_status,
                      "status": o.status, "expected_objective": o.expected_objective,
                      "objective": o.objective, "relative_difference": o.rel_diff,
                      "tonnes": o.tonnes, "failures": list(o.failures),
                      "time_s": round(o.time_s, 4)} for o in outcomes]}


def _table(path: Path, outcomes: list) -> str:
    import pandas as pd

    from mixopt.report.text import render_frame

    df = pd.DataFrame({
        "run": [o.id for o in outcomes],
        "result": ["pass" if o.passed else "FAIL" for o in outcomes],
        "status": [o.status if o.status == o.expected_status
                   else f"{o.status} (expected {o.expected_status})" for o in outcomes],
        "objective": [o.objective for o in outcomes],
        "expected": [o.expected_objective for o in outcomes],
        "rel_diff": [o.rel_diff for o in outcomes],
        "why": ["; ".join(o.failures) for o in outcomes],
    })
    passed = sum(o.passed for o in outcomes)
    return render_frame(df, f"{path}: {passed} of {len(outcomes)} runs pass")


@click.command("export", epilog=EXIT_HELP)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="FILE.mps or FILE.lp (written by HiGHS).")
@click.option("--force", is_flag=True, help="Replace an existing file.")
@variant_options
@guard
def export_cmd(path: Path, output: Path, force: bool, variant: dict) -> None:
    """Write the exact LP/MILP mixopt would solve, with readable row and column names.

    Columns are charge[product|material] (t charged), plus the model's own columns (lot
    counts, purchase switches, spreads); rows are named by family and key, e.g.
    chemistry[AA3104 slab|Mn]. Names too long for the readers are shortened and listed in
    FILE.names.csv beside it. Chance cones have no MPS form: such months are refused.
    """
    from mixopt.io.export import write_model

    if output.suffix.lower() not in (".mps", ".lp"):
        raise click.BadParameter("must end in .mps or .lp", param_hint="-o")
    check_output(output, force)
    inst = read_variant(path, variant)
    for f in write_model(inst, output, force):
        wrote(f)
