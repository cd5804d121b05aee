"""What-ifs: variants of an instance by overriding fields at a path.

A path names a field the way the instance does: ``table.name.field[.subfield]`` for
the named tables (``materials.INERTA.available.max``, ``products.AA3104 slab.tonnes``)
and ``table.field`` for the others (``objective.footprint_cap``,
``casting.footprint.full``, ``alloys.AA3104.Fe``). Names may contain dots or spaces.

Named scenarios live in the instance as ``[scenarios.NAME]`` tables of such paths
(dotted keys or nested tables)::

    [scenarios.dear-scrap]
    "materials.UBC bales.cost" = 2035
    objective.footprint_cap = 2.5

A variant is validated like any instance; every problem names the override's path.
The original instance is never changed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from typing import Any

from mixopt.errors import InputError, Problem
from mixopt.io.validate import instance_from_dict
from mixopt.model.schema.instance import Instance
from mixopt.model.schema.paths import flatten

NAMED_TABLES = ("materials", "products", "processes", "capacities")


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
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


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


def _split(path: str, raw: Mapping[str, Any]) -> tuple[str, str | None, list[str]]:
    """(table, row name or None, field parts), resolving names that contain dots."""
    table, _, rest = path.partition(".")
    if table not in NAMED_TABLES:
        return table, None, rest.split(".") if rest else []
    names = [r.get("name") for r in raw.get(table, []) if isinstance(r, dict)]
    for name in sorted((n for n in names if isinstance(n, str)), key=len, reverse=True):
        if rest == name or rest.startswith(name + "."):
            field = rest[len(name) + 1:]
            return table, name, field.split(".") if field else []
    raise KeyError(f"no {table[:-1]} named by {rest!r}; known: {names}")


def _assign(raw: dict[str, Any], path: str, value: Any) -> None:
    table, name, parts = _split(path, raw)
    if name is not None:
        node: Any = next(r for r in raw[table] if r.get("name") == name)
    elif table in raw and isinstance(raw[table], dict) and parts:
        node = raw[table]
    elif table in raw and not parts and table not in ("scenarios",):
        raw[table] = value
        return
    else:
        raise KeyError(f"unknown table {table!r}")
    if not parts:
        raise KeyError("the path names a row, not a field")
    *parents, leaf = parts
    for p in parents:
        if not isinstance(node.get(p), dict):
            if p in node or table != "alloys":
                raise KeyError(f"{p!r} is not a table here")
            node[p] = {}
        node = node[p]
    open_keys = table == "alloys" or parents[-1:] == ["composition"]
    if leaf not in node and not open_keys:
        raise KeyError(f"unknown field {'.'.join(parts)!r}")
    node[leaf] = value


def apply_overrides(instance: Instance, overrides: Mapping[str, Any],
                    where: str = "overrides") -> Instance:
    """A validated variant of ``instance`` with each ``path: value`` applied."""
    raw = instance.model_dump(by_alias=True, exclude={"scenarios"})
    problems = []
    for path, value in overrides.items():
        try:
            _assign(raw, path, value)
        except KeyError as exc:
            problems.append(Problem(where, f"unknown path: {exc.args[0]}", field=path))
    if problems:
        raise InputError(problems)
    try:
        return instance_from_dict(raw, where, warn=False)
    except InputError as err:
        raise InputError([Problem(where, f"after overrides {list(overrides)}: {p}")
                          for p in err.problems]) from None


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


def with_overrides(instance: Instance, **settings: Any) -> Instance:
    """A copy of ``instance`` with objective settings replaced: ``minimise``, ``cap``,
    ``scope``, ``confidence``, ``confidence_per``, ``margin_sd`` (``None``: keep)."""
    upd = objective_overrides(**settings)
    return apply_overrides(instance, upd, "command line") if upd else instance


def scenario(instance: Instance, name: str) -> Instance:
    """The named scenario of ``instance`` as its own instance."""
    if name not in instance.scenarios:
        raise InputError([Problem("scenarios", f"no scenario {name!r}; the instance has "
                                               f"{sorted(instance.scenarios)}")])
    return apply_overrides(instance, flatten(instance.scenarios[name]), f"scenario {name!r}")


def check_scenarios(instance: Instance, source: str) -> list[Problem]:
    """Every problem of every scenario (for ``validate``)."""
    problems: list[Problem] = []
    for name in instance.scenarios:
        try:
            scenario(instance, name)
        except InputError as err:
            problems += [Problem(source, p.message, f"scenarios.{name}", None, None, p.field)
                         for p in err.problems]
    return problems


def variants(instance: Instance, names: Iterable[str]) -> list[tuple[str, Instance]]:
    """``[("base", instance), (name, scenario), ...]``."""
    return [("base", instance)] + [(n, scenario(instance, n)) for n in names]
