"""When the answer is "no": what to change, in the planner's words.

``diagnose(plan)`` (a month, or a horizon of several periods) works in three steps:

1. cheap domain checks per period, each with a precise message (demand against supply,
   required constituents nobody carries, maximums below the cleanest material, a cap below
   the least footprint, recycled minimums above the recycled supply);
2. the least relaxation (``analysis.elastic``): an elastic copy of the plan's LP with a
   penalised slack on every limit — a period's chemistry, supply, caps, shares, labels,
   capacities, and what links periods (purchases of stored materials, storage, final
   stock, contracts) — the elastic plan rechecked, and every broken limit turned into an
   instance change; ways that move one limit alone first, then the joint ways. Every way
   is verified by solving the changed plan;
3. the conflict: HiGHS's irreducible infeasible set of the LP, in the families' words.

MILPs are diagnosed on their LP relaxation first; when that is feasible, the conflict
is in the integer rules (whole lots, minimum orders, charging rules) and the diagnosis
says which, each way out verified by a solve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mixopt.analysis.confidence import highest_confidence
from mixopt.analysis.elastic import (
    ELASTIC,
    conflict_words,
    elastic_of,
    elastic_rows,
    least_relaxation,
    merged,
    rows_of,
)
from mixopt.io.variants import apply_overrides
from mixopt.model.arrays import InstanceArrays
from mixopt.model.backend import SolveOptions, Status, conflict, solve_lp
from mixopt.model.families import FAMILIES, Relaxation
from mixopt.model.formulation import WindowLP, build_window
from mixopt.model.numbers import number
from mixopt.model.planner import solve
from mixopt.model.schema.horizon import Horizon, as_horizon
from mixopt.model.schema.instance import Instance


@dataclass(frozen=True)
class Option:
    """One way out: a set of relaxations, and the status of the plan once applied."""

    title: str
    relaxations: tuple[Relaxation, ...]
    verified: Status

    @property
    def overrides(self) -> dict[str, Any]:
        return merged(self.relaxations)


@dataclass(frozen=True)
class Diagnosis:
    plan: Horizon
    status: Status  # of the plan as given
    checks: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()  # the least overall change first
    conflict: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def infeasible(self) -> bool:
        return self.status == Status.INFEASIBLE


def _verified(h: Horizon, changes: dict[str, Any], options: SolveOptions | None) -> Status:
    return solve(apply_overrides(h, changes, "diagnose"), options, sensitivity=False).status


# -- 1. domain checks --------------------------------------------------------------------


def domain_checks(plan: Horizon | Instance, options: SolveOptions | None = None) -> list[str]:
    """Necessary conditions, each violated one as a sentence, period by period (each
    period alone, its stored materials unlimited: what fails there fails in any plan)."""
    plan = as_horizon(plan)
    out = []
    for k, (inst, d) in enumerate(zip(plan.instances, plan.arrays, strict=True)):
        said = _period_checks(inst, d, options)
        out += [f"{plan.periods[k]}: {c}" for c in said] if plan.has_periods else said
    return out


def _period_checks(instance: Instance, d: InstanceArrays,
                   options: SolveOptions | None) -> list[str]:
    out = []
    avail = d.available_max_t > 0
    total = d.slab_tonnes.sum()
    most = (d.yield_t_per_t * d.available_max_t).sum()
    if most < total * (1 - 1e-9):
        out.append(f"demand of {total:,.1f} t of slab is above the {most:,.1f} t that all "
                   "materials together can give at their yields")
    for p, prod in enumerate(d.products):
        for e in np.flatnonzero(d.limited[p]):
            el, lo, hi = d.constituents[e], d.limit_min_wt_pct[p, e], d.limit_max_wt_pct[p, e]
            carried = avail & (d.composition_wt_pct[:, e] > 0)
            if lo > 0 and not carried.any():
                out.append(f"{prod}: {el} must be at least {lo:g} wt% but no available "
                           f"material carries {el}")
            if hi < 100 and avail.any():
                m = int(np.argmin(np.where(avail, d.composition_wt_pct[:, e], np.inf)))
                if d.composition_wt_pct[m, e] > hi:
                    out.append(f"{prod}: {el} max {hi:g} wt% is below even the cleanest "
                               f"available material ({d.materials[m]}, "
                               f"{d.composition_wt_pct[m, e]:g} wt%)")
    forced = [d.materials[m] for m in np.flatnonzero(d.available_min_t > 0)]
    if len(d.max_materials) and np.isfinite(d.max_materials).all() and \
            len(forced) > d.max_materials.sum():
        out.append(f"{len(forced)} materials must be charged (available.min above 0: "
                   f"{', '.join(forced)}), but the products take at most "
                   f"{d.max_materials.sum():g} materials together (max_materials of "
                   + ", ".join(f"{p} {k:g}" for p, k in zip(d.products, d.max_materials,
                                                             strict=True)) + ")")
    need = (d.min_recycled_share * d.slab_tonnes).sum()
    has = d.recycled > 0
    rec = (d.available_max_t[has] * d.recycled[has]).sum()
    if need > 0 and rec < need * (1 - 1e-9):
        out.append(f"recycled minimums need at least {need:,.1f} t of recycled charge (at "
                   f"least the share of each product's slab), only {rec:,.1f} t is available")
    cap = d.instance_cap_t_co2e_per_t
    if np.isfinite(cap) or np.isfinite(d.product_cap_t_co2e_per_t).any():
        free = apply_overrides(instance, {"objective.minimise": "footprint",
                                          "objective.footprint_cap": None,
                                          **{f"products.{p}.footprint_cap": None
                                             for p in d.products}}, "diagnose")
        r = solve(free, options, sensitivity=False)
        if r.status.has_solution:
            least = r.objective_value
            if np.isfinite(cap) and cap < least * (1 - 1e-9):
                out.append(f"footprint cap {cap:g} t CO2e/t is below the least achievable "
                           f"footprint, {least:.4f} t CO2e/t ({d.scope} scope)")
            ev = r.evaluations[0]
            for p, prod in enumerate(d.products):
                cp = d.product_cap_t_co2e_per_t[p]
                fp = ev.footprint_t[p] / ev.slab_t[p]
                if np.isfinite(cp) and cp < d.casting_t_co2e_per_t:
                    out.append(f"{prod}: footprint cap {cp:g} is below the casting footprint "
                               f"alone ({d.casting_t_co2e_per_t:g} t CO2e/t)")
                elif np.isfinite(cp) and cp < fp * (1 - 1e-9) and len(d.products) == 1:
                    out.append(f"{prod}: footprint cap {cp:g} t CO2e/t is below the least "
                               f"achievable, {fp:.4f} t CO2e/t")
    return out


# -- 2. the ways out ---------------------------------------------------------------------

#: The ways out that are tried: (title, families that may bend, sides).
WAYS = (
    ("least change overall", ELASTIC, ("lower", "upper")),
    ("more supply only", elastic_of("supply"), ("upper",)),
    ("limits only (no more supply)", elastic_of("limit"), ("lower", "upper")),
)
#: At most this many limits are tried one at a time.
MAX_SINGLE_TRIES = 24


def single_limit_ways(h: Horizon, wlp: WindowLP, candidates: list[int],
                      options: SolveOptions | None) -> list[Option]:
    """Each candidate limit relaxed alone (every other limit held): the ways out that move
    one limit only, each verified by a solve of the changed plan."""
    found: list[tuple[float, Option]] = []
    for r in candidates[:MAX_SINGLE_TRIES]:
        got = least_relaxation(wlp, ELASTIC, ("lower", "upper"), options, frozenset({r}))
        if got is None or len(got[0]) != 1:
            continue
        rel, size = got
        if any(o.overrides == merged(tuple(rel)) for _, o in found):
            continue
        found.append((size, Option("this limit alone", tuple(rel),
                                   _verified(h, merged(tuple(rel)), options))))
    # the least change (relative to its limit) first
    return [o for _, o in sorted(found, key=lambda f: f[0])]


def diagnose(plan: Horizon | Instance, options: SolveOptions | None = None) -> Diagnosis:
    """Why a plan has no solution, and the least change that gives it one."""
    h = as_horizon(plan)
    first = solve(h, options, sensitivity=False)
    if first.status in (Status.UNBOUNDED, Status.INFEASIBLE_OR_UNBOUNDED) and \
            unbounded_notes(h):
        return Diagnosis(h, first.status, notes=tuple(unbounded_notes(h)))
    if first.status != Status.INFEASIBLE:
        return Diagnosis(h, first.status,
                         notes=(f"the instance is {first.status}: nothing to relax",))
    wlp = build_window(h)
    checks = domain_checks(h, options)
    notes: list[str] = (_confidence_notes(h, options)
                        if any(d.has_chance for d in h.arrays) else [])
    if h.is_milp:
        if solve_lp(wlp.lp, options, sensitivity=False, integer=False).status.has_solution:
            notes.append("the LP relaxation is feasible: the conflict is only in the integer "
                         "rules (whole lots, minimum orders, charging rules)")
            if _rules(h):
                notes += _purchase_rule_notes(h, options)
            return Diagnosis(h, first.status, tuple(checks), tuple(_loosened(h, options)),
                             notes=tuple(notes))
        notes.append("diagnosed on the LP relaxation (purchase rules set aside): it is "
                     "infeasible too")
    iis = conflict(wlp.lp)
    joint: list[tuple[str, list[Relaxation]]] = []
    for title, families, sides in WAYS:
        got = least_relaxation(wlp, families, sides, options)
        rel = got[0] if got is not None else []
        if rel and not any(merged(tuple(r)) == merged(tuple(rel)) for _, r in joint):
            joint.append((title, rel))
    # one limit at a time first: the limits of the conflict, then those the joint ways move
    bendable = elastic_rows(wlp.lp)
    candidates = [r for r, _ in (iis[0] if iis else []) if r in bendable]
    for _, rel in joint:
        candidates += sorted(rows_of(wlp.lp, rel) - set(candidates))
    found = single_limit_ways(h, wlp, candidates, options)
    for title, rel in joint:
        if any(o.overrides == merged(tuple(rel)) for o in found):
            continue  # a single limit already offered
        label = title if len(rel) == 1 else f"joint, {title}: all {len(rel)} changes together"
        found.append(Option(label, tuple(rel), _verified(h, merged(tuple(rel)), options)))
    words = conflict_words(wlp, iis) or []
    found, notes = _standard_ways(found, notes, checks, words)
    return Diagnosis(h, first.status, tuple(checks), tuple(found), tuple(words), tuple(notes))


#: A way out that moves an alloy's maximum past this many times the widest maximum the
#: shipped library gives that constituent in any alloy makes another alloy, not a
#: relaxation of this one: it is not offered.
FAR_BEYOND = 2.0


def _widest_max() -> dict[str, float]:
    """The widest maximum of each constituent over the shipped library's alloys."""
    from mixopt.model.schema.alloys import library

    out: dict[str, float] = {}
    for alloy in library().values():
        for e, (_, hi) in alloy.limits_wt_pct.items():
            out[e] = max(out.get(e, 0.0), hi)
    return out


def _standard_ways(found: list[Option], notes: list[str], checks: list[str],
                   conflict_said: list[str]) -> tuple[list[Option], list[str]]:
    """The ways out that keep every alloy limit within reach of a standard window, and a
    note for those that do not (and, when none is left, why nothing else works)."""
    widest = _widest_max()
    kept, far = [], []
    for option in found:
        past = []
        for r in option.relaxations:
            e = r.path.rsplit(".", 1)[-1]
            if r.path.startswith("alloys.") and isinstance(r.value, list | tuple) \
                    and len(r.value) == 2 and e in widest \
                    and r.value[1] > FAR_BEYOND * widest[e]:
                who = r.key[0] if r.key else r.path.split(".")[1]
                past.append(f"{who}: {e} max to {number(r.value[1], 4)} wt% (no alloy of "
                            f"the shipped library allows more than {widest[e]:g})")
        (far.append((option, past)) if past else kept.append(option))
    if not far:
        return found, notes
    said = "; ".join(dict.fromkeys(p for _, ps in far for p in ps))
    notes = [*notes, (f"not offered: {len(far)} way(s) out that would move an alloy limit "
                      f"far beyond any standard window ({said}): that is another alloy, not "
                      "this one relaxed")]
    if not kept:
        why = ("the checks above" if checks else "the limits that fight each other, below,"
               if conflict_said else "the elastic plan")
        notes.append(f"no other way out was found: {why} say what stops the plan — change "
                     "the materials on offer (their supply or minimum use), or the product")
    return kept, notes


def unbounded_notes(h: Horizon) -> list[str]:
    """Why a plan could earn without end: products sold at a price with no most tonnes
    (no capacity or supply then bounds what they make)."""
    sold = {p.name: p for i in h.instances for p in i.products
            if p.sold and p.tonnes_max is None and (p.price or 0) > 0}
    return [f"{p.name} is sold at {p.price:g} per t with no tonnes_max, and no capacity or "
            "supply bounds what it can make: give it a tonnes_max, or a capacity on its "
            f"materials   [--set \"products.{p.name}.tonnes_max=...\"]" for p in sold.values()]


def _confidence_notes(instance: Horizon, options: SolveOptions | None) -> list[str]:
    """The highest confidence with a plan, and the limits that stop it there."""
    reach = highest_confidence(instance, options)
    if reach.confidence is None:
        return [(f"even with every limit held on the mean (no confidence) there is no plan: "
                 f"the confidence {reach.asked:g} is not the cause")]
    stop = "; ".join(reach.stops) or "no single chance limit"
    return [(f"the highest confidence with a plan is {reach.confidence:.4f} (asked "
             f"{reach.asked:g}), for every limit of every product; there it is stopped by: "
             f"{stop}   [--set \"objective.confidence={reach.confidence:.4f}\"]")]


def _rules(h: Horizon) -> dict[str, tuple[float | None, float | None, float]]:
    """Materials bought under a purchase rule in some period: (a lot, a minimum order, the
    yield), the first period's that has one."""
    out: dict[str, tuple[float | None, float | None, float]] = {}
    for k, inst in enumerate(h.instances):
        for m in inst.materials:
            s = h.stocked.get(m.name)
            lot, least = (s.lot(k), s.min_order(k)) if s is not None else (m.lot, m.min_order)
            if (lot is not None or least is not None) and m.name not in out:
                out[m.name] = (lot, least, m.yield_)
    return out


def _purchase_rule_notes(h: Horizon, options: SolveOptions | None) -> list[str]:
    """The LP relaxation is feasible: find which purchase rules make the MILP infeasible."""
    notes = []
    ruled = _rules(h)
    for k, rule in enumerate(("lot", "min_order")):
        drop = {f"materials.{m}.{rule}": None for m, r in ruled.items() if r[k] is not None}
        if drop and _verified(h, drop, options).has_solution:
            notes.append(f"dropping every {rule} rule ({len(drop)} materials) makes it feasible")
    if len(ruled) <= 20:
        for m in ruled:
            drop = {f"materials.{m}.lot": None, f"materials.{m}.min_order": None}
            if _verified(h, drop, options).has_solution:
                notes.append(f"buying {m} by the tonne (no lot or minimum order) makes it "
                             "feasible")
    notes += _lot_rounded(h, ruled, options)
    return notes


def _loosened(h: Horizon, options: SolveOptions | None) -> list[Option]:
    """The MILP rules the LP relaxation cannot bend (``Family.loosen``: max_materials,
    min_charge, charging rules), each loosened alone, in turn, until the plan has a
    solution: the first change that works per limit, verified."""
    found: list[Option] = []
    seen: set[tuple] = set()
    groups = [g for k, d in enumerate(h.arrays) for f in FAMILIES if f.loosen is not None
              for g in f.loosen(d, h.periods[k] if h.has_periods else "")]
    for group in groups[:MAX_SINGLE_TRIES]:
        for rel in group:
            if (rel.path, str(rel.value)) in seen:
                break
            seen.add((rel.path, str(rel.value)))
            status = _verified(h, {rel.path: rel.value}, options)
            if status.has_solution:
                found.append(Option("this rule alone", (rel,), status))
                break
    return found


#: Smaller lots tried, as fractions of the lot size.
LOT_FRACTIONS = (0.5, 0.2, 0.1)


def _lot_rounded(h: Horizon, ruled: dict[str, tuple[float | None, float | None, float]],
                 options: SolveOptions | None) -> list[str]:
    """Concrete changes in whole lots, each verified: the tonnage of a product rounded to
    what whole lots can make (in a period, when the plan has periods), or a smaller lot of
    one material."""
    def works(changes: dict[str, Any]) -> bool:
        return _verified(h, changes, options).has_solution

    out = []
    lots = [(m, lot, y) for m, (lot, _, y) in ruled.items() if lot is not None][:20]
    step = min((lot * y for _, lot, y in lots), default=None)
    for k, inst in enumerate(h.instances if step else ()):
        at = f".{h.periods[k]}" if h.has_periods else ""
        for prod in inst.products:
            if prod.tonnes is None:
                continue
            for tonnes in sorted({math.floor(prod.tonnes / step) * step,
                                  math.ceil(prod.tonnes / step) * step} - {prod.tonnes}):
                path = f"products.{prod.name}.tonnes{at}"
                if tonnes > 0 and works({path: round(tonnes, 6)}):
                    out.append(f"{prod.name}: {number(tonnes)} t instead of "
                               f"{number(prod.tonnes)} t can be made from whole lots   "
                               f"[--set \"{path}={round(tonnes, 6):g}\"]")
    for m, size, _ in lots:
        for frac in LOT_FRACTIONS:
            path, lot = f"materials.{m}.lot", round(size * frac, 6)
            if works({path: lot}):
                out.append(f"{m} in lots of {lot:g} t instead of {size:g} t makes it "
                           f"feasible   [--set \"{path}={lot:g}\"]")
                break
    return out
