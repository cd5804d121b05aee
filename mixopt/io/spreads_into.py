"""Lab estimates into an instance, in its own form: ``mixopt spreads ... --into PATH``.

The means go into ``composition`` and the spreads into ``composition_sd`` of the
instance's materials, editing the planner's own files: a TOML in place with tomlkit
(comments and layout kept), the CSV tables its ``[files]`` name (wherever below the
instance they sit; their header spelling, units, separator and decimal mark kept), or the
cells of a workbook's own sheets and columns (``Mn [wt%]`` is the column of Mn; a column
in ppm gets ppm). A constituent the table has no column for gets one, 0 for the other
materials of a composition (a blank is not a value). Every file is first written to a
scratch copy of the instance and read back: it must validate and give exactly the
estimates written, or nothing of the user's is touched; then all files of the instance
are replaced as one update (``mixopt.io.atomic.replace_all``). In a multi-period
instance a material's estimate holds in every period.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from mixopt.errors import InputError, Problem
from mixopt.io.columns import Column, Vocabulary, instance_constituents, name_key, resolve
from mixopt.io.csvfile import SEP_LINE, read_raw
from mixopt.io.schema import CONSTITUENT_TABLES, PERIOD_COLUMN
from mixopt.io.spreads import Spreads, sig

_KEYS = {"material": "", PERIOD_COLUMN: ""}


def write_into(spreads: Spreads, path: Path, force: bool = False) -> list[Path]:
    """Put the estimates into the materials of the instance or workbook at ``path``;
    returns the files written. Nothing is written unless the result validates and reads
    back the estimates."""
    from mixopt.io.atomic import check_new, replace_all
    from mixopt.io.read import read
    from mixopt.io.write import horizon_document

    h = read(path)
    names = {m.name for m in h.first.materials}
    unknown = sorted(set(spreads.table.material) - names)
    if unknown:
        raise InputError([Problem(str(path), f"has no material {m!r} (named in the analyses)",
                                  "materials", row_name=m) for m in unknown])
    means, sds = spreads.of("mean_wt_pct"), spreads.of("sd_wt_pct")
    vocabulary = Vocabulary(instance_constituents(horizon_document(h)))
    if path.suffix.lower() == ".xlsx":
        new, inputs = _workbook_files(path, means, sds, vocabulary), [path]
    else:
        new, inputs = _toml_files(path, means, sds, vocabulary)
    for p in new:
        check_new(p, force, in_place=True)
    _check_in_scratch(path, new, inputs, means, sds)
    replace_all(new, force=True, in_place=True)
    return list(new)


def _check_in_scratch(path: Path, new: dict[Path, bytes], inputs: list[Path],
                      means: dict, sds: dict) -> None:
    """Read the instance as it will be, in a scratch copy (the same relative layout):
    its problems, named by the user's paths, stop the update; so does an estimate that
    does not read back as written."""
    from mixopt.io.read import read

    root = path.parent
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        for p in {*inputs, *new}:
            rel = p.resolve().relative_to(root.resolve())
            (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
            if p in new:
                (scratch / rel).write_bytes(new[p])
            elif p.exists():
                shutil.copy2(p, scratch / rel)
        try:
            h = read(scratch / path.name)
        except InputError as err:
            raise InputError([replace(q, file=q.file.replace(str(scratch), str(root)))
                              for q in err.problems]) from None
    for inst in h.instances:
        for m in inst.materials:
            for got, want in ((m.composition, means.get(m.name, {})),
                              (m.composition_sd, sds.get(m.name, {}))):
                for e, v in want.items():
                    if abs(got.get(e, 0.0) - sig(v)) > 1e-9 * max(1.0, abs(v)):
                        raise RuntimeError(f"{m.name} {e}: wrote {sig(v)}, read back "
                                           f"{got.get(e)}: the instance was not changed")


def _set_key(table: Any, e: str, value: float) -> None:
    """Set constituent ``e`` in a TOML table, in its place (a key spelled otherwise,
    ``MN``, is replaced by the canonical one)."""
    for k in [k for k in table if name_key(str(k)) == name_key(e) and k != e]:
        del table[k]
    table[e] = value


def _toml_files(path: Path, means: dict, sds: dict, vocabulary: Vocabulary,
                ) -> tuple[dict[Path, bytes], list[Path]]:
    """The TOML edited in place (tomlkit), or the constituent CSV tables it names; and
    every file the instance reads."""
    import tomlkit

    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    files = doc.get("files", {})
    inputs = [path, *(path.parent / str(v) for v in files.values())]
    out: dict[Path, bytes] = {}
    for table, values in (("composition", means), ("composition_sd", sds)):
        if "materials" in files or table in files:
            name = files.get(table) or f"{path.stem}.{table}.csv"
            if table not in files:
                doc.setdefault("files", tomlkit.table())[table] = name
            out[path.parent / str(name)] = _csv_table(path.parent / str(name), table, values,
                                                      vocabulary)
            continue
        for m in doc["materials"]:
            if m["name"] in values:
                inline = tomlkit.inline_table()
                inline.update(dict(m.get(table, {})))
                for e, v in values[m["name"]].items():
                    _set_key(inline, e, sig(v))
                m[table] = inline
    out[path] = tomlkit.dumps(doc).encode("utf-8")
    return out, inputs


def _text(v: float, comma: bool) -> str:
    s = repr(v)
    return s.replace(".", ",") if comma else s


def _in_unit(v: float, col: Column | None) -> float:
    """An estimate in wt% as its column's unit has it (ppm: times 10,000)."""
    return sig(v) if col is None or col.factor == 1 else float(Fraction(sig(v)) / col.factor)


def _csv_table(path: Path, table: str, values: dict[str, dict[str, float]],
               vocabulary: Vocabulary) -> bytes:
    """A wide constituent CSV with ``values`` merged into its rows, in its own header
    spelling, units, separator and decimal mark (new rows and columns added as needed)."""
    sep_line, delimiter, comma, header, rows = None, ",", False, ["material"], []
    if path.exists():
        problems: list[Problem] = []
        raw = read_raw(path, table, problems)
        if raw is None or raw.row_problems:
            raise InputError(problems + (raw.row_problems if raw else []))
        delimiter, comma = raw.delimiter, raw.decimal_comma
        text = path.read_text(encoding="utf-8-sig")
        first, _, rest = text.partition("\n")
        if SEP_LINE.match(first.strip().strip('"')):
            sep_line, text = first, rest
        cells = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                                strict=True))
        header, rows = (cells[0], cells[1:]) if cells else (["material"], [])
    head = resolve(enumerate(header), _KEYS, constituents=vocabulary)
    if head.problems:
        raise InputError([Problem(str(path), msg, table, field=h) for _, h, msg in
                          head.problems])
    by = {c.name: c for c in head.columns}
    key = by["material"].index if "material" in by else 0
    for material, vals in values.items():
        mine = [r for r in rows if len(r) > key and r[key].strip() == material]
        if not mine:
            mine = [[""] * len(header)]
            mine[0][key] = material
            rows.append(mine[0])
        for e, v in vals.items():
            if e not in by:
                header.append(e)
                by[e] = Column(len(header) - 1, e, e, "wt%", None, Fraction(1))
                for r in rows:
                    if any(c.strip() for c in r):
                        r.extend([""] * (len(header) - len(r)))
                        r[-1] = "0" if table == "composition" else ""
            for r in mine:
                r.extend([""] * (len(header) - len(r)))
                r[by[e].index] = _text(_in_unit(v, by[e]), comma)
    buf = io.StringIO()
    if sep_line is not None:
        buf.write(sep_line + "\n")
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _workbook_files(path: Path, means: dict, sds: dict,
                    vocabulary: Vocabulary) -> dict[Path, bytes]:
    """The workbook with its own constituent sheets' cells edited (openpyxl): each
    estimate in the column its header names, in that column's unit."""
    from openpyxl import load_workbook

    from mixopt.io.sheets import find_sheet
    from mixopt.io.spreadsheet import header, put

    wb = load_workbook(path)
    for table, values in zip(CONSTITUENT_TABLES, (means, sds), strict=True):
        title = find_sheet(wb.sheetnames, table)
        if title is None:
            header(wb.create_sheet(table), ["material"])
            title = table
        ws = wb[title]
        first = [(c.column, c.value) for c in ws[1] if c.value is not None]
        head = resolve(first, _KEYS, constituents=vocabulary)
        if head.problems or not head.has("material"):
            raise InputError([Problem(str(path), msg, sheet=title, row=1, field=h) for _, h, msg
                              in head.problems] or [Problem(str(path), "has no 'material' "
                                                                       "column", sheet=title)])
        by = {c.name: c for c in head.columns}
        unit = next((c.given for c in head.columns if c.name not in _KEYS and c.given), None)
        key = by["material"].index
        rows: dict[str, list[int]] = {}
        for (r, c), cell in ws._cells.items():
            if c == key and r > 1 and isinstance(cell.value, str):
                rows.setdefault(cell.value.strip(), []).append(r)
        used = sorted({r for rs in rows.values() for r in rs})
        last = max([1, *(r for (r, _) in ws._cells)])
        for material, vals in values.items():
            if material not in rows:
                last += 1
                put(ws, last, key, material)
                rows[material] = [last]
                used.append(last)
            for e, v in vals.items():
                if e not in by:
                    col = max([0, *(c for (_, c) in ws._cells)]) + 1
                    put(ws, 1, col, f"{e} [{unit}]" if unit else e)
                    by[e] = resolve([(col, ws.cell(row=1, column=col).value)], {},
                                    constituents=vocabulary).columns[0]
                    if table == "composition":
                        for r in used:
                            ws.cell(row=r, column=col, value=0)
                for r in rows[material]:
                    ws.cell(row=r, column=by[e].index, value=_in_unit(v, by[e]))
    buf = io.BytesIO()
    wb.save(buf)
    return {path: buf.getvalue()}
