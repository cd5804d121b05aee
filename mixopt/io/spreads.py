"""From lab analyses to spreads: ``mixopt spreads ANALYSES.csv [--into PATH]``.

The CSV has one row per sample: a ``material`` column, then one column per constituent
in wt% (blank = not analysed). Per material and constituent the mean and the sample
standard deviation are estimated (pandas); materials with too few samples are flagged,
and below two samples no spread is estimated. ``write_into`` puts the means into
``composition`` and the spreads into ``composition_sd`` of an instance's materials,
editing the planner's own file: a TOML in place with tomlkit (comments and layout kept),
the CSV tables it names, or the cells of a workbook with openpyxl. The edited files are
read back and validated in a scratch folder before any file of the user is replaced.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mixopt.errors import InputError, Problem
from mixopt.io.csvfile import read_rows
from mixopt.io.schema import CONSTITUENT_TABLES
from mixopt.model.schema.fields import CONSTITUENT_RE

#: Below this many samples a material's spread is flagged as uncertain.
DEFAULT_MIN_SAMPLES = 5


@dataclass(frozen=True)
class Spreads:
    table: pd.DataFrame  # material, constituent, samples, mean_wt_pct, sd_wt_pct (nan: <2)
    min_samples: int

    @property
    def few(self) -> list[str]:
        """Materials with fewer samples than ``min_samples`` (their spreads are uncertain)."""
        n = self.table.groupby("material", sort=False)["samples"].max()
        return [m for m, k in n.items() if k < self.min_samples]

    def of(self, column: str) -> dict[str, dict[str, float]]:
        """{material: {constituent: value}} of ``mean_wt_pct`` or ``sd_wt_pct`` (nan left
        out)."""
        out: dict[str, dict[str, float]] = {}
        for r in self.table.itertuples():
            v = getattr(r, column)
            if not math.isnan(v):
                out.setdefault(r.material, {})[r.constituent] = float(v)
        return out


def read_analyses(path: Path, min_samples: int = DEFAULT_MIN_SAMPLES) -> Spreads:
    """Estimate means and spreads from a CSV of analyses; every bad cell is named."""
    problems: list[Problem] = []
    rows = read_rows(path, "analyses", problems)
    if rows is None:
        raise InputError(problems)
    if not rows or "material" not in rows[0]:
        raise InputError([Problem(str(path), "needs a header with a 'material' column, then "
                                             "one column per constituent (wt%)", "analyses")])
    cols = [c for c in rows[0] if c != "material"]
    for c in cols:
        if not CONSTITUENT_RE.match(c):
            problems.append(Problem(str(path), f"{c!r} is not a constituent name", "analyses",
                                    field=c))
    records = []
    for i, row in enumerate(rows, start=1):
        name = row.get("material", "")
        if not name:
            problems.append(Problem(str(path), "no material named", "analyses", i,
                                    field="material"))
        for c in cols:
            text = row.get(c, "")
            if text == "":
                continue
            try:
                v = float(text)
            except ValueError:
                problems.append(Problem(str(path), f"{text!r} is not a number", "analyses", i,
                                        name or None, c))
                continue
            if not (0 <= v <= 100) or math.isnan(v):
                problems.append(Problem(str(path), f"{text} is not a content in wt% (0-100)",
                                        "analyses", i, name or None, c))
                continue
            records.append((name, c, v))
    if problems:
        raise InputError(problems)
    df = pd.DataFrame.from_records(records, columns=["material", "constituent", "wt_pct"])
    g = df.groupby(["material", "constituent"], sort=False)["wt_pct"]
    table = pd.DataFrame({"samples": g.count(), "mean_wt_pct": g.mean(),
                          "sd_wt_pct": g.std(ddof=1)}).reset_index()
    return Spreads(table, min_samples)


def write_into(spreads: Spreads, path: Path, force: bool = False) -> list[Path]:
    """Put the estimates into the materials of the instance or workbook at ``path``;
    returns the files written. Nothing is written unless the result validates."""
    from mixopt.io.atomic import check_new, replace_all
    from mixopt.io.read import read

    inst = read(path).first
    names = {m.name for m in inst.materials}
    unknown = sorted(set(spreads.table.material) - names)
    if unknown:
        raise InputError([Problem(str(path), f"has no material {m!r} (named in the analyses)",
                                  "materials", row_name=m) for m in unknown])
    means, sds = spreads.of("mean_wt_pct"), spreads.of("sd_wt_pct")
    new = (_workbook_files if path.suffix.lower() == ".xlsx" else _toml_files)(path, means, sds)
    for p in new:
        check_new(p, force, in_place=True)
    with tempfile.TemporaryDirectory() as tmp:  # validate the result before replacing
        scratch = Path(tmp)
        for p in path.parent.iterdir():
            if p.is_file():
                shutil.copy2(p, scratch / p.name)
        for p, content in new.items():
            (scratch / p.name).write_bytes(content)
        read(scratch / path.name)
    replace_all(new, force=True, in_place=True)
    return list(new)


def _sig(v: float) -> float:
    """An estimate as written: six significant digits (lab analyses have fewer)."""
    return float(f"{v:.6g}")


def _merge(table: dict[str, Any], values: dict[str, float]) -> dict[str, Any]:
    return {**table, **{e: _sig(v) for e, v in values.items()}}


def _toml_files(path: Path, means: dict, sds: dict) -> dict[Path, bytes]:
    """The TOML edited in place (tomlkit), or the constituent CSV tables it names."""
    import tomlkit

    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    files = doc.get("files", {})
    out: dict[Path, bytes] = {}
    for table, values in (("composition", means), ("composition_sd", sds)):
        if "materials" in files or table in files:
            name = files.get(table) or f"{path.stem}.{table}.csv"
            if table not in files:
                doc.setdefault("files", tomlkit.table())[table] = name
            out[path.parent / name] = _csv_table(path.parent / name, values)
            continue
        for m in doc["materials"]:
            if m["name"] in values:
                merged = _merge(dict(m.get(table, {})), values[m["name"]])
                inline = tomlkit.inline_table()
                inline.update(merged)
                m[table] = inline
    out[path] = tomlkit.dumps(doc).encode("utf-8")
    return out


def _csv_table(path: Path, values: dict[str, dict[str, float]]) -> bytes:
    """A wide constituent CSV with ``values`` merged into its rows (new rows and columns
    added as needed)."""
    import csv
    import io

    rows: list[dict[str, str]] = []
    if path.exists():
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
    by_name = {r.get("material", ""): r for r in rows}
    for material, vals in values.items():
        row = by_name.get(material)
        if row is None:
            row = {"material": material}
            rows.append(row)
            by_name[material] = row
        row.update({e: repr(_sig(v)) for e, v in vals.items()})
    cols = ["material", *dict.fromkeys(c for r in rows for c in r if c != "material")]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n", restval="")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _workbook_files(path: Path, means: dict, sds: dict) -> dict[Path, bytes]:
    """The workbook with its constituent sheets' cells edited (openpyxl)."""
    import io

    from openpyxl import load_workbook

    from mixopt.io.spreadsheet import header, put

    wb = load_workbook(path)
    for table, values in zip(CONSTITUENT_TABLES, (means, sds), strict=True):
        if table not in wb.sheetnames:
            header(wb.create_sheet(table), ["material"])
        ws = wb[table]
        head = [c.value for c in ws[1]]
        rows = {ws.cell(row=r, column=1).value: r for r in range(2, ws.max_row + 1)}
        for material, vals in values.items():
            r = rows.get(material)
            if r is None:
                r = ws.max_row + 1
                put(ws, r, 1, material)
                rows[material] = r
            for e, v in vals.items():
                if e not in head:
                    head.append(e)
                    put(ws, 1, len(head), e)
                ws.cell(row=r, column=head.index(e) + 1, value=_sig(v))
    buf = io.BytesIO()
    wb.save(buf)
    return {path: buf.getvalue()}
