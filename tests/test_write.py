"""Writing instances back to text is lossless, and `mixopt generate` writes readable months."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from mixopt import read, solve
from mixopt.cli import Exit, main
from mixopt.dev.generate import generate
from mixopt.io.write import write_instance
from mixopt.testing import assert_objective
from tests.conftest import INSTANCES


@pytest.mark.parametrize("name", ["can-body.toml", "can-body-and-end.toml",
                                  "westerberg-steel-milp.toml", "schoen-al6061.toml"])
@pytest.mark.parametrize("csv_tables", [False, True])
def test_round_trip(name: str, csv_tables: bool, tmp_path: Path) -> None:
    inst = read(INSTANCES / name)
    files = write_instance(inst, tmp_path / "x.toml", csv_tables=csv_tables)
    # the TOML, and with tables the materials, composition and (with spreads) spread CSVs
    assert len(files) == (3 + inst.has_spreads if csv_tables else 1)
    again = read(tmp_path / "x.toml")
    assert again == inst
    assert_objective(solve(again).objective_value, solve(inst).objective_value)


def test_never_overwrites(tmp_path: Path) -> None:
    inst = read(INSTANCES / "schoen-al6061.toml")
    write_instance(inst, tmp_path / "x.toml")
    with pytest.raises(FileExistsError):
        write_instance(inst, tmp_path / "x.toml")
    write_instance(inst, tmp_path / "x.toml", force=True)


def test_cli_generate(tmp_path: Path) -> None:
    out = tmp_path / "m.toml"
    r = CliRunner().invoke(main, ["generate", "--lots", "30", "--products", "3",
                                  "--elements", "8", "--milp", "--seed", "4", "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "m.materials.csv").exists() and (tmp_path / "m.composition.csv").exists()
    assert read(out).first == generate(30, 3, 8, seed=4, milp=True)
    r = CliRunner().invoke(main, ["generate", "--lots", "30", "--products", "3",
                                  "--elements", "8", "-o", str(out)])
    assert r.exit_code == Exit.INVALID_INPUT and "--force" in r.stderr
    r = CliRunner().invoke(main, ["generate", "--lots", "3", "--products", "1",
                                  "--elements", "3", "-o", str(tmp_path / "no" / "m.toml")])
    assert r.exit_code == Exit.INVALID_INPUT and "folder does not exist" in r.stderr
