"""Reading instance workbooks (.xlsx), the planners' exchange format (the template and the
writer are ``mixopt.io.template``).

One sheet per table of the instance (settings, products, alloys, aims, materials,
composition, composition_sd, scenarios) and a README sheet listing every field with its
unit, default and meaning — generated from the field registry (``mixopt.io.schema``),
never a second list. A workbook reads into the very same ``Instance`` as TOML, through
the same validation; every cell is read as the planner meant it (``mixopt.io.sheets``:
headers and units by ``mixopt.io.columns``) or refused, naming sheet, column, Excel row
and cell. Sheets are found whatever their case; a missing sheet or a header row that
cannot be found is said once, without the problems that would follow from it. Reading
uses openpyxl with defusedxml (installed with mixopt) after bounding the uncompressed
size and the rows of every sheet.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from mixopt.errors import InputError, Problem
from mixopt.io.book_origin import KEYED_SHEETS, WorkbookOrigin
from mixopt.io.columns import (
    BLANK_ROW,
    Blanks,
    Vocabulary,
    closest,
    few,
    instance_constituents,
    name_key,
)
from mixopt.io.periods import read_plan
from mixopt.io.schema import (
    CONSTITUENT_TABLES,
    HORIZON_MATERIAL_COLUMNS,
    LIST_COLUMNS,
    MATERIAL_COLUMNS,
    NAMED_SHEETS,
    PERIOD_COLUMN,
    PERIODS_KEY,
    PROCESS_INPUT_COLUMNS,
    PRODUCT_COLUMNS,
    SETTINGS_KEYS,
    material_units,
    nest,
    required,
    units,
)
from mixopt.io.sheets import (
    ANY,
    TEXT,
    Row,
    SheetReader,
    find_sheet,
    formula_cells,
    scan_sheets,
    setting_value,
)
from mixopt.io.spreadsheet import check_workbook_file
from mixopt.io.validate import MAX_ROWS
from mixopt.io.variants import parse_value
from mixopt.model.schema.horizon import Horizon
from mixopt.model.schema.instance import Instance, Material, Product
from mixopt.model.schema.paths import set_path

ALLOY_COLUMNS = ("alloy", "constituent", "min_wt_pct", "max_wt_pct")
AIM_COLUMNS = ("product", "constituent", "min_wt_pct", "max_wt_pct")
SCENARIO_COLUMNS = ("scenario", "path", "value")
TABLE_COLUMNS = {"products": PRODUCT_COLUMNS, "materials": MATERIAL_COLUMNS,
                 **{t: NAMED_SHEETS[t][1] for t in ("processes", "capacities", "rules")}}
TABLE_MODELS = {"products": Product, "materials": Material,
                **{t: NAMED_SHEETS[t][0] for t in ("processes", "capacities", "rules")}}
SETTINGS_UNITS = units(Instance, SETTINGS_KEYS)
#: Settings the README sheet marks required: their rows must be there, their cells filled.
SETTINGS_REQUIRED = required(Instance, SETTINGS_KEYS)
WINDOW_UNITS = {"min_wt_pct": "wt%", "max_wt_pct": "wt%"}
#: Sheets every workbook needs (composition as soon as it has materials).
REQUIRED_SHEETS = ("settings", "products", "materials", "composition")

log = logging.getLogger(__name__)


def read_workbook(path: str | Path) -> Horizon:
    """Read and validate an instance workbook; every problem names sheet, column, Excel row
    and cell."""
    path = Path(path)
    check_workbook_file(path)
    try:
        scans = scan_sheets(path)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a bad file
        raise InputError([Problem(str(path), f"is not a readable workbook: {exc}")]) from None
    big = [title for title, scan in scans.items() if scan.rows > MAX_ROWS + 1]
    if big:
        raise InputError([Problem(str(path), f"has more than {MAX_ROWS:,} rows (blank rows "
                                             "count: a formatted empty row is a row of the "
                                             "file): delete the rows below the table, or move "
                                             "the sheet to another file", sheet=title)
                          for title in big])
    try:  # normal mode: every row, whatever the sheet's stored dimension claims
        values = load_workbook(path, data_only=True)
        formulas = {title: formula_cells(path, title) if scan.formulas else {}
                    for title, scan in scans.items()}
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a bad file
        raise InputError([Problem(str(path), f"is not a readable workbook: {exc}")]) from None
    book = _Book(path, values, formulas)
    book.require()
    raw: dict[str, Any] = book.settings()
    book.periods = raw.get("periods")
    book.currency = str(raw.get("currency", "USD"))
    for name, columns in TABLE_COLUMNS.items():
        raw[name] = book.records(name, columns)
    book.process_inputs(raw["processes"])
    for sheet in KEYED_SHEETS:
        raw[sheet] = book.keyed_records(sheet)
    alloys = book.windows("alloys", "alloy")
    if alloys:
        raw["alloys"] = alloys
    book.aims(raw["products"])
    vocabulary = Vocabulary(instance_constituents(raw))
    for table in CONSTITUENT_TABLES:
        book.constituents(table, raw["materials"], vocabulary)
    scenarios = book.scenarios()
    if scenarios:
        raw["scenarios"] = scenarios
    if book.structural:  # a sheet not found: what follows from it is noise
        raise InputError(book.structural)
    return read_plan(raw, book.origin, book.problems)  # raises with every problem gathered


class _Book:
    """Reading the sheets of one workbook into the instance's nested mapping."""

    def __init__(self, path: Path, values: Any, formulas: Any) -> None:
        self.path, self.values, self.formulas = path, values, formulas
        self.origin = WorkbookOrigin(path)
        self.problems: list[Problem] = []
        self.structural: list[Problem] = []  # sheets or header rows not found
        self.periods: list[str] | None = None  # a multi-period workbook's periods
        self.currency = "USD"

    def require(self) -> None:
        for name in REQUIRED_SHEETS:
            if find_sheet(self.values.sheetnames, name) is None:
                near = closest(name, self.values.sheetnames)
                hint = f" (is {near!r} it? name it {name!r})" if near else ""
                self.structural.append(Problem(
                    str(self.path), f"has no sheet {name!r}{hint}; its sheets are "
                                    f"{self.values.sheetnames}", sheet=name))
        if self.structural:
            raise InputError(self.structural)

    def sheet(self, name: str, fields: dict[str, str], key: str,
              constituents: Vocabulary | None = None) -> SheetReader | None:
        title = find_sheet(self.values.sheetnames, name)
        if title is None:
            return None
        self.origin.titles[name] = title
        before = len(self.problems)
        ws = SheetReader(self.path, title, self.values[title], self.formulas.get(title, {}),
                         fields, key, self.problems, constituents=constituents,
                         currency=self.currency)
        if not ws.found:
            self.structural += self.problems[before:]
            del self.problems[before:]
            return None
        self.origin.letters[name] = ws.letters
        return ws

    def settings(self) -> dict[str, Any]:
        raw: dict[str, Any] = {}
        ws = self.sheet("settings", {"key": TEXT, "value": ANY, "unit": TEXT}, "key")
        keys = {name_key(k): k for k in (*SETTINGS_KEYS, PERIODS_KEY)}
        rows = []
        for row in ws.rows("key") if ws else ():
            typed = row.values.get("key")
            if typed is None:
                continue
            key = keys.get(name_key(str(typed)))
            if key is None:
                near = closest(str(typed), list(SETTINGS_KEYS))
                ws.problem(f"unknown setting {typed!r}" + (f"; did you mean {near!r}?" if near
                                                           else "") +
                           f" (known: {', '.join(SETTINGS_KEYS)})", row.number, "key", typed)
                continue
            if key in self.origin.settings:
                ws.problem(f"a second row for the setting {key!r} (first in row "
                           f"{self.origin.settings[key]})", row.number, "key", key)
                continue
            self.origin.settings[key] = row.number
            rows.append((key, row))
        currency = next((r.values.get("value") for k, r in rows if k == "currency"), None)
        self.currency = currency if isinstance(currency, str) else "USD"
        for key, row in rows:
            value = row.values.get("value")
            if key == PERIODS_KEY:  # "2027-01, 2027-02, 2027-03"
                raw["periods"] = [v.strip() for v in str(value or "").split(",") if v.strip()]
                continue
            value = setting_value(ws, row, key, value, SETTINGS_UNITS.get(key, TEXT),
                                  self.currency)
            if value is None:
                if key in SETTINGS_REQUIRED:
                    ws.problem("is blank, but required (the README sheet lists it as "
                               "required): type a value", row.number, "value", key)
                continue
            set_path(raw, SETTINGS_KEYS[key], value)
        if ws is not None:
            for key in sorted(SETTINGS_REQUIRED - set(self.origin.settings)):
                self.problems.append(Problem(str(self.path), f"has no row for the required "
                                                             f"setting {key!r}: add it",
                                             sheet=ws.name))
        return raw

    def records(self, name: str, columns: dict[str, tuple[str, ...]]) -> list[dict[str, Any]]:
        if self.periods is not None:  # long tables: a period column, and the linking fields
            columns = {**(HORIZON_MATERIAL_COLUMNS if name == "materials" else columns),
                       PERIOD_COLUMN: (PERIOD_COLUMN,)}
        own = {c: p for c, p in columns.items() if c != PERIOD_COLUMN}
        fields = (material_units(own) if name == "materials" else
                  units(TABLE_MODELS[name], own))
        if self.periods is not None:
            fields[PERIOD_COLUMN] = TEXT
        ws = self.sheet(name, fields, "name")
        if ws is None:
            return []
        absent = [c for c in fields if c not in ws.names() and c != PERIOD_COLUMN]
        if absent:  # the template writes every column: one missing was deleted
            log.warning("%s, sheet '%s': no column %s; every row takes the default of each "
                        "(the README sheet lists them)", self.path, ws.name, few(absent, 8))
        rows = list(ws.rows("name"))
        values = [row.values for row in rows]
        if self.periods is not None:
            from mixopt.io.periods import fold_long

            for v in values:
                v[PERIOD_COLUMN] = _period_text(v.get(PERIOD_COLUMN), self.periods)

            def locate(i: int, column: str, msg: str, rows: list = rows) -> Problem:
                row = rows[i - 1]
                return self.origin._at(msg, name, row.number, column, row.letters.get(column),
                                       str(row.values.get("name")))

            values, first = fold_long(values, self.periods, locate, self.problems)
            rows = [rows[k - 1] for k in first]
        out = []
        for i, (row, vals) in enumerate(zip(rows, values, strict=True)):
            self.origin.rows[(name, i)] = row
            rec = nest(vals, columns)
            for table, col in LIST_COLUMNS:  # "ALLOW, Green Power" -> a list of names
                if table == name and isinstance(rec.get(col), str):
                    rec[col] = [v.strip() for v in rec[col].split(",") if v.strip()]
            out.append(rec)
        return out

    def keyed_records(self, sheet: str) -> dict[str, dict[str, Any]]:
        """A sheet of records keyed by their name (power sources, labels)."""
        model, columns = NAMED_SHEETS[sheet]
        fields = {"name": TEXT, **units(model, {c: p for c, p in columns.items()
                                                 if c != "name"})}
        ws = self.sheet(sheet, fields, "name")
        out: dict[str, dict[str, Any]] = {}
        for row in ws.rows("name") if ws else ():
            name = row.values.get("name")
            if name is None:
                ws.problem("the name is needed", row.number, "name")
                continue
            if (sheet, str(name)) in self.origin.keyed:
                first = self.origin.keyed[(sheet, str(name))].number
                ws.problem(f"duplicate name {name!r} (first used in row {first})", row.number,
                           "name", str(name))
                continue
            self.origin.keyed[(sheet, str(name))] = row
            out[str(name)] = nest({k: v for k, v in row.values.items() if k != "name"},
                                  columns)
        return out

    def process_inputs(self, processes: list[dict[str, Any]]) -> None:
        """The long sheet (process, material, t_per_t) into each process's inputs."""
        by_name = {p.get("name"): p for p in processes}
        ws = self.sheet("process_inputs", {"process": TEXT, "material": TEXT,
                                           "t_per_t": "t/t"}, "process")
        for row in ws.rows("process") if ws else ():
            name, mat, t = (row.values.get(k) for k in PROCESS_INPUT_COLUMNS)
            if name not in by_name:
                ws.problem(f"names process {name!r}, which the processes sheet does not have",
                           row.number, "process", name)
                continue
            if mat is None or t is None:
                ws.problem("material and t_per_t are both needed", row.number,
                           "material" if mat is None else "t_per_t", name)
                continue
            by_name[name].setdefault("inputs", {})[str(mat)] = t

    def windows(self, sheet: str, owner: str) -> dict[str, dict[str, Any]]:
        """A long sheet of windows (owner, constituent, min_wt_pct, max_wt_pct); aims may
        take a ``period`` (blank: every period without a row of its own)."""
        out: dict[str, dict[str, Any]] = {}
        by_period: dict[tuple[str, str], dict[str, list[Any]]] = {}
        ws = self.sheet(sheet, {owner: TEXT, "constituent": TEXT, **WINDOW_UNITS,
                                PERIOD_COLUMN: TEXT}, owner)
        for row in ws.rows(owner) if ws else ():
            a, e = row.values.get(owner), row.values.get("constituent")
            period = row.values.get(PERIOD_COLUMN)
            if a is None or e is None:
                ws.problem(f"{owner} and constituent are both needed", row.number,
                           owner if a is None else "constituent")
                continue
            if period not in (None, "") and (sheet != "aims" or self.periods is None):
                ws.problem("alloy windows hold for every period" if sheet == "alloys" else
                           "a period needs the periods setting", row.number, PERIOD_COLUMN,
                           f"{a} / {e}")
                continue
            self.origin.windows.setdefault((sheet, str(a), str(e)), row.number)
            lo, hi = row.values.get("min_wt_pct"), row.values.get("max_wt_pct")
            for col, v in (("min_wt_pct", lo), ("max_wt_pct", hi)):
                if v is None:
                    ws.problem("is blank: write 0 (min) or 100 (max) for no limit",
                               row.number, col, f"{a} / {e}")
            period = _period_text(period, self.periods or [])
            if period not in (None, ""):
                if str(period) not in self.periods:
                    ws.problem(f"period {period!r} is not in periods {self.periods}",
                               row.number, PERIOD_COLUMN, f"{a} / {e}")
                    continue
                by_period.setdefault((str(a), str(e)), {})[str(period)] = [lo, hi]
            else:
                out.setdefault(str(a), {})[str(e)] = [lo, hi]
        for (a, e), given in by_period.items():  # an aim absent in a period: none there
            base = out.get(a, {}).get(e)
            out.setdefault(a, {})[e] = {p: given.get(p, base) for p in self.periods}
        return out

    def aims(self, products: list[dict[str, Any]]) -> None:
        by_name = {p.get("name"): p for p in products}
        for product, aims in self.windows("aims", "product").items():
            if product in by_name:
                by_name[product]["aim"] = aims
            else:
                r = min(r for (s, a, _), r in self.origin.windows.items()
                        if s == "aims" and a == product)
                self.problems.append(self.origin._at(
                    f"names product {product!r}, which the products sheet does not have",
                    "aims", r, "product", self.origin.letter("aims", "product")))

    def constituents(self, table: str, materials: list[dict[str, Any]],
                     vocabulary: Vocabulary) -> None:
        """A wide sheet (material, then one column per constituent, wt%); for composition,
        every material must have its row, and a row a value (0 is none; a blank cell in a
        row with values is 0, warned). With periods a ``period`` column gives a material's
        complete row for one period (blank: every period without a row of its own)."""
        from mixopt.io.periods import fold_rows

        by_name = {m.get("name"): m for m in materials}
        ws = self.sheet(table, {"material": TEXT, PERIOD_COLUMN: TEXT}, "material",
                        constituents=vocabulary)
        groups: dict[str, list[tuple[Any, dict[str, Any], Any]]] = {}
        blanks = Blanks(f"{self.path}, sheet '{ws.name if ws else table}'")
        columns = [c for c in ws.names() if c not in ("material", PERIOD_COLUMN)] if ws else []
        for row in ws.rows("material") if ws else ():
            name = row.values.pop("material", None)
            period = row.values.pop(PERIOD_COLUMN, None)
            if name not in by_name:
                ws.problem(f"names material {name!r}, which the materials sheet does not "
                           "have", row.number, "material", name)
                continue
            if period not in (None, "") and self.periods is None:
                ws.problem("a period needs the periods setting", row.number, PERIOD_COLUMN,
                           name)
                continue
            self.origin.constituents.setdefault((table, name), row)
            blank = [e for e in columns if row.values.get(e) is None]
            if table == "composition" and blank:
                if len(blank) == len(columns):
                    ws.problem(BLANK_ROW, row.number, "material", name)
                    by_name[name]["composition"] = {}  # refused above; not again below
                    continue
                blanks.add(f"{row.number} ({name}: {', '.join(blank)})", len(blank))

            def locate(msg: str, row: Row = row, name: Any = name) -> Problem:
                return self.origin._at(msg, table, row.number, PERIOD_COLUMN,
                                       row.letters.get(PERIOD_COLUMN), str(name))

            groups.setdefault(name, []).append((_period_text(period, self.periods or []), {
                k: v for k, v in row.values.items()
                if v is not None and not (table == "composition" and v == 0)}, locate))
        blanks.warn(table)
        for name, lines in groups.items():
            if self.periods is None and len(lines) > 1:
                self.problems.append(lines[1][2]("a second row for this material"))
                continue
            folded = (fold_rows(lines, self.periods, table, self.problems) if self.periods
                      else lines[0][1])
            if folded is not None:
                by_name[name][table] = folded
        if table == "composition" and ws is not None:
            for i, m in enumerate(materials):
                if "composition" not in m and isinstance(m.get("name"), str):
                    row = self.origin.rows.get(("materials", i))
                    self.problems.append(self.origin._at(
                        f"has no row in sheet {ws.name!r}: add one (0 in every column for "
                        "pure metal)", "materials", row.number if row else None, "name",
                        row.letters.get("name") if row else None, m["name"]))
                    m["composition"] = {}  # refused above; not a second problem below

    def scenarios(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        ws = self.sheet("scenarios", {"scenario": TEXT, "path": TEXT, "value": ANY},
                        "scenario")
        for row in ws.rows("scenario") if ws else ():
            name, p, v = (row.values.get(k) for k in ("scenario", "path", "value"))
            if name is None or p is None:
                ws.problem("scenario and path are both needed", row.number,
                           "scenario" if name is None else "path")
                continue
            self.origin.scenarios.setdefault(str(name), row.number)
            out.setdefault(str(name), {})[str(p)] = parse_value(v) if isinstance(v, str) else v
        return out


def _period_text(value: Any, periods: list[str]) -> Any:
    """A period cell as typed: Excel turns 2027-01 into the date 2027-01-01, which means
    the period 2027-01 when that is one of the periods."""
    text = str(value) if value is not None else None
    if text and len(text) >= 10 and text[7:10] == "-01" and text[:7] in periods:
        return text[:7]
    return value
