"""Fuzzing the readers: mutated instance files end in a clean ``InputError`` naming the
place, or read fine; never any other exception (which the CLI would show as a bug)."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from mixopt import Horizon, InputError, Instance, read
from mixopt.cli import Exit, main
from tests.conftest import INSTANCES

TOKENS = ["-1", "0", "nan", "inf", "1e999", "-0.0", '"x"', "[1, 2]", "[2, 1]", "{}",
          "{ a = 1 }", "true", "101", "1e-300", '""', "[", "]", "=", '"', "\\u0000", "é"]
SOURCES = ["can-body.toml", "can-body-and-end.toml", "westerberg-steel-milp.toml"]
COUNT: dict[str, int] = {"ok": 0, "error": 0}


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    lines = text.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(["value", "delete", "dup", "junk", "key"]))
        if how == "value" and "=" in lines[i]:
            key = lines[i].split("=", 1)[0]
            lines[i] = f"{key}= {draw(st.sampled_from(TOKENS))}"
        elif how == "value":
            nums = list(re.finditer(r"\d+(\.\d+)?", lines[i]))
            if nums:
                m = nums[draw(st.integers(0, len(nums) - 1))]
                lines[i] = lines[i][:m.start()] + draw(st.sampled_from(TOKENS)) + \
                    lines[i][m.end():]
        elif how == "delete":
            del lines[i]
        elif how == "dup":
            lines.insert(i, lines[i])
        elif how == "key":
            lines.insert(i, f"{draw(st.sampled_from(['colour', 'cost', 'name', 'yield']))}"
                            f" = {draw(st.sampled_from(TOKENS))}")
        else:
            lines.insert(i, draw(st.text(max_size=30)))
        if not lines:
            lines = [""]
    return "\n".join(lines)


def _read_or_clean_error(path: Path) -> None:
    try:
        inst = read(path)
    except InputError as err:
        # every problem names its file and says something; table errors also name the table
        assert err.problems
        for p in err.problems:
            assert p.file.endswith((".toml", ".csv")) and p.message.strip()
            assert p.row is None or p.table is not None
        COUNT["error"] += 1
        return
    assert isinstance(inst, Horizon) and all(isinstance(i, Instance) for i in inst.instances)
    COUNT["ok"] += 1


@settings(max_examples=150, deadline=None, derandomize=True)
@given(data=st.data(), source=st.sampled_from(SOURCES))
def _mutated_toml(data: st.DataObject, source: str) -> None:
    text = data.draw(mutated((INSTANCES / source).read_text()))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.toml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        _read_or_clean_error(path)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(data=st.data(), which=st.sampled_from(["materials.csv", "composition.csv"]))
def _mutated_csv(data: st.DataObject, which: str) -> None:
    src = INSTANCES / "can-body-csv"
    text = (src / which).read_text()
    lines = text.splitlines()
    i = data.draw(st.integers(0, len(lines) - 1))
    cells = lines[i].split(",")
    j = data.draw(st.integers(0, len(cells) - 1))
    cells[j] = data.draw(st.sampled_from(TOKENS + ["", ",,", "\n"]))
    lines[i] = ",".join(cells)
    with tempfile.TemporaryDirectory() as tmp:
        for f in src.iterdir():
            shutil.copy(f, tmp)
        (Path(tmp) / which).write_text("\n".join(lines), encoding="utf-8")
        _read_or_clean_error(Path(tmp) / "can-body.toml")


def _outcomes(prop) -> dict[str, int]:
    COUNT.update(ok=0, error=0)
    prop()
    return dict(COUNT)


def test_mutated_toml_reads_or_fails_cleanly() -> None:
    got = _outcomes(_mutated_toml)
    assert got["error"] >= 50 and got["ok"] >= 5, got  # both paths taken, many times


def test_mutated_csv_reads_or_fails_cleanly() -> None:
    got = _outcomes(_mutated_csv)
    assert got["error"] >= 30 and got["ok"] >= 5, got


def test_binary_garbage_through_the_cli(tmp_path: Path) -> None:
    for i, blob in enumerate([b"\x00\xff\xfe" * 100, b"name = 'x'\n" + bytes(range(256)),
                              b"\xef\xbb\xbf" + b"[[" * 5000]):
        p = tmp_path / f"g{i}.toml"
        p.write_bytes(blob)
        r = CliRunner().invoke(main, ["validate", str(p)])
        assert r.exit_code == Exit.INVALID_INPUT and "Traceback" not in r.stderr, r.stderr
