"""Commands that write instance files: ``template``, ``convert``, ``generate``."""

from __future__ import annotations

from pathlib import Path

import click

from mixopt.cli.common import guard, wrote


@click.command("template")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--from", "source", type=click.Path(dir_okay=False, path_type=Path),
              help="Fill the workbook from this instance (.toml or .xlsx).")
@click.option("--force", is_flag=True, help="Replace an existing file.")
@guard
def template_cmd(output: Path, source: Path | None, force: bool) -> None:
    """Write an instance workbook (.xlsx): one sheet per table and a README sheet listing
    every field with its unit, default and meaning."""
    from mixopt.io.read import read
    from mixopt.io.spreadsheet import save_workbook
    from mixopt.io.template import instance_workbook

    if output.suffix.lower() != ".xlsx":
        raise click.BadParameter("must end in .xlsx", param_hint="OUTPUT")
    save_workbook(instance_workbook(read(source) if source else None), output, force)
    wrote(output)


@click.command("convert")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--tables", type=click.Choice(["inline", "csv"]), default="inline",
              show_default=True, help="To TOML: materials inline or in CSV files beside it.")
@click.option("--force", is_flag=True, help="Replace existing files.")
@guard
def convert_cmd(source: Path, target: Path, tables: str, force: bool) -> None:
    """Convert an instance between TOML (+CSV) and an .xlsx workbook, either way."""
    from mixopt.io.read import read

    plan = read(source)
    if target.suffix.lower() == ".xlsx":
        from mixopt.io.spreadsheet import save_workbook
        from mixopt.io.template import instance_workbook

        save_workbook(instance_workbook(plan), target, force)
        written = [target]
    elif target.suffix.lower() == ".toml":
        from mixopt.io.write import write_instance

        written = write_instance(plan, target, csv_tables=tables == "csv", force=force)
    else:
        raise click.BadParameter("must end in .toml or .xlsx", param_hint="TARGET")
    for f in written:
        wrote(f)


@click.command("generate")
@click.option("--lots", type=click.IntRange(min=1), required=True)
@click.option("--products", type=click.IntRange(min=1), required=True)
@click.option("--elements", type=click.IntRange(min=1, max=15), required=True)
@click.option("--milp", is_flag=True, help="Buy half the lots in whole lots, some with "
                                            "minimum orders.")
@click.option("--spreads", is_flag=True, help="Give every scrap lot a composition_sd "
                                               "(5-20% of its mean; placeholders).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--tables", type=click.Choice(["csv", "inline"]), default="csv",
              show_default=True, help="Materials and composition in CSV files or inline.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="The .toml to write (CSV tables go beside it).")
@click.option("--force", is_flag=True, help="Replace existing files.")
@guard
def generate_cmd(lots: int, products: int, elements: int, milp: bool, spreads: bool,
                 seed: int, tables: str, output: Path, force: bool) -> None:
    """Write a synthetic month (placeholder chemistry; deterministic for a seed)."""
    from mixopt.dev.generate import generate
    from mixopt.io.write import write_instance

    inst = generate(lots, products, elements, seed, milp, spreads)
    for f in write_instance(inst, output, csv_tables=tables == "csv", force=force):
        wrote(f)


@click.command("spreads")
@click.argument("analyses", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--into", "into", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the means and spreads into this instance (.toml, its CSV tables, "
                   "or .xlsx), in place; needs --force, as it replaces the file.")
@click.option("--material-column", default="material", show_default=True,
              help="The column of the analyses naming the material.")
@click.option("--min-samples", type=click.IntRange(min=2), default=5, show_default=True,
              help="Flag materials with fewer samples (their spreads are uncertain).")
@click.option("--force", is_flag=True, help="Allow --into to replace the instance's files.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True)
@guard
def spreads_cmd(analyses: Path, into: Path | None, material_column: str, min_samples: int,
                force: bool, fmt: str) -> None:
    """Estimate each material's mean chemistry and its spread from lab analyses.

    ANALYSES.csv: one row per sample, a material column, then one column per element in
    wt% (a unit in the header is read: 'Fe [ppm]'; blank: not analysed). Other columns
    (furnace, date, sample id, Al the balance) are not read, and are listed. The spread is
    the sample standard deviation."""
    from mixopt.cli.common import emit_frame
    from mixopt.io.atomic import check_new
    from mixopt.io.spreads import read_analyses

    known: tuple[str, ...] = ()
    if into is not None:
        check_new(into, force, in_place=True)  # before any work: nothing is written without --force
        from mixopt.io.columns import instance_constituents
        from mixopt.io.read import read
        from mixopt.io.write import horizon_document

        known = tuple(instance_constituents(horizon_document(read(into))))
    spreads = read_analyses(analyses, min_samples, material_column, known)
    table = spreads.table.assign(few_samples=spreads.table.material.isin(spreads.few))
    emit_frame(table, fmt, f"{analyses}: mean and spread per material and constituent",
               None, False)
    for m in spreads.few:
        click.echo(f"mixopt: {m}: fewer than {min_samples} samples, its spread is uncertain"
                   + ("" if (spreads.table[spreads.table.material == m].samples >= 2).any()
                      else " (none estimated from one sample)"), err=True)
    if into is not None:
        from mixopt.io.spreads_into import write_into

        for f in write_into(spreads, into, force):
            wrote(f)
