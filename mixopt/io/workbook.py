"""Instance workbooks (.xlsx): an exchange format for planners, read and written.

One sheet per table of the instance (settings, products, alloys, materials, composition,
scenarios) and a README sheet listing every field with its unit, default and meaning —
generated from the field registry (``mixopt.io.schema``), never a second list. A workbook
reads into the very same ``Instance`` as TOML, through the same validation; problems
point at sheet and cell. Reading uses openpyxl with defusedxml (installed with mixopt)
after bounding the uncompressed size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from mixopt.errors import InputError, Problem
from mixopt.io.schema import (
    CONSTITUENT_TABLES,
    MATERIAL_COLUMNS,
    PRODUCT_COLUMNS,
    SETTINGS_KEYS,
    column_of,
    field_registry,
    flatten_record,
    nest,
)
from mixopt.io.spreadsheet import check_workbook_file, header, put
from mixopt.io.validate import MAX_ROWS, validate
from mixopt.io.variants import parse_value, toml_literal
from mixopt.io.write import constituent_columns, instance_dict
from mixopt.model.instance import Instance
from mixopt.model.paths import flatten, get_path, set_path

ALLOY_COLUMNS = ("alloy", "constituent", "min_wt_pct", "max_wt_pct")
AIM_COLUMNS = ("product", "constituent", "min_wt_pct", "max_wt_pct")
SCENARIO_COLUMNS = ("scenario", "path", "value")
TABLE_COLUMNS = {"products": PRODUCT_COLUMNS, "materials": MATERIAL_COLUMNS}


class WorkbookOrigin:
    """Where each value of a workbook came from: sheet, row and column per table row."""

    def __init__(self, path: Path) -> None:
        self.file = path
        self.rows: dict[tuple[str, int], tuple[int, dict[str, str]]] = {}
        self.settings: dict[str, int] = {}
        self.windows: dict[tuple[str, str, str], int] = {}  # (sheet, alloy|product, e) -> row
        self.constituents: dict[tuple[str, str], tuple[int, dict[str, str]]] = {}
        self.scenarios: dict[str, int] = {}

    def locate(self, loc: tuple[Any, ...], raw: dict[str, Any], msg: str) -> Problem:
        f = str(self.file)
        parts = list(loc)
        head = str(parts[0]) if parts else ""
        if head in TABLE_COLUMNS and len(parts) >= 2 and isinstance(parts[1], int):
            row, cols = self.rows.get((head, parts[1]), (None, {}))
            path = [str(p) for p in parts[2:]]
            if head == "materials" and path[:1] and path[0] in CONSTITUENT_TABLES \
                    and len(path) > 1:
                name = raw[head][parts[1]].get("name")
                crow, ccols = self.constituents.get((path[0], name), (None, {}))
                return Problem(f, msg, field=path[1], sheet=path[0],
                               cell=f"{ccols.get(path[1], '?')}{crow}" if crow else None)
            if head == "products" and path[:1] == ["aim"] and len(path) > 1:
                name = raw[head][parts[1]].get("name")
                row = self.windows.get(("aims", str(name), path[1]))
                return Problem(f, msg, field=f"{name}.{path[1]}", sheet="aims",
                               cell=f"C{row}" if row else None)
            col = column_of(path, TABLE_COLUMNS[head]) if path else "name"
            return Problem(f, msg, field=col, sheet=head,
                           cell=f"{cols.get(col, 'A')}{row}" if row else None)
        if head == "alloys" and len(parts) >= 3:
            row = self.windows.get(("alloys", str(parts[1]), str(parts[2])))
            return Problem(f, msg, field=f"{parts[1]}.{parts[2]}", sheet="alloys",
                           cell=f"C{row}" if row else None)
        if head == "scenarios" and len(parts) >= 2:
            return Problem(f, msg, sheet="scenarios",
                           cell=f"A{self.scenarios.get(str(parts[1]), '?')}")
        key = ".".join(str(p) for p in parts)
        row = self.settings.get(key)
        return Problem(f, msg, field=key or None, sheet="settings",
                       cell=f"B{row}" if row else None)


def _cell_value(v: Any) -> Any:
    if isinstance(v, str):
        v = v.strip()
        return v if v != "" else None
    return v


def _table(path: Path, sheets: dict[str, Any],
           name: str) -> list[tuple[int, dict[str, Any], dict[str, str]]]:
    """(Excel row, {header: value}, {header: column letter}) of every non-empty row."""
    if name not in sheets:
        return []
    rows = sheets[name].iter_rows(values_only=True)
    head = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    letters = {h: get_column_letter(i + 1) for i, h in enumerate(head) if h}
    out = []
    for r, values in enumerate(rows, start=2):
        rec = {h: _cell_value(v) for h, v in zip(head, values, strict=False) if h}
        if any(v is not None for v in rec.values()):
            out.append((r, rec, letters))
        if len(out) > MAX_ROWS:
            raise InputError([Problem(str(path), f"has more than {MAX_ROWS:,} rows",
                                      sheet=name)])
    return out


def read_workbook(path: str | Path) -> Instance:
    """Read and validate an instance workbook; every problem names sheet and cell."""
    path = Path(path)
    check_workbook_file(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a bad file
        raise InputError([Problem(str(path), f"is not a readable workbook: {exc}")]) from None
    sheets = {ws.title: ws for ws in wb.worksheets}
    missing = [s for s in ("settings", "products", "materials") if s not in sheets]
    if missing:
        raise InputError([Problem(str(path), f"has no sheet {s!r}", sheet=s) for s in missing])
    book = _Book(path, sheets, WorkbookOrigin(path), [])
    raw: dict[str, Any] = book.settings()
    for name, columns in TABLE_COLUMNS.items():
        raw[name] = book.records(name, columns)
    alloys = book.windows("alloys", "alloy")
    if alloys:
        raw["alloys"] = alloys
    by_product = {p.get("name"): p for p in raw["products"]}
    for product, aims in book.windows("aims", "product").items():
        if product in by_product:
            by_product[product]["aim"] = aims
        else:
            book.problem("aims", "A", book.origin.windows[("aims", product, next(iter(aims)))],
                         f"names product {product!r}, which the products sheet does not have")
    by_name = {m.get("name"): m for m in raw["materials"]}
    for table in CONSTITUENT_TABLES:
        book.constituents(table, by_name)
    scenarios = book.scenarios()
    if scenarios:
        raw["scenarios"] = scenarios
    return validate(raw, book.origin, book.problems)  # raises with every problem gathered


class _Book:
    """Reading the sheets of one workbook into the instance's nested mapping."""

    def __init__(self, path: Path, sheets: dict[str, Any], origin: WorkbookOrigin,
                 problems: list[Problem]) -> None:
        self.path, self.sheets, self.origin, self.problems = path, sheets, origin, problems

    def problem(self, sheet: str, column: str, row: int, message: str) -> None:
        self.problems.append(Problem(str(self.path), message, sheet=sheet,
                                     cell=f"{column}{row}"))

    def rows(self, name: str) -> list[tuple[int, dict[str, Any], dict[str, str]]]:
        return _table(self.path, self.sheets, name)

    def settings(self) -> dict[str, Any]:
        raw: dict[str, Any] = {}
        for r, rec, _ in self.rows("settings"):
            key, value = rec.get("key"), rec.get("value")
            if key is None:
                continue
            if key not in SETTINGS_KEYS:
                self.problem("settings", "A", r, f"unknown setting {key!r}; known: "
                                                 f"{list(SETTINGS_KEYS)}")
                continue
            self.origin.settings[key] = r
            if value is not None:
                set_path(raw, SETTINGS_KEYS[key], value)
        return raw

    def records(self, name: str, columns: dict[str, tuple[str, ...]]) -> list[dict[str, Any]]:
        rows = self.rows(name)
        if rows:
            unknown = [c for c in rows[0][2] if c not in columns]
            if unknown:
                self.problems.append(Problem(str(self.path), f"unknown columns {unknown}; "
                                                             f"known: {list(columns)}",
                                             sheet=name, cell="1"))
        for i, (r, _, letters) in enumerate(rows):
            self.origin.rows[(name, i)] = (r, letters)
        return [nest(rec, columns) for _, rec, _ in rows]

    def windows(self, sheet: str, owner: str) -> dict[str, dict[str, list[Any]]]:
        """A long sheet of windows (owner, constituent, min_wt_pct, max_wt_pct)."""
        out: dict[str, dict[str, list[Any]]] = {}
        for r, rec, _ in self.rows(sheet):
            a, e = rec.get(owner), rec.get("constituent")
            if a is None or e is None:
                self.problem(sheet, "A", r, f"{owner} and constituent are both needed")
                continue
            self.origin.windows[(sheet, str(a), str(e))] = r
            out.setdefault(str(a), {})[str(e)] = [rec.get("min_wt_pct"), rec.get("max_wt_pct")]
        return out

    def constituents(self, table: str, by_name: dict[str, dict[str, Any]]) -> None:
        """A wide sheet (material, then one column per constituent) into the records."""
        for r, rec, letters in self.rows(table):
            name = rec.pop("material", None)
            if name not in by_name:
                self.problem(table, "A", r, f"names material {name!r}, which the materials "
                                            "sheet does not have")
                continue
            self.origin.constituents[(table, name)] = (r, letters)
            by_name[name][table] = {k: v for k, v in rec.items() if v is not None}

    def scenarios(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for r, rec, _ in self.rows("scenarios"):
            name, p, v = rec.get("scenario"), rec.get("path"), rec.get("value")
            if name is None or p is None:
                self.problem("scenarios", "A", r, "scenario and path are both needed")
                continue
            self.origin.scenarios.setdefault(str(name), r)
            out.setdefault(str(name), {})[str(p)] = parse_value(v) if isinstance(v, str) else v
        return out


# -- writing -------------------------------------------------------------------------------


def _readme(wb: Workbook) -> None:
    from openpyxl.styles import Font

    ws = wb.create_sheet("README", 0)
    ws["A1"] = "mixopt instance workbook: one sheet per table; this sheet lists every field."
    ws["A2"] = ("Units are fixed: t, wt%, t CO2e per t, currency per t. Empty cells take the "
                "default. Text is text: formulas are not evaluated.")
    for c, n in enumerate(("sheet", "column", "unit", "default", "meaning"), start=1):
        ws.cell(row=4, column=c, value=n).font = Font(bold=True)
    for r, row in enumerate(field_registry(), start=5):
        for c, v in enumerate(row, start=1):
            put(ws, r, c, v)
    for col, width in zip("ABCDE", (12, 22, 16, 12, 80), strict=True):
        ws.column_dimensions[col].width = width


def _rows_sheet(wb: Workbook, title: str, columns: list[str], rows: list[list[Any]]) -> Any:
    ws = wb.create_sheet(title)
    header(ws, columns)
    for r, values in enumerate(rows, start=2):
        for c, v in enumerate(values, start=1):
            if v is not None and v != "":
                put(ws, r, c, v)
    return ws


def instance_workbook(instance: Instance | None = None) -> Workbook:
    """A workbook of ``instance`` (or an empty template with every sheet and header)."""
    wb = Workbook()
    wb.remove(wb.active)
    _readme(wb)
    raw = instance_dict(instance) if instance is not None else {}
    ws = _rows_sheet(wb, "settings", ["key", "value"],
                     [[k, get_path(raw, p)] for k, p in SETTINGS_KEYS.items()])
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 40
    _rows_sheet(wb, "products", list(PRODUCT_COLUMNS),
                [[p.get(c) for c in PRODUCT_COLUMNS] for p in raw.get("products", [])])
    _rows_sheet(wb, "alloys", list(ALLOY_COLUMNS),
                [[a, e, lo, hi] for a, lim in raw.get("alloys", {}).items()
                 for e, (lo, hi) in lim.items()])
    _rows_sheet(wb, "aims", list(AIM_COLUMNS),
                [[p["name"], e, lo, hi] for p in raw.get("products", [])
                 for e, (lo, hi) in p.get("aim", {}).items()])
    mats = raw.get("materials", [])
    _rows_sheet(wb, "materials", list(MATERIAL_COLUMNS),
                [list(flatten_record(m, MATERIAL_COLUMNS).values()) for m in mats])
    for table in CONSTITUENT_TABLES:
        els = constituent_columns(mats, table)
        _rows_sheet(wb, table, ["material", *els],
                    [[m["name"], *(m.get(table, {}).get(e) for e in els)] for m in mats])
    scenarios = instance.scenarios if instance is not None else {}
    _rows_sheet(wb, "scenarios", list(SCENARIO_COLUMNS),
                [[name, p, _scenario_cell(v)] for name, table in scenarios.items()
                 for p, v in flatten(table).items()])
    return wb


def _scenario_cell(v: Any) -> Any:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return v
    return toml_literal(v)  # read back by parse_value
