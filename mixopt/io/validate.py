"""Validation: a plain mapping, as any carrier reads it, into a frozen ``Instance``.

Every carrier (TOML + CSV, xlsx, overrides) builds the same nested mapping and hands
it here with an ``Origin`` that knows where each value came from; every problem is
gathered and located (file, table or sheet, row, field or cell) before one
``InputError`` is raised. Nothing is evaluated: the mapping is data.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from mixopt.errors import InputError, Problem
from mixopt.io.columns import closest, few
from mixopt.io.names import canonical_constituents, duplicates, place
from mixopt.io.schema import CONSTITUENT_TABLES, HORIZON_MATERIAL_COLUMNS, column_of
from mixopt.model.schema.alloys import library
from mixopt.model.schema.instance import Instance

log = logging.getLogger(__name__)

#: Tables above this many rows are refused (a month has at most a few thousand lots).
MAX_ROWS = 100_000


class Origin(Protocol):
    """Where the values of one input came from, for error messages."""

    file: Path

    def locate(self, loc: tuple[Any, ...], raw: Mapping[str, Any], msg: str) -> Problem: ...


def _resolve_alloys(raw: dict[str, Any], origin: Origin, problems: list[Problem]) -> None:
    """Add library alloys for products whose alloy the instance does not define."""
    alloys = raw.setdefault("alloys", {})
    if not isinstance(alloys, dict):
        return
    lib = library()
    for a, lim in alloys.items():  # an alloy of the library, redefined: all its limits
        if a in lib and isinstance(lim, dict):
            missing = [e for e in lib[a].limits_wt_pct if e not in lim]
            if missing:
                given = ", ".join(f"{e} {list(lib[a].limits_wt_pct[e])}" for e in missing)
                problems.append(origin.locate(
                    ("alloys", a), raw,
                    f"omits {', '.join(missing)}, which the shipped {a} limits ({given}): "
                    "give each a window, [0, 100] to lift a limit"))
    for i, p in enumerate(raw.get("products") or []):
        if not isinstance(p, dict) or not isinstance(p.get("alloy"), str):
            continue
        a = p["alloy"]
        if a in alloys:
            continue
        if a in lib:
            alloys[a] = {k: list(v) for k, v in lib[a].limits_wt_pct.items()}
        else:
            problems.append(origin.locate(
                ("products", i, "alloy"), raw,
                f"unknown alloy {a!r}: define it {place(origin, 'alloys', a)} or use "
                f"one of the shipped library ({', '.join(sorted(lib))})"))


def _from_validation_error(err: ValidationError, raw: Mapping[str, Any],
                           origin: Origin) -> list[Problem]:
    errors = err.errors(include_url=False)
    locs = [tuple(e["loc"]) for e in errors]
    out = []
    for e, loc in zip(errors, locs, strict=True):
        # pydantic adds "too short" to a tuple whose items failed: noise next to the real error
        if e["type"] == "too_short" and any(o[: len(loc)] == loc and o != loc for o in locs):
            continue
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] in ("float_parsing", "float_type", "int_parsing"):
            msg = f"{e['input']!r} is not a number"
            if isinstance(e["input"], str) and "," in e["input"]:
                msg += " (a decimal comma? write it with a point)"
            elif isinstance(e["input"], str) and e["input"].strip()[:1] in "<>":
                msg += (" (a detection limit? write the value to plan with, e.g. the limit "
                        "or half of it)")
        elif e["type"] == "missing":
            msg = "required, but not given"
        elif e["type"] == "too_short" and not e["input"]:
            msg = "an empty list: name at least one"
        out.append(origin.locate(loc, raw, msg))
    return out


def validate(raw: dict[str, Any], origin: Origin, problems: list[Problem],
             warn: bool = True) -> Instance:
    """Validate ``raw`` (changed in place: library alloys are added) into an ``Instance``;
    raise ``InputError`` with ``problems`` and every new one."""
    for table in ("products", "materials"):
        rows = raw.get(table)
        if isinstance(rows, list) and len(rows) > MAX_ROWS:
            problems.append(Problem(str(origin.file), f"has {len(rows):,} rows, over the "
                                                      f"limit of {MAX_ROWS:,}", table))
            raise InputError(problems)
    duplicates(raw, origin, problems)
    canonical_constituents(raw, origin, problems)
    _resolve_alloys(raw, origin, problems)
    try:
        instance = Instance.model_validate(raw)
    except ValidationError as err:
        found = _from_validation_error(err, raw, origin)
    else:
        found = [p for check in (_aims_inside_windows, _power_sources, _labels_defined,
                                 _processes, _capacities, _sold_products, _charging,
                                 _returns)
                 for p in check(instance, raw, origin)]
    # a cell the reader already refused (a date, a formula) is absent, not twice wrong
    seen = {p.place for p in problems}
    problems.extend(p for p in found if p.place not in seen)
    if problems:
        raise InputError(problems)
    for warning in _warnings(instance, raw, origin) if warn else ():
        log.warning("%s", warning)
    return instance


def _aims_inside_windows(instance: Instance, raw: Mapping[str, Any],
                         origin: Origin) -> list[Problem]:
    """An aim is an internal window inside the alloy's (where the alloy limits it)."""
    out = []
    for i, p in enumerate(instance.products):
        lim = instance.alloys.get(p.alloy, {})  # an unknown alloy is reported already
        for e, (lo, hi) in p.aim.items():
            if e in lim and (lo < lim[e][0] or hi > lim[e][1]):
                out.append(origin.locate(("products", i, "aim", e), raw,
                                         f"aim [{lo:g}, {hi:g}] wt% is not inside the "
                                         f"{p.alloy} window [{lim[e][0]:g}, {lim[e][1]:g}]"))
    return out


def _power_sources(instance: Instance, raw: Mapping[str, Any],
                   origin: Origin) -> list[Problem]:
    """Every power source an energy material names is defined under [power]."""
    known = sorted(instance.power)
    return [origin.locate(("materials", i, "energy", "power"), raw,
                          f"unknown power source {m.energy.power!r}; defined "
                          f"{place(origin, 'power')}: {known or 'none'}")
            for i, m in enumerate(instance.materials)
            if m.energy is not None and m.energy.power not in instance.power]


def _labels_defined(instance: Instance, raw: Mapping[str, Any],
                    origin: Origin) -> list[Problem]:
    """Every label a product lists is defined, and its limits mean something: a
    renewable-electricity minimum needs some material (or process) to give electricity
    (over none the share is 0 of 0: the row would hold and the label be reported unmet)."""
    known = sorted(instance.labels)
    out = [origin.locate(("products", i, "labels"), raw,
                         f"label {name!r} is not defined {place(origin, 'labels')} "
                         f"(defined: {known or 'none'})")
           for i, p in enumerate(instance.products) for name in p.labels
           if name not in instance.labels]
    listed = {name: p.name for p in instance.products for name in p.labels}
    if not any(m.energy is not None and m.energy.electricity_mwh_per_t > 0
               for m in instance.materials) and not any(
            p.electricity_mwh_per_t > 0 for p in instance.processes):
        out += [origin.locate(("labels", name, "renewable_electricity_min"), raw,
                              f"a renewable electricity share of at least "
                              f"{label.renewable_electricity_min:g} (asked by product "
                              f"{listed[name]!r}) cannot be measured: no material gives its "
                              "electricity (energy) and no process uses any; give the "
                              "materials' energy, or drop this limit")
                for name, label in instance.labels.items()
                if (label.renewable_electricity_min or 0) > 0 and name in listed]
    return out


def _sold_products(instance: Instance, raw: Mapping[str, Any],
                   origin: Origin) -> list[Problem]:
    """A product sold in a range makes as much as pays: its slab is a decision. Its
    windows, aims, confidences and margins are homogeneous rows on the slab made; the
    footprint objective (per t of the slab ordered) and labels (rows per t of an order) do
    not take it. Minimum orders need a bound on the most that is made."""
    out = []
    sold = [(i, p) for i, p in enumerate(instance.products) if p.sold]
    if not sold:
        return out
    if instance.objective.minimise == "footprint":
        out.append(origin.locate(("objective", "minimise"), raw,
                                 "'footprint' cannot be minimised with products sold in a range "
                                 f"({', '.join(p.name for _, p in sold)}): minimise 'cost' "
                                 "(purchases less revenue), or give their tonnes"))
    for i, p in sold:
        if p.labels:
            out.append(origin.locate(("products", i, "labels"), raw,
                                     "not available for a product sold in a range yet (its "
                                     "slab is a decision): give tonnes, or drop labels"))
    unbounded = [p.name for _, p in sold if p.tonnes_max is None]
    if unbounded:
        for j, m in enumerate(instance.materials):
            if m.min_order is not None and m.available.max is None:
                out.append(origin.locate(("materials", j, "min_order"), raw,
                                         "a minimum order needs a bound on the most that can "
                                         f"be charged: give available.max, or tonnes_max for "
                                         f"{', '.join(unbounded)}"))
    return out


def _capacities(instance: Instance, raw: Mapping[str, Any], origin: Origin) -> list[Problem]:
    """A capacity names materials of the instance, and its name once."""
    names = {m.name for m in instance.materials}
    out, seen = [], set()
    for k, c in enumerate(instance.capacities):
        if c.name in seen:
            out.append(origin.locate(("capacities", k, "name"), raw,
                                     f"duplicate capacity name {c.name!r}"))
        seen.add(c.name)
        out += [origin.locate(("capacities", k, "materials"), raw,
                              f"names material {m!r}, which the instance does not have")
                for m in c.materials if m not in names]
    return out


def _charging(instance: Instance, raw: Mapping[str, Any], origin: Origin) -> list[Problem]:
    """Charging rules name materials and products of the instance, each rule once; a least
    charge fits in its material's supply; a product the rules read has a most it can be
    charged of each material (its tonnes, or the materials' supplies or capacities)."""
    mats = {m.name: m for m in instance.materials}
    prods = {p.name for p in instance.products}
    out, seen = [], set()
    for k, r in enumerate(instance.rules):
        if r.name in seen:
            out.append(origin.locate(("rules", k, "name"), raw,
                                     f"duplicate rule name {r.name!r}"))
        seen.add(r.name)
        for field, names, known, what in (("if_any", r.if_any, mats, "material"),
                                          ("then_all", r.then_all, mats, "material"),
                                          ("products", r.products or (), prods, "product")):
            out += [origin.locate(("rules", k, field), raw, f"names {what} {name!r}, which "
                                                            "the instance does not have")
                    for name in names if name not in known]
    for j, m in enumerate(instance.materials):
        most = m.available.max
        if m.min_charge is not None and most and m.min_charge > most * (1 + 1e-9):
            out.append(origin.locate(("materials", j, "min_charge"), raw,
                                     f"{m.min_charge:g} t is above the {most:g} t available "
                                     "(available.max): no charge of it could be that large"))
    ruled = {m for r in instance.rules for m in (*r.if_any, *r.then_all)}
    ruled |= {m.name for m in instance.materials if m.min_charge is not None}
    for i, p in enumerate(instance.products):
        if not p.sold or p.tonnes_max is not None:
            continue
        reads = set(mats) if p.max_materials is not None else ruled
        capped = {m for c in instance.capacities for m in c.materials}
        open_ = sorted(n for n in reads if n in mats and mats[n].available.max is None
                       and n not in instance.made_by and n not in capped)
        if open_:
            out.append(origin.locate(("products", i, "tonnes_max"), raw,
                                     "the charging rules (max_materials, min_charge, rules) "
                                     "need a most that can be charged: give tonnes_max, or "
                                     f"available.max of {', '.join(open_)}"))
    return out


def _returns(instance: Instance, raw: Mapping[str, Any], origin: Origin) -> list[Problem]:
    """Home scrap comes back as a material of the instance whose route is pre-consumer
    scrap (its own process scrap), not made by a process."""
    mats = {m.name: m for m in instance.materials}
    out = []
    for i, p in enumerate(instance.products):
        if p.returns is None:
            continue
        name, loc = p.returns.material, ("products", i, "returns", "material")
        m = mats.get(name)
        if m is None:
            near = closest(name, list(mats))
            out.append(origin.locate(loc, raw, f"names material {name!r}, which the instance "
                                               "does not have" + (f"; did you mean {near!r}?"
                                                                  if near else "")))
        elif name in instance.made_by:
            out.append(origin.locate(loc, raw, f"{name!r} is made by a process: home scrap "
                                               "comes back as a material of its own"))
        elif m.route_known[0] != "pre-consumer scrap":
            j = list(mats).index(name)
            route, how = m.route_known
            said = "has no route" if how == "unknown" else f"has route {route!r}"
            out.append(origin.locate(("materials", j, "route"), raw,
                                     f"{said}, but product {p.name!r} returns its home scrap "
                                     "as this material: give it route = 'pre-consumer scrap' "
                                     "(or return the scrap as a material of its own)"))
    return out


#: What the output of a process may not give: it is made, not bought.
MADE_NOT_BOUGHT = ("cost", "footprint", "energy", "recycled", "lot", "min_order")


def _processes(instance: Instance, raw: Mapping[str, Any], origin: Origin) -> list[Problem]:
    """Cost and footprint are required of every material but a process's output, which
    may not give them (nor be bought); a process names real materials, no chains, a
    known power source."""
    out = []
    names = {m.name for m in instance.materials}
    outputs: dict[str, int] = {}
    for k, p in enumerate(instance.processes):
        if p.output not in names:
            out.append(origin.locate(("processes", k, "output"), raw,
                                     f"names material {p.output!r}, which the instance does "
                                     "not have: give the output as a material (its "
                                     "chemistry, route and yield)"))
        elif p.output in outputs:
            out.append(origin.locate(("processes", k, "output"), raw,
                                     f"{p.output!r} is made by process {outputs[p.output] + 1} "
                                     "already"))
        outputs.setdefault(p.output, k)
        for name in p.inputs:
            if name not in names:
                out.append(origin.locate(("processes", k, "inputs", name), raw,
                                         f"names material {name!r}, which the instance does "
                                         "not have"))
        if p.power is not None and p.power not in instance.power:
            out.append(origin.locate(("processes", k, "power"), raw,
                                     f"unknown power source {p.power!r}; defined "
                                     f"{place(origin, 'power')}: "
                                     f"{sorted(instance.power) or 'none'}"))
    for k, p in enumerate(instance.processes):
        for name in p.inputs:
            if name in outputs:
                out.append(origin.locate(("processes", k, "inputs", name), raw,
                                         f"{name!r} is the output of another process: "
                                         "chains of processes are not modelled"))
    for i, m in enumerate(instance.materials):
        made = instance.made_by.get(m.name)
        if made is not None:
            given = [f for f in MADE_NOT_BOUGHT if getattr(m, f) is not None]
            given += ["available"] if m.available != type(m.available)() else []
            out += [origin.locate(("materials", i, f), raw,
                                  f"is made by process {made.name!r}: its {f} comes from "
                                  "the process (it is not bought); leave it out")
                    for f in given]
            continue
        if m.cost is None:
            out.append(origin.locate(("materials", i, "cost"), raw, "required, but not given"))
        if m.footprint is None and m.energy is None and instance.needs_footprints:
            out.append(origin.locate(("materials", i, "footprint"), raw,
                                     f"required by {instance.needs_footprints}, but not given "
                                     "(or give energy: electricity, power source, direct and "
                                     "upstream emissions)"))
    return out


def _warnings(instance: Instance, raw: Mapping[str, Any], origin: Origin) -> list[Problem]:
    """What is legal but probably not meant: said, then solved as written."""
    out = []
    if instance.unknown_footprints:
        out.append(origin.locate(("materials",), raw,
                                 f"{len(instance.unknown_footprints)} material(s) ("
                                 f"{few(list(map(repr, instance.unknown_footprints)))}) give no "
                                 "footprint: nothing in this instance reads one (a cost "
                                 "objective, no cap, no carbon price, no label), so the plan is "
                                 "costed, not carbon-accounted; their footprint counts as 0 and "
                                 "the JSON lists them in footprint_unknown_materials"))
    inferred: dict[str, list[str]] = {}
    for m in instance.materials:
        route, how = m.route_known
        if how != "given":
            inferred.setdefault(how, []).append(f"{m.name!r} -> {route}")
    for how, names in inferred.items():
        said = {"recycled": "taken from its 'recycled' class",
                "kind": "taken from its kind (exactly a route's name)",
                "unknown": "unknown (counted as 'other'; the declaration lists it)"}[how]
        out.append(Problem(str(origin.file), f"no route given for {len(names)} material(s), "
                                             f"{said}: {few(names)}. Give each a route",
                           "materials", field="route"))
    for i, m in enumerate(instance.materials):
        odd = m.footprint.scope12_above_full() if m.footprint is not None else None
        if odd:
            out.append(origin.locate(("materials", i, "footprint"), raw, odd))
        blocked = m.purchase_blocked()
        if blocked:
            out.append(origin.locate(("materials", i, "available"), raw, blocked))
        for e, sd in m.composition_sd.items():
            if sd > 0 and e not in m.composition:
                out.append(origin.locate(("materials", i, "composition_sd", e), raw,
                                         f"a spread of {sd:g} wt% {e} is given but no mean: "
                                         f"the mean is taken as 0 wt% {e}"))
    return out


def instance_from_dict(raw: dict[str, Any], source: str = "<dict>",
                       warn: bool = True) -> Instance:
    """Validate a plain mapping (as read from TOML) into an ``Instance``; ``raw`` is not
    changed (library alloys are added to a copy). ``warn``: log what is legal but probably
    not meant (off for variants of an instance already read: said once)."""
    return validate(copy.deepcopy(raw), TableOrigin(Path(source)), [], warn)


class TableOrigin:
    """Values from a TOML document, the materials table possibly from a CSV file."""

    def __init__(self, file: Path, materials_csv: Path | None = None) -> None:
        self.file = file
        self.materials_csv = materials_csv
        #: a long materials table folded by period: the CSV row of each record's first row
        self.materials_rows: list[int] | None = None
        #: constituent tables read from CSV: table -> (file, {material: CSV row})
        self.tables: dict[str, tuple[Path, dict[str, int]]] = {}

    def locate(self, loc: tuple[Any, ...], raw: Mapping[str, Any], msg: str) -> Problem:
        parts = list(loc)
        table = str(parts[0]) if parts else None
        if table in ("materials", "products", "processes", "capacities", "rules") \
                and len(parts) >= 2 and isinstance(parts[1], int):
            i = parts[1]
            rows = raw.get(table) or []
            name = rows[i].get("name") if i < len(rows) and isinstance(rows[i], dict) else None
            field = ".".join(str(p) for p in parts[2:]) or None
            sub = str(parts[2]) if len(parts) > 2 else None
            if table == "materials" and sub in self.tables and len(parts) > 3:
                csv_file, rows_of = self.tables[sub]
                return Problem(str(csv_file), msg, sub, rows_of.get(str(name)),
                               str(name) if name else None, str(parts[3]))
            if table == "materials" and self.materials_csv is not None:
                if field is not None and sub not in CONSTITUENT_TABLES:
                    field = column_of(parts[2:], HORIZON_MATERIAL_COLUMNS)
                line = (self.materials_rows[i] if self.materials_rows is not None
                        and i < len(self.materials_rows) else i + 1)
                return Problem(str(self.materials_csv), msg, "materials", line,
                               str(name) if name else None, field)
            return Problem(str(self.file), msg, table, i + 1, str(name) if name else None,
                           field)
        if table == "alloys" and len(parts) >= 2:
            rest = [str(p) for p in parts[2:] if p != "[key]"]
            return Problem(str(self.file), msg, f"alloys.{parts[1]}", None, None,
                           ".".join(rest) or None)
        return Problem(str(self.file), msg, table, None, None,
                       ".".join(str(p) for p in parts[1:]) or None)
