"""The CI user's tools: ``mixopt check`` (a regression suite, JUnit XML, --update), the
pytest plugin, and ``mixopt export`` (MPS/LP solved by a plain HiGHS)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import highspy
import pytest
from click.testing import CliRunner

from mixopt import read, solve
from mixopt.cli import Exit, main
from mixopt.testing import assert_objective
from tests.conftest import INSTANCES

PUBLISHED = ("schoen-al6061.toml", "westerberg-steel-milp.toml")


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    """A suite as an engineer keeps it: published cases, the can-body month with a named
    tonnage and a field override, and an infeasible month."""
    folder = tmp_path / "suite"
    folder.mkdir()
    for name in (*PUBLISHED, "can-body.toml", "infeasible-fe.toml"):
        shutil.copy(INSTANCES / name, folder / name)
    runs = [
        {"id": "schoen", "path": "schoen-al6061.toml", "status": "optimal",
         "objective": 1286.369005, "published": True},
        {"id": "westerberg", "path": "westerberg-steel-milp.toml", "status": "optimal",
         "objective": 8495, "published": True},
        {"id": "can-body", "path": "can-body.toml", "status": "optimal",
         "objective": 1.5280321428571428, "tonnes": {"INERTA": 1050, "Coal P1020": 0}},
        {"id": "dear-inerta", "path": "can-body.toml",
         "overrides": {"minimise": "cost", "cap": 3.0, "materials.INERTA.cost": 3100},
         "status": "optimal", "objective": 22183898.103922423},
        {"id": "no-iron-room", "path": "infeasible-fe.toml", "status": "infeasible"},
    ]
    (folder / "expected.json").write_text(json.dumps({"_about": "t", "runs": runs},
                                                     indent=2))
    return folder


def _junit(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def test_a_suite_that_holds_passes_with_junit(suite: Path, tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    code, out, err = run("check", str(suite), "--junit", str(junit))
    assert code == Exit.OK, out + err
    assert "5 of 5 runs pass" in out
    root = _junit(junit)
    cases = root.findall(".//testcase")
    assert [c.get("name") for c in cases] == ["schoen", "westerberg", "can-body",
                                              "dear-inerta", "no-iron-room"]
    assert root.get("failures") == "0" and not root.findall(".//failure")


def test_one_wrong_objective_is_exactly_one_junit_failure(suite: Path, tmp_path: Path) -> None:
    manifest = suite / "expected.json"
    doc = json.loads(manifest.read_text())
    doc["runs"][3]["objective"] *= 1.001
    manifest.write_text(json.dumps(doc))
    junit = tmp_path / "junit.xml"
    code, out, err = run("check", str(suite), "--junit", str(junit), "--format", "json")
    assert code == Exit.CHECK_FAILED and "1 of 5 run(s) failed" in err
    failures = _junit(junit).findall(".//failure")
    assert len(failures) == 1
    case = _junit(junit).find(".//testcase[failure]")
    assert case.get("name") == "dear-inerta"
    assert "relative difference 0.000999" in failures[0].get("message")
    assert "expected: status optimal, objective 22206082" in failures[0].text
    report = json.loads(out)
    assert report["failed"] == 1 and report["runs"][3]["passed"] is False
    assert report["runs"][3]["relative_difference"] == pytest.approx(0.001 / 1.001, rel=1e-6)


def test_tonnages_and_statuses_are_compared(suite: Path) -> None:
    manifest = suite / "expected.json"
    doc = json.loads(manifest.read_text())
    doc["runs"][2]["tonnes"]["INERTA"] = 1000
    doc["runs"][4]["status"] = "optimal"
    manifest.write_text(json.dumps(doc))
    code, out, _ = run("check", str(suite), "--format", "json")
    assert code == Exit.CHECK_FAILED
    runs = {r["id"]: r for r in json.loads(out)["runs"]}
    assert runs["can-body"]["failures"] == ["INERTA: 1050 t, 1000 t expected"]
    assert runs["can-body"]["tonnes"] == {"INERTA": 1050.0, "Coal P1020": 0.0}
    assert runs["no-iron-room"]["failures"][0].startswith("status infeasible, optimal expected")


def test_update_rewrites_what_moved_but_never_a_published_value(suite: Path) -> None:
    manifest = suite / "expected.json"
    doc = json.loads(manifest.read_text())
    doc["runs"][0]["objective"] = 1300.0  # published and wrong: stays, and still fails
    doc["runs"][2]["objective"] = 1.6
    doc["runs"][3].pop("objective")  # a new run without a stored value
    manifest.write_text(json.dumps(doc))
    code, _, err = run("check", str(suite), "--update")
    assert code == Exit.CHECK_FAILED and "1 run(s) still fail" in err
    assert "updated 2 run(s)" in err and "can-body, dear-inerta" in err
    new = json.loads(manifest.read_text())
    assert new["runs"][0]["objective"] == 1300.0 and new["runs"][0]["published"] is True
    assert new["runs"][2]["objective"] == pytest.approx(1.5280321428571428, rel=1e-9)
    assert new["runs"][3]["objective"] == pytest.approx(22183898.103922423, rel=1e-9)
    assert new["runs"][1]["objective"] == 8495 and isinstance(new["runs"][1]["objective"], int)
    assert not list(suite.glob(".expected.json.*"))


@pytest.mark.parametrize(("change", "expected"), [
    (lambda t: t.replace('"infeasible-fe.toml"', '"gone.toml"'),
     "row 5 ('no-iron-room'), field 'path': names 'gone.toml', which is not a file"),
    (lambda t: t[:-3], "is not valid JSON"),
    (lambda t: t.replace('"cap": 3.0', '"capp": 3.0'),
     "row 4 ('dear-inerta'), field 'overrides': unknown override 'capp'"),
    (lambda t: t.replace('"status": "infeasible"', '"status": "infeasable"'),
     "row 5 ('no-iron-room'), field 'status'"),
])
def test_bad_manifests_are_refused_by_name(suite: Path, tmp_path: Path, change,
                                          expected: str) -> None:
    manifest = suite / "expected.json"
    manifest.write_text(change(manifest.read_text()))
    junit = tmp_path / "junit.xml"
    code, out, err = run("check", str(suite), "--junit", str(junit))
    assert code == Exit.INVALID_INPUT and expected in err, err
    assert out == "" and not junit.exists()


def test_an_unwritable_junit_path_fails_before_any_solve(suite: Path, tmp_path: Path) -> None:
    code, out, err = run("check", str(suite), "--junit", str(tmp_path / "no" / "j.xml"))
    assert code == Exit.INVALID_INPUT and "the folder does not exist" in err and out == ""


def test_workers_give_the_same_outcome(suite: Path) -> None:
    pytest.importorskip("distributed")
    code, out, _ = run("check", str(suite), "--workers", "2", "--format", "json")
    assert code == Exit.OK
    assert [r["id"] for r in json.loads(out)["runs"]][:2] == ["schoen", "westerberg"]


def test_the_pytest_plugin_runs_a_suite(suite: Path, tmp_path: Path) -> None:
    manifest = suite / "expected.json"
    doc = json.loads(manifest.read_text())
    doc["runs"][1]["objective"] = 8400
    manifest.write_text(json.dumps(doc))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "--mixopt-suite", str(suite), "--rootdir", str(tmp_path)],
                       check=False, capture_output=True, text=True, timeout=300,
                       cwd=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "1 failed, 4 passed" in r.stdout
    assert "run 'westerberg'" in r.stdout and "8400 expected" in r.stdout


@pytest.mark.parametrize("name", ["can-body.toml", "westerberg-steel-milp.toml",
                                  "schoen-al6061.toml", "can-body-and-end.toml"])
@pytest.mark.parametrize("suffix", [".mps", ".lp"])
def test_exported_model_solves_in_plain_highs_to_the_same_optimum(name: str, suffix: str,
                                                                  tmp_path: Path) -> None:
    out = tmp_path / f"m{suffix}"
    code, _, err = run("export", str(INSTANCES / name), "-o", str(out))
    assert code == Exit.OK and f"wrote {out}" in err
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(out)) == highspy.HighsStatus.kOk
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    result = solve(read(INSTANCES / name))
    # the file's objective is what mixopt reports (per t of slab for a footprint month)
    assert_objective(h.getInfo().objective_function_value, result.objective_value)
    names = set(h.allVariableNames())
    first = result.horizon.first.products[0].name.replace(" ", "_")
    material = result.horizon.first.materials[0].name.replace(" ", "_").replace("(", "_") \
        .replace(")", "_").replace("-", "_")
    assert f"charge.{first}.{material}" in names
    if name == "can-body.toml":
        rows = {h.getRowName(i)[1] for i in range(h.getNumRow())}
        # the LP format writes a ranged row as two, suffixed lo and up
        assert {"chemistry.AA3104_slab.Mn", "chemistry.AA3104_slab.Mnlo"} & rows
        assert any(r.startswith("supply.INERTA") for r in rows)


def test_export_refuses_cones_and_bad_suffixes(tmp_path: Path) -> None:
    code, _, err = run("export", str(INSTANCES / "can-body.toml"), "--confidence", "0.95",
                       "-o", str(tmp_path / "m.mps"))
    assert code == Exit.INVALID_INPUT and "second-order cones have no MPS" in err
    assert not (tmp_path / "m.mps").exists()
    code, _, err = run("export", str(INSTANCES / "can-body.toml"), "-o",
                       str(tmp_path / "m.txt"))
    assert code == 2 and "must end in .mps or .lp" in err


@pytest.mark.parametrize("where", ["../outside.toml", "/abs", "link.toml", "fifo.toml"])
def test_a_run_is_read_only_from_a_regular_file_inside_the_suite(suite: Path, tmp_path: Path,
                                                                 where: str) -> None:
    outside = tmp_path / "outside.toml"
    shutil.copy(INSTANCES / "can-body.toml", outside)
    if where == "/abs":
        where = str(outside)
    elif where == "link.toml":
        (suite / where).symlink_to(outside)
    elif where == "fifo.toml":
        import os

        os.mkfifo(suite / where)
    doc = json.loads((suite / "expected.json").read_text())
    doc["runs"][2]["path"] = where
    (suite / "expected.json").write_text(json.dumps(doc))
    code, out, err = run("check", str(suite))
    assert code == Exit.INVALID_INPUT and out == ""
    assert "row 3 ('can-body'), field 'path'" in err
    assert ("not a regular file" if where == "fifo.toml" else "outside the suite's folder") \
        in err


def test_junit_is_well_formed_for_any_run_id(suite: Path, tmp_path: Path) -> None:
    doc = json.loads((suite / "expected.json").read_text())
    odd = "can\x07body\x1b[31m\ufffe \x00<&>\"'"
    doc["runs"][2]["id"] = odd
    doc["runs"][2]["objective"] = 2.0  # a failure, with the id in its message
    (suite / "expected.json").write_text(json.dumps(doc))
    junit = tmp_path / "junit.xml"
    code, _, _ = run("check", str(suite), "--junit", str(junit))
    assert code == Exit.CHECK_FAILED
    root = _junit(junit)  # parses: well-formed
    names = [c.get("name") for c in root.iter("testcase")]
    assert names[2] == "can\\x07body\\x1b[31m\\ufffe \\x00<&>\"'"
    assert root.find("testsuite").get("failures") == "1"


def test_an_interrupted_check_writes_what_finished(suite: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import mixopt.analysis.check as checking

    real, calls = checking.run_one, []

    def ctrl_c_on_the_third(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(checking, "run_one", ctrl_c_on_the_third)
    junit, out = tmp_path / "junit.xml", tmp_path / "check.json"
    code, stdout, err = run("check", str(suite), "--junit", str(junit), "--format", "json",
                            "-o", str(out))
    assert code == Exit.INTERRUPTED and stdout == ""
    assert err == (f"mixopt: interrupted: 2 of 5 run(s) finished; written to {out}, "
                   f"{junit}\n")
    doc = json.loads(out.read_text())
    assert [r["status"] for r in doc["runs"]] == ["optimal", "optimal", "interrupted",
                                                   "interrupted", "interrupted"]
    root = _junit(junit)
    cases = list(root.iter("testcase"))
    assert [c.find("skipped") is not None for c in cases] == [False, False, True, True, True]
    assert root.find("testsuite").get("skipped") == "3"
    assert root.find("testsuite").get("failures") == "0"
