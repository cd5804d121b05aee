"""The command line: exit codes, the JSON contract, safe output files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mixopt.cli import Exit, main
from mixopt.testing import assert_objective
from tests.conftest import INSTANCES

CAN = str(INSTANCES / "can-body.toml")


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_solve_json_contract() -> None:
    code, out, _ = run("solve", CAN, "--format", "json")
    assert code == Exit.OK
    doc = json.loads(out)
    assert {"schema_version", "instance", "status", "objective", "totals", "products", "mix",
            "duals", "solver"} <= set(doc)
    assert doc["instance"] == "can-body-2026-06" and doc["status"] == "optimal"
    assert doc["objective"]["minimise"] == "footprint"
    assert doc["objective"]["unit"] == "t CO2e/t slab"
    assert doc["objective"]["value"] < 3.0
    assert_objective(doc["objective"]["value"], doc["totals"]["footprint_per_t"])
    assert set(doc["totals"]) >= {"slab_t", "charged_t", "cost", "footprint_t",
                                  "footprint_per_t", "recycled_share"}
    assert set(doc["products"][0]) >= {"name", "composition", "slab_t", "footprint_per_t"}
    assert {"product", "material", "tonnes"} <= set(doc["mix"][0])
    assert sum(m["tonnes"] for m in doc["mix"]) == pytest.approx(doc["totals"]["charged_t"])
    families = {d["family"] for d in doc["duals"]}
    assert {"supply", "chemistry", "mass_balance"} <= families
    inerta = next(d for d in doc["duals"] if d.get("material") == "INERTA")
    assert inerta["binding"] == "max" and inerta["shadow_price"] < 0


def test_cli_overrides_the_instance() -> None:
    code, out, _ = run("solve", CAN, "--minimise", "cost", "--cap", "3", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["objective"]["minimise"] == "cost"
    assert doc["objective"]["footprint_cap"] == 3.0
    assert doc["totals"]["footprint_per_t"] <= 3.0 * (1 + 1e-9)
    assert any(d["family"] == "footprint_cap" and d["binding"] == "max" for d in doc["duals"])


def test_table_output_marks_binding_limits() -> None:
    code, out, _ = run("solve", CAN)
    assert code == 0
    assert "optimal" in out and "UBC bales" in out and "* min" in out
    assert "footprint 1.528 t CO2e/t" in out


def test_csv_output_neutralises_formulas(tmp_path: Path) -> None:
    src = Path(INSTANCES / "schoen-al6061.toml").read_text().replace('name = "UBC"',
                                                                     'name = "=UBC"')
    p = tmp_path / "f.toml"
    p.write_text(src)
    code, out, _ = run("solve", str(p), "--format", "csv")
    assert code == 0
    assert out.splitlines()[0] == "product,material,kind,tonnes,share"
    assert "'=UBC" in out and "\n6061 melt,=UBC" not in out


@pytest.mark.parametrize(("name", "code"), [
    ("infeasible-fe.toml", Exit.INFEASIBLE),
    ("infeasible-cap.toml", Exit.INFEASIBLE),
    ("invalid.toml", Exit.INVALID_INPUT),
    ("westerberg-steel-milp.toml", Exit.OK),
])
def test_exit_codes(name: str, code: Exit) -> None:
    got, _, err = run("solve", str(INSTANCES / name), "--format", "json")
    assert got == code
    if code == Exit.INVALID_INPUT:
        assert "Traceback" not in err and "10 problems" in err


def test_validate_lists_every_problem() -> None:
    code, out, err = run("validate", str(INSTANCES / "invalid.toml"))
    assert code == Exit.INVALID_INPUT
    assert err.count("\n  - ") == 10
    code, out, _ = run("validate", CAN)
    assert code == 0 and "valid (LP; 1 products, 9 materials" in out


def test_output_file_is_never_overwritten_without_force(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    out.write_text("keep me")
    code, _, err = run("solve", CAN, "--format", "json", "-o", str(out))
    assert code == Exit.INVALID_INPUT and "--force" in err
    assert out.read_text() == "keep me"
    code, _, _ = run("solve", CAN, "--format", "json", "-o", str(out), "--force")
    assert code == 0 and json.loads(out.read_text())["status"] == "optimal"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary left behind


def test_missing_file_is_a_clean_error(tmp_path: Path) -> None:
    code, _, err = run("solve", str(tmp_path / "nope.toml"))
    assert code == Exit.INVALID_INPUT and "cannot be read" in err and "Traceback" not in err


def test_time_limit_feasible_exit_code() -> None:
    from mixopt.cli import STATUS_EXIT
    from mixopt.model.backend import Status
    assert all(s in STATUS_EXIT for s in Status)
    assert STATUS_EXIT[Status.TIME_LIMIT_FEASIBLE] == Exit.LIMIT_FEASIBLE
    assert STATUS_EXIT[Status.TIME_LIMIT_NO_SOLUTION] == Exit.LIMIT_NO_SOLUTION
    assert len({int(e) for e in Exit}) == len(Exit)


def test_help_documents_exit_codes() -> None:
    code, out, _ = run("solve", "--help")
    assert code == 0 and "3  infeasible" in out and "9  recheck failed" in out


def test_verify_accepts_mixopts_own_plan_and_sizes_violations(tmp_path: Path) -> None:
    sol = tmp_path / "s.json"
    assert run("solve", CAN, "--format", "json", "-o", str(sol))[0] == 0
    code, out, _ = run("verify", CAN, str(sol))
    # the table wraps at the terminal's width, wherever the path ends: compare words
    assert code == 0 and "every rule of can-body-2026-06 holds" in " ".join(out.split())
    doc = json.loads(sol.read_text())
    for row in doc["mix"]:
        if row["material"] == "INERTA":
            row["tonnes"] += 100.0  # over the 1,050 t supply, and off the mass balance
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    code, out, _ = run("verify", CAN, str(bad))
    assert code == Exit.VIOLATED
    assert "supply max [INERTA]" in out and "off by 100 t" in out
    assert "mass_balance equal [AA3104 slab]" in out


def test_verify_rejects_unknown_names(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"mix": [{"product": "X", "material": "INERTA",
                                        "tonnes": "ten"}]}))
    code, _, err = run("verify", CAN, str(bad))
    assert code == Exit.INVALID_INPUT
    assert "unknown product 'X'" in err and "'ten' is not a finite number" in err


def test_every_json_key_is_documented_in_the_readme() -> None:
    readme = (INSTANCES.parent / "README.md").read_text()
    block = readme.split("## JSON output", 1)[1].split("```", 2)[1]
    documented = {line.split()[0].rstrip("[]") for line in block.splitlines()
                  if line and not line.startswith(" ")}
    code, out, _ = run("solve", CAN, "--format", "json")
    assert code == 0 and set(json.loads(out)) - {"diagnosis"} <= documented
    _, out, _ = run("solve", str(INSTANCES / "infeasible-fe.toml"), "--format", "json")
    assert set(json.loads(out)) <= documented


def test_sensitivity_is_computed_when_shown_and_its_absence_said() -> None:
    code, out, _ = run("solve", CAN, "--format", "json")
    doc = json.loads(out)
    assert doc["sensitivity_computed"] is True and doc["duals"]
    code, out, _ = run("solve", CAN, "--format", "json", "--no-sensitivity")
    doc = json.loads(out)
    assert doc["sensitivity_computed"] is False and doc["duals"] is None
    assert doc["materials_sensitivity"] is None
    code, out, _ = run("solve", CAN, "--no-sensitivity")
    assert code == 0 and "sensitivity skipped (--no-sensitivity)" in out
    assert "shadow prices (change of the objective" not in out
