"""Plans that hold in the furnace, from the command line: the flags on every command,
verify's JSON, diagnose's highest confidence, the report, and ``mixopt spreads``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from mixopt import read, solve
from mixopt.cli import Exit, main
from mixopt.io.spreadsheet import save_workbook
from mixopt.io.template import instance_workbook
from mixopt.testing import assert_objective
from tests.conftest import INSTANCES

CAN = str(INSTANCES / "can-body.toml")


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_solve_json_carries_the_risk_contract() -> None:
    code, out, _ = run("solve", CAN, "--confidence", "0.95", "--format", "json",
                       "--samples", "5000")
    assert code == 0
    doc = json.loads(out)
    assert doc["objective"]["confidence"] == 0.95
    risk = doc["products"][0]["risk"]
    assert set(risk) >= {"off_spec_heat_probability", "samples", "limits"}
    assert risk["samples"] == 5000
    for lim in risk["limits"]:
        assert set(lim) >= {"constituent", "bound", "mean_wt_pct", "sd_wt_pct",
                            "probability_outside"}
        assert lim["bound"] in ("min", "max")
        assert lim["probability_outside"] <= 0.05 + 1e-6  # every limit held at 95%
    assert_objective(doc["objective"]["value"], solve(read(CAN).first.model_copy(
        update={"objective": read(CAN).objective.model_copy(
            update={"confidence": 0.95})})).objective_value)


def test_confidence_flags_on_every_command(tmp_path: Path) -> None:
    assert run("solve", CAN, "--confidence", "0.9", "--confidence-per", "heat")[0] == 0
    assert run("solve", CAN, "--margin-sd", "2")[0] == 0
    code, out, _ = run("compare", CAN, "--scenario", "no-inerta", "--confidence", "0.95",
                       "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert all(r["off_spec_heat_probability"] < 0.1 for r in rows)  # held at 95% per limit
    code, out, _ = run("sweep", CAN, "--grid", "objective.confidence=0.5,0.9,0.99",
                       "--format", "json")
    assert code == 0
    off = [r["off_spec_heat_probability"] for r in json.loads(out)]
    assert off[0] > 0.4 and off[0] > off[1] > off[2]  # more confidence, fewer bad heats
    code, out, err = run("pareto", CAN, "--confidence", "0.95", "--points", "4",
                         "--format", "json")
    assert code == 0 and json.loads(out)["method"] == "sampled"
    assert "chance constraints curve the frontier" in err
    html = tmp_path / "r.html"
    assert run("report", CAN, "--confidence", "0.95", "-o", str(html))[0] == 0
    text = html.read_text()
    assert 'data-field="off_spec:AA3104 slab"' in text and "The price of confidence" in text
    assert 'data-field="risk:AA3104 slab:Mn:min">5.00%' in text


def test_confidence_out_of_range_is_refused() -> None:
    code, _, err = run("solve", CAN, "--confidence", "1.2")
    assert code == Exit.INVALID_INPUT and "confidence" in err and "less than 1" in err


def test_a_flag_and_a_set_for_the_same_field_are_refused() -> None:
    code, _, err = run("solve", CAN, "--cap", "3", "--set", "objective.footprint_cap=2")
    assert code == Exit.INVALID_INPUT and "disagree" in err
    assert run("solve", CAN, "--cap", "3", "--set", "objective.footprint_cap=3",
               "--minimise", "cost")[0] == 0  # the same value twice is no conflict


def test_verify_json_with_risk_and_a_broken_chance_limit(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    assert run("solve", CAN, "--format", "json", "-o", str(plan))[0] == 0
    code, out, _ = run("verify", CAN, str(plan), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["feasible"] and doc["products"][0]["risk"]["off_spec_heat_probability"] > 0.4
    # the plan made on the mean breaks the 95% limits: verify says which, by how much
    code, out, _ = run("verify", CAN, str(plan), "--confidence", "0.95", "--format", "json")
    assert code == Exit.VIOLATED
    broken = json.loads(out)["violations"]
    assert any(v["family"] == "chance" and v["where"] == "AA3104 slab / Mn / min"
               and v["amount"] == pytest.approx(0.45, abs=0.01) for v in broken)
    code, out, _ = run("verify", CAN, str(plan), "--confidence", "0.95")
    assert code == Exit.VIOLATED and "off-spec heats" in out


def test_diagnose_names_the_highest_reachable_confidence() -> None:
    code, out, _ = run("diagnose", CAN, "--confidence", "0.999", "--minimise", "cost",
                       "--cap", "1.6", "--format", "json")
    assert code == Exit.INFEASIBLE
    doc = json.loads(out)
    note = next(n for n in doc["notes"] if "highest confidence with a plan" in n)
    reach = float(note.split("is ")[1].split(" ")[0])
    assert 0.99 < reach < 0.999
    ok = run("solve", CAN, "--confidence", f"{reach:.4f}", "--minimise", "cost", "--cap",
             "1.6")
    assert ok[0] == 0
    over = run("solve", CAN, "--confidence", f"{reach + 1e-4:.4f}", "--minimise", "cost",
               "--cap", "1.6", "--no-diagnose")
    assert over[0] == Exit.INFEASIBLE


# -- mixopt spreads -------------------------------------------------------------------------

LAB = """material,Si,Fe,Cu,Mn,Mg
UBC bales,0.24,0.52,0.16,0.91,1.55
UBC bales,0.27,0.47,0.13,0.85,1.71
UBC bales,0.25,0.55,0.17,0.95,1.48
UBC bales,0.22,0.49,0.15,0.88,1.66
UBC bales,0.26,0.50,0.14,0.92,1.60
Process scrap 3xxx,0.15,0.44,0.08,0.71,0.21
Process scrap 3xxx,0.16,0.46,0.09,0.68,0.19
"""


def test_spreads_are_estimated_and_flagged(tmp_path: Path) -> None:
    lab = tmp_path / "lab.csv"
    lab.write_text(LAB)
    code, out, err = run("spreads", str(lab), "--format", "json")
    assert code == 0
    rows = {(r["material"], r["constituent"]): r for r in json.loads(out)}
    mn = rows[("UBC bales", "Mn")]
    values = [0.91, 0.85, 0.95, 0.88, 0.92]
    mean = sum(values) / 5
    sd = (sum((v - mean) ** 2 for v in values) / 4) ** 0.5
    assert mn["samples"] == 5 and mn["mean_wt_pct"] == pytest.approx(mean)
    assert mn["sd_wt_pct"] == pytest.approx(sd)
    assert rows[("Process scrap 3xxx", "Mn")]["few_samples"] is True
    assert "Process scrap 3xxx: fewer than 5 samples" in err


@pytest.mark.parametrize("form", ["toml", "csv-tables", "xlsx"])
def test_spreads_into_an_instance_keep_its_form(form: str, tmp_path: Path) -> None:
    lab = tmp_path / "lab.csv"
    lab.write_text(LAB)
    if form == "toml":
        target = tmp_path / "can-body.toml"
        shutil.copy(CAN, target)
    elif form == "csv-tables":
        shutil.copytree(INSTANCES / "can-body-csv", tmp_path / "m")
        target = tmp_path / "m" / "can-body.toml"
    else:
        target = tmp_path / "month.xlsx"
        save_workbook(instance_workbook(read(CAN)), target)
    before = target.read_bytes()
    code, _, err = run("spreads", str(lab), "--into", str(target))
    assert code == Exit.INVALID_INPUT and "--force" in err
    assert target.read_bytes() == before  # nothing written without --force
    code, _, err = run("spreads", str(lab), "--into", str(target), "--force")
    assert code == 0, err
    inst = read(target).first
    ubc = next(m for m in inst.materials if m.name == "UBC bales")
    assert ubc.composition["Mn"] == pytest.approx(0.902)
    assert ubc.composition_sd["Mn"] == pytest.approx(0.0383406, rel=1e-5)
    assert ubc.composition["Cr"] == 0.03  # constituents not analysed keep their values
    if form == "toml":
        assert "PLACEHOLDER on every material" in target.read_text()  # comments kept


def test_spreads_bad_input_names_file_row_and_field(tmp_path: Path) -> None:
    lab = tmp_path / "lab.csv"
    lab.write_text("material,Si,Fe\nUBC bales,0.2,n/a\nUBC bales,-1,0.4\n,0.1,0.2\n")
    target = tmp_path / "can-body.toml"
    shutil.copy(CAN, target)
    before = target.read_bytes()
    code, _, err = run("spreads", str(lab), "--into", str(target), "--force")
    assert code == Exit.INVALID_INPUT
    assert "lab.csv, table 'analyses', row 1 ('UBC bales'), field 'Fe': 'n/a' is not a " \
           "number" in err
    assert "row 2 ('UBC bales'), field 'Si': -1 is not a content in wt%" in err
    assert "row 3, field 'material': no material named" in err
    assert target.read_bytes() == before
    lab.write_text("material,Si\nNo such scrap,0.2\nNo such scrap,0.3\n")
    code, _, err = run("spreads", str(lab), "--into", str(target), "--force")
    assert code == Exit.INVALID_INPUT and "has no material 'No such scrap'" in err
    assert target.read_bytes() == before
