"""The instance format as tables: flat column names derived from the field registry.

The pydantic models of ``mixopt.model.schema.instance`` are the registry of every field (unit,
default, meaning). This module derives from them what the table carriers need: the flat
columns of a materials table (``footprint_full`` for ``footprint.full``), the products
columns, the settings keys, and the field list shown in a workbook's README sheet. CSV,
xlsx and the writers all read these; none keeps its own list.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from mixopt.model.schema.carbon import Label, PowerSource, Process
from mixopt.model.schema.horizon import Contract, Stock
from mixopt.model.schema.instance import (
    Capacity,
    Casting,
    Furnace,
    Instance,
    Material,
    Objective,
    Product,
    Rule,
)
from mixopt.model.schema.paths import get_path, set_path


def submodel(info: Any) -> type[BaseModel] | None:
    ann = info.annotation
    return next((a for a in getattr(ann, "__args__", (ann,))
                 if isinstance(a, type) and issubclass(a, BaseModel)), None)


def flat_columns(model: type[BaseModel], sep: str = "_",
                 skip: tuple[str, ...] = ()) -> dict[str, tuple[str, ...]]:
    """Flat column name -> path in the nested record, e.g. ``footprint_full`` ->
    ``("footprint", "full")``."""
    out: dict[str, tuple[str, ...]] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key in skip:
            continue
        sub = submodel(info)
        if sub is not None:
            for col, path in flat_columns(sub, sep).items():
                out[f"{key}{sep}{col}"] = (key, *path)
        else:
            out[key] = (key,)
    return out


#: Wide tables keyed by material, one column per constituent (a CSV file or a sheet each).
CONSTITUENT_TABLES = ("composition", "composition_sd")
#: Columns of a materials table (CSV or sheet); the constituent tables are their own.
MATERIAL_COLUMNS: dict[str, tuple[str, ...]] = flat_columns(Material, skip=CONSTITUENT_TABLES)
#: Columns of a materials table of a multi-period instance: the linking fields
#: (``stock_max``, ``contract_take_or_pay``, ...) and ``period`` (a long table: one row
#: per material and period, a blank period meaning every period).
PERIOD_COLUMN = "period"
#: The setting (TOML top-level key, workbook settings row) listing a horizon's periods.
PERIODS_KEY = "periods"
HORIZON_MATERIAL_COLUMNS: dict[str, tuple[str, ...]] = {
    **MATERIAL_COLUMNS,
    **{f"stock_{c}": ("stock", *p) for c, p in flat_columns(Stock).items()},
    **{f"contract_{c}": ("contract", *p) for c, p in flat_columns(Contract).items()}}
#: Columns of a products table; aims are their own long table (product, constituent, window).
PRODUCT_COLUMNS: dict[str, tuple[str, ...]] = flat_columns(Product, skip=("aim",))
#: Named-record tables of the instance (a sheet each in a workbook): table -> (model,
#: columns). The first column is the record's name; processes' inputs are their own long
#: sheet (``PROCESS_INPUT_COLUMNS``).
NAMED_SHEETS: dict[str, tuple[type[BaseModel], dict[str, tuple[str, ...]]]] = {
    "power": (PowerSource, {"name": ("name",), **flat_columns(PowerSource)}),
    "labels": (Label, {"name": ("name",), **flat_columns(Label)}),
    "processes": (Process, flat_columns(Process, skip=("inputs",))),
    "capacities": (Capacity, flat_columns(Capacity)),
    "rules": (Rule, flat_columns(Rule)),
}
PROCESS_INPUT_COLUMNS = ("process", "material", "t_per_t")
#: Columns holding a list of names: one cell, names separated by commas.
LIST_COLUMNS = {("products", "labels"), ("capacities", "materials"), ("rules", "if_any"),
                ("rules", "then_all"), ("rules", "products")}
#: Settings rows of a workbook: the instance's scalar fields and its nested tables.
SETTINGS_KEYS: dict[str, tuple[str, ...]] = {
    **{k: (k,) for k in ("name", "description", "currency", "scrap_method")},
    **{f"objective.{c}": ("objective", *p) for c, p in flat_columns(Objective, ".").items()},
    **{f"casting.{c}": ("casting", *p) for c, p in flat_columns(Casting, ".").items()},
    **{f"furnace.{c}": ("furnace", *p) for c, p in flat_columns(Furnace, ".").items()},
}


def nest(row: dict[str, Any], columns: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    """A flat row (column -> value; None or "" = absent) as a nested record."""
    rec: dict[str, Any] = {}
    for col, value in row.items():
        if value is None or value == "" or col not in columns:
            continue
        set_path(rec, columns[col], value)
    return rec


def flatten_record(record: dict[str, Any],
                   columns: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    """A nested record as a flat row over ``columns`` ("" where absent)."""
    out = {}
    for col, path in columns.items():
        value = get_path(record, path)
        out[col] = "" if value is None else value
    return out


def column_of(path: list[Any], columns: dict[str, tuple[str, ...]]) -> str:
    """The flat column holding ``path`` (a pydantic error location), or the dotted path."""
    for col, p in columns.items():
        if tuple(path[: len(p)]) == p:
            return col
    return ".".join(str(p) for p in path)


def units(model: type[BaseModel], columns: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """column -> the unit of its field ("" for text)."""
    return {col: unit for col, unit, _, _ in _describe(model, columns)}


def material_units(columns: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """The unit of every column of a materials table, the linking ones (stock_, contract_)
    included ("" for text)."""
    out = units(Material, {c: p for c, p in columns.items() if p[0] not in ("stock",
                                                                            "contract")})
    for prefix, model in (("stock_", Stock), ("contract_", Contract)):
        out.update({f"{prefix}{c}": u for c, u in units(model, {
            c[len(prefix):]: p[1:] for c, p in columns.items() if c.startswith(prefix)})
            .items()})
    return out


def required(model: type[BaseModel], columns: dict[str, tuple[str, ...]]) -> set[str]:
    """The columns whose field has no default."""
    return {col for col, _, default, _ in _describe(model, columns) if default == "required"}


def _describe(model: type[BaseModel], columns: dict[str, tuple[str, ...]]) -> list[tuple]:
    rows = []
    for col, path in columns.items():
        cls: type[BaseModel] = model
        info = None
        for step in path:
            info = next(i for n, i in cls.model_fields.items() if (i.alias or n) == step)
            cls = submodel(info) or cls
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if info.is_required():
            default = "required"
        elif info.default_factory is not None:
            default = ""
        else:
            default = "" if info.default is None else str(info.default)
        rows.append((col, str(extra.get("unit", "")), default, info.description or ""))
    return rows


def field_registry() -> list[tuple[str, str, str, str, str]]:
    """(sheet, column, unit, default, meaning) for every field of every sheet."""
    rows = [("settings", *r) for r in _describe(
        Instance, {k: p for k, p in SETTINGS_KEYS.items()})]
    rows += [("products", *r) for r in _describe(Product, PRODUCT_COLUMNS)]
    rows += [("alloys", "alloy", "", "required", "alloy name (as products.alloy)"),
             ("alloys", "constituent", "", "required", "constituent (free identifier)"),
             ("alloys", "min_wt_pct", "wt%", "required", "least content in the slab"),
             ("alloys", "max_wt_pct", "wt%", "required", "most content in the slab")]
    rows += [("materials", *r) for r in _describe(Material, MATERIAL_COLUMNS)]
    rows += [("aims", "product", "", "required", "product name (as products.name)"),
             ("aims", "constituent", "", "required", "constituent with an internal aim"),
             ("aims", "min_wt_pct", "wt%", "required", "aim minimum, inside the alloy's window"),
             ("aims", "max_wt_pct", "wt%", "required", "aim maximum, inside the alloy's window")]
    for table in CONSTITUENT_TABLES:
        info = Material.model_fields[table]
        rows += [(table, "material", "", "required", "material name (as materials.name)"),
                 (table, "<constituent>", "wt%", "0",
                  f"one column per constituent: {info.description}")]
    for sheet, (model, columns) in NAMED_SHEETS.items():
        if "name" not in model.model_fields:  # a table keyed by name: the key is a column
            rows.append((sheet, "name", "", "required", f"the name of the {sheet} entry"))
            columns = {c: p for c, p in columns.items() if c != "name"}
        rows += [(sheet, *r) for r in _describe(model, columns)]
    rows += [("process_inputs", "process", "", "required", "process name (as processes.name)"),
             ("process_inputs", "material", "", "required", "an input material"),
             ("process_inputs", "t_per_t", "t/t", "required", "t of it per t of output")]
    rows.append(("settings", PERIODS_KEY, "", "", ("multi-period instances: the periods, "
                 "separated by commas (e.g. 2027-01, 2027-02); then products, materials and "
                 "capacities are long tables")))
    rows += [(t, PERIOD_COLUMN, "", "", ("multi-period: the period of this row (blank: every "
              "period); a row per period holds only what differs in it"))
             for t in ("products", "materials", "capacities")]
    for prefix, model in (("stock_", Stock), ("contract_", Contract)):
        cols = {c[len(prefix):]: p[1:] for c, p in HORIZON_MATERIAL_COLUMNS.items()
                if c.startswith(prefix)}
        rows += [("materials", f"{prefix}{col}", unit, default, f"multi-period: {meaning}")
                 for col, unit, default, meaning in _describe(model, cols)]
    rows += [("scenarios", "scenario", "", "required", "scenario name"),
             ("scenarios", "path", "", "required",
              "field to override, e.g. materials.INERTA.available.max"),
             ("scenarios", "value", "", "required", "new value (number, text, or [min, max])")]
    return rows
