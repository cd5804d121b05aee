"""The workbooks in a real spreadsheet program: LibreOffice (headless) opens and re-saves
the template and a month, the re-saved month solves to the same plan, and the results
workbook printed to PDF keeps each label on the page of its values (pdftotext).

Skipped, with the reason, where LibreOffice or pdftotext is not installed (``.ci/run``
installs both where it can: Debian packages libreoffice-calc, poppler-utils)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from mixopt import InputError, read, solve
from mixopt.cli import main
from mixopt.testing import assert_objective
from tests.conftest import INSTANCES

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")
CAN = INSTANCES / "can-body.toml"

# a real LibreOffice takes seconds per file: these run in CI's second step (-m slow)
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    SOFFICE is None, reason="no LibreOffice on this machine (Debian: libreoffice-calc); the "
                            "real-client checks of the workbooks need it")]


def libreoffice(src: Path, fmt: str, outdir: Path) -> Path:
    """Open ``src`` in LibreOffice and save it as ``fmt`` into ``outdir``."""
    outdir.mkdir(exist_ok=True)
    profile = outdir.parent / "lo-profile"
    subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                    "--norestore", "--convert-to", fmt, "--outdir", str(outdir), str(src)],
                   capture_output=True, timeout=240, check=True)
    out = outdir / f"{src.stem}.{fmt.split(':')[0]}"
    assert out.exists(), f"LibreOffice wrote no {out.name}"
    return out


def run(*args: str) -> None:
    r = CliRunner().invoke(main, list(args))
    assert r.exit_code in (0, 3), r.stderr


def test_template_resaved_keeps_its_sheets_dropdowns_and_meaning(tmp_path: Path) -> None:
    book = tmp_path / "template.xlsx"
    run("template", str(book))
    again = libreoffice(book, "xlsx", tmp_path / "lo")
    a, b = load_workbook(book), load_workbook(again)
    assert b.sheetnames == a.sheetnames
    for ws in ("products", "materials", "composition"):
        assert [c.value for c in b[ws][1]] == [c.value for c in a[ws][1]]
    lists = {dv.formula1 for dv in b["materials"].data_validations.dataValidation}
    assert '"post-consumer,pre-consumer"' in lists
    problems = {}
    for path in (book, again):  # an empty template is refused the same way
        with pytest.raises(InputError) as info:
            read(path)
        problems[path] = sorted(str(p).split(": ", 1)[1].split(", ", 1)[-1]
                                for p in info.value.problems)
    assert problems[book] == problems[again]


def test_month_resaved_by_libreoffice_solves_identically(tmp_path: Path) -> None:
    book = tmp_path / "month.xlsx"
    run("convert", str(CAN), str(book))
    wb = load_workbook(book)
    comp = wb["composition"]
    mn = next(c.column for c in comp[1] if str(c.value).startswith("Mn"))
    row = next(r[0].row for r in comp.iter_rows(min_row=2) if r[0].value == "UBC bales")
    comp.cell(row=row, column=mn).value = "=0.8+0.1"  # a formula with no saved result
    wb.save(book)
    with pytest.raises(InputError, match="no saved result"):
        read(book)
    again = libreoffice(book, "xlsx", tmp_path / "lo")  # LibreOffice computes and saves it
    base, resaved = solve(read(CAN)), solve(read(again))
    assert_objective(resaved.objective_value, base.objective_value)
    np.testing.assert_allclose(resaved.evaluations[0].mix_t, base.evaluations[0].mix_t, rtol=1e-9)
    assert read(again) == read(CAN)


@pytest.mark.skipif(PDFTOTEXT is None, reason="no pdftotext (Debian: poppler-utils)")
def test_results_printed_to_pdf_keep_labels_with_their_values(tmp_path: Path) -> None:
    results = tmp_path / "results.xlsx"
    run("solve", str(CAN), "--format", "xlsx", "-o", str(results))
    pdf = libreoffice(results, "pdf", tmp_path / "lo")
    text = subprocess.run([PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True,
                          text=True, timeout=60, check=True).stdout
    pages = text.split("\f")

    def page_of(label: str) -> str:
        found = [p for p in pages if label in p]
        assert found, f"{label!r} printed on no page"
        return found[0]

    summary = page_of("Metal charged")
    assert "10,885.4" in summary and "22,688,752" in summary and "USD" in summary
    mix = page_of("Charged [t]")
    assert "7,000.0" in mix and "UBC bales" in mix and "64.3%" in mix
    chem = page_of("Achieved [wt%]")
    assert "0.8000" in chem and "Mn" in chem
    prices = page_of("Shadow price")
    assert "INERTA: at most 1,050 t available" in prices and "1 t more saves 3.9" in prices


def test_horizon_results_open_in_libreoffice(tmp_path: Path) -> None:
    """The quarter's results workbook, re-saved by LibreOffice, keeps its sheets and the
    figures of the JSON (objective, the value of planning ahead, every purchase)."""
    import json

    quarter = INSTANCES / "can-body-quarter.toml"
    book = tmp_path / "quarter.xlsx"
    run("solve", str(quarter), "--myopic", "--format", "xlsx", "-o", str(book))
    res = CliRunner().invoke(main, ["solve", str(quarter), "--myopic", "--format", "json"])
    doc = json.loads(res.stdout)
    again = load_workbook(libreoffice(book, "xlsx", tmp_path / "lo"), data_only=True)
    assert again.sheetnames[:4] == ["summary", "periods", "mix", "purchases"]
    summary = {r[0].value: r[1].value for r in again["summary"].iter_rows(min_row=2)}
    assert summary["Objective"] == pytest.approx(doc["objective"]["value"], rel=1e-12)
    ahead = next(v for k, v in summary.items() if k.startswith("Value of planning ahead"))
    assert ahead == pytest.approx(doc["planning_ahead"]["value_of_planning_ahead"], rel=1e-12)
    rows = list(again["purchases"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(doc["purchases"])
    for got, want in zip(rows, doc["purchases"], strict=True):
        assert got[:2] == (want["material"], want["period"])
        assert got[2] == pytest.approx(want["opening_stock_t"], abs=1e-9)
        assert got[3] == pytest.approx(want["bought_t"], abs=1e-9)


def test_horizon_workbook_resaved_by_libreoffice_plans_identically(tmp_path: Path) -> None:
    """The quarter as a workbook of long tables, opened and saved by LibreOffice (which
    may turn the period cells into dates), plans to the same optimum."""
    from mixopt.io.read import read
    from mixopt.model.planner import solve

    quarter = INSTANCES / "can-body-quarter.toml"
    book = tmp_path / "quarter.xlsx"
    run("convert", str(quarter), str(book))
    again = libreoffice(book, "xlsx", tmp_path / "lo")
    want = solve(read(quarter)).objective_value
    assert solve(read(again)).objective_value == pytest.approx(want, rel=1e-12)
