"""The least change that gives a plan: an elastic copy of the plan's LP, and its words.

Every limit of a family with an ``Elastic`` (a period's chemistry, supply, caps, shares,
labels, capacities; what links periods: purchases of stored materials, storage and final
stock, contracts) gets a penalised slack on each finite side, normalised to a *relative*
change of its own limit so one unit means the same everywhere. The elastic plan is read
back and rechecked without the solver; every limit it breaks becomes, through its family's
``relax``, "set PATH to the value the plan reaches" — a path and value ``--set`` takes (a
period's own field with its period when the plan has periods). Demand (mass balance) stays
hard: mixopt relaxes limits and supplies, not the order book.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from mixopt.io.variants import PERIOD_TABLES
from mixopt.model.backend import SolveOptions, conflict, solve_lp
from mixopt.model.evaluate import recheck
from mixopt.model.families import ALL, BY_BLOCK, BY_NAME, LINKING, Family, Relaxation
from mixopt.model.formulation import WindowLP, plan_from_columns
from mixopt.model.lp import Block, LinearProgram
from mixopt.model.numbers import number
from mixopt.model.plan import Window

#: IIS and elastic sides -> the side of a limit.
SIDE = {"lower": "min", "upper": "max", "both": "equal"}
#: Every family diagnose may bend.
ELASTIC = tuple(f.name for f in ALL if f.elastic is not None)


def elastic_of(kind: str) -> tuple[str, ...]:
    """The bendable families of a kind: "supply" (more of a material) or "limit"."""
    return tuple(f.name for f in ALL if f.elastic is not None and f.elastic.kind == kind)


def context(family: Family, b: Block, w: Window) -> Any:
    """What a family reads about a block: its period's arrays, or the window."""
    return w.arrays[b.part] if family.scope == "period" else w


def elastic(lp: LinearProgram, w: Window, families: tuple[str, ...] = ELASTIC,
            sides: tuple[str, ...] = ("lower", "upper"),
            only: frozenset[int] | None = None) -> LinearProgram:
    """``lp`` with a slack column per finite side of every row in ``families`` (of the rows
    in ``only``, when given); the objective is the sum of slacks, each a relative relaxation
    of its limit. Integers are dropped."""
    cols, rows, vals = [], [], []
    n = lp.A.shape[1]
    for b in lp.rows:
        family = BY_BLOCK[b.name]
        if family.name not in families or family.elastic is None or b.name != family.name:
            continue
        ref_lo, ref_hi = family.elastic.refs(lp, b.local(), context(family, b, w))
        for i in range(len(b.keys)):
            r = b.start + i
            if only is not None and r not in only:
                continue
            if "lower" in sides and np.isfinite(lp.row_lo[r]):
                rows.append(r), cols.append(n + len(cols)), vals.append(ref_lo[i])
            if "upper" in sides and np.isfinite(lp.row_hi[r]):
                rows.append(r), cols.append(n + len(cols)), vals.append(-ref_hi[i])
    k = len(cols)
    S = sp.csc_matrix((vals, (rows, np.array(cols, dtype=np.int64) - n)),
                      shape=(lp.A.shape[0], k))
    c = np.concatenate([np.zeros(n), np.ones(k)])
    cones = lp.cones
    if cones is not None:  # the slack columns carry no spread
        cones = replace(cones, S=sp.hstack([cones.S, sp.csr_matrix((len(cones), k))],
                                           format="csr"))
    return replace(lp, A=sp.hstack([lp.A, S], format="csc"), cones=cones,
                   col_lo=np.concatenate([lp.col_lo, np.zeros(k)]),
                   col_hi=np.concatenate([lp.col_hi, np.full(k, np.inf)]), c=c, offset=0.0,
                   integer=np.zeros(n + k, dtype=bool),
                   cols=lp.cols + (Block("slack", n, tuple((j,) for j in range(k))),))


def at_period(r: Relaxation, period: str) -> Relaxation:
    """A period's relaxation as a change of that period (its field, with the period) —
    a field every period shares (an alloy window, the instance cap) stays as it is."""
    if r.path.partition(".")[0] not in PERIOD_TABLES:
        return replace(r, key=(period, *r.key))
    return replace(r, key=(period, *r.key), path=f"{r.path}.{period}",
                   message=f"{period}: {r.message}")


def least_relaxation(wlp: WindowLP, families: tuple[str, ...] = ELASTIC,
                     sides: tuple[str, ...] = ("lower", "upper"),
                     options: SolveOptions | None = None,
                     only: frozenset[int] | None = None
                     ) -> tuple[list[Relaxation], float] | None:
    """The relaxations of the least (relative) elastic plan, and its size (the sum of
    each limit's change relative to the limit); None if even that is infeasible (for
    instance when only supply may move and more supply does not help)."""
    raw = solve_lp(elastic(wlp.lp, wlp.window, families, sides, only), options,
                   sensitivity=False, integer=False)
    x = raw.x
    if x is None:
        return None
    w = wlp.window
    h = w.horizon
    plan = plan_from_columns(wlp, x)
    evs, _ = recheck(plan)
    out = []
    for k, ev in enumerate(evs):
        for v in ev.violations:
            family = BY_NAME.get(v.family)
            if family is not None and family.elastic is not None:
                r = family.elastic.relax(v, ev, h.instances[w.start + k])
                if r is not None:
                    out.append(at_period(r, w.period(k)) if h.has_periods else r)
    for family in LINKING:
        if family.elastic is not None:
            out += [r for v in family.check(plan)
                    if (r := family.elastic.relax(v, plan, h)) is not None]
    return _one_per_path(out), float(raw.objective or 0.0)


def _one_per_path(relaxations: list[Relaxation]) -> list[Relaxation]:
    """One relaxation per field (periods that share a field, an alloy's window, ask for
    it each): the loosest."""
    out: dict[str, Relaxation] = {}
    for r in relaxations:
        old = out.get(r.path)
        if old is None or merged((old, r))[r.path] != old.value:
            out[r.path] = r if old is None else replace(r, value=merged((old, r))[r.path])
    return list(out.values())


def merged(relaxations: tuple[Relaxation, ...]) -> dict[str, Any]:
    """The overrides of a set of relaxations: two windows of one path give the wider, two
    numbers the looser (the larger of maxima, the smaller of minima)."""
    values: dict[str, Any] = {}
    for r in relaxations:
        old = values.get(r.path)
        if isinstance(old, list) and isinstance(r.value, list):
            values[r.path] = [min(old[0], r.value[0]), max(old[1], r.value[1])]
        elif isinstance(old, int | float) and isinstance(r.value, int | float):
            values[r.path] = max(old, r.value) if r.side == "max" else min(old, r.value)
        else:
            values[r.path] = r.value
    return values


#: The column bounds an irreducible conflict may hold, in words: (lower, upper).
_BOUNDS = {"buy": ("purchases cannot be negative", "at most {t} t can be bought"),
           "stock": ("stock cannot be negative", "at most {t} t can be stored")}


def conflict_words(wlp: WindowLP, found: tuple[list, list] | None = None) -> list[str] | None:
    """The irreducible infeasible set of the LP (``found``, or computed), each limit in its
    family's words (a period's limits with the period in front, when the plan has periods)."""
    lp, w = wlp.lp, wlp.window
    found = found if found is not None else conflict(lp)
    if found is None:
        return None
    rows, cols = found
    out = []
    for r, side in rows:
        b = lp.block_of_row(r)
        family = BY_BLOCK[b.name]
        text = family.words(b.local_key(r - b.start), SIDE.get(side, side),
                            context(family, b, w))
        out.append(f"{b.period}: {text}" if b.period else text)
    for c, side in cols:
        b = lp.block_of_col(c)
        if b.name in ("charge", "spread") and side == "lower":
            continue  # charges and spreads cannot be negative: always in the system
        key = b.local_key(c - b.start)
        if b.name in _BOUNDS and len(key) == 2:
            bound = lp.col_hi[c] if side == "upper" else lp.col_lo[c]
            out.append(f"{key[1]} in {key[0]}: "
                       + _BOUNDS[b.name][side == "upper"].format(t=number(bound)))
        else:
            out.append(f"{b.name} {b.keys[c - b.start]} {side} bound")
    return out


def elastic_rows(lp: LinearProgram) -> set[int]:
    out = set()
    for b in lp.rows:
        family = BY_BLOCK[b.name]
        if family.name in ELASTIC and family.elastic is not None and b.name == family.name:
            out.update(range(b.start, b.stop))
    return out


def rows_of(lp: LinearProgram, relaxations: list[Relaxation]) -> set[int]:
    """The rows whose limits ``relaxations`` move (a family's row key, with the period of
    a period's rows in front, is its relaxation's key)."""
    wanted = {(r.family, tuple(r.key)) for r in relaxations}
    out = set()
    for b in lp.rows:
        if b.name != BY_BLOCK[b.name].name:
            continue
        for i in range(len(b.keys)):
            key = tuple(b.keys[i])
            if (b.name, key) in wanted:
                out.add(b.start + i)
    return out


__all__ = ["ELASTIC", "SIDE", "conflict_words", "elastic", "elastic_of",
           "elastic_rows", "least_relaxation", "merged", "rows_of"]
