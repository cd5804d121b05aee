"""At the furnace: ``mixopt correct`` (a sampled melt corrected to its alloy window)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from mixopt.cli.common import (
    EXIT_HELP,
    STATUS_EXIT,
    Exit,
    Finite,
    check_output,
    emit,
    guard,
    options,
    output_options,
    read_variant,
    solver_options,
)


@click.command("correct", epilog=EXIT_HELP)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--product", help="The product the heat is cast as (with --plan: the plan's "
                                "product, when it makes one).")
@click.option("--melt-t", type=Finite(0, open_low=True), metavar="T",
              help="Tonnes of melt in the furnace, sampled (with --plan: --heat-t).")
@click.option("--analysis", "analysis", required=True,
              type=click.Path(dir_okay=False, path_type=Path), metavar="SAMPLE.csv",
              help="The melt's analysis: constituent,wt_pct[,sd_wt_pct], a row each.")
@click.option("--heat-t", type=Finite(0, open_low=True), metavar="T",
              help="The heat's size: least metal after correction [default: the melt].")
@click.option("--furnace-max", type=Finite(0, open_low=True), metavar="T",
              help="Most metal the furnace holds [default: [furnace] max_t].")
@click.option("--may-tap", is_flag=True,
              help="Tapping (pigging off) melt is allowed, at [furnace] tap_cost_per_t.")
@click.option("--minimise", type=click.Choice(["cost", "footprint"]), default="cost",
              show_default=True,
              help="Cost of the additions and tapping, or the additions' t CO2e.")
@click.option("--confidence", type=Finite(), metavar="A",
              help="Every limit holds with probability A in [0.5, 1) (the sample's sd and "
                   "the additions' spreads) [default: the mean; with --plan the product's "
                   "confidence].")
@click.option("--plan", "plan", type=click.Path(dir_okay=False, path_type=Path),
              metavar="PLAN.json", help="The heat is made to this plan: its product, and "
                                        "additions limited to what it leaves of each supply.")
@click.option("--period", help="With periods: the period of the heat.")
@click.option("--scenario", "scenario_name", help="Use this [scenarios.NAME] variant.")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
              help="Override a field of the instance (repeatable).")
@solver_options
@output_options(formats=("table", "json"))
@guard
def correct_cmd(path: Path, product: str | None, melt_t: float | None, analysis: Path,
                heat_t: float | None, furnace_max: float | None, may_tap: bool,
                minimise: str, confidence: float | None, plan: Path | None,
                period: str | None, scenario_name: str | None, sets: tuple[str, ...],
                fmt: str, output: Path | None, force: bool) -> None:
    """The least-cost (or least-carbon) correction of a sampled melt: which additions, how
    much dilution, whether to tap, within the furnace, every limit of the product's alloy
    (and aims) held on the mean or with --confidence. Exits 3, saying why in the furnace's
    words, when no correction exists."""
    from mixopt.analysis.correct import correct
    from mixopt.analysis.correct_spec import spec_for

    check_output(output, force)
    if confidence is not None and not 0.5 <= confidence < 1:
        raise click.BadParameter(f"{confidence:g} is not in [0.5, 1)",
                                 param_hint="'--confidence'")
    h = read_variant(path, {"scenario_name": scenario_name, "sets": sets})
    spec = spec_for(h, path, product, melt_t, analysis, heat_t, furnace_max, may_tap,
                    minimise, confidence, plan, period)
    c = correct(h, spec, options())
    if fmt == "json":
        from mixopt.report.correction import correction_document

        text = json.dumps(correction_document(c), indent=2, allow_nan=False) + "\n"
    else:
        from mixopt.report.correction import render_correction

        text = render_correction(c)
    emit(text, output, force)
    code = STATUS_EXIT.get(c.status, Exit.SOLVER_FAILURE)
    if code != Exit.OK:
        click.echo(f"mixopt: {c.status}: " + ("; ".join(c.diagnosis.notes)
                                              if c.diagnosis else c.message), err=True)
    sys.exit(int(code))
