"""Reading instance workbooks (.xlsx), the planners' exchange format (the template and the
writer are ``mixopt.io.template``).

One sheet per table of the instance (settings, products, alloys, aims, materials,
composition, composition_sd, scenarios) and a README sheet listing every field with its
unit, default and meaning — generated from the field registry (``mixopt.io.schema``),
never a second list. A workbook reads into the very same ``Instance`` as TOML, through
the same validation; every cell is read as the planner meant it (``mixopt.io.sheets``)
or refused, naming sheet, column, Excel row and cell. Reading uses openpyxl with
defusedxml (installed with mixopt) after bounding the uncompressed size.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from mixopt.errors import InputError, Problem
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
    column_of,
    nest,
    required,
    units,
)
from mixopt.io.sheets import TEXT, Row, SheetReader
from mixopt.io.spreadsheet import check_workbook_file
from mixopt.io.variants import parse_value
from mixopt.model.schema.horizon import Contract, Horizon, Stock
from mixopt.model.schema.instance import Instance, Material, Product
from mixopt.model.schema.paths import set_path

ALLOY_COLUMNS = ("alloy", "constituent", "min_wt_pct", "max_wt_pct")
AIM_COLUMNS = ("product", "constituent", "min_wt_pct", "max_wt_pct")
SCENARIO_COLUMNS = ("scenario", "path", "value")
TABLE_COLUMNS = {"products": PRODUCT_COLUMNS, "materials": MATERIAL_COLUMNS,
                 **{t: NAMED_SHEETS[t][1] for t in ("processes", "capacities", "rules")}}
TABLE_MODELS = {"products": Product, "materials": Material,
                **{t: NAMED_SHEETS[t][0] for t in ("processes", "capacities", "rules")}}
#: Tables keyed by name (a sheet each, the name in the first column).
KEYED_SHEETS = ("power", "labels")
SETTINGS_UNITS = units(Instance, SETTINGS_KEYS)
#: Settings the README sheet marks required: their rows must be there, their cells filled.
SETTINGS_REQUIRED = required(Instance, SETTINGS_KEYS)
WINDOW_UNITS = {"min_wt_pct": "wt%", "max_wt_pct": "wt%"}
ANY = "number or text"  # a column whose numbers stay numbers and text stays text


class WorkbookOrigin:
    """Where each value of a workbook came from, to name it in the workbook's words."""

    def __init__(self, path: Path) -> None:
        self.file = path
        self.rows: dict[tuple[str, int], Row] = {}  # (sheet, index in the table) -> row
        self.settings: dict[str, int] = {}  # key -> Excel row
        self.windows: dict[tuple[str, str, str], int] = {}  # (sheet, owner, e) -> row
        self.constituents: dict[tuple[str, str], Row] = {}  # (sheet, material) -> row
        self.scenarios: dict[str, int] = {}
        self.keyed: dict[tuple[str, str], Row] = {}  # (sheet, name) -> row (power, labels)

    def _at(self, msg: str, sheet: str, row: int | None = None, column: str | None = None,
            letter: str | None = None, name: str | None = None) -> Problem:
        cell = f"{letter}{row}" if letter and row else None
        return Problem(str(self.file), msg, row=row, row_name=name, field=column, sheet=sheet,
                       cell=cell)

    def locate(self, loc: tuple[Any, ...], raw: dict[str, Any], msg: str) -> Problem:
        parts = list(loc)
        head = str(parts[0]) if parts else ""
        if head in TABLE_COLUMNS and len(parts) >= 2 and isinstance(parts[1], int):
            row = self.rows.get((head, parts[1]))
            name = raw[head][parts[1]].get("name") if parts[1] < len(raw[head]) else None
            path = [str(p) for p in parts[2:]]
            if head == "materials" and path[:1] and path[0] in CONSTITUENT_TABLES:
                crow = self.constituents.get((path[0], name))
                e = path[1] if len(path) > 1 else None
                return self._at(msg, path[0], crow.number if crow else None, e,
                                crow.letters.get(e) if crow and e else None, name)
            if head == "products" and path[:1] == ["aim"] and len(path) > 1:
                r = self.windows.get(("aims", str(name), path[1]))
                return self._at(msg, "aims", r, "min_wt_pct", "C", f"{name} / {path[1]}")
            col = column_of(path, TABLE_COLUMNS[head]) if path else "name"
            return self._at(msg, head, row.number if row else None, col,
                            row.letters.get(col) if row else None, name)
        if head == "alloys" and len(parts) >= 2:
            e = str(parts[2]) if len(parts) >= 3 else None
            r = self.windows.get(("alloys", str(parts[1]), e)) if e else min(
                (r for (s, a, _), r in self.windows.items() if s == "alloys" and a == parts[1]),
                default=None)
            return self._at(msg, "alloys", r, "min_wt_pct" if e else "alloy",
                            "C" if e else "A", f"{parts[1]} / {e}" if e else str(parts[1]))
        if head in KEYED_SHEETS and len(parts) >= 2:
            row = self.keyed.get((head, str(parts[1])))
            col = column_of([str(p) for p in parts[2:]], NAMED_SHEETS[head][1]) \
                if len(parts) > 2 else "name"
            return self._at(msg, head, row.number if row else None, col,
                            row.letters.get(col) if row else None, str(parts[1]))
        if head == "scenarios" and len(parts) >= 2:
            return self._at(msg, "scenarios", self.scenarios.get(str(parts[1])), "scenario",
                            "A", str(parts[1]))
        key = ".".join(str(p) for p in parts)
        r = self.settings.get(key)
        return self._at(msg, "settings", r, "value", "B", key or None)


def read_workbook(path: str | Path) -> Horizon:
    """Read and validate an instance workbook; every problem names sheet, column, Excel row
    and cell."""
    path = Path(path)
    check_workbook_file(path)
    try:  # normal mode: every row, whatever the sheet's stored dimension claims
        values = load_workbook(path, data_only=True)
        formulas = load_workbook(path, data_only=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a bad file
        raise InputError([Problem(str(path), f"is not a readable workbook: {exc}")]) from None
    missing = [s for s in ("settings", "products", "materials") if s not in values.sheetnames]
    if missing:
        raise InputError([Problem(str(path), f"has no sheet {s!r}", sheet=s) for s in missing])
    book = _Book(path, values, formulas)
    raw: dict[str, Any] = book.settings()
    book.periods = raw.get("periods")
    for name, columns in TABLE_COLUMNS.items():
        raw[name] = book.records(name, columns)
    book.process_inputs(raw["processes"])
    for sheet in KEYED_SHEETS:
        raw[sheet] = book.keyed_records(sheet)
    alloys = book.windows("alloys", "alloy")
    if alloys:
        raw["alloys"] = alloys
    book.aims(raw["products"])
    for table in CONSTITUENT_TABLES:
        book.constituents(table, raw["materials"])
    scenarios = book.scenarios()
    if scenarios:
        raw["scenarios"] = scenarios
    return read_plan(raw, book.origin, book.problems)  # raises with every problem gathered


class _Book:
    """Reading the sheets of one workbook into the instance's nested mapping."""

    def __init__(self, path: Path, values: Any, formulas: Any) -> None:
        self.path, self.values, self.formulas = path, values, formulas
        self.origin = WorkbookOrigin(path)
        self.problems: list[Problem] = []
        self.periods: list[str] | None = None  # a multi-period workbook's periods

    def sheet(self, name: str, units_: dict[str, str], default: str = TEXT,
              ) -> SheetReader | None:
        if name not in self.values.sheetnames:
            return None
        return SheetReader(self.path, name, self.values[name], self.formulas[name], units_,
                           self.problems, default)

    def settings(self) -> dict[str, Any]:
        raw: dict[str, Any] = {}
        ws = self.sheet("settings", {"key": TEXT, "value": ANY, "unit": TEXT})
        for row in ws.rows("key") if ws else ():
            key, value = row.values.get("key"), row.values.get("value")
            if key is None:
                continue
            if key == PERIODS_KEY:  # "2027-01, 2027-02, 2027-03"
                self.origin.settings[key] = row.number
                raw["periods"] = [v.strip() for v in str(value or "").split(",") if v.strip()]
                continue
            if key not in SETTINGS_KEYS:
                ws.problem(f"unknown setting {key!r}; known: {list(SETTINGS_KEYS)}",
                           row.number, "key", key)
                continue
            self.origin.settings[key] = row.number
            value = _in_unit(ws, row, "value", value, SETTINGS_UNITS.get(key, TEXT))
            if value is None:
                if key in SETTINGS_REQUIRED:
                    ws.problem("is blank, but required (the README sheet lists it as "
                               "required): type a value", row.number, "value", key)
                continue
            set_path(raw, SETTINGS_KEYS[key], value)
        for key in sorted(SETTINGS_REQUIRED - set(self.origin.settings)):
            self.problems.append(Problem(str(self.path), f"has no row for the required "
                                                         f"setting {key!r}: add it",
                                         sheet="settings"))
        return raw

    def records(self, name: str, columns: dict[str, tuple[str, ...]]) -> list[dict[str, Any]]:
        unit = units(TABLE_MODELS[name], columns)
        if self.periods is not None:  # long tables: a period column, and the linking fields
            columns, unit = _horizon_columns(name, columns, unit)
        ws = self.sheet(name, unit)
        if ws is None:
            return []
        unknown = [c for c in ws.columns() if c not in columns]
        if unknown:
            ws.problem(f"unknown columns {unknown}; known: {list(columns)}", 1, unknown[0])
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
        ws = self.sheet(sheet, units(model, {c: p for c, p in columns.items()
                                             if c != "name"}))
        out: dict[str, dict[str, Any]] = {}
        for row in ws.rows("name") if ws else ():
            name = row.values.get("name")
            if name is None:
                ws.problem("the name is needed", row.number, "name")
                continue
            self.origin.keyed[(sheet, str(name))] = row
            out[str(name)] = nest({k: v for k, v in row.values.items() if k != "name"},
                                  columns)
        return out

    def process_inputs(self, processes: list[dict[str, Any]]) -> None:
        """The long sheet (process, material, t_per_t) into each process's inputs."""
        by_name = {p.get("name"): p for p in processes}
        ws = self.sheet("process_inputs", {"t_per_t": "t/t"})
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
        ws = self.sheet(sheet, WINDOW_UNITS)
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
                self.problems.append(Problem(
                    str(self.path), f"names product {product!r}, which the products sheet "
                                    "does not have", sheet="aims", row=r, field="product",
                    cell=f"A{r}"))

    def constituents(self, table: str, materials: list[dict[str, Any]]) -> None:
        """A wide sheet (material, then one column per constituent, wt%); for composition,
        every material must have its row (a blank row is pure metal). With periods a
        ``period`` column gives a material's complete row for one period (blank: every
        period without a row of its own)."""
        from mixopt.io.periods import fold_rows

        by_name = {m.get("name"): m for m in materials}
        ws = self.sheet(table, {"material": TEXT, PERIOD_COLUMN: TEXT}, default="wt%")
        groups: dict[str, list[tuple[Any, dict[str, Any], Any]]] = {}
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

            def locate(msg: str, row: Row = row, name: Any = name) -> Problem:
                return self.origin._at(msg, table, row.number, PERIOD_COLUMN,
                                       row.letters.get(PERIOD_COLUMN), str(name))

            groups.setdefault(name, []).append((_period_text(period, self.periods or []),
                                                {k: v for k, v in row.values.items()
                                                 if v is not None}, locate))
        for name, lines in groups.items():
            if self.periods is None and len(lines) > 1:
                self.problems.append(lines[1][2]("a second row for this material"))
                continue
            folded = (fold_rows(lines, self.periods, table, self.problems) if self.periods
                      else lines[0][1])
            if folded is not None:
                by_name[name][table] = folded
        if table == "composition":
            for i, m in enumerate(materials):
                if "composition" not in m and isinstance(m.get("name"), str):
                    row = self.origin.rows.get(("materials", i))
                    self.problems.append(Problem(
                        str(self.path), "has no row in sheet 'composition': add one (a row "
                                        "with the name and blank cells is pure metal)",
                        sheet="materials", row=row.number if row else None,
                        row_name=m["name"], field="name",
                        cell=f"A{row.number}" if row else None))
                    m["composition"] = {}  # refused above; not a second problem below

    def scenarios(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        ws = self.sheet("scenarios", {"value": ANY})
        for row in ws.rows("scenario") if ws else ():
            name, p, v = (row.values.get(k) for k in ("scenario", "path", "value"))
            if name is None or p is None:
                ws.problem("scenario and path are both needed", row.number,
                           "scenario" if name is None else "path")
                continue
            self.origin.scenarios.setdefault(str(name), row.number)
            out.setdefault(str(name), {})[str(p)] = parse_value(v) if isinstance(v, str) else v
        return out


def _horizon_columns(name: str, columns: dict[str, tuple[str, ...]],
                     unit: dict[str, str]) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """The columns of a multi-period workbook's table: its own, ``period``, and for
    materials the linking fields (stock_*, contract_*), with their units."""
    columns = {**(HORIZON_MATERIAL_COLUMNS if name == "materials" else columns),
               PERIOD_COLUMN: (PERIOD_COLUMN,)}
    unit = {**unit, PERIOD_COLUMN: TEXT}
    if name == "materials":
        for prefix, model in (("stock_", Stock), ("contract_", Contract)):
            unit.update({f"{prefix}{c}": u for c, u in
                         units(model, {c[len(prefix):]: p[1:] for c, p in columns.items()
                                       if c.startswith(prefix)}).items()})
    return columns, unit


def _period_text(value: Any, periods: list[str]) -> Any:
    """A period cell as typed: Excel turns 2027-01 into the date 2027-01-01, which means
    the period 2027-01 when that is one of the periods."""
    text = str(value) if value is not None else None
    if text and len(text) >= 10 and text[7:10] == "-01" and text[:7] in periods:
        return text[:7]
    return value


def _in_unit(ws: SheetReader, row: Row, column: str, value: Any, unit: str) -> Any:
    """A settings value read in its key's unit (the sheet reads that column as is)."""
    if value is None or unit in (TEXT, ANY) or isinstance(value, str):
        return value
    cell = ws.ws[f"{row.letters[column]}{row.number}"]
    if "%" in (cell.number_format or ""):
        if unit == "wt%":
            return value * 100
        if unit not in ("share 0..1", "t/t", "probability 0.5..1"):
            ws.problem(f"is formatted as a percentage, but the setting is in {unit}: format "
                       "it as a number", row.number, column, row.values.get("key"))
            return None
    return value
