"""Read any instance document into a ``Horizon``: a month (no ``periods``) as the horizon
of its one period, a multi-period instance (``periods = [...]``) period by period.

Any numeric field of a material, product or capacity may be a table keyed by period
(``cost = { "2027-01" = 1850, "2027-02" = 1900 }``); a plain number means every period.
Each period is resolved into an ordinary single-period record and validated as one (so
every rule of a month holds per period, with the same messages); what links the periods
(``stock``, ``contract`` on a material) is read into ``mixopt.model.schema.horizon``. Every
problem of every period is gathered, each once, naming file, table, row and field.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import BaseModel, ValidationError

from mixopt.errors import InputError, Problem
from mixopt.io.validate import validate
from mixopt.model.schema.horizon import Contract, Horizon, Stock, Stocked
from mixopt.model.schema.instance import Instance

log = logging.getLogger(__name__)

#: Tables whose records may hold per-period values.
PERIOD_TABLES = ("materials", "products", "capacities")
#: Fields that are tables of their own (their entries may be per period), not a period
#: table themselves.
CONTAINERS = {"materials": ("available", "footprint", "energy", "composition",
                            "composition_sd", "stock"),
              "products": ("aim", "returns"), "capacities": ()}
#: Material fields of a horizon only: what links the periods.
LINKING_FIELDS = ("stock", "contract")
#: Stock fields that hold once for the horizon (not per period).
ONCE = ("initial", "final")


def fold_long(rows: list[dict[str, Any]], periods: list[str],
              locate: Callable[[int, str, str], Problem],
              problems: list[Problem]) -> tuple[list[dict[str, Any]], list[int]]:
    """Rows of a long table (a ``period`` column; blank: every period) folded into one
    row per name, a column that differs by period becoming a table keyed by period.
    Returns the rows and, for each, the 1-based table row of its first line;
    ``locate(row, column, message)`` names a problem of one line (its period cell)."""
    groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for i, row in enumerate(rows, start=1):
        groups.setdefault(str(row.get("name", "")), []).append((i, row))
    out, first = [], []
    for name, lines in groups.items():
        default: dict[str, Any] = {}
        per: dict[str, dict[str, Any]] = {}
        for i, row in lines:
            period = str(row.get("period") or "").strip()
            if period and period not in periods:
                problems.append(locate(i, "period", f"period {period!r} is not in periods "
                                                    f"{periods}"))
                continue
            target = per.setdefault(period, {}) if period else default
            if target:
                problems.append(locate(i, "period", f"a second row for {name!r}" + (
                    f" in period {period!r}" if period else " without a period")))
                continue
            target.update({k: v for k, v in row.items() if k != "period"})
        folded: dict[str, Any] = {"name": name}
        for col in dict.fromkeys(k for _, r in lines for k in r if k not in ("period", "name")):
            given = {p: r[col] for p, r in per.items() if r.get(col) not in (None, "")}
            if not given:
                folded[col] = default.get(col, "")
            elif len(set(map(str, given.values()))) == 1 and set(given) >= set(periods) \
                    and set(given) <= set(periods):
                folded[col] = next(iter(given.values()))
            else:
                base = default.get(col, "")
                folded[col] = {**({p: base for p in periods} if base not in (None, "")
                                  else {}), **given}
        out.append(folded)
        first.append(lines[0][0])
    return out, first


def fold_rows(lines: list[tuple[str, dict[str, Any], Callable[[str], Problem]]],
              periods: list[str], what: str, problems: list[Problem]) -> dict[str, Any] | None:
    """The complete rows of one record of a wide table (a material's composition, a
    product's aims), each with its period (blank: every period without a row of its own),
    folded into one mapping whose values differ by period only where they do: a value
    the periods share as it is, one that differs as a table keyed by period (a key a
    period's row leaves out is 0 there). ``lines``: (period, values, locate) per row;
    None when a row is refused (the problem is added)."""
    default: dict[str, Any] | None = None
    per: dict[str, dict[str, Any]] = {}
    for period, values, locate in lines:
        period = str(period or "").strip()
        if period and period not in periods:
            problems.append(locate(f"period {period!r} is not in periods {periods}"))
            return None
        if (period in per) if period else default is not None:
            problems.append(locate(f"a second {what} row" + (f" for period {period!r}"
                                                             if period else " without a period")))
            return None
        if period:
            per[period] = values
        else:
            default = values
    if default is None and set(per) != set(periods):
        missing = [p for p in periods if p not in per]
        problems.append(lines[0][2](f"gives no {what} for period {', '.join(missing)}: give "
                                    "a row without a period for every other period"))
        return None
    rows = [per.get(p, default) for p in periods]
    out: dict[str, Any] = {}
    for key in dict.fromkeys(k for r in rows for k in r):
        got = [r.get(key, 0.0) for r in rows]
        out[key] = got[0] if all(g == got[0] for g in got) else dict(zip(periods, got,
                                                                          strict=True))
    return out


def _period_tables(raw: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], dict]]:
    """(location, table) of every per-period value of the instance."""
    for table in PERIOD_TABLES:
        rows = raw.get(table)
        if not isinstance(rows, list):
            continue
        for i, rec in enumerate(rows):
            if not isinstance(rec, dict):
                continue
            for key, value in rec.items():
                if key in CONTAINERS[table] and isinstance(value, dict):
                    for sub, v in value.items():
                        if isinstance(v, dict):
                            yield (table, i, key, sub), v
                elif isinstance(value, dict) and key != "contract":
                    yield (table, i, key), value


def _set(raw: dict[str, Any], loc: tuple[Any, ...], value: Any) -> None:
    node: Any = raw
    for step in loc[:-1]:
        node = node[step]
    node[loc[-1]] = value


def _periods(raw: dict[str, Any], origin: Any, problems: list[Problem]) -> list[str]:
    periods = raw.pop("periods")
    if isinstance(periods, list):  # periods = [1, 2, 3]: table keys are text ("1" = ...)
        periods = [str(p) if isinstance(p, int) and not isinstance(p, bool) else p
                   for p in periods]
    if (not isinstance(periods, list) or not periods
            or not all(isinstance(p, str) and p.strip() for p in periods)):
        problems.append(origin.locate(("periods",), raw, "must be a non-empty list of period "
                                                         "names, e.g. [\"2027-01\", \"2027-02\"]"))
        return []
    seen: set[str] = set()
    for p in periods:
        if p in seen:
            problems.append(origin.locate(("periods",), raw, f"period {p!r} is listed twice"))
        seen.add(p)
    return list(dict.fromkeys(periods))


def _check_tables(raw: dict[str, Any], periods: list[str], origin: Any,
                  problems: list[Problem]) -> None:
    for loc, table in _period_tables(raw):
        unknown = [k for k in table if k not in periods]
        missing = [p for p in periods if p not in table]
        if loc[2] == "stock" and loc[3] in ONCE:
            problems.append(origin.locate(loc, raw, "holds once for the horizon: give one "
                                                    "number, not a table by period"))
        elif unknown:
            problems.append(origin.locate(loc, raw, f"period {', '.join(map(repr, unknown))} "
                                                    f"is not in periods {periods}"))
        elif missing:
            problems.append(origin.locate(loc, raw, f"gives no value for period "
                                                    f"{', '.join(map(repr, missing))}: give "
                                                    "every period, or one number for all"))


def _resolved(raw: dict[str, Any], period: str) -> dict[str, Any]:
    """The record of one period: every per-period table at that period's value (a value
    of None, left by an override of some periods only, means absent in that period)."""
    out = copy.deepcopy(raw)
    for loc, table in list(_period_tables(raw)):
        if table[period] is None:
            node = out
            for step in loc[:-1]:
                node = node[step]
            node.pop(loc[-1], None)
        else:
            _set(out, loc, table[period])
    return out


def _model(model: type[BaseModel], value: Any, loc: tuple[Any, ...], raw: dict[str, Any],
           origin: Any, problems: list[Problem]) -> Any:
    try:
        return model.model_validate(value)
    except ValidationError as err:
        for e in err.errors(include_url=False):
            msg = e["msg"].removeprefix("Value error, ")
            problems.append(origin.locate((*loc, *e["loc"]), raw, msg))
    return None


def _linking(raw: dict[str, Any], per: list[dict[str, Any]], origin: Any,
             problems: list[Problem]) -> tuple[dict[str, Stocked], dict[str, Contract]]:
    """Stock and contracts, read from every period's record; stocked materials' purchase
    fields move from the period records (which rule the charge) to ``Stocked``."""
    procs = [p for p in raw.get("processes") or [] if isinstance(p, dict)]
    made = {p.get("output") for p in procs}
    fed = {name for p in procs if isinstance(p.get("inputs"), dict) for name in p["inputs"]}
    stocked: dict[str, Stocked] = {}
    contracts: dict[str, Contract] = {}
    for i, rec in enumerate(raw.get("materials") or []):
        if not isinstance(rec, dict) or not any(k in rec for k in LINKING_FIELDS):
            continue
        name = rec.get("name")
        if name in made:
            problems.append(origin.locate(("materials", i, "stock" if "stock" in rec
                                           else "contract"), raw,
                                          "a process makes this material inside the period: "
                                          "it is neither stored nor bought under contract"))
            continue
        if "stock" in rec and name in fed:  # its price is also in the output's cost
            problems.append(origin.locate(("materials", i, "stock"), raw,
                                          "a process consumes this material: storing a "
                                          "process input is not modelled yet (its price "
                                          "is paid in the output's cost when charged)"))
            continue
        if "contract" in rec:
            c = _model(Contract, rec["contract"], ("materials", i, "contract"), raw, origin,
                       problems)
            if c is not None:
                contracts[name] = c
        if "stock" not in rec:
            continue
        stocks = [_model(Stock, r["materials"][i]["stock"], ("materials", i, "stock"), raw,
                         origin, problems) for r in per]
        if any(s is None for s in stocks):
            continue
        _fits(stocks, ("materials", i, "stock"), raw, origin, problems)
        recs = [r["materials"][i] for r in per]
        avail = [r.get("available") if isinstance(r.get("available"), dict) else {}
                 for r in recs]
        try:
            stocked[name] = Stocked(
                initial_t=stocks[0].initial, final_t=stocks[0].final,
                max_t=tuple(math.inf if s.max is None else s.max for s in stocks),
                holding_cost=tuple(s.holding_cost for s in stocks),
                buy_min_t=tuple(float(a.get("min", 0.0)) for a in avail),
                buy_max_t=tuple(math.inf if a.get("max") is None else float(a["max"])
                                for a in avail),
                cost=tuple(float(r.get("cost", 0.0)) for r in recs),
                lot_t=tuple(_nan(r.get("lot")) for r in recs),
                min_order_t=tuple(_nan(r.get("min_order")) for r in recs))
        except (TypeError, ValueError):
            continue  # a bad number: the period's own validation names it
        for r in recs:  # the charge of a period is ruled by its stock, not by the offer
            for key in ("available", "lot", "min_order"):
                r.pop(key, None)
    for r in per:
        for rec in r.get("materials") or []:
            if isinstance(rec, dict):
                for key in LINKING_FIELDS:
                    rec.pop(key, None)
    return stocked, contracts


def _nan(v: Any) -> float:
    return math.nan if v is None else float(v)


def _fits(stocks: list[Stock], loc: tuple[Any, ...], raw: dict[str, Any], origin: Any,
          problems: list[Problem]) -> None:
    """The initial stock fits the store of the first period, the final stock that of the
    last (each period's ``max`` holds at that period's end only)."""
    for name, value, cap in (("initial", stocks[0].initial, stocks[0].max),
                             ("final", stocks[-1].final, stocks[-1].max)):
        if value is not None and cap is not None and value > cap * (1 + 1e-9):
            when = "the first" if name == "initial" else "the last"
            problems.append(origin.locate((*loc, name), raw,
                                          f"{name} stock {value:g} t is above the storage "
                                          f"max {cap:g} t of {when} period"))


#: Material fields that link periods: given without ``periods`` they are refused by name.
def _linked_month(raw: dict[str, Any], origin: Any, problems: list[Problem]) -> None:
    for i, rec in enumerate(raw.get("materials") or []):
        for key in LINKING_FIELDS:
            if isinstance(rec, dict) and key in rec:
                problems.append(origin.locate(("materials", i, key), raw,
                                              f"{key} links periods: list them with periods = "
                                              "[...] at the top of the instance"))
                rec.pop(key)


def read_plan(raw: dict[str, Any], origin: Any, problems: list[Problem],
              warn: bool = True) -> Horizon:
    """The horizon of ``raw`` (a document as a carrier read it; changed in place): a month
    without ``periods``, else one instance per period and what links them. Raises
    ``InputError`` listing every problem, each once (``warn``: log what is legal but
    probably not meant)."""
    if "periods" not in raw:
        _linked_month(raw, origin, problems)
        return Horizon.month(validate(raw, origin, problems, warn))
    periods = _periods(raw, origin, problems)
    if not periods:
        raise InputError(problems)
    _check_tables(raw, periods, origin, problems)
    if problems:
        raise InputError(problems)
    per = [_resolved(raw, p) for p in periods]
    stocked, contracts = _linking(raw, per, origin, problems)
    _stored_min_orders(raw, stocked, contracts, origin, problems)
    _returns_stored(raw, stocked, origin, problems)
    instances: list[Instance] = []
    for k, r in enumerate(per):
        found: list[Problem] = []
        try:
            instances.append(validate(r, origin, found, warn=warn and k == 0))
        except InputError as err:
            found = list(err.problems)
        seen = {(p.place, p.message) for p in problems}
        problems.extend(p for p in found if (p.place, p.message) not in seen)
    if problems:
        raise InputError(_once(problems))
    return Horizon(tuple(periods), tuple(instances), stocked, contracts)


def _returns_stored(raw: dict[str, Any], stocked: dict[str, Stocked], origin: Any,
                    problems: list[Problem]) -> None:
    """With periods, home scrap joins its material's stock at the end of a period: that
    material must be stored (its initial stock, yard and holding cost are the planner's to
    say; nothing is assumed). One that may also be bought without limit is said."""
    names = {m.get("name") for m in raw.get("materials") or [] if isinstance(m, dict)}
    said: set[str] = set()
    for i, rec in enumerate(raw.get("products") or []):
        ret = rec.get("returns") if isinstance(rec, dict) else None
        name = ret.get("material") if isinstance(ret, dict) else None
        if not isinstance(name, str) or name not in names:
            continue  # an unknown material is named by the period's validation
        if name not in stocked:
            problems.append(origin.locate(("products", i, "returns", "material"), raw,
                                          f"with periods home scrap joins the stock of "
                                          f"{name!r} at the end of each period: give that "
                                          "material stock = {initial, max, holding_cost} "
                                          "(and available = { max = 0 } unless some is "
                                          "bought)"))
        elif name not in said and any(math.isinf(t) for t in stocked[name].buy_max_t):
            said.add(name)
            log.warning("%s: %r, where home scrap comes back, may also be bought without "
                        "limit (no available.max): give available = { max = 0 } if none "
                        "is bought", origin.file, name)


def _once(problems: list[Problem]) -> list[Problem]:
    """Each problem once (a table given for every period fails in each alike)."""
    seen: dict[tuple, Problem] = {}
    for p in problems:
        seen.setdefault((p.place, p.message), p)
    return list(seen.values())


def _stored_min_orders(raw: dict[str, Any], stocked: dict[str, Stocked],
                       contracts: dict[str, Contract], origin: Any,
                       problems: list[Problem]) -> None:
    """A stored material's minimum order needs a purchase bound in every period (its
    big-M)."""
    for i, rec in enumerate(raw.get("materials") or []):
        if not isinstance(rec, dict):
            continue
        s = stocked.get(rec.get("name"))
        if s is not None and any(s.min_order(k) is not None and not math.isfinite(b)
                                 for k, b in enumerate(s.buy_max_t)):
            problems.append(origin.locate(("materials", i, "min_order"), raw,
                                          "a stored material's minimum order needs "
                                          "available.max in the periods it applies to"))
