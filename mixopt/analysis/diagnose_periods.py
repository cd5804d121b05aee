"""Why a multi-period instance has no plan.

Unbounded: the products sold at a price with no most tonnes, where no capacity or supply
bounds what they make. Infeasible: first each period alone (with its stored materials
unlimited, so a period infeasible alone is infeasible in any horizon), diagnosed as a
month (``mixopt.analysis.diagnose``, every way out verified); when every period is
feasible alone, what links them fights: HiGHS's irreducible infeasible set of the joint
LP, each limit in its family's words and period.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from mixopt.analysis.diagnose import _SIDE, diagnose, render, to_json_dict, unbounded_notes
from mixopt.analysis.relax_links import least_link_change
from mixopt.model.backend import SolveOptions, Status, conflict
from mixopt.model.families import BY_BLOCK
from mixopt.model.families.periods import words as link_words
from mixopt.model.multiperiod import HorizonResult, build_window
from mixopt.model.pipeline import solve
from mixopt.model.schema.horizon import Horizon


def _unbounded(h: Horizon) -> list[str]:
    return [f"{period}: {note}" for period, inst in zip(h.periods, h.instances, strict=True)
            for note in unbounded_notes(inst)]


def _joint_conflict(h: Horizon) -> list[str]:
    wlp = build_window(h, 0, len(h.periods))
    found = conflict(wlp.lp)
    if found is None:
        return []
    lp, w = wlp.lp, wlp.window
    out = []
    for r, side in found[0]:
        b = lp.block_of_row(r)
        key, s = b.keys[r - b.start], _SIDE.get(side, side)
        if b.name in BY_BLOCK:
            d = w.arrays[h.periods.index(key[0]) - w.start]
            out.append(f"{key[0]}: {BY_BLOCK[b.name].words(key[1:], s, d)}")
        else:
            out.append(link_words(b.name, key, s))
    for c, side in found[1]:
        b = lp.block_of_col(c)
        if b.name in _BOUND_WORDS:
            period, m = b.keys[c - b.start]
            bound = lp.col_hi[c] if side == "upper" else lp.col_lo[c]
            out.append(f"{m} in {period}: " + _BOUND_WORDS[b.name][side == "upper"].format(
                t=f"{bound:,.6g}"))
    return out


#: The bounds of the linking columns in words: (lower, upper).
_BOUND_WORDS = {"buy": ("at least {t} t must be bought", "at most {t} t can be bought"),
                "stock": ("at least {t} t must be in stock at the end",
                          "at most {t} t can be stored")}


def diagnose_horizon(h: Horizon, result: HorizonResult,
                     options: SolveOptions | None = None) -> dict[str, Any]:
    """The diagnosis as a document with ``lines`` for people."""
    status = str(result.status)
    lines = [f"{h.name}: {status}"]
    doc: dict[str, Any] = {"instance": h.name, "status": status, "unbounded": [],
                           "periods": [], "conflict": []}
    if status in ("unbounded", "infeasible_or_unbounded"):
        doc["unbounded"] = _unbounded(h)
        lines += [f"  - {u}" for u in doc["unbounded"]]
    if status in ("infeasible", "infeasible_or_unbounded"):
        for period, inst in zip(h.periods, h.instances, strict=True):
            if solve(inst, options, sensitivity=False).status != Status.INFEASIBLE:
                continue
            diag = diagnose(inst, options)
            doc["periods"].append({"period": period, **to_json_dict(diag)})
            lines.append(f"period {period} has no plan even on its own:")
            lines += [f"  {line}" for line in render(diag).splitlines()]
        if not doc["periods"]:
            doc["conflict"] = _joint_conflict(h)
            if doc["conflict"]:
                lines.append("every period has a plan alone; together these limits fight "
                             "(irreducible conflict from HiGHS):")
                lines += [f"  - {c}" for c in doc["conflict"]]
            found = least_link_change(h, options)
            if found is not None and found[0]:
                changes, verified = found
                doc["options"] = [{"title": "the least change of what links the periods",
                                   "verified": verified,
                                   "changes": [dataclasses.asdict(c) | {"message": c.message}
                                               for c in changes]}]
                lines.append(f"a way out (with these changes the horizon is {verified}):")
                lines += [f"  - {c.message}" for c in changes]
    doc["lines"] = lines
    return doc
