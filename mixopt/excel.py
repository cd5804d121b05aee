"""Excel workbooks: instances in and out (an exchange format), and results workbooks.

One sheet per table of the instance (settings, products, alloys, materials, composition,
scenarios) and a README sheet listing every field with its unit, default and meaning,
generated from the field registry in ``mixopt.instance`` — never a second list.
A workbook reads into the very same ``Instance`` as TOML, through the same validation;
problems point at sheet and cell. Reading uses openpyxl with defusedxml (installed with
mixopt) after bounding the uncompressed size.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from pydantic import BaseModel

from mixopt.errors import InputError, Problem
from mixopt.instance import Available, Casting, Footprint, Instance, Material, Objective, Product
from mixopt.read import CSV_COLUMNS, MAX_FILE_BYTES, MAX_ROWS, _validate
from mixopt.scenario import check_scenarios, parse_value

#: Workbooks above this uncompressed size are refused (a zip bomb guard).
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
SETTINGS_KEYS = ("name", "description", "currency", "scrap_method", "objective.minimise", "objective.scope",
                 "objective.footprint_cap", "objective.carbon_price", "casting.footprint.full",
                 "casting.footprint.scope12", "casting.source")
PRODUCT_COLUMNS = tuple(Product.model_fields)
ALLOY_COLUMNS = ("alloy", "constituent", "min_wt_pct", "max_wt_pct")
SCENARIO_COLUMNS = ("scenario", "path", "value")
_BOLD = Font(bold=True)


# -- the registry as rows ------------------------------------------------------------------


def _rows(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str, str, str]]:
    out = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        sub = {"footprint": Footprint, "available": Available}.get(key)
        if sub is not None and model in (Material, Casting):
            out += _rows(sub, f"{prefix}{key}_" if model is Material else f"{prefix}{key}.")
            continue
        default = "required" if info.is_required() else (
            "" if info.default is None else str(info.default))
        out.append((f"{prefix}{key}", str(extra.get("unit", "")), default,
                    info.description or ""))
    return out


def field_registry() -> list[tuple[str, str, str, str, str]]:
    """(sheet, column, unit, default, meaning) for every field of every sheet."""
    top = {k: v for k, v in Instance.model_fields.items()}
    rows = [("settings", k, str((top[k].json_schema_extra or {}).get("unit", "")),
             "required" if top[k].is_required() else str(top[k].default),
             top[k].description or "") for k in ("name", "description", "currency",
                                                 "scrap_method")]
    rows += [("settings", f"objective.{c}", u, d, m) for c, u, d, m in _rows(Objective)]
    rows += [("settings", f"casting.{c}", u, d, m) for c, u, d, m in _rows(Casting)]
    rows += [("products", c, u, d, m) for c, u, d, m in _rows(Product)]
    rows += [("alloys", "alloy", "", "required", "alloy name (as products.alloy)"),
             ("alloys", "constituent", "", "required", "constituent (free identifier)"),
             ("alloys", "min_wt_pct", "wt%", "required", "least content in the slab"),
             ("alloys", "max_wt_pct", "wt%", "required", "most content in the slab")]
    rows += [("materials", c, u, d, m) for c, u, d, m in _rows(Material)
             if c != "composition"]
    rows += [("composition", "material", "", "required", "material name (as materials.name)"),
             ("composition", "<constituent>", "wt%", "0",
              "one column per constituent: wt% in the recovered metal")]
    rows += [("scenarios", "scenario", "", "required", "scenario name"),
             ("scenarios", "path", "", "required",
              "field to override, e.g. materials.INERTA.available.max"),
             ("scenarios", "value", "", "required", "new value (number, text, or [min, max])")]
    return rows


# -- reading -------------------------------------------------------------------------------


class _Origin:
    """Where each value of a workbook came from: sheet, row and column per table row."""

    def __init__(self, path: Path) -> None:
        self.toml = path  # the name read._validate uses for instance-level problems
        self.rows: dict[tuple[str, int], tuple[int, dict[str, str]]] = {}
        self.settings: dict[str, int] = {}
        self.alloys: dict[tuple[str, str], int] = {}
        self.composition: dict[str, tuple[int, dict[str, str]]] = {}
        self.scenarios: dict[str, int] = {}

    def locate(self, loc: tuple[Any, ...], raw: dict[str, Any], msg: str) -> Problem:
        f = str(self.toml)
        parts = list(loc)
        head = str(parts[0]) if parts else ""
        if head in ("materials", "products") and len(parts) >= 2 and isinstance(parts[1], int):
            row, cols = self.rows.get((head, parts[1]), (None, {}))
            path = [str(p) for p in parts[2:]]
            if head == "materials" and path[:1] == ["composition"] and len(path) > 1:
                name = raw[head][parts[1]].get("name")
                crow, ccols = self.composition.get(name, (None, {}))
                return Problem(f, msg, field=path[1], sheet="composition",
                               cell=f"{ccols.get(path[1], '?')}{crow}" if crow else None)
            col = _column_of(head, path)
            return Problem(f, msg, field=col, sheet=head,
                           cell=f"{cols.get(col, 'A')}{row}" if row else None)
        if head == "alloys" and len(parts) >= 3:
            row = self.alloys.get((str(parts[1]), str(parts[2])))
            return Problem(f, msg, field=f"{parts[1]}.{parts[2]}", sheet="alloys",
                           cell=f"C{row}" if row else None)
        if head == "scenarios" and len(parts) >= 2:
            return Problem(f, msg, sheet="scenarios",
                           cell=f"A{self.scenarios.get(str(parts[1]), '?')}")
        key = ".".join(str(p) for p in parts)
        row = self.settings.get(key)
        return Problem(f, msg, field=key or None, sheet="settings",
                       cell=f"B{row}" if row else None)


def _column_of(table: str, path: list[str]) -> str:
    if table == "materials":
        for col, p in CSV_COLUMNS.items():
            if tuple(path[: len(p)]) == p:
                return col
    return path[0] if path else "name"


def _cell_value(v: Any) -> Any:
    if isinstance(v, str):
        v = v.strip()
        return v if v != "" else None
    return v


def _check_size(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError([Problem(str(path), f"cannot be read: {exc.strerror or exc}")]) \
            from None
    if size > MAX_FILE_BYTES:
        raise InputError([Problem(str(path), f"is {size:,} bytes, over the limit of "
                                             f"{MAX_FILE_BYTES:,}")])
    try:
        with zipfile.ZipFile(path) as z:
            total = sum(i.file_size for i in z.infolist())
    except zipfile.BadZipFile:
        raise InputError([Problem(str(path), "is not an .xlsx workbook")]) from None
    if total > MAX_UNCOMPRESSED_BYTES:
        raise InputError([Problem(str(path), f"unpacks to {total:,} bytes, over the limit of "
                                             f"{MAX_UNCOMPRESSED_BYTES:,}")])


def read_workbook(path: str | Path) -> Instance:
    """Read and validate an instance workbook; every problem names sheet and cell."""
    path = Path(path)
    _check_size(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a bad file
        raise InputError([Problem(str(path), f"is not a readable workbook: {exc}")]) from None
    origin = _Origin(path)
    problems: list[Problem] = []
    sheets = {ws.title: ws for ws in wb.worksheets}
    missing = [s for s in ("settings", "products", "materials") if s not in sheets]
    if missing:
        raise InputError([Problem(str(path), f"has no sheet {s!r}", sheet=s) for s in missing])

    def table(name: str) -> list[tuple[int, dict[str, Any], dict[str, str]]]:
        if name not in sheets:
            return []
        rows = sheets[name].iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
        letters = {h: get_column_letter(i + 1) for i, h in enumerate(header) if h}
        out = []
        for r, values in enumerate(rows, start=2):
            rec = {h: _cell_value(v) for h, v in zip(header, values, strict=False) if h}
            if any(v is not None for v in rec.values()):
                out.append((r, rec, letters))
            if len(out) > MAX_ROWS:
                raise InputError([Problem(str(path), f"has more than {MAX_ROWS:,} rows",
                                          sheet=name)])
        return out

    raw: dict[str, Any] = {}
    for r, rec, _ in table("settings"):
        key, value = rec.get("key"), rec.get("value")
        if key is None:
            continue
        if key not in SETTINGS_KEYS:
            problems.append(Problem(str(path), f"unknown setting {key!r}; known: "
                                               f"{list(SETTINGS_KEYS)}", sheet="settings",
                                    cell=f"A{r}"))
            continue
        origin.settings[key] = r
        if value is None:
            continue
        node = raw
        *parents, leaf = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value

    for name, columns in (("products", PRODUCT_COLUMNS), ("materials", tuple(CSV_COLUMNS))):
        rows = table(name)
        if rows:
            unknown = [c for c in rows[0][2] if c not in columns]
            if unknown:
                problems.append(Problem(str(path), f"unknown columns {unknown}; known: "
                                                   f"{list(columns)}", sheet=name, cell="1"))
        recs = []
        for i, (r, rec, letters) in enumerate(rows):
            origin.rows[(name, i)] = (r, letters)
            out: dict[str, Any] = {}
            for col, value in rec.items():
                if value is None or col not in columns:
                    continue
                if name == "materials":
                    *parents, leaf = CSV_COLUMNS[col]
                    node = out
                    for p in parents:
                        node = node.setdefault(p, {})
                    node[leaf] = value
                else:
                    out[col] = value
            recs.append(out)
        raw[name] = recs

    alloys: dict[str, dict[str, list[Any]]] = {}
    for r, rec, _ in table("alloys"):
        a, e = rec.get("alloy"), rec.get("constituent")
        if a is None or e is None:
            problems.append(Problem(str(path), "alloy and constituent are both needed",
                                    sheet="alloys", cell=f"A{r}"))
            continue
        origin.alloys[(str(a), str(e))] = r
        alloys.setdefault(str(a), {})[str(e)] = [rec.get("min_wt_pct"), rec.get("max_wt_pct")]
    if alloys:
        raw["alloys"] = alloys

    by_name = {m.get("name"): m for m in raw.get("materials", [])}
    for r, rec, letters in table("composition"):
        name = rec.pop("material", None)
        if name not in by_name:
            problems.append(Problem(str(path), f"names material {name!r}, which the materials "
                                               "sheet does not have", sheet="composition",
                                    cell=f"A{r}"))
            continue
        origin.composition[name] = (r, letters)
        by_name[name]["composition"] = {k: v for k, v in rec.items() if v is not None}

    scenarios: dict[str, dict[str, Any]] = {}
    for r, rec, _ in table("scenarios"):
        name, p, v = rec.get("scenario"), rec.get("path"), rec.get("value")
        if name is None or p is None:
            problems.append(Problem(str(path), "scenario and path are both needed",
                                    sheet="scenarios", cell=f"A{r}"))
            continue
        origin.scenarios.setdefault(str(name), r)
        scenarios.setdefault(str(name), {})[str(p)] = parse_value(v) if isinstance(v, str) \
            else v
    if scenarios:
        raw["scenarios"] = scenarios
    instance = _validate(raw, origin, problems)  # raises with every problem gathered
    more = check_scenarios(instance, str(path))
    if more:
        raise InputError(more)
    return instance


# -- writing -------------------------------------------------------------------------------


def _put(ws: Any, row: int, col: int, value: Any, literal: bool = True) -> None:
    """Write a cell; text is stored as text (never read back as a formula)."""
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and literal:
        cell.data_type = "s"


def _header(ws: Any, names: list[str]) -> None:
    for c, n in enumerate(names, start=1):
        _put(ws, 1, c, n)
        ws.cell(row=1, column=c).font = _BOLD
    ws.freeze_panes = "A2"


def _readme(wb: Workbook) -> None:
    ws = wb.create_sheet("README", 0)
    ws["A1"] = "mixopt instance workbook: one sheet per table; this sheet lists every field."
    ws["A2"] = ("Units are fixed: t, wt%, t CO2e per t, currency per t. Empty cells take the "
                "default. Text is text: formulas are not evaluated.")
    for c, n in enumerate(("sheet", "column", "unit", "default", "meaning"), start=1):
        ws.cell(row=4, column=c, value=n).font = _BOLD
    for r, row in enumerate(field_registry(), start=5):
        for c, v in enumerate(row, start=1):
            _put(ws, r, c, v)
    for col, width in zip("ABCDE", (12, 22, 16, 12, 80), strict=True):
        ws.column_dimensions[col].width = width


def instance_workbook(instance: Instance | None = None) -> Workbook:
    """A workbook of ``instance`` (or an empty template with every sheet and header)."""
    from mixopt.write import _flat, instance_dict

    wb = Workbook()
    wb.remove(wb.active)
    _readme(wb)
    raw = instance_dict(instance) if instance is not None else {}
    ws = wb.create_sheet("settings")
    _header(ws, ["key", "value"])
    for r, key in enumerate(SETTINGS_KEYS, start=2):
        _put(ws, r, 1, key)
        node: Any = raw
        for k in key.split("."):
            node = node.get(k) if isinstance(node, dict) else None
        if node is not None:
            _put(ws, r, 2, node)
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 40
    ws = wb.create_sheet("products")
    _header(ws, list(PRODUCT_COLUMNS))
    for r, p in enumerate(raw.get("products", []), start=2):
        for c, col in enumerate(PRODUCT_COLUMNS, start=1):
            if col in p:
                _put(ws, r, c, p[col])
    ws = wb.create_sheet("alloys")
    _header(ws, list(ALLOY_COLUMNS))
    r = 2
    for a, lim in raw.get("alloys", {}).items():
        for e, (lo, hi) in lim.items():
            for c, v in enumerate((a, e, lo, hi), start=1):
                _put(ws, r, c, v)
            r += 1
    ws = wb.create_sheet("materials")
    _header(ws, list(CSV_COLUMNS))
    mats = raw.get("materials", [])
    for r, m in enumerate(mats, start=2):
        for c, (col, v) in enumerate(_flat(m).items(), start=1):
            if v != "":
                _put(ws, r, c, v)
    ws = wb.create_sheet("composition")
    els: dict[str, None] = {}
    for m in mats:
        els.update(dict.fromkeys(m.get("composition", {})))
    _header(ws, ["material", *els])
    for r, m in enumerate(mats, start=2):
        _put(ws, r, 1, m["name"])
        for c, e in enumerate(els, start=2):
            if e in m.get("composition", {}):
                _put(ws, r, c, m["composition"][e])
    ws = wb.create_sheet("scenarios")
    _header(ws, list(SCENARIO_COLUMNS))
    r = 2
    if instance is not None:
        from mixopt.scenario import flatten

        for name, table in instance.scenarios.items():
            for p, v in flatten(table).items():
                for c, val in enumerate((name, p, _scenario_text(v)), start=1):
                    _put(ws, r, c, val)
                r += 1
    return wb


def _scenario_text(v: Any) -> Any:
    import tomli_w

    if isinstance(v, int | float) and not isinstance(v, bool):
        return v
    return tomli_w.dumps({"v": v})[4:].strip()  # a TOML literal, read back by parse_value


def save(wb: Workbook, path: Path, force: bool = False) -> None:
    """Save atomically; never over an existing file unless ``force``."""
    import os

    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; pass --force to replace it")
    if not path.parent.is_dir():
        raise FileNotFoundError(2, "the folder does not exist", str(path.parent))
    tmp = path.with_name(f".{path.stem}.partial.xlsx")
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# -- results -------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@")
_BINDING = PatternFill("solid", fgColor="FFE08A")


def _safe(v: Any) -> Any:
    if isinstance(v, str) and v.startswith(_FORMULA_START):
        return "'" + v
    return v


def _frame_sheet(wb: Workbook, title: str, df: Any) -> Any:
    ws = wb.create_sheet(title)
    _header(ws, [str(c) for c in df.columns])
    for r, row in enumerate(df.itertuples(index=False), start=2):
        for c, v in enumerate(row, start=1):
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            ws.cell(row=r, column=c, value=_safe(v.item() if hasattr(v, "item") else v))
    for c in range(1, len(df.columns) + 1):
        ws.column_dimensions[get_column_letter(c)].width = 18
    return ws


def results_workbook(result: Any) -> Workbook:
    """Summary, mix, chemistry against limits (binding cells highlighted), footprint by
    material and kind, sensitivity; every text cell safe from formula injection."""
    import pandas as pd

    from mixopt.report import footprint_by_kind, materials_sensitivity, mix_table, to_json_dict

    doc = to_json_dict(result)
    wb = Workbook()
    ws = wb.active
    ws.title = "summary"
    rows = [("instance", doc["instance"]), ("status", doc["status"]),
            ("message", doc["message"]), ("minimise", doc["objective"]["minimise"]),
            ("scope", doc["objective"]["scope"]),
            ("objective", doc["objective"]["value"]), ("unit", doc["objective"]["unit"]),
            ("footprint cap (t CO2e/t)", doc["objective"]["footprint_cap"])]
    rows += [(k, v) for k, v in (doc["totals"] or {}).items()]
    for r, (k, v) in enumerate(rows, start=1):
        ws.cell(row=r, column=1, value=_safe(k)).font = _BOLD
        ws.cell(row=r, column=2, value=_safe(v))
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 40
    ev = result.evaluation
    if ev is None:
        return wb
    _frame_sheet(wb, "mix", mix_table(result))
    d = ev.arrays
    chem = []
    for p, prod in enumerate(result.instance.products):
        bind = ev.binding(p)
        for e in range(len(d.constituents)):
            if d.limited[p, e]:
                el = d.constituents[e]
                chem.append({"product": prod.name, "constituent": el,
                             "min_wt_pct": d.limit_min_wt_pct[p, e],
                             "achieved_wt_pct": ev.composition_wt_pct[p, e],
                             "max_wt_pct": d.limit_max_wt_pct[p, e],
                             "binding": bind.get(el, "")})
    cws = _frame_sheet(wb, "chemistry", pd.DataFrame(chem))
    for r, row in enumerate(chem, start=2):
        if row["binding"]:
            for c in range(1, 7):
                cws.cell(row=r, column=c).fill = _BINDING
    fp = mix_table(result)
    if len(fp):
        foot = dict(zip(d.materials, d.footprint_t_co2e_per_t, strict=True))
        fp["footprint_t"] = [t * foot[m] for m, t in zip(fp.material, fp.tonnes, strict=True)]
        _frame_sheet(wb, "footprint by material", fp.drop(columns="share"))
    _frame_sheet(wb, "footprint by kind", footprint_by_kind(result))
    if result.duals is not None:
        _frame_sheet(wb, "shadow prices", result.duals)
    if result.columns is not None:
        _frame_sheet(wb, "material sensitivity", materials_sensitivity(result))
    return wb


def frame_workbook(sheets: dict[str, Any]) -> Workbook:
    """A workbook of plain tables (for pareto and compare)."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, df in sheets.items():
        _frame_sheet(wb, title, df)
    return wb
