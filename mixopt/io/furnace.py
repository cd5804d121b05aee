"""At the furnace: a melt's analysis (``SAMPLE.csv``) and a correction document, read for
``mixopt correct`` and ``mixopt verify``.

The analysis has one row per constituent, ``constituent,wt_pct[,sd_wt_pct]`` (the sd is the
analysis's uncertainty), read by the project's CSV reader and header rules
(``io.csvfile``, ``io.columns``): headers in any case, a unit in a header converted
(``wt_pct [ppm]``), a semicolon file with decimal commas read as meant, a column that names
nothing refused. Constituents are element symbols or names the instance knows, in their
canonical spelling (``FE`` is ``Fe``); ``Al``, the balance, is not a constituent and is
left out. Refused, every problem at once by file, row and field: an unknown or repeated
constituent, a value that is not a number, negative or over 100 wt%, contents adding up to
more than 100 wt%, and a constituent the product's alloy limits that is not given.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mixopt.errors import InputError, Problem
from mixopt.io.columns import Vocabulary
from mixopt.io.csvfile import cell_value, header_of, read_raw
from mixopt.io.files import read_document
from mixopt.model.schema.instance import COMPOSITION_SUM_SLACK_WT_PCT, MIN_CONTENT_WT_PCT

log = logging.getLogger(__name__)

TABLE = "analysis"
COLUMNS = {"constituent": "", "wt_pct": "wt%", "sd_wt_pct": "wt%"}
#: The base metal of an analysis: the balance, not a constituent.
BALANCE = "Al"


@dataclass(frozen=True)
class Analysis:
    """A melt's sampled chemistry: wt% of each constituent, and the analysis's sd."""

    source: str
    wt_pct: dict[str, float]
    sd_wt_pct: dict[str, float] = field(default_factory=dict)

    def rows(self) -> list[dict[str, Any]]:
        return [{"constituent": e, "wt_pct": v, "sd_wt_pct": self.sd_wt_pct.get(e, 0.0)}
                for e, v in self.wt_pct.items()]


def read_analysis(path: Path, known: Iterable[str], required: Iterable[str],
                  problems: list[Problem]) -> Analysis | None:
    """The analysis at ``path``; its problems are added to ``problems`` (None when it
    cannot be read at all). ``known``: the constituents the instance names (read besides
    the element symbols); ``required``: those the product's alloy limits."""
    raw = read_raw(path, TABLE, problems)
    if raw is None:
        return None
    head = header_of(raw, TABLE, COLUMNS, "constituent", problems)
    if head is None:
        return None
    cols = {c.name: c for c in head.columns}
    if "wt_pct" not in cols:
        problems.append(Problem(str(path), "has no 'wt_pct' column: one row per constituent, "
                                           "constituent,wt_pct[,sd_wt_pct]", TABLE))
        return None
    vocabulary = Vocabulary([k for k in known if k != BALANCE])
    wt: dict[str, float] = {}
    sd: dict[str, float] = {}
    first: dict[str, int] = {}
    total, balance = 0.0, 0.0
    for i, cells in enumerate(raw.rows, start=1):
        text = cells[cols["constituent"].index].strip()
        name = vocabulary.canonical(text) if text else None
        where = {"table": TABLE, "row": i, "row_name": text or None}
        if not text:
            problems.append(Problem(str(path), "names no constituent", field="constituent",
                                    **where))
            continue
        if name is None and text.casefold() != BALANCE.casefold():
            near = vocabulary.closest(text)
            problems.append(Problem(str(path), f"unknown constituent {text!r}: neither a "
                                               "chemical element symbol nor a constituent the "
                                               "instance names" + (f"; did you mean {near!r}?"
                                                                   if near else ""),
                                    field="constituent", **where))
            continue
        name = name or BALANCE
        if name in first:
            problems.append(Problem(str(path), f"{name} again (first in row {first[name]}): "
                                               "give each constituent once",
                                    field="constituent", **where))
            continue
        first[name] = i
        if name == BALANCE and isinstance(_number(cells[cols["wt_pct"].index], False), str):
            continue  # "Al, balance": the rest, not a number
        values = {}
        for key in ("wt_pct", "sd_wt_pct"):
            if key not in cols:
                continue
            c = cols[key]
            got = _number(cell_value(c, cells[c.index]), key == "sd_wt_pct")
            if isinstance(got, str):
                problems.append(Problem(str(path), got, field=c.header, **where))
            else:
                values[key] = got
        if "wt_pct" not in values:
            continue
        if name == BALANCE:  # the balance: not a constituent, counted in the sum only
            balance = values["wt_pct"]
            continue
        wt[name] = values["wt_pct"]
        total += values["wt_pct"]
        if values.get("sd_wt_pct"):
            sd[name] = values["sd_wt_pct"]
    if total + balance > 100 + COMPOSITION_SUM_SLACK_WT_PCT:
        problems.append(Problem(str(path), f"the contents add up to {total + balance:g} wt%, "
                                           "over 100", TABLE, field=cols["wt_pct"].header))
    missing = [e for e in required if e not in first]
    if missing:
        problems.append(Problem(str(path), f"gives no {', '.join(missing)}, which the "
                                           "product's alloy limits: every limited constituent "
                                           "must be analysed (0 if absent)", TABLE,
                                field="constituent"))
    if balance:
        log.info("%s: %s %g wt%% is the balance, not a constituent", path, BALANCE, balance)
    return Analysis(str(path), wt, sd)


def _number(value: Any, sd: bool) -> float | str:
    """A content in wt% (or its sd), or why not."""
    what = "an sd" if sd else "a content"
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return 0.0 if sd else "no value: write 0 if the constituent is absent"
        try:
            value = float(text)
        except ValueError:
            hint = (" (below a detection limit? write the value to correct with, e.g. the "
                    "limit or half of it)" if text[:1] in "<>" else "")
            return f"{text!r} is not a number{hint}"
    v = float(value)
    if not math.isfinite(v):
        return f"{value!r} is not a finite number"
    if v < 0:
        return f"{v:g} is negative: {what} in wt% is 0 or more"
    if v > 100:
        return f"{v:g} is over 100: {what} in wt% is at most 100"
    if 0 < v < MIN_CONTENT_WT_PCT and not sd:
        return f"{v:g} is below {MIN_CONTENT_WT_PCT:g} wt% (0.01 ppm): write 0 if absent"
    return v


#: What a correction document says the correction is (``mixopt correct --format json``).
DOCUMENT = "correction"


def is_correction(path: Path) -> bool:
    """Whether ``path`` holds a correction document (else a plan, for ``verify``)."""
    try:
        doc = read_document(path, json.loads, "a plan JSON")
    except InputError:
        return False  # the plan reader says what is wrong with it
    return isinstance(doc, dict) and doc.get("document") == DOCUMENT


def read_correction(path: Path) -> dict[str, Any]:
    """A correction document (``mixopt correct --format json``): its ``inputs`` (what the
    correction problem was), its ``additions`` (t of each material), ``tapped_t`` and the
    figures it states, every problem at once."""
    doc = read_document(path, json.loads, "a correction JSON")
    problems: list[Problem] = []
    if not isinstance(doc, dict) or doc.get("document") != DOCUMENT:
        raise InputError([Problem(str(path), "is not a correction (mixopt correct --format "
                                             "json): no \"document\": \"correction\"")])
    inputs = doc.get("inputs")
    if not isinstance(inputs, dict):
        problems.append(Problem(str(path), "has no 'inputs' object", "inputs"))
    rows = doc.get("additions")
    adds: dict[str, float] = {}
    if not isinstance(rows, list):
        problems.append(Problem(str(path), "has no 'additions' list of {material, tonnes}",
                                "additions"))
        rows = []
    for i, row in enumerate(rows, start=1):
        name = row.get("material") if isinstance(row, dict) else None
        t = row.get("tonnes") if isinstance(row, dict) else None
        if not isinstance(name, str) or not name:
            problems.append(Problem(str(path), "names no material", "additions", i,
                                    field="material"))
        elif not _tonnes(t):
            problems.append(Problem(str(path), f"{t!r} is not a finite number of tonnes (0 "
                                               "or more)", "additions", i, name, "tonnes"))
        elif name in adds:
            problems.append(Problem(str(path), "repeats a material", "additions", i, name))
        else:
            adds[name] = float(t)
    tapped = doc.get("tapped_t", 0.0)
    if not _tonnes(tapped):
        problems.append(Problem(str(path), f"{tapped!r} is not a finite number of tonnes",
                                field="tapped_t"))
    if problems:
        raise InputError(problems)
    return {"inputs": inputs, "additions": adds, "tapped_t": float(tapped),
            "objective": doc.get("objective"), "melt": doc.get("melt")}


def _tonnes(t: Any) -> bool:
    return (isinstance(t, int | float) and not isinstance(t, bool) and math.isfinite(t)
            and t >= 0)
