"""When the answer is "no": what to change, in the planner's words.

``diagnose(instance)`` works in three steps:

1. cheap domain checks, each with a precise message (demand against supply, required
   constituents nobody carries, maximums below the cleanest material, a cap below the
   least footprint, recycled minimums above the recycled supply);
2. the least relaxation: an elastic copy of the formulation's rows with a penalised
   slack on every limit (chemistry, supply, caps, recycled share, demand), each slack
   normalised to a *relative* change of its own limit so one unit means the same
   everywhere; the elastic plan is rechecked by ``evaluate`` and every broken rule
   becomes "relax this limit to the value the plan reaches" (an instance path and
   value). A second elastic run that may only add supply gives the "or make more
   available" alternative. Every suggestion is verified by solving the relaxed instance;
3. the conflict: HiGHS's irreducible infeasible set of the LP, translated into
   products, constituents and materials.

MILPs are diagnosed on their LP relaxation first; when that is feasible, the conflict
is in the purchase rules (whole lots, minimum orders) and the diagnosis says which.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from mixopt.analysis.confidence import highest_confidence
from mixopt.io.variants import apply_overrides
from mixopt.model.arrays import InstanceArrays, to_arrays
from mixopt.model.backend import SolveOptions, Status, conflict, solve_lp
from mixopt.model.evaluate import evaluate
from mixopt.model.families import BY_BLOCK, BY_NAME, FAMILIES, Relaxation
from mixopt.model.formulation import build_lp
from mixopt.model.lp import Block, LinearProgram
from mixopt.model.pipeline import solve
from mixopt.model.schema.instance import Instance

#: IIS and elastic sides -> the side of a limit.
_SIDE = {"lower": "min", "upper": "max", "both": "equal"}


@dataclass(frozen=True)
class Option:
    """One way out: a set of relaxations, and the status of the instance once applied."""

    title: str
    relaxations: tuple[Relaxation, ...]
    verified: Status

    @property
    def overrides(self) -> dict[str, Any]:
        return merged(self.relaxations)


@dataclass(frozen=True)
class Diagnosis:
    instance: Instance
    status: Status  # of the instance as given
    checks: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()  # the least overall change first
    conflict: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def infeasible(self) -> bool:
        return self.status == Status.INFEASIBLE


# -- 1. domain checks --------------------------------------------------------------------


def domain_checks(instance: Instance, d: InstanceArrays | None = None,
                  options: SolveOptions | None = None) -> list[str]:
    """Necessary conditions, each violated one as a sentence."""
    d = d or to_arrays(instance)
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
        r = solve(free, options)
        if r.status.has_solution:
            least = r.objective_value
            if np.isfinite(cap) and cap < least * (1 - 1e-9):
                out.append(f"footprint cap {cap:g} t CO2e/t is below the least achievable "
                           f"footprint, {least:.4f} t CO2e/t ({d.scope} scope)")
            ev = r.evaluation
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


# -- 2. the least relaxation -------------------------------------------------------------
#
# Only families with an ``Elastic`` bend. Demand (mass balance) stays hard: the chemistry
# rows are written on the ordered tonnes, so shrinking an order would buy concentration
# that no real plan has; mixopt relaxes limits and supplies, not the order book.

ELASTIC = tuple(f.name for f in FAMILIES if f.elastic is not None)


def elastic(lp: LinearProgram, d: InstanceArrays, families: tuple[str, ...] = ELASTIC,
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
        ref_lo, ref_hi = family.elastic.refs(lp, b, d)
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


def least_relaxation(instance: Instance, d: InstanceArrays, lp: LinearProgram,
                     families: tuple[str, ...] = ELASTIC,
                     sides: tuple[str, ...] = ("lower", "upper"),
                     options: SolveOptions | None = None,
                     only: frozenset[int] | None = None) -> list[Relaxation] | None:
    """The relaxations of the least (relative) elastic plan; None if even that is infeasible
    (for instance when only supply may move and more supply does not help)."""
    x = solve_lp(elastic(lp, d, families, sides, only), options, sensitivity=False,
                 integer=False).x
    if x is None:
        return None
    P, M, _ = d.shape
    ev = evaluate(instance, np.clip(x[: P * M], 0, None).reshape(P, M), d)
    out = []
    for v in ev.violations:
        family = BY_NAME.get(v.family)
        if family is not None and family.elastic is not None:
            r = family.elastic.relax(v, ev, instance)
            if r is not None:
                out.append(r)
    return out


def merged(relaxations: tuple[Relaxation, ...]) -> dict[str, Any]:
    """The overrides of a set of relaxations (two windows of one path: the wider)."""
    values: dict[str, Any] = {}
    for r in relaxations:  # two windows of one alloy (two products): take both
        if r.path in values and isinstance(r.value, list):
            a, b = values[r.path], r.value
            values[r.path] = [min(a[0], b[0]), max(a[1], b[1])]
        else:
            values[r.path] = r.value
    return values


def _elastic_of(kind: str) -> tuple[str, ...]:
    return tuple(f.name for f in FAMILIES if f.elastic is not None and f.elastic.kind == kind)


#: The ways out that are tried: (title, families that may bend, sides).
WAYS = (
    ("least change overall", ELASTIC, ("lower", "upper")),
    ("more supply only", _elastic_of("supply"), ("upper",)),
    ("limits only (no more supply)", _elastic_of("limit"), ("lower", "upper")),
)


# -- 3. the conflict ---------------------------------------------------------------------


def conflict_words(lp: LinearProgram, d: InstanceArrays,
                   found: tuple[list, list] | None = None) -> list[str] | None:
    """HiGHS's irreducible infeasible set (``found``, or computed), each limit in its
    family's words."""
    found = found if found is not None else conflict(lp)
    if found is None:
        return None
    rows, cols = found
    out = []
    for r, side in rows:
        b = lp.block_of_row(r)
        out.append(BY_BLOCK[b.name].words(b.keys[r - b.start], _SIDE.get(side, side), d))
    charge = lp.col_block("charge")
    for c, side in cols:
        if charge is not None and c < charge.stop and side == "lower":
            continue  # charges cannot be negative: always part of the system, not news
        b = lp.block_of_col(c)
        out.append(f"{b.name} {b.keys[c - b.start]} {side} bound")
    return out


#: At most this many limits are tried one at a time.
MAX_SINGLE_TRIES = 24


def _elastic_rows(lp: LinearProgram) -> set[int]:
    out = set()
    for b in lp.rows:
        family = BY_BLOCK[b.name]
        if family.name in ELASTIC and family.elastic is not None and b.name == family.name:
            out.update(range(b.start, b.stop))
    return out


def _rows_of(lp: LinearProgram, relaxations: list[Relaxation]) -> set[int]:
    """The rows whose limits ``relaxations`` move (a family's row key is its
    relaxation's key)."""
    wanted = {(r.family, tuple(r.key)) for r in relaxations}
    return {b.start + i for b in lp.rows if b.name == BY_BLOCK[b.name].name
            for i, key in enumerate(b.keys) if (b.name, tuple(key)) in wanted}


def single_limit_ways(instance: Instance, d: InstanceArrays, lp: LinearProgram,
                      candidates: list[int], options: SolveOptions | None) -> list[Option]:
    """Each candidate limit relaxed alone (every other limit held): the ways out that move
    one limit only, each verified by a solve of the relaxed instance."""
    found: list[Option] = []
    for r in candidates[:MAX_SINGLE_TRIES]:
        rel = least_relaxation(instance, d, lp, ELASTIC, ("lower", "upper"), options,
                               only=frozenset({r}))
        if not rel or len(rel) != 1:
            continue
        if any(o.overrides == merged(tuple(rel)) for o in found):
            continue
        verified = solve(apply_overrides(instance, merged(tuple(rel)), "diagnose"),
                         options).status
        found.append(Option("this limit alone", tuple(rel), verified))
    return found


# -- all together ------------------------------------------------------------------------


def diagnose(instance: Instance, options: SolveOptions | None = None) -> Diagnosis:
    """Why an instance has no plan, and the least change that gives it one."""
    first = solve(instance, options)
    if first.status in (Status.UNBOUNDED, Status.INFEASIBLE_OR_UNBOUNDED) and \
            unbounded_notes(instance):
        return Diagnosis(instance, first.status, notes=tuple(unbounded_notes(instance)))
    if first.status != Status.INFEASIBLE:
        return Diagnosis(instance, first.status,
                         notes=(f"the instance is {first.status}: nothing to relax",))
    d = to_arrays(instance)
    lp = build_lp(d, instance.objective.minimise)
    checks = domain_checks(instance, d, options)
    notes: list[str] = _confidence_notes(instance, options) if d.has_chance else []
    if instance.is_milp:
        relaxed_lp = solve_lp(lp, options, sensitivity=False, integer=False).status
        if relaxed_lp.has_solution:
            notes += _purchase_rule_notes(instance, options)
            return Diagnosis(instance, first.status, tuple(checks), conflict=(),
                             notes=tuple(notes))
        notes.append("diagnosed on the LP relaxation (purchase rules set aside): it is "
                     "infeasible too")
    iis = conflict(lp)
    joint: list[tuple[str, list[Relaxation]]] = []
    for title, families, sides in WAYS:
        rel = least_relaxation(instance, d, lp, families, sides, options)
        if rel and not any(merged(tuple(r)) == merged(tuple(rel)) for _, r in joint):
            joint.append((title, rel))
    # one limit at a time first: the limits of the conflict, then those the joint ways move
    elastic_rows = _elastic_rows(lp)
    candidates = [r for r, _ in (iis[0] if iis else []) if r in elastic_rows]
    for _, rel in joint:
        candidates += sorted(_rows_of(lp, rel) - set(candidates))
    found = single_limit_ways(instance, d, lp, candidates, options)
    for title, rel in joint:
        if any(o.overrides == merged(tuple(rel)) for o in found):
            continue  # a single limit already offered
        verified = solve(apply_overrides(instance, merged(tuple(rel)), "diagnose"),
                         options).status
        label = title if len(rel) == 1 else f"joint, {title}: all {len(rel)} changes together"
        found.append(Option(label, tuple(rel), verified))
    words = conflict_words(lp, d, iis) or []
    return Diagnosis(instance, first.status, tuple(checks), tuple(found), tuple(words),
                     tuple(notes))


def unbounded_notes(instance: Instance) -> list[str]:
    """Why a plan could earn without end: products sold at a price with no most tonnes
    (no capacity or supply then bounds what they make)."""
    return [f"{p.name} is sold at {p.price:g} per t with no tonnes_max, and no capacity or "
            "supply bounds what it can make: give it a tonnes_max, or a capacity on its "
            f"materials   [--set \"products.{p.name}.tonnes_max=...\"]"
            for p in instance.products if p.sold and p.tonnes_max is None and (p.price or 0) > 0]


def _confidence_notes(instance: Instance, options: SolveOptions | None) -> list[str]:
    """The highest confidence with a plan, and the limits that stop it there."""
    reach = highest_confidence(instance, options)
    if reach.confidence is None:
        return [(f"even with every limit held on the mean (no confidence) there is no plan: "
                 f"the confidence {reach.asked:g} is not the cause")]
    stop = "; ".join(reach.stops) or "no single chance limit"
    return [(f"the highest confidence with a plan is {reach.confidence:.4f} (asked "
             f"{reach.asked:g}), for every limit of every product; there it is stopped by: "
             f"{stop}   [--set \"objective.confidence={reach.confidence:.4f}\"]")]


def _purchase_rule_notes(instance: Instance, options: SolveOptions | None) -> list[str]:
    """The LP relaxation is feasible: find which purchase rules make the MILP infeasible."""
    notes = [("the LP relaxation is feasible: the conflict is only in the purchase rules "
              "(whole lots, minimum orders)")]
    ruled = [m for m in instance.materials if m.is_milp()]
    for rule in ("lot", "min_order"):
        drop = {f"materials.{m.name}.{rule}": None for m in ruled
                if getattr(m, rule) is not None}
        if drop and solve(apply_overrides(instance, drop, "diagnose"), options).status \
                .has_solution:
            notes.append(f"dropping every {rule} rule ({len(drop)} materials) makes it feasible")
    if len(ruled) <= 20:
        for m in ruled:
            drop = {f"materials.{m.name}.lot": None, f"materials.{m.name}.min_order": None}
            if solve(apply_overrides(instance, drop, "diagnose"), options).status.has_solution:
                notes.append(f"buying {m.name} by the tonne (no lot or minimum order) makes "
                             "it feasible")
    notes += _lot_rounded(instance, ruled, options)
    return notes


#: Smaller lots tried, as fractions of the lot size.
LOT_FRACTIONS = (0.5, 0.2, 0.1)


def _lot_rounded(instance: Instance, ruled: list, options: SolveOptions | None) -> list[str]:
    """Concrete changes in whole lots, each verified: the tonnage of a product rounded to
    what whole lots can make, or a smaller lot of one material."""
    def works(changes: dict[str, Any]) -> bool:
        return solve(apply_overrides(instance, changes, "diagnose"), options).status \
            .has_solution

    out = []
    lots = [m for m in ruled if m.lot is not None][:20]
    step = min((m.lot * m.yield_ for m in lots), default=None)
    if step:
        for prod in instance.products:
            for tonnes in sorted({math.floor(prod.tonnes / step) * step,
                                  math.ceil(prod.tonnes / step) * step} - {prod.tonnes}):
                path = f"products.{prod.name}.tonnes"
                if tonnes > 0 and works({path: round(tonnes, 6)}):
                    out.append(f"{prod.name}: {tonnes:,.6g} t instead of {prod.tonnes:,.6g} t "
                               f"can be made from whole lots   [--set \"{path}="
                               f"{round(tonnes, 6):g}\"]")
    for m in lots:
        for frac in LOT_FRACTIONS:
            path, lot = f"materials.{m.name}.lot", round(m.lot * frac, 6)
            if works({path: lot}):
                out.append(f"{m.name} in lots of {lot:g} t instead of {m.lot:g} t makes it "
                           f"feasible   [--set \"{path}={lot:g}\"]")
                break
    return out


def to_json_dict(diag: Diagnosis) -> dict[str, Any]:
    return {
        "instance": diag.instance.name, "status": str(diag.status),
        "checks": list(diag.checks),
        "options": [{"title": o.title, "verified": str(o.verified),
                     "overrides": o.overrides,
                     "relaxations": [{"family": r.family, "side": r.side, "where": r.where,
                                      "path": r.path, "value": r.value, "message": r.message}
                                     for r in o.relaxations]} for o in diag.options],
        "conflict": list(diag.conflict), "notes": list(diag.notes),
    }


def render(diag: Diagnosis) -> str:
    lines = [f"{diag.instance.name}: {diag.status}"]
    lines += [f"  note: {n}" for n in diag.notes]
    if diag.checks:
        lines.append("checks:")
        lines += [f"  - {c}" for c in diag.checks]
    for k, o in enumerate(diag.options):
        lines.append(f"{'a way out' if k == 0 else 'or'} ({o.title}; with these changes the "
                     f"instance is {o.verified}):")
        lines += [f"  - {r.message}   [{set_flag(r)}]" for r in o.relaxations]
    if diag.conflict:
        lines.append("these limits fight each other (irreducible conflict from HiGHS):")
        lines += [f"  - {c}" for c in diag.conflict]
    return "\n".join(lines) + "\n"


def set_flag(r: Relaxation) -> str:
    """The command-line change that applies a relaxation."""
    return f'--set "{r.path}={_toml(r.value)}"'


def _toml(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(f"{x:g}" for x in v) + "]"
    return f"{v:g}" if isinstance(v, float) else str(v)
