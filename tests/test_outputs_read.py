"""Outputs nobody misreads (issue 20): binding chance limits marked, the confidence and
the labels of each product said in every report, a per-period table that adds up, no
number in exponent form, units right, diagnose's exact highest confidence and no way out
that makes another alloy, warnings that name the count and the first few, a summary
first for many products, and a sweep's tonnes per material."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from mixopt import read, solve
from mixopt.analysis.diagnose import _standard_ways, diagnose
from mixopt.cli import Exit, main
from mixopt.io.validate import instance_from_dict
from mixopt.io.variants import variant
from mixopt.model.numbers import number
from mixopt.report.text import render_table
from tests.conftest import INSTANCES

CAN = INSTANCES / "can-body.toml"
QUARTER = INSTANCES / "can-body-quarter.toml"
EXPONENT = re.compile(r"\d[eE][+-]\d")


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout, r.stderr


# -- chance limits and the confidence --------------------------------------------------


def test_a_binding_chance_limit_is_marked_everywhere(tmp_path: Path) -> None:
    """At 95% per limit Mn sits 1.645 sd above its minimum, not on it: binding all the
    same, and was shown as not binding."""
    code, out, _ = run("solve", str(CAN), "--confidence", "0.95", "--format", "json")
    assert code == 0
    prod = json.loads(out)["products"][0]
    assert prod["binding"] == {"Mn": "min"} and prod["confidence"] == 0.95
    assert prod["composition"]["Mn"] > 0.8 + 1e-3  # above the minimum on the mean
    code, out, _ = run("solve", str(CAN), "--confidence", "0.95")
    assert "confidence: every alloy limit held with probability 95% (each limit on its " \
           "own)" in out
    mn = next(line for line in out.splitlines() if re.match(r"│ Mn\s+│", line))
    assert "5.00%" in mn and mn.rstrip(" │").endswith("* min")
    book = tmp_path / "r.xlsx"
    assert run("solve", str(CAN), "--confidence", "0.95", "--format", "xlsx", "-o",
               str(book))[0] == 0
    wb = load_workbook(book)
    summary = {r[0]: r[1] for r in wb["summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Confidence"].startswith("every alloy limit held with probability 95%")
    chem = wb["chemistry"]
    row = next(r for r in chem.iter_rows(min_row=2) if r[1].value == "Mn")
    assert row[5].value == "min" and row[0].fill.fgColor.rgb == "00FFE08A"
    page = tmp_path / "r.html"
    assert run("report", str(CAN), "--confidence", "0.95", "-o", str(page))[0] == 0
    html = page.read_text()
    assert 'data-field="confidence"' in html and "probability 95%" in html
    assert '<tr class="binding"><td>Mn</td>' in html


def test_a_plan_on_the_mean_says_so() -> None:
    code, out, _ = run("solve", str(CAN))
    assert code == 0 and "confidence:" not in out


# -- labels ------------------------------------------------------------------------------


def test_whether_each_label_holds_is_in_every_report(tmp_path: Path) -> None:
    code, out, _ = run("solve", str(CAN))
    assert code == 0
    assert "labels: ALLOW: met; Green Power: not assessable; CIRCAL 75R: not met" in out
    code, out, _ = run("solve", str(CAN), "--scenario", "least-cost-allow", "--format", "json")
    assert code == 0
    labels = {x["label"]: x for x in json.loads(out)["products"][0]["labels"]}
    assert labels["ALLOW"] == {"label": "ALLOW", "asked": True, "status": "met"}
    assert labels["CIRCAL 75R"]["status"] == "not met"
    book = tmp_path / "r.xlsx"
    assert run("solve", str(CAN), "--format", "xlsx", "-o", str(book))[0] == 0
    summary = {r[0]: r[1] for r in load_workbook(book)["summary"].iter_rows(
        min_row=2, values_only=True)}
    assert summary["Labels, AA3104 slab"] == ("ALLOW: met; Green Power: not assessable; "
                                              "CIRCAL 75R: not met")
    page = tmp_path / "r.html"
    assert run("report", str(CAN), "-o", str(page))[0] == 0
    assert 'data-field="label:AA3104 slab:CIRCAL 75R">not met</td>' in page.read_text()


# -- the per-period table ----------------------------------------------------------------


def _quarter_with_every_term(tmp_path: Path) -> Path:
    """The quarter with a carbon price, a contract it cannot take in full (take-or-pay)
    and a product sold at a price (revenue)."""
    text = QUARTER.read_text().replace('minimise = "cost"', 'minimise = "cost"\n'
                                       "carbon_price = 5")
    text = text.replace("available = { max = 1200 }       # the monthly delivery limit",
                        "available = { max = 500 }")
    sold = ('\n[[products]]\nname = "spot slab"\nalloy = "AA3104"\ntonnes_min = 0\n'
            'tonnes_max = 300\nprice = 3200\n')
    i = text.index("[[materials]]")
    path = tmp_path / "q.toml"
    path.write_text(text[:i] + sold + "\n" + text[i:])
    return path


def test_the_per_period_table_adds_up_to_the_objective(tmp_path: Path) -> None:
    r = solve(read(_quarter_with_every_term(tmp_path)))
    tot = r.totals
    assert tot["carbon_cost"] > 0 and tot["take_or_pay_cost"] > 0 and tot["revenue"] > 0
    text = render_table(r)
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if "┃ period" in line)
    head = lines[at]
    assert [c.strip() for c in head.strip("┃ ").split("┃")] == [
        "period", "slab t", "purchases", "holding", "carbon", "take-or-pay", "revenue",
        "net cost", "t CO2e/t slab"]
    table = lines[at:at + next(i for i, line in enumerate(lines[at:]) if line.startswith("└"))]
    rows = [line for line in table if re.match(r"│ (2027|total)", line)]
    assert len(rows) == 4
    for line in rows:
        cells = [float(c.strip().replace(",", "")) for c in line.strip("│ ").split("│")[1:-1]]
        buy, hold, carbon, top, revenue, net = cells[1:7]
        assert abs(buy + hold + carbon + top - revenue - net) <= 3  # rounding of each cell
    net = float(rows[-1].strip("│ ").split("│")[7].replace(",", ""))
    assert abs(net - r.objective_value) <= 0.5
    assert f"net cost over the horizon {number(r.objective_value)} USD = the objective" in text


# -- numbers and units -------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    [str(QUARTER)], [str(CAN), "--minimise", "cost"], [str(CAN), "--confidence", "0.95"],
    [str(INSTANCES / "can-body-and-end.toml")], [str(INSTANCES / "westerberg-steel-milp.toml")],
])
def test_no_figure_a_person_reads_is_in_exponent_form(args: list[str], tmp_path) -> None:
    """Was: the solve headline said '6.77691e+07 USD'."""
    code, out, _ = run("solve", *args)
    assert code == 0 and not EXPONENT.search(out), EXPONENT.search(out)
    page = tmp_path / "r.html"
    assert run("report", *args, "-o", str(page))[0] == 0
    shown = re.sub(r"<svg.*?</svg>", "", page.read_text(), flags=re.DOTALL)
    assert not EXPONENT.search(re.sub(r"<style>.*?</style>", "", shown, flags=re.DOTALL))


def test_number_never_uses_an_exponent() -> None:
    assert number(67769079.24203214) == "67,769,079"
    assert number(208000.0, 4) == "208,000"
    assert number(1.23e-5) == "0.0000123" and number(-4.70324) == "-4.70324"
    assert number(2e-15) == "0"


def test_the_workbook_summary_has_the_right_units(tmp_path: Path) -> None:
    book = tmp_path / "r.xlsx"
    assert run("solve", str(INSTANCES / "can-body-electrolysis.toml"), "--set",
               "currency=EUR", "--format", "xlsx", "-o", str(book))[0] == 0
    units = {r[0]: r[2] for r in load_workbook(book)["summary"].iter_rows(min_row=2,
                                                                         values_only=True)}
    assert units["Electricity"] == "MWh/t slab"
    assert units["Cost"] == units["Revenue"] == units["Carbon cost"] == "EUR"
    assert units["Footprint, scope 3"] == "t CO2e/t slab"
    assert units["Renewable share of the electricity"] == "%"


# -- diagnose ----------------------------------------------------------------------------


def test_no_way_out_makes_another_alloy() -> None:
    """Was: 'relax Cu max to 8.972 wt%' (AA3104's is 0.25) offered as a way out."""
    h = variant(read(CAN), assignments={
        "materials.Cu master alloy (AlCu50).available.min": 1800,
        "materials.Magnesium ingot.available.min": 2000})
    d = diagnose(h)
    moved = {r.path: r.value for o in d.options for r in o.relaxations}
    assert not any(p.startswith("alloys.") for p in moved), moved
    assert moved["materials.Magnesium ingot.available.min"] == pytest.approx(76.75, abs=0.01)
    note = next(n for n in d.notes if n.startswith("not offered"))
    assert "AA3104 slab: Cu max to 8.972 wt% (no alloy of the shipped library allows more " \
           "than 0.4)" in note and "Mg max to 19.93 wt%" in note


def test_when_only_another_alloy_would_do_diagnose_says_why() -> None:
    from mixopt.analysis.diagnose import Option
    from mixopt.model.backend import Status
    from mixopt.model.families import Relaxation

    far = Option("this limit alone", (Relaxation("chemistry", ("melt", "Cu"), "max",
                                                 "alloys.AA3104.Cu", [0.05, 9.0], ""),),
                 Status.OPTIMAL)
    kept, notes = _standard_ways([far], [], [], ["melt: Cu max 0.25 wt%"])
    assert kept == [] and notes[0].startswith("not offered: 1 way(s)")
    assert notes[1].startswith("no other way out was found: the limits that fight each "
                               "other, below, say what stops the plan")


# -- warnings about many materials -------------------------------------------------------


def test_a_warning_about_many_materials_names_the_count_and_the_first_few(caplog) -> None:
    """Was: a 400-lot month printed 401 names in one route warning."""
    mats = [{"name": f"lot {i:03d}", "recycled": "post-consumer", "cost": 1000 + i,
             "footprint": {"full": 0.5, "scope12": 0.3}, "composition": {"Fe": 0.3}}
            for i in range(401)]
    raw = {"name": "many", "alloys": {"A": {"Fe": [0, 1]}},
           "products": [{"name": "p", "alloy": "A", "tonnes": 10}], "materials": mats}
    with caplog.at_level(logging.WARNING):
        instance_from_dict(raw)
    said = next(r.message for r in caplog.records if "no route given" in r.message)
    assert "no route given for 401 material(s)" in said and "and 396 more" in said
    assert "lot 004" in said and "lot 005" not in said and len(said) < 400


# -- many products; a sweep's tonnes -----------------------------------------------------


def test_many_products_print_a_summary_first(tmp_path: Path) -> None:
    month = tmp_path / "g.toml"
    assert run("generate", "--lots", "30", "--products", "20", "--elements", "5", "--seed",
               "1", "-o", str(month))[0] == 0
    code, out, _ = run("solve", str(month))
    assert code == 0
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("products (details"))
    assert start < 4  # first, after the headline
    body = lines[start + 4:start + 24]
    assert all(line.startswith("│ product 0") for line in body), body
    assert lines[start + 24].startswith("└")
    assert "details per product" in lines[start + 25]


def test_a_sweep_gives_tonnes_per_material_in_long_format() -> None:
    code, out, err = run("sweep", str(CAN), "--grid", "materials.INERTA.available.max=0,1000",
                         "--tonnes", "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == 2 * 9
    for cap in (0, 1000):
        mine = {r["material"]: r["charged_t"] for r in rows
                if r["materials.INERTA.available.max"] == cap}
        want = solve(variant(read(CAN), assignments={"materials.INERTA.available.max": cap}))
        ev = want.evaluations[0]
        assert mine == pytest.approx(dict(zip(ev.arrays.materials, ev.use_t.tolist(),
                                              strict=True)), abs=1e-6)
    assert {r["materials.INERTA.available.max"]: r["charged_t"] for r in rows
            if r["material"] == "INERTA"} == pytest.approx({0: 0.0, 1000: 1000.0})
    assert Exit.OK == 0
