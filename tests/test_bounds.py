"""Bounded work on any input: nesting deeper than any mixopt document needs is refused by
name (exit 2) wherever it comes from, before anything walks it; the words of a limit are
found by name, not by scanning every material."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from mixopt.cli import Exit, main
from mixopt.io.files import MAX_DEPTH, nesting_depth
from tests.conftest import INSTANCES

CAN = str(INSTANCES / "can-body.toml")


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout, r.stderr


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_nesting_depth_is_measured_without_recursion() -> None:
    deep: list = []
    for _ in range(20_000):  # twenty times Python's recursion limit
        deep = [deep]
    assert nesting_depth(deep) == 20_001
    assert nesting_depth({"a": [1, {"b": [2]}], "c": 3}) == 4
    assert nesting_depth(7) == 0


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 3000])
def test_a_deep_set_value_is_invalid_input(depth: int) -> None:
    code, out, err = run("solve", CAN, "--set", f"materials.INERTA.cost={nested(depth)}")
    assert code == Exit.INVALID_INPUT and out == ""
    assert "the command line value '[[[[" in err and "is nested too deeply" in err
    assert "Traceback" not in err and "internal error" not in err


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 3000, 200_000])
def test_deep_documents_are_invalid_input(depth: int, tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text('{"mix": ' + nested(depth) + "}")
    code, _, err = run("verify", CAN, str(plan))
    assert code == Exit.INVALID_INPUT, err
    assert f"{plan}: is nested too deeply to be a plan JSON" in err
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "expected.json").write_text('{"runs": ' + nested(depth) + "}")
    code, _, err = run("check", str(suite))
    assert code == Exit.INVALID_INPUT and "is nested too deeply to be a manifest" in err
    month = tmp_path / "month.toml"
    shutil.copy(INSTANCES / "can-body.toml", month)
    with month.open("a") as fh:
        fh.write(f"\n[extra]\nvalue = {nested(min(depth, 5000))}\n")
    code, _, err = run("solve", str(month))
    assert code == Exit.INVALID_INPUT and "is nested too deeply to be an instance" in err


def test_the_words_of_a_supply_limit_name_its_material() -> None:
    from mixopt.dev.generate import generate
    from mixopt.model.arrays import to_arrays
    from mixopt.model.families import supply

    d = to_arrays(generate(2000, 2, 3))
    last = d.materials[-1]
    assert d.material_index[last] == len(d.materials) - 1
    assert supply.words((last,), "max", d) == (
        f"{last}: at most {d.available_max_t[-1]:,.6g} t available")


def test_a_plan_json_of_an_ordinary_depth_still_reads(tmp_path: Path) -> None:
    code, out, _ = run("solve", CAN, "--format", "json")
    assert code == 0
    plan = tmp_path / "plan.json"
    plan.write_text(out)
    assert nesting_depth(json.loads(out)) <= MAX_DEPTH
    assert run("verify", CAN, str(plan))[0] == 0
