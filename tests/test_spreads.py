"""``mixopt spreads`` on lab exports as labs write them, into instances as planners keep
them (issue 20): only element columns are read, bad files are refused before anything is
written, and the estimates land in the instance's own columns, units and files."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from mixopt import read
from mixopt.cli import Exit, main
from mixopt.io.columns import split_header
from tests.conftest import INSTANCES

CAN = INSTANCES / "can-body.toml"
CSV_CASE = INSTANCES / "can-body-csv"
UBC_MN = [0.91, 0.85, 0.95, 0.88, 0.92]
MN_MEAN = sum(UBC_MN) / 5
MN_SD = (sum((v - MN_MEAN) ** 2 for v in UBC_MN) / 4) ** 0.5
#: A lab export: a sample id, a furnace number, a date, the aluminium balance, then the
#: elements (Fe in ppm).
LAB = "Probe;Ofen;Datum;material;Si;Fe [ppm];Mn;Al\n" + "".join(
    f"P{k};2;2026-06-0{k + 1};UBC bales;0,25;5000;{str(mn).replace('.', ',')};97,1\n"
    for k, mn in enumerate(UBC_MN))


def run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout, r.stderr


def _book(tmp_path: Path) -> Path:
    target = tmp_path / "month.xlsx"
    assert run("convert", str(CAN), str(target))[0] == 0
    return target


def test_only_element_columns_are_read_and_the_others_listed(tmp_path, caplog) -> None:
    """Was: a furnace-number column 'Ofen' became Ofen = 2.0 wt% with a spread."""
    lab = tmp_path / "lab.csv"
    lab.write_text(LAB)
    from mixopt.io.spreads import read_analyses

    with caplog.at_level(logging.WARNING):
        spreads = read_analyses(lab)
    assert set(spreads.table.constituent) == {"Si", "Fe", "Mn"}
    fe = spreads.table[spreads.table.constituent == "Fe"].iloc[0]
    assert fe.mean_wt_pct == pytest.approx(0.5, rel=1e-12)  # 5000 ppm
    mn = spreads.table[spreads.table.constituent == "Mn"].iloc[0]
    assert mn.mean_wt_pct == pytest.approx(MN_MEAN) and mn.sd_wt_pct == pytest.approx(MN_SD)
    said = [r.message for r in caplog.records if "not read" in r.message]
    assert len(said) == 1 and "4 column(s) not read" in said[0]
    assert "Probe, Ofen, Datum, Al" in said[0]


def test_the_material_column_it_is_told(tmp_path) -> None:
    lab = tmp_path / "lab.csv"
    lab.write_text(LAB.replace("material", "Werkstoff"))
    code, _, err = run("spreads", str(lab))
    assert code == Exit.INVALID_INPUT and "has no header row with a 'material' column" in err
    code, out, err = run("spreads", str(lab), "--material-column", "werkstoff", "--format",
                         "csv")
    assert code == 0, err
    assert "UBC bales,Mn,5," in out


@pytest.mark.parametrize(("text", "said"), [
    ("material,Fe,Fe\nUBC bales,0.5,0.4\n", "names 'Fe' again"),
    ("material,Fe,FE [ppm]\nUBC bales,0.5,4000\n", "names 'Fe' again"),
    ('material,Fe\n"UBC bales,0.5\nUBC bales,0.4\n', "is not a readable CSV file"),
    ("material,Fe\n", "has no analyses"),
    ("material,Fe [mg]\nUBC bales,0.5\n", "unit 'mg' is not one this column takes"),
])
def test_bad_lab_files_are_refused_before_anything_is_written(tmp_path, text: str,
                                                              said: str) -> None:
    """Was: with material,Fe,Fe the first column was dropped; an unterminated quote gave
    an empty table; and either way the instance was rewritten."""
    lab = tmp_path / "lab.csv"
    lab.write_text(text)
    target = _book(tmp_path)
    before = target.read_bytes()
    code, _, err = run("spreads", str(lab), "--into", str(target), "--force")
    assert code == Exit.INVALID_INPUT and said in err, err
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lab.csv", "month.xlsx"]


def test_into_a_workbook_its_own_columns_and_units(tmp_path) -> None:
    """Was: columns 'Mn' were added beside 'Mn [wt%]', and every other material then read
    as pure aluminium while validate said valid."""
    target = _book(tmp_path)
    wb = load_workbook(target)
    comp = wb["composition"]
    fe = next(c for c in comp[1] if split_header(c.value)[0] == "Fe")
    fe.value = "FE [ppm]"  # the planner keeps iron in ppm
    for r in range(2, comp.max_row + 1):
        cell = comp.cell(row=r, column=fe.column)
        cell.value = round(cell.value * 10000, 6)
    wb.save(target)
    old = read(target).first
    lab = tmp_path / "lab.csv"
    lab.write_text(LAB)
    code, _, err = run("spreads", str(lab), "--into", str(target), "--force")
    assert code == 0, err
    wb = load_workbook(target)
    heads = [c.value for c in wb["composition"][1]]
    assert heads == [c.value for c in comp[1]]  # no column added
    sd_heads = [split_header(c.value)[0] for c in wb["composition_sd"][1]]
    assert len(sd_heads) == len(set(sd_heads)) and {"Fe", "Mn", "Si"} <= set(sd_heads)
    ubc_row = next(c.row for c in wb["composition"]["A"] if c.value == "UBC bales")
    assert wb["composition"].cell(row=ubc_row, column=fe.column).value == pytest.approx(5000)
    new = read(target).first  # re-read: the same means and spreads
    ubc = new.materials[0]
    assert ubc.composition["Mn"] == pytest.approx(MN_MEAN, rel=1e-6)
    assert ubc.composition["Fe"] == pytest.approx(0.5, rel=1e-12)
    assert ubc.composition_sd["Mn"] == pytest.approx(MN_SD, rel=1e-5)
    assert ubc.composition["Cr"] == old.materials[0].composition["Cr"]
    assert new.materials[1:] == old.materials[1:]  # every other material as it was


def test_into_a_toml_whose_tables_sit_in_a_sub_folder(tmp_path) -> None:
    """Was: it failed naming a temporary path."""
    work = tmp_path / "m"
    (work / "tables").mkdir(parents=True)
    for name in ("materials.csv", "composition.csv", "composition_sd.csv"):
        shutil.copy(CSV_CASE / name, work / "tables" / name)
    toml = (CSV_CASE / "can-body.toml").read_text().replace('"materials.csv"',
                                                            '"tables/materials.csv"')
    toml = toml.replace('"composition.csv"', '"tables/composition.csv"')
    toml = toml.replace('"composition_sd.csv"', '"tables/composition_sd.csv"')
    (work / "can-body.toml").write_text(toml)
    lab = tmp_path / "lab.csv"
    lab.write_text(LAB)
    code, _out, err = run("spreads", str(lab), "--into", str(work / "can-body.toml"),
                         "--force")
    assert code == 0, err
    assert "tables/composition.csv" in err and "tables/composition_sd.csv" in err
    ubc = read(work / "can-body.toml").first.materials[0]
    assert ubc.composition["Mn"] == pytest.approx(MN_MEAN, rel=1e-6)
    assert ubc.composition_sd["Fe"] == 0.0
    assert sorted(p.name for p in work.rglob("*")) == sorted(
        ["can-body.toml", "tables", "materials.csv", "composition.csv", "composition_sd.csv"])


def test_into_csv_tables_in_their_own_dialect(tmp_path) -> None:
    work = tmp_path / "m"
    shutil.copytree(CSV_CASE, work)
    comp = work / "composition.csv"
    comp.write_text("\n".join(line.replace(",", ";").replace(".", ",")
                              for line in comp.read_text().splitlines()) + "\n")
    lab = tmp_path / "lab.csv"
    lab.write_text(LAB)
    assert run("spreads", str(lab), "--into", str(work / "can-body.toml"), "--force")[0] == 0
    text = comp.read_text()
    assert text.startswith("material;Si;Fe;") and "UBC bales;0,25;0,5;" in text
    assert read(work / "can-body.toml").first.materials[0].composition["Mn"] == \
        pytest.approx(MN_MEAN, rel=1e-6)


def test_every_file_of_an_instance_is_replaced_in_one_update(tmp_path, monkeypatch) -> None:
    """The TOML and its tables go to io.atomic.replace_all together (its staging makes a
    kill leave the old files or the new ones); nothing is written outside it."""
    from mixopt.io import atomic

    work = tmp_path / "m"
    shutil.copytree(CSV_CASE, work)
    calls = []
    real = atomic.replace_all
    monkeypatch.setattr(atomic, "replace_all",
                        lambda files, **kw: (calls.append(sorted(p.name for p in files)),
                                             real(files, **kw)))
    before = {p.name: p.read_bytes() for p in work.iterdir()}
    lab = tmp_path / "lab.csv"
    lab.write_text(LAB)
    from mixopt.io.spreads import read_analyses
    from mixopt.io.spreads_into import write_into

    write_into(read_analyses(lab), work / "can-body.toml", force=True)
    assert calls == [["can-body.toml", "composition.csv", "composition_sd.csv"]]
    after = {p.name: p.read_bytes() for p in work.iterdir()}
    assert set(after) == set(before)  # no temporary file left
    assert after["materials.csv"] == before["materials.csv"]


@pytest.mark.parametrize("form", ["toml", "xlsx"])
def test_into_a_quarter_the_estimate_holds_in_every_period(tmp_path, form) -> None:
    quarter = INSTANCES / "can-body-quarter.toml"
    if form == "toml":
        target = tmp_path / "q.toml"
        text = quarter.read_text()
        target.write_text(text.replace("Mn = 0.90, Mg = 1.60", "MN = 0.90, Mg = 1.60", 1))
    else:
        target = tmp_path / "q.xlsx"
        assert run("convert", str(quarter), str(target))[0] == 0
    lab = tmp_path / "lab.csv"
    lab.write_text(LAB)
    code, _, err = run("spreads", str(lab), "--into", str(target), "--force")
    assert code == 0, err
    h = read(target)
    for inst in h.instances:
        ubc = inst.materials[0]
        assert ubc.composition["Mn"] == pytest.approx(MN_MEAN, rel=1e-6)
        assert ubc.composition_sd["Mn"] == pytest.approx(MN_SD, rel=1e-5)
    if form == "toml":
        line = next(x for x in target.read_text().splitlines()
                    if x.startswith(("composition = { Si = 0.25", "composition = {Si = 0.25")))
        assert "MN" not in line and line.index("Fe") < line.index("Cu")  # in its place
