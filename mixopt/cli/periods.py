"""``mixopt solve`` on a multi-period instance: the joint plan, optionally compared with
the myopic (``--myopic``) or rolling (``--rolling N``) plan, in JSON, CSV or a table."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from mixopt.cli.common import STATUS_EXIT, emit


def solve_horizon_cmd(h: Any, opts: Any, myopic: bool, rolling: int | None,
                      start_path: Path | None, no_sensitivity: bool, no_diagnose: bool,
                      fmt: str, output: Path | None, force: bool) -> None:
    """Plan ``h`` (a ``Horizon``), write the plan, exit with its status."""
    from mixopt.model.multiperiod import solve_horizon, solve_rolling
    from mixopt.report.horizon import render_table, to_json_dict

    if start_path is not None:
        raise click.UsageError("--start takes a one-period plan; it does not apply to a "
                               "multi-period instance")
    if fmt == "declaration":
        raise click.UsageError("--format declaration is not available for multi-period "
                               "instances yet: use json, csv, xlsx or table")
    if myopic and rolling:
        raise click.UsageError("give --myopic or --rolling N, not both (--myopic is "
                               "--rolling 1)")
    result = solve_horizon(h, opts, sensitivity=fmt in ("table", "json") and not no_sensitivity)
    ahead = None
    if (myopic or rolling) and result.plan is not None:
        ahead = solve_rolling(h, 1 if myopic else rolling, opts)
    diag = None
    if result.plan is None and not no_diagnose and str(result.status) in (
            "infeasible", "unbounded", "infeasible_or_unbounded"):
        from mixopt.analysis.diagnose_periods import diagnose_horizon

        diag = diagnose_horizon(h, result, opts)
    if fmt == "xlsx":
        from mixopt.io.spreadsheet import save_workbook
        from mixopt.report.horizon_workbook import horizon_workbook

        save_workbook(horizon_workbook(result, ahead), output, force)
        if diag is not None:
            click.echo("\n".join(diag["lines"]), err=True)
    elif fmt == "json":
        doc = to_json_dict(result, ahead)
        if diag is not None:
            doc["diagnosis"] = diag
        emit(json.dumps(doc, indent=2, allow_nan=False) + "\n", output, force)
    elif fmt == "csv":
        emit(_csv(to_json_dict(result)), output, force)
    else:
        text = render_table(result, ahead)
        if diag is not None:
            text += "\n".join(diag["lines"]) + "\n"
        emit(text, output, force)
    if diag is not None and fmt == "csv":
        click.echo("\n".join(diag["lines"]), err=True)
    code = STATUS_EXIT[str(result.status)]
    if code != 0:
        click.echo(f"mixopt: {result.status}: {result.message}", err=True)
    sys.exit(int(code))


def _csv(doc: dict[str, Any]) -> str:
    """The mix, one row per period, product and material (formula-safe text)."""
    import csv
    import io

    from mixopt.io.spreadsheet import formula_safe

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["period", "product", "material", "kind", "tonnes"])
    for r in doc["mix"]:
        w.writerow([formula_safe(r["period"]), formula_safe(r["product"]),
                    formula_safe(r["material"]), formula_safe(r["kind"]), repr(r["tonnes"])])
    return buf.getvalue()


def verify_horizon(h: Any, solution: Path, fmt: str, output: Path | None,
                   force: bool) -> None:
    """Recheck a multi-period plan (``mix`` rows with their period, ``purchases`` of the
    stored materials): every period's limits and every link. Exits 10 when one breaks."""
    from mixopt.cli.common import Exit
    from mixopt.io.plan import read_horizon_plan
    from mixopt.model.multiperiod import objective_of, plan_of, recheck, unit_of, whole
    from mixopt.report.document import SCHEMA_VERSION

    mixes, stored = read_horizon_plan(solution, h)
    plan = plan_of(whole(h), mixes, stored)
    evs, bad = recheck(plan)
    doc = {"schema_version": SCHEMA_VERSION, "instance": h.name, "solution": str(solution),
           "periods": list(h.periods), "feasible": not bad,
           "objective": {"value": objective_of(h, plan, evs), "unit": unit_of(h)},
           "violations": [{"family": v.family, "side": v.side, "where": v.where,
                           "amount": v.amount, "unit": v.unit, "detail": v.detail}
                          for v in bad]}
    if fmt == "json":
        emit(json.dumps(doc, indent=2, allow_nan=False) + "\n", output, force)
    else:
        head = (f"{solution}: every rule of {h.name} holds in every period" if not bad else
                f"{solution}: {len(bad)} rule(s) of {h.name} broken")
        value = doc["objective"]["value"]
        shown = f"{value:.6g}" if h.first.objective.minimise == "footprint" else f"{value:,.2f}"
        lines = [head, f"objective {shown} {doc['objective']['unit']}"]
        lines += [f"  - {v}" for v in bad]
        emit("\n".join(lines) + "\n", output, force)
    sys.exit(int(Exit.VIOLATED if bad else Exit.OK))
