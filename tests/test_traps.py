"""Ordinary accidents with input files: each is read as its author meant it or refused by
name, never turned into a silently different plan."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from mixopt import InputError, read, solve
from mixopt.cli import Exit, main
from mixopt.io.plan import read_solution
from mixopt.testing import assert_objective
from tests.conftest import INSTANCES

CSV_CASE = INSTANCES / "can-body-csv"


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout, r.stderr


def _copy_case(tmp: Path) -> Path:
    dest = tmp / "case"
    shutil.copytree(CSV_CASE, dest)
    return dest / "can-body.toml"


def _german(text: str) -> str:
    """A CSV as a comma-decimal Excel saves it: ';' between cells, ',' in numbers, a BOM."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    for row in csv.reader(io.StringIO(text)):
        writer.writerow([re.sub(r"^(-?\d+)\.(\d+)$", r"\1,\2", c) for c in row])
    return "\ufeff" + out.getvalue()


def test_comma_decimal_csv_with_bom_reads_as_meant(tmp_path: Path) -> None:
    toml = _copy_case(tmp_path)
    for name in ("composition.csv", "materials.csv"):
        f = toml.parent / name
        f.write_text(_german(f.read_text()), encoding="utf-8")
    assert (toml.parent / "composition.csv").read_text().startswith("\ufeffmaterial;Si;Fe")
    german = read(toml)
    plain = read(CSV_CASE / "can-body.toml")
    assert german == plain
    assert_objective(solve(german).objective_value, solve(plain).objective_value)


def test_decimal_point_in_a_comma_decimal_csv_is_refused_by_cell(tmp_path: Path) -> None:
    toml = _copy_case(tmp_path)
    f = toml.parent / "composition.csv"
    lines = _german(f.read_text()).splitlines()
    lines[1] = lines[1].replace("0,25", "1.250", 1)   # thousands? decimals? nobody can say
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read(toml)
    msg = str(info.value)
    assert "composition.csv" in msg and "row 1" in msg and "'Si'" in msg
    assert "'1.250' has a decimal point in a file written with decimal commas" in msg


def test_csv_in_a_legacy_encoding_gets_a_utf8_hint(tmp_path: Path) -> None:
    toml = _copy_case(tmp_path)
    f = toml.parent / "materials.csv"
    f.write_bytes(f.read_text().replace("UBC bales", "UBC Ballen ä").encode("cp1252"))
    with pytest.raises(InputError, match=r"materials.csv: is not UTF-8 text .*CSV UTF-8"):
        read(toml)


def test_toml_with_a_bom_reads(tmp_path: Path) -> None:
    toml = _copy_case(tmp_path)
    toml.write_text("\ufeff" + toml.read_text(), encoding="utf-8")
    assert read(toml) == read(CSV_CASE / "can-body.toml")


def test_table_files_must_sit_beside_the_instance(tmp_path: Path) -> None:
    toml = _copy_case(tmp_path)
    secret = tmp_path / "elsewhere.csv"
    shutil.copy(toml.parent / "materials.csv", secret)
    text = toml.read_text().replace('"materials.csv"', '"../elsewhere.csv"')
    assert "../elsewhere.csv" in text
    toml.write_text(text)
    with pytest.raises(InputError, match="is outside the instance's folder"):
        read(toml)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    toml = _copy_case(tmp_path)
    (toml.parent / "composition.csv").unlink()
    os.mkfifo(toml.parent / "composition.csv")
    with pytest.raises(InputError, match="composition.csv: is not a regular file"):
        read(toml)
    fifo = tmp_path / "plan.json"
    os.mkfifo(fifo)
    code, _, err = run("verify", str(toml.parent / "can-body.toml"), str(fifo))
    assert code == Exit.INVALID_INPUT and "is not a regular file" in err


def test_deeply_nested_files_are_refused_not_crashed(tmp_path: Path) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    code, _, err = run("validate", str(deep))
    assert code == Exit.INVALID_INPUT
    assert "deep.toml" in err and "Traceback" not in err
    plan = tmp_path / "deep.json"
    plan.write_text("[" * 100_000 + "]" * 100_000)
    code, _, err = run("verify", str(INSTANCES / "can-body.toml"), str(plan))
    assert code == Exit.INVALID_INPUT and "nested too deeply" in err


def _plan(tmp: Path, rows: list) -> Path:
    p = tmp / "plan.json"
    p.write_text(json.dumps({"mix": rows}))
    return p


def test_plan_rows_that_cannot_be_meant_are_refused(tmp_path: Path) -> None:
    h = read(INSTANCES / "can-body.toml")
    inst = h.first
    product, a, b = inst.products[0].name, inst.materials[0].name, inst.materials[1].name
    p = _plan(tmp_path, [{"product": product, "material": a, "tonnes": 10},
                         {"product": product, "material": a, "tonnes": 5},
                         {"product": product, "material": b, "tonnes": -3},
                         {"product": product, "material": b, "tonnes": 10 ** 400},
                         {"product": product, "material": b, "tonnes": True}])
    with pytest.raises(InputError) as info:
        read_solution(p, h)
    msgs = [str(x) for x in info.value.problems]
    assert len(msgs) == 4, msgs
    assert "row 2" in msgs[0] and "repeats row 1" in msgs[0]
    assert "row 3" in msgs[1] and "-3 is not a finite number of tonnes" in msgs[1]
    assert "row 4" in msgs[2] and "row 5" in msgs[3]


def test_a_plan_with_each_pair_once_reads_exactly(tmp_path: Path) -> None:
    h = read(INSTANCES / "can-body.toml")
    inst = h.first
    rows = [{"product": inst.products[0].name, "material": m.name, "tonnes": 1.5 * (i + 1)}
            for i, m in enumerate(inst.materials)]
    mix = read_solution(_plan(tmp_path, rows), h).mix_t[0]
    np.testing.assert_array_equal(mix[0], [1.5 * (i + 1) for i in range(len(inst.materials))])


def test_an_output_never_replaces_an_input_even_with_force(tmp_path: Path) -> None:
    toml = _copy_case(tmp_path)
    before = {f.name: f.read_bytes() for f in toml.parent.iterdir()}
    for target in (toml, toml.parent / "materials.csv"):
        code, _, err = run("solve", str(toml), "--format", "csv", "-o", str(target), "--force")
        assert code == Exit.INVALID_INPUT and "is an input of this run" in err
    assert {f.name: f.read_bytes() for f in toml.parent.iterdir()} == before


def test_written_files_are_announced_on_stderr(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    code, stdout, err = run("solve", str(INSTANCES / "can-body.toml"), "--format", "json",
                            "-o", str(out))
    assert code == Exit.OK and stdout == "" and f"wrote {out}" in err
    assert json.loads(out.read_text())["status"] == "optimal"


@pytest.mark.parametrize("flag", ["--time-limit", "--mip-gap", "--margin-sd", "--confidence"])
@pytest.mark.parametrize("value", ["nan", "inf"])
def test_non_finite_numbers_on_the_command_line_are_refused(flag: str, value: str) -> None:
    code, _, err = run("solve", str(INSTANCES / "can-body.toml"), flag, value)
    assert code == 2 and f"'{value}' is not a finite number" in err


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_csv_output_never_starts_a_formula(tmp_path: Path, start: str) -> None:
    src = (INSTANCES / "can-body.toml").read_text()
    name = f"{start}cmd|' /C calc'!A0"
    toml = tmp_path / "f.toml"
    toml.write_text(src.replace('name = "INERTA"', f'name = {json.dumps(name)}')
                    .replace('"materials.INERTA.', f'"materials.{json.dumps(name)[1:-1]}.'))
    code, out, err = run("solve", str(toml), "--format", "csv")
    assert code == Exit.OK, err
    cells = [row[1] for row in csv.reader(io.StringIO(out, newline=""))]
    assert "'" + name in cells
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)


@pytest.mark.parametrize("char", ["\t", "\r", "\n"])
def test_names_with_control_characters_are_refused(tmp_path: Path, char: str) -> None:
    src = (INSTANCES / "can-body.toml").read_text()
    toml = tmp_path / "f.toml"
    toml.write_text(src.replace('name = "INERTA"', f'name = {json.dumps(char + "INERTA")}'))
    code, _, err = run("validate", str(toml))
    assert code == Exit.INVALID_INPUT
    assert "field 'name': contains a control character" in err


def test_tab_and_carriage_return_are_neutralised_in_csv_text() -> None:
    from mixopt.io.spreadsheet import formula_safe

    assert formula_safe("\t=1+1") == "'\t=1+1" and formula_safe("\r@x") == "'\r@x"
    assert formula_safe("UBC bales") == "UBC bales" and formula_safe(-1.5) == -1.5


def test_an_unwritable_folder_names_the_file_asked_for(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(tmp_path / ".plan.json.x1y2"))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    out = tmp_path / "plan.json"
    code, _, err = run("solve", str(INSTANCES / "can-body.toml"), "--format", "json", "-o",
                       str(out))
    assert code == Exit.INVALID_INPUT
    assert err == f"mixopt: {out}: cannot be written (Permission denied)\n"
