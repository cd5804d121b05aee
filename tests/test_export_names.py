"""Every export reads back in a plain HiGHS to mixopt's own optimum, with every column and
row it has, long names included (issue 20: a material name over ~540 characters was cut
by HiGHS inside the name and read back as 39 of 40 columns with another optimum)."""

from __future__ import annotations

import csv
from pathlib import Path

import highspy
import pytest
from click.testing import CliRunner

from mixopt import read, solve
from mixopt.cli import Exit, main
from mixopt.io.export import MAX_NAME, names_file
from mixopt.testing import assert_objective
from tests.conftest import INSTANCES

SOLVED = ("can-body.toml", "can-body-and-end.toml", "can-body-electrolysis.toml",
          "can-body-quarter.toml", "schoen-al6061.toml", "westerberg-steel-milp.toml",
          "williams-food-manufacture-1.toml", "can-body-csv/can-body.toml")


def _read_back(path: Path) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk
    h.run()
    return h


def _export(src: Path, out: Path) -> str:
    r = CliRunner().invoke(main, ["export", str(src), "-o", str(out)])
    assert r.exit_code == Exit.OK, r.stderr
    return r.stderr


@pytest.mark.parametrize("suffix", [".lp", ".mps"])
@pytest.mark.parametrize("name", SOLVED)
def test_every_shipped_instance_reads_back_to_its_optimum(name: str, suffix: str,
                                                         tmp_path: Path) -> None:
    out = tmp_path / f"m{suffix}"
    _export(INSTANCES / name, out)
    h = _read_back(out)
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    result = solve(read(INSTANCES / name))
    assert_objective(h.getInfo().objective_function_value, result.objective_value)
    assert not names_file(out).exists()  # nothing shortened


def _long_names(tmp_path: Path) -> Path:
    """The can-body month with two scrap lots whose 600-character names differ only at
    their end, one of them much cheaper."""
    text = (INSTANCES / "can-body.toml").read_text()
    stem = "Shredded scrap from the " + "north yard " * 55
    lot = ('\n[[materials]]\nname = "{name}"\nroute = "post-consumer scrap"\ncost = {cost}\n'
           'footprint = {{ full = 0.4, scope12 = 0.2 }}\navailable = {{ max = 400 }}\n'
           'yield = 0.9\ncomposition = {{ Si = 0.2, Fe = 0.4, Mn = 0.8, Mg = 1.0 }}\n')
    extra = lot.format(name=stem + "lot A", cost=1500) + lot.format(name=stem + "lot B",
                                                                     cost=1200)
    cut = text.index("[scenarios.")
    path = tmp_path / "long.toml"
    path.write_text(text[:cut] + extra + "\n" + text[cut:])
    return path


@pytest.mark.parametrize("suffix", [".lp", ".mps"])
def test_long_names_read_back_exactly_and_the_mapping_is_listed(tmp_path: Path,
                                                               suffix: str) -> None:
    src = _long_names(tmp_path)
    plan = read(src)
    assert len(plan.first.materials[-1].name) > 600
    out = tmp_path / f"m{suffix}"
    said = _export(src, out)
    assert f"wrote {names_file(out)}" in said
    h = _read_back(out)
    lp_cols = len(plan.first.materials) * len(plan.first.products)
    assert h.getNumCol() >= lp_cols
    names = list(h.allVariableNames())
    assert len(set(names)) == len(names) and max(map(len, names)) <= MAX_NAME
    for minimise in ("footprint", "cost"):
        if minimise == "cost":
            out = tmp_path / f"c{suffix}"
            r = CliRunner().invoke(main, ["export", str(src), "-o", str(out), "--minimise",
                                          "cost"])
            assert r.exit_code == 0, r.stderr
            h = _read_back(out)
        from mixopt.io.variants import variant

        want = solve(variant(plan, minimise=minimise)).objective_value
        assert_objective(h.getInfo().objective_function_value, want)
    with names_file(out).open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    keys = {r["key"] for r in rows if r["kind"] == "column"}
    assert {f"AA3104 slab | {plan.first.materials[-1].name}",
            f"AA3104 slab | {plan.first.materials[-2].name}"} <= keys
    assert {r["name_in_file"] for r in rows if r["kind"] == "column"} <= set(
        h.allVariableNames())
