"""What-ifs: variants of a plan, applied once, the same way for every caller (the command
line's ``--scenario``, ``--set`` and flags, ``check`` manifests, sweeps, diagnose, the API).

A path names a field the way the instance does: ``table.name.field[.subfield]`` for the
named tables (``materials.INERTA.available.max``, ``products.AA3104 slab.tonnes``),
``table.name.field`` for the keyed ones (``labels.ALLOW.scope12_max``), and
``table.field`` for the others (``objective.footprint_cap``, ``casting.footprint.full``,
``alloys.AA3104.Fe``). Names may contain dots or spaces. Every path is checked against
the field registry (``mixopt.model.schema``), so a field left at its default can be set.

With periods, a field of a material, product or capacity set without a period is set in
every period; ``materials.UBC bales.cost.2027-02`` sets one period. An override edits the
plan's document (``mixopt.io.write.horizon_document``) exactly as the same edit written in
the file would, and the edited document is read again, validated like any instance:
every problem names the override's path. The original plan is never changed.

Named scenarios live in the instance as ``[scenarios.NAME]`` tables of such paths
(dotted keys or nested tables)::

    [scenarios.dear-scrap]
    "materials.UBC bales.cost" = 2035
    objective.footprint_cap = 2.5
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from mixopt.errors import InputError, Problem
from mixopt.io.schema import submodel
from mixopt.model.schema.carbon import Label, PowerSource, Process
from mixopt.model.schema.horizon import Contract, Horizon, Stock, as_horizon
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
from mixopt.model.schema.paths import flatten

NAMED_TABLES = ("materials", "products", "processes", "capacities", "rules")
#: The model of a record of each table, and of the linking fields of a material.
MODELS: dict[str, type[BaseModel]] = {"materials": Material, "products": Product,
                                      "processes": Process, "capacities": Capacity,
                                      "rules": Rule,
                                      "labels": Label, "power": PowerSource,
                                      "objective": Objective, "casting": Casting,
                                      "furnace": Furnace}
LINKED: dict[str, type[BaseModel]] = {"stock": Stock, "contract": Contract}
#: Tables whose records may take a value per period.
PERIOD_TABLES = ("materials", "products", "capacities")
#: Field paths of a period table that hold once for the horizon.
ONCE = (("name",), ("contract",), ("stock", "initial"), ("stock", "final"))
TOP_FIELDS = ("name", "description", "currency", "scrap_method")

Plan = TypeVar("Plan", Horizon, Instance)


def parse_value(text: str) -> Any:
    """A command-line value as TOML would read it (number, string, list, inline table);
    anything else is a plain string. Never evaluated as code.

    Examples
    --------
    >>> parse_value("2000"), parse_value("[0, 0.7]"), parse_value("cost")
    (2000, [0, 0.7], 'cost')
    >>> parse_value("__import__('os')")
    "__import__('os')"
    """
    from mixopt.io.files import MAX_DEPTH, nesting_depth, too_deep

    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
    except RecursionError:
        raise too_deep(f"the command line value {text[:40]!r}...", "a field's value") \
            from None
    if nesting_depth(value) > MAX_DEPTH:
        raise too_deep(f"the command line value {text[:40]!r}...", "a field's value")
    return value


def toml_literal(value: Any) -> str:
    """``value`` written as a TOML literal: the inverse of ``parse_value``.

    >>> toml_literal("cost"), parse_value(toml_literal([0, 0.7]))
    ('"cost"', [0, 0.7])
    """
    import tomli_w

    return tomli_w.dumps({"v": value})[4:].strip()


def parse_assignment(text: str, where: str = "--set") -> tuple[str, Any]:
    """``PATH=VALUE`` -> (path, value)."""
    path, sep, value = text.partition("=")
    if not sep or not path.strip():
        raise InputError([Problem(where, f"{text!r} is not PATH=VALUE")])
    return path.strip(), parse_value(value.strip())


# -- paths against the field registry -----------------------------------------------------


def _field(model: type[BaseModel], name: str) -> Any:
    return next((f for n, f in model.model_fields.items() if (f.alias or n) == name), None)


def _is_mapping(info: Any) -> bool:
    ann = info.annotation
    return any(getattr(a, "__origin__", a) is dict for a in getattr(ann, "__args__", (ann,))) \
        or getattr(ann, "__origin__", None) is dict


def _field_parts(model: type[BaseModel], parts: list[str],
                 linked: bool) -> tuple[list[str], list[str]]:
    """Split ``parts`` into the field path the model knows and what is left after it."""
    out: list[str] = []
    while parts:
        head = parts[0]
        info = _field(model, head)
        sub = LINKED.get(head) if linked and not out and head in LINKED else None
        if info is None and sub is None:
            known = [f.alias or n for n, f in model.model_fields.items()]
            raise KeyError(f"unknown field {'.'.join([*out, head])!r}; known: {known}")
        out.append(head)
        parts = parts[1:]
        sub = sub or (submodel(info) if info is not None else None)
        if sub is not None and parts and _field(sub, parts[0]) is not None:
            model = sub
            continue
        if info is not None and _is_mapping(info) and parts:  # open keys: composition.Fe
            out.append(parts[0])
            parts = parts[1:]
        break
    return out, parts


def _record(raw: dict[str, Any], table: str, rest: str) -> tuple[Any, list[str]]:
    """The record of a named or keyed table that ``rest`` starts with (longest name
    first: names may contain dots), and the parts after it."""
    rows = raw.get(table)
    if table in NAMED_TABLES:
        names = [r.get("name") for r in rows or [] if isinstance(r, dict)]
    else:
        names = list(rows or {})
    for name in sorted((n for n in names if isinstance(n, str)), key=len, reverse=True):
        if rest == name or rest.startswith(name + "."):
            field = rest[len(name) + 1:]
            rec = (next(r for r in rows if r.get("name") == name) if table in NAMED_TABLES
                   else rows[name])
            return rec, field.split(".") if field else []
    raise KeyError(f"no {table.rstrip('s') if table != 'power' else 'power source'} named by "
                   f"{rest!r}; known: {names}")


def _assign(raw: dict[str, Any], path: str, value: Any, periods: tuple[str, ...],
            named: bool) -> None:
    """Set ``path`` to ``value`` in the document ``raw`` (None: remove the value)."""
    table, _, rest = path.partition(".")
    if table in TOP_FIELDS and not rest:
        _put(raw, table, value)
        return
    if table == "alloys":
        parts = rest.split(".") if rest else []
        if not 1 <= len(parts) <= 2:
            raise KeyError("an alloy path is alloys.<alloy> or alloys.<alloy>.<constituent>")
        node = raw.setdefault("alloys", {})
        if len(parts) == 2:
            node = node.setdefault(parts[0], {})
        _put(node, parts[-1], value)
        return
    if table not in MODELS:
        raise KeyError(f"unknown table {table!r}")
    if table in ("objective", "casting", "furnace"):
        node, parts = raw.setdefault(table, {}), rest.split(".") if rest else []
    else:
        node, parts = _record(raw, table, rest)
    if not parts:
        raise KeyError("the path names a record, not a field")
    field, left = _field_parts(MODELS[table], parts, named and table == "materials")
    period = None
    if left:
        if len(left) == 1 and left[0] in periods and named:
            period = left[0]
        elif not named and len(left) == 1 and table in PERIOD_TABLES:
            raise KeyError(f"{'.'.join(field)}.{left[0]}: the instance has no periods, so a "
                           "field takes no period")
        elif named and len(left) == 1 and table in PERIOD_TABLES:
            raise KeyError(f"period {left[0]!r} is not one of the instance's periods "
                           f"{list(periods)}")
        else:
            raise KeyError(f"unknown field {'.'.join(field + left)!r}")
        if table not in PERIOD_TABLES or any(tuple(field[:len(o)]) == o for o in ONCE):
            raise KeyError(f"{table}.{'.'.join(field)} holds for every period: it takes no "
                           f"period ({period!r})")
    *parents, leaf = field
    for p in parents:
        if not isinstance(node.get(p), dict):
            node[p] = {}
        node = node[p]
    if period is None:
        _put(node, leaf, value)
        return
    current = node.get(leaf)
    if not (isinstance(current, dict) and set(current) == set(periods)):
        current = dict.fromkeys(periods, current)
    current[period] = value
    node[leaf] = current


def _put(node: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        node.pop(key, None)
    else:
        node[key] = value


# -- variants -----------------------------------------------------------------------------


def apply_overrides(plan: Plan, overrides: Mapping[str, Any], where: str = "overrides") -> Plan:
    """A validated variant of ``plan`` (a ``Horizon``, or a single ``Instance``: the same
    kind comes back) with each ``path: value`` applied, as if edited in its file."""
    from mixopt.io.periods import read_plan
    from mixopt.io.validate import TableOrigin
    from mixopt.io.write import horizon_document

    h = as_horizon(plan)
    raw = horizon_document(h)
    problems = []
    for path, value in overrides.items():
        try:
            _assign(raw, path, value, h.periods, h.has_periods)
        except KeyError as exc:
            problems.append(Problem(where, str(exc.args[0]), field=path))
    if problems:
        raise InputError(problems)
    try:
        out = read_plan(raw, TableOrigin(Path(where)), [], warn=False)
    except InputError as err:
        raise InputError([Problem(where, f"after overrides {list(overrides)}: {p}")
                          for p in err.problems]) from None
    return out.first if isinstance(plan, Instance) else out


#: Objective settings the command line and ``with_overrides`` set by name.
OBJECTIVE_FLAGS = {"minimise": "minimise", "cap": "footprint_cap", "scope": "scope",
                   "confidence": "confidence", "confidence_per": "confidence_per",
                   "margin_sd": "margin_sd"}


def objective_overrides(**settings: Any) -> dict[str, Any]:
    """``{objective.<field>: value}`` of the settings given (``None``: not given).

    >>> objective_overrides(cap=3.0, minimise=None)
    {'objective.footprint_cap': 3.0}
    """
    unknown = set(settings) - set(OBJECTIVE_FLAGS)
    if unknown:
        raise TypeError(f"unknown objective settings {sorted(unknown)}")
    return {f"objective.{OBJECTIVE_FLAGS[k]}": v for k, v in settings.items() if v is not None}


def with_overrides(plan: Plan, **settings: Any) -> Plan:
    """A copy of ``plan`` with objective settings replaced: ``minimise``, ``cap``,
    ``scope``, ``confidence``, ``confidence_per``, ``margin_sd`` (``None``: keep)."""
    upd = objective_overrides(**settings)
    return apply_overrides(plan, upd, "command line") if upd else plan


def scenario(plan: Plan, name: str) -> Plan:
    """The named scenario of ``plan`` as a plan of its own."""
    if name not in plan.scenarios:
        raise InputError([Problem("scenarios", f"no scenario {name!r}; the instance has "
                                               f"{sorted(plan.scenarios)}")])
    return apply_overrides(plan, flatten(plan.scenarios[name]), f"scenario {name!r}")


def variant(plan: Plan, scenario_name: str | None = None,
            assignments: Mapping[str, Any] | Iterable[str] = (),
            where: str = "--set", **flags: Any) -> Plan:
    """The one way a variant is made: the named scenario first, then the assignments
    (``{path: value}``, or ``PATH=VALUE`` texts), then the objective flags (``cap``,
    ``minimise``, ...). A flag and an assignment of the same field with different values
    are refused (they would disagree silently otherwise)."""
    if scenario_name:
        plan = scenario(plan, scenario_name)
    assigned = (dict(assignments) if isinstance(assignments, Mapping)
                else dict(parse_assignment(s, where) for s in assignments))
    fl = objective_overrides(**flags)
    clash = sorted(p for p in fl if p in assigned and assigned[p] != fl[p])
    if clash:
        raise InputError([Problem(where, f"--set {p}={assigned[p]!r} and the flag for it "
                                         f"({fl[p]!r}) disagree: give one", field=p)
                          for p in clash])
    assigned.update(fl)
    return apply_overrides(plan, assigned, where) if assigned else plan


def check_scenarios(plan: Horizon | Instance, source: str) -> list[Problem]:
    """Every problem of every scenario (for ``validate``)."""
    problems: list[Problem] = []
    for name in plan.scenarios:
        try:
            scenario(plan, name)
        except InputError as err:
            problems += [Problem(source, p.message, f"scenarios.{name}", None, None, p.field)
                         for p in err.problems]
    return problems


def variants(plan: Plan, names: Iterable[str]) -> list[tuple[str, Plan]]:
    """``[("base", plan), (name, scenario), ...]``."""
    return [("base", plan)] + [(n, scenario(plan, n)) for n in names]
