"""Writing instance workbooks: the template a planner fills in, and any instance as a
workbook (``mixopt template``, ``mixopt convert``). Headers carry their units and notes
(from the field registry), cells that take one of a few words have dropdowns, every
setting is written (defaults included), and an empty template shows example rows to type
over. ``mixopt.io.workbook`` reads it back.
"""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook

from mixopt.io.schema import (
    CONSTITUENT_TABLES,
    HORIZON_MATERIAL_COLUMNS,
    MATERIAL_COLUMNS,
    NAMED_SHEETS,
    PERIOD_COLUMN,
    PERIODS_KEY,
    PROCESS_INPUT_COLUMNS,
    PRODUCT_COLUMNS,
    SETTINGS_KEYS,
    field_registry,
    flatten_record,
    material_units,
    units,
)
from mixopt.io.spreadsheet import header, put
from mixopt.io.variants import toml_literal
from mixopt.io.workbook import (
    AIM_COLUMNS,
    ALLOY_COLUMNS,
    SCENARIO_COLUMNS,
    SETTINGS_UNITS,
    WINDOW_UNITS,
)
from mixopt.io.write import (
    constituent_rows,
    horizon_document,
    long_rows,
)
from mixopt.model.schema.carbon import ROUTES
from mixopt.model.schema.horizon import Horizon, as_horizon
from mixopt.model.schema.instance import Instance, Product
from mixopt.model.schema.paths import flatten, get_path

#: Rows an empty template shows, to be typed over (the reader skips them, with a warning).
EXAMPLES = {
    "products": {"name": "(example) AA3104 slab", "alloy": "AA3104", "tonnes": 10000,
                 "min_recycled": 0.5},
    "materials": {"name": "(example) UBC bales", "kind": "UBC bales",
                  "route": "post-consumer scrap", "cost": 1850, "footprint_full": 0.5,
                  "footprint_scope12": 0.3, "available_max": 7000, "yield": 0.88,
                  "source": "where the footprint factor comes from"},
    "composition": {"material": "(example) UBC bales", "Fe": 0.5, "Mn": 0.9, "Mg": 1.6},
    "composition_sd": {"material": "(example) UBC bales", "Fe": 0.06, "Mn": 0.08},
    "alloys": {"alloy": "(example) AA3104", "constituent": "Mn", "min_wt_pct": 0.8,
               "max_wt_pct": 1.4},
    "aims": {"product": "(example) AA3104 slab", "constituent": "Mn", "min_wt_pct": 0.85,
             "max_wt_pct": 1.3},
    "power": {"name": "(example) Siberian hydro", "t_co2e_per_mwh": 0.0,
              "renewable_share": 0.99, "source": "where the factor comes from"},
    "labels": {"name": "(example) ALLOW", "scope12_max": 4.0,
               "source": "RUSAL ALLOW: scope 1+2 below 4.0 t CO2e/t"},
    "processes": {"name": "(example) scrap electrolysis", "output": "SE P1020",
                  "capacity_t": 300, "cost_per_t": 1400, "electricity_mwh_per_t": 9.0,
                  "power": "Siberian hydro", "direct_t_co2e_per_t": 0.5},
    "capacities": {"name": "(example) scrap furnace", "materials": "UBC bales, Off-grade scrap",
                   "max": 9000, "source": "melting capacity of the scrap furnace"},
    "rules": {"name": "(example) painted scrap needs pure primary",
              "if_any": "Painted UBC", "then_all": "P1020", "products": "AA3104 slab",
              "source": "dilutes the coating residue"},
    "process_inputs": {"process": "(example) scrap electrolysis",
                       "material": "Off-grade scrap", "t_per_t": 1.06},
}
#: Dropdowns (data validation): (sheet, column or settings key, choices, strict).
CHOICES = (("materials", "route", ROUTES, True),
           ("materials", "recycled", ("post-consumer", "pre-consumer"), True),
           ("settings", "objective.minimise", ("footprint", "cost"), True),
           ("settings", "objective.scope", ("full", "scope12"), True),
           ("settings", "objective.confidence_per", ("limit", "heat"), True))


def _readme(wb: Workbook) -> None:
    from openpyxl.styles import Font

    ws = wb.create_sheet("README", 0)
    ws["A1"] = "mixopt instance workbook: one sheet per table; this sheet lists every field."
    ws["A2"] = ("Units are in the headers. Cells marked required must be filled; empty cells "
                "of other fields take the default. A wt% cell formatted as a percentage is "
                "read as the percentage typed (0.85 % = 0.85 wt%). Rows starting with "
                "'(example)' are not read. Formulas need a saved result. A unit in a header "
                "is read (e.g. 'available_max [kg]', 'Fe [ppm]', 'cost [USD/kg]'); a column "
                "of your own notes starts with 'note:'. In composition, write 0 for none.")
    for c, n in enumerate(("sheet", "column", "unit", "default", "meaning"), start=1):
        ws.cell(row=4, column=c, value=n).font = Font(bold=True)
    for r, row in enumerate(field_registry(), start=5):
        for c, v in enumerate(row, start=1):
            put(ws, r, c, v)
    for col, width in zip("ABCDE", (14, 26, 16, 12, 90), strict=True):
        ws.column_dimensions[col].width = width


def _headed(name: str, unit: str, currency: str) -> str:
    unit = unit.replace("currency", currency)
    return f"{name} [{unit}]" if unit and unit not in ("share 0..1",) else name


def _rows_sheet(wb: Workbook, title: str, columns: list[str], rows: list[list[Any]],
                col_units: dict[str, str], notes: dict[str, str], currency: str) -> Any:
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    from mixopt.io.spreadsheet import number_format

    ws = wb.create_sheet(title)
    header(ws, [_headed(c, col_units.get(c, ""), currency) for c in columns])
    for c, col in enumerate(columns, start=1):
        if notes.get(col):
            ws.cell(row=1, column=c).comment = Comment(notes[col], "mixopt")
        ws.column_dimensions[ws.cell(row=1, column=c).column_letter].width = max(
            12, min(40, len(str(ws.cell(row=1, column=c).value)) + 4))
    for r, values in enumerate(rows, start=2):
        for c, v in enumerate(values, start=1):
            if v is not None and v != "":
                cell = put(ws, r, c, v)
                if isinstance(v, int | float):
                    cell.number_format = number_format(col_units.get(columns[c - 1], ""))
                if isinstance(values[0], str) and values[0].startswith("(example)"):
                    cell.font = Font(italic=True, color="888888")
    return ws


def _choices(wb: Workbook, alloys: list[str]) -> None:
    """Dropdowns where a cell takes one of a few words (and alloy names, as a hint)."""
    from openpyxl.worksheet.datavalidation import DataValidation

    def add(ws: Any, ref: str, words: tuple[str, ...] | list[str], strict: bool) -> None:
        dv = DataValidation(type="list", formula1='"' + ",".join(words) + '"',
                            allow_blank=True, showErrorMessage=True,
                            errorStyle="stop" if strict else "warning")
        ws.add_data_validation(dv)
        dv.add(ref)

    for sheet, column, words, strict in CHOICES:
        ws = wb[sheet]
        if sheet == "settings":
            for r in range(2, ws.max_row + 1):
                if ws.cell(row=r, column=1).value == column:
                    add(ws, f"B{r}", words, strict)
        else:
            heads = [str(c.value).split(" [")[0] for c in ws[1]]
            letter = ws.cell(row=1, column=heads.index(column) + 1).column_letter
            add(ws, f"{letter}2:{letter}5000", words, strict)
    if alloys and len(",".join(alloys)) < 250:  # Excel caps a list's text at 255 characters
        heads = [str(c.value).split(" [")[0] for c in wb["products"][1]]
        letter = wb["products"].cell(row=1, column=heads.index("alloy") + 1).column_letter
        add(wb["products"], f"{letter}2:{letter}5000", alloys, False)


def instance_workbook(plan: Horizon | Instance | None = None) -> Workbook:
    """A workbook of ``plan`` (or an empty template with every sheet, its headers with
    units and notes, dropdowns, and example rows). Every setting is written, defaults
    included, so the planner sees what the month optimises. With periods, the settings
    have a ``periods`` row and the products, materials (with stock_ and contract_ columns),
    capacities, aims and constituent sheets are long tables with a ``period`` column
    (``mixopt.io.write.long_rows``)."""
    from mixopt.model.schema.alloys import library

    h = as_horizon(plan) if plan is not None else None
    wb = Workbook()
    wb.remove(wb.active)
    _readme(wb)
    raw = horizon_document(h) if h is not None else {}
    full = h.first.model_dump(by_alias=True) if h is not None else {
        "objective": Instance.model_fields["objective"].default.model_dump(),
        "currency": "USD", "scrap_method": Instance.model_fields["scrap_method"].default}
    periods = h.periods if h is not None and h.has_periods else None
    currency = full.get("currency", "USD")
    notes = {row[1]: row[4] for row in field_registry()}
    ex = {} if h is not None else EXAMPLES
    by = [PERIOD_COLUMN] if periods else []

    def sheet(title: str, columns: list[str], rows: list[list[Any]],
              col_units: dict[str, str]) -> Any:
        if title in ex:
            rows = [[ex[title].get(c) for c in columns], *rows]
        return _rows_sheet(wb, title, columns, rows, col_units, notes, currency)

    def table(title: str, columns: dict[str, tuple[str, ...]], recs: list[dict[str, Any]],
              col_units: dict[str, str]) -> None:
        names = list(columns)
        if periods:
            names = ["name", PERIOD_COLUMN, *names[1:]]
            rows = [[_cell(r.get(c, "")) for c in names] for r in long_rows(recs, columns,
                                                                               periods)]
        else:
            rows = [[_cell(v) for v in flatten_record(r, columns).values()] for r in recs]
        sheet(title, names, rows, {**col_units, PERIOD_COLUMN: ""})

    settings = [[k, get_path(full, p), SETTINGS_UNITS.get(k, "").replace("currency", currency)]
                for k, p in SETTINGS_KEYS.items()]
    if periods:
        settings.append([PERIODS_KEY, ", ".join(periods), ""])
    ws = sheet("settings", ["key", "value", "unit"], settings, {})
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 44
    prods = raw.get("products", [])
    table("products", PRODUCT_COLUMNS, prods, units(Product, PRODUCT_COLUMNS))
    sheet("alloys", list(ALLOY_COLUMNS), [[a, e, lo, hi] for a, lim in raw.get(
        "alloys", {}).items() for e, (lo, hi) in lim.items()], WINDOW_UNITS)
    sheet("aims", [*AIM_COLUMNS, *by], [row for p in prods for row in _aim_rows(p, periods)],
          WINDOW_UNITS)
    mats = raw.get("materials", [])
    mat_cols = HORIZON_MATERIAL_COLUMNS if periods else MATERIAL_COLUMNS
    table("materials", mat_cols, mats, material_units(mat_cols))
    for name in CONSTITUENT_TABLES:
        els, rows = constituent_rows(mats, name, periods or ())
        els = els or ([e for e in ex[name] if e != "material"] if name in ex else [])
        sheet(name, ["material", *by, *els],
              [[r["material"], *([r[PERIOD_COLUMN]] if periods else []),
                *(r.get(e) for e in els)] for r in rows], dict.fromkeys(els, "wt%"))
    for title, (model, columns) in NAMED_SHEETS.items():
        entries = raw.get(title) or full.get(title) or []
        records = ([{"name": k, **v} for k, v in entries.items()] if isinstance(entries, dict)
                   else list(entries))
        # a rule that applies to no product is no rule: a blank cell would mean every one
        records = [r for r in records if r.get("products") != []]
        col_units = units(model, {c: p for c, p in columns.items() if c != "name"})
        if title == "capacities":
            table(title, columns, records, col_units)
        else:
            sheet(title, list(columns), [[_cell(v) for v in flatten_record(r, columns).values()]
                                         for r in records], col_units)
    sheet("process_inputs", list(PROCESS_INPUT_COLUMNS),
          [[p["name"], m, t] for p in full.get("processes") or [] for m, t in
           p["inputs"].items()], {"t_per_t": "t/t"})
    scenarios = h.scenarios if h is not None else {}
    sheet("scenarios", list(SCENARIO_COLUMNS),
          [[name, p, _scenario_cell(v)] for name, tab in scenarios.items()
           for p, v in flatten(tab).items()], {})
    _choices(wb, sorted(set(library()) | set(raw.get("alloys", {}))))
    return wb


def _aim_rows(prod: dict[str, Any], periods: tuple[str, ...] | None) -> list[list[Any]]:
    """A product's aims as rows of the aims sheet (one per period where they differ)."""
    rows = []
    for e, w in prod.get("aim", {}).items():
        if isinstance(w, dict):
            rows += [[prod["name"], e, *w[p], p] for p in periods if w.get(p) is not None]
        else:
            rows.append([prod["name"], e, *w, *([""] if periods else [])])
    return rows


def _cell(v: Any) -> Any:
    """A list of names (a product's labels) as one cell: names separated by commas."""
    return ", ".join(v) if isinstance(v, list | tuple) else ("" if v is None else v)


def _scenario_cell(v: Any) -> Any:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return v
    return toml_literal(v)  # read back by parse_value
