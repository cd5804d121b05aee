"""At the furnace: correct a sampled melt (``mixopt correct``).

A correction is a small planning problem, solved as one: the instance of the correction
(``correction_instance``) is an ordinary ``Instance`` planned by ``model.planner.solve``
(so its recheck, chance cones and statuses are the planner's):

- the sampled melt is a material (``MELT``): composition = the sample, ``composition_sd`` =
  the analysis's sd (the melt counts as one draw), yield 1, ``available`` = {T, T}, or
  {0, T} when it may be tapped; tapping r t costs ``tap_cost_per_t`` x r, written as a
  melt cost of -tap_cost_per_t with the constant tap_cost_per_t x T added back here;
- the additions are the instance's materials with their chemistry, spreads, yield, price,
  footprint and supply (what a plan leaves of it, with ``--plan``); no lots, minimum
  orders, charges rules or capacities (those rule a month's purchases, not a heat);
- the product is sold in a range at price 0: ``tonnes_min`` the heat's size, ``tonnes_max``
  the furnace's capacity, so the metal after correction is a decision and its windows (and
  aims, and with a confidence its chance limits) are the homogeneous rows of a sold product;
- the objective: cost of the additions plus tapping, or their footprint in t CO2e (the
  melt's own footprint and the casting are 0: what is minimised is absolute, which is why
  a correction may minimise footprint where a month with sold products may not).

When no correction exists, ``furnace_diagnosis`` says why in the furnace's words, each by
a solve of a variant of the same instance: how many tonnes the furnace would need (its
limit lifted, the least metal after correction), which limits cannot be met within the
furnace without removing metal (each limit alone, no tapping), and the least tonnage to tap
before diluting (tapping allowed, the tapped tonnes minimised).
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mixopt.analysis.correct_spec import MELT, TONNES_ATOL, Spec, period_instance
from mixopt.errors import InputError, Problem
from mixopt.model.backend import SolveOptions
from mixopt.model.evaluate import BINDING_REL_TOL, Evaluation
from mixopt.model.schema.carbon import Footprint
from mixopt.model.schema.horizon import Horizon
from mixopt.model.schema.instance import (
    Available,
    Casting,
    Instance,
    Material,
    Objective,
    Product,
)
from mixopt.model.uncertainty import outside, spread_wt_pct


def correction_instance(inst: Instance, spec: Spec, purpose: str = "correct",
                        only: tuple[str, ...] | None = None) -> Instance:
    """The correction problem as an instance (see the module doc). ``purpose``:
    "correct" (the spec's objective), "after_mass" (the least metal after correction: every
    material costs its yield) or "tapped" (the least melt tapped); ``only``: keep these
    constituents' limits alone."""
    from mixopt.model.arrays import to_arrays

    prod = next(p for p in inst.products if p.name == spec.product)
    d = to_arrays(inst)
    zero = Footprint(full=0.0, scope12=0.0)
    cost_of = {"correct": lambda i: inst.costs[i], "after_mass": lambda i: d.yield_t_per_t[i],
               "tapped": lambda i: 0.0}[purpose]
    mats = []
    for i, m in enumerate(inst.materials):
        most = spec.supply_t.get(m.name, float(d.available_max_t[i]))
        mats.append(Material(
            name=m.name, kind=m.kind, route=m.route, recycled=m.recycled,
            cost=float(cost_of(i)), footprint=inst.footprints[i],
            available=Available(max=None if math.isinf(most) else most), yield_=m.yield_,
            composition=m.composition, composition_sd=m.composition_sd, source=m.source))
    a = spec.analysis
    melt_cost = {"correct": -spec.tap_cost_per_t if spec.minimise == "cost" else 0.0,
                 "after_mass": 1.0, "tapped": -1.0}[purpose]
    melt = Material(name=MELT, kind="melt", route="other", cost=0.0, footprint=zero,
                    available=Available(min=0.0 if spec.may_tap else spec.melt_t,
                                        max=spec.melt_t),
                    composition={e: v for e, v in a.wt_pct.items() if v > 0},
                    composition_sd={e: v for e, v in a.sd_wt_pct.items() if v > 0},
                    source=f"sampled: {a.source}")
    # tapping is the only negative price there is: set on the built material (a price
    # field refuses one), with tap_cost x T added back by ``Correction``
    melt = melt.model_copy(update={"cost": melt_cost})
    window = inst.alloys[prod.alloy]
    aim = prod.aim
    if only is not None:
        window = {e: w for e, w in window.items() if e in only}
        aim = {e: w for e, w in aim.items() if e in only}
    sense = "cost" if purpose != "correct" else spec.minimise
    return Instance(
        name=f"{inst.name}: correction of {prod.name}", currency=inst.currency,
        objective=Objective(minimise=sense, scope=inst.objective.scope,
                            confidence=spec.confidence, confidence_per="limit"),
        casting=Casting(footprint=zero, source="a correction: the heat is cast anyway"),
        alloys={prod.alloy: window},
        products=(Product(name=prod.name, alloy=prod.alloy, tonnes_min=spec.heat_t,
                          tonnes_max=spec.furnace_max_t, price=0.0, aim=aim),),
        materials=(melt, *mats))


@dataclass(frozen=True)
class FurnaceDiagnosis:
    """Why no correction exists, in the furnace's words."""

    furnace_max_t: float | None
    furnace_needed_t: float | None  # the least metal after correction, the furnace lifted
    stuck: tuple[tuple[str, str, float, float], ...]  # (constituent, side, sample, limit)
    least_tap_t: float | None  # the least melt to tap before diluting
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Correction:
    """A correction: its problem, its plan rechecked (the evaluation of the correction
    instance), and its figures."""

    spec: Spec
    base: Instance  # the instance (period) corrected
    instance: Instance  # the correction problem
    status: str
    message: str
    evaluation: Evaluation | None
    solver: dict[str, Any] | None = None
    timings_s: dict[str, float] = field(default_factory=dict)
    diagnosis: FurnaceDiagnosis | None = None

    @property
    def mix_t(self) -> np.ndarray:
        return self.evaluation.mix_t[0]

    @property
    def additions(self) -> list[tuple[str, float]]:
        """(material, t charged) of every addition made."""
        if self.evaluation is None:
            return []
        return [(m.name, float(t)) for m, t in zip(self.instance.materials[1:],
                                                   self.mix_t[1:], strict=True)
                if t > TONNES_ATOL]

    @property
    def tapped_t(self) -> float | None:
        if self.evaluation is None:
            return None
        r = self.spec.melt_t - float(self.mix_t[0])
        return r if r > TONNES_ATOL else 0.0

    @property
    def after_t(self) -> float | None:
        return None if self.evaluation is None else float(self.evaluation.slab_t[0])

    @property
    def additions_cost(self) -> float | None:
        if self.evaluation is None:
            return None
        return float(np.dot(self.mix_t[1:], self.base.costs))

    @property
    def tapping_cost(self) -> float | None:
        tap = self.tapped_t
        return None if tap is None else self.spec.tap_cost_per_t * tap

    @property
    def footprint_t(self) -> float | None:
        """T CO2e of the additions (the objective's scope)."""
        return None if self.evaluation is None else float(self.evaluation.footprint_t[0])

    @property
    def objective_value(self) -> float | None:
        if self.evaluation is None:
            return None
        if self.spec.minimise == "footprint":
            return self.footprint_t
        return self.additions_cost + self.tapping_cost

    @property
    def objective_unit(self) -> str:
        return "t CO2e" if self.spec.minimise == "footprint" else self.base.currency

    def composition(self) -> list[dict[str, Any]]:
        """Per constituent the alloy (or an aim) limits: the melt after correction against
        its window, whether a limit binds, the sample, and with spreads its sd and the
        probability of a heat within the window."""
        ci, ev = self.instance, self.evaluation
        prod = ci.products[0]
        window, aim = ci.alloys[prod.alloy], prod.aim
        names = list(dict.fromkeys([*window, *aim]))
        d = ci.constituents()
        binding = ev.binding(0) if ev is not None else {}
        sd = (spread_wt_pct(ev.arrays, ev.mix_t, ev.slab_t)[0] if ev is not None
              else np.zeros(len(d)))
        out = []
        for e in names:
            j = d.index(e)
            lo, hi = window.get(e, (0.0, 100.0))
            got = float(ev.composition_wt_pct[0, j]) if ev is not None else None
            row = {"constituent": e, "wt_pct": got, "min_wt_pct": lo, "max_wt_pct": hi,
                   "binding": binding.get(e)}
            if e in aim:
                a_lo, a_hi = aim[e]
                row.update(aim_min_wt_pct=a_lo, aim_max_wt_pct=a_hi)
                if row["binding"] is None and got is not None:
                    for side, lim in (("aim min", a_lo), ("aim max", a_hi)):
                        if abs(got - lim) <= BINDING_REL_TOL * max(1.0, lim) \
                                and (lim > 0 if side == "aim min" else lim < 100):
                            row["binding"] = side
            row["sample_wt_pct"] = self.spec.analysis.wt_pct.get(e, 0.0)
            if self.spec.planned_wt_pct:
                row["planned_wt_pct"] = self.spec.planned_wt_pct.get(e, 0.0)
            if got is not None:
                below, above = outside(np.array(got), np.array(sd[j]), np.array(lo),
                                       np.array(hi))
                row.update(sd_wt_pct=float(sd[j]),
                           probability_within=float(1 - below - above))
            out.append(row)
        return out


def correct(h: Horizon, spec: Spec, options: SolveOptions | None = None,
            diagnose: bool = True) -> Correction:
    """The least-cost (or least-footprint) correction, solved and rechecked; when there
    is none (``diagnose``), why, in the furnace's words."""
    from mixopt.model.planner import solve

    t0 = time.perf_counter()
    base = period_instance(h, spec.period or None, [])
    ci = correction_instance(base, spec)
    r = solve(ci, options, sensitivity=False)
    ev = r.evaluations[0] if r.evaluations is not None else None
    c = Correction(spec, base, ci, str(r.status), r.message, ev,
                   r.raw.solver if r.raw is not None else None,
                   {**r.timings_s, "total": time.perf_counter() - t0})
    if r.status == "infeasible" and diagnose:
        c = dataclasses.replace(c, diagnosis=furnace_diagnosis(base, spec, options))
    return c


def recheck_correction(h: Horizon, spec: Spec, additions: dict[str, float],
                       tapped_t: float, where: str,
                       stated: dict[str, float | None] | None = None) -> tuple[Correction, list]:
    """A correction read from a document, rechecked against its rebuilt problem without
    any solver: (the correction, every rule it breaks, and every figure it states
    (``stated``: objective, after_t) that its additions do not give)."""
    from mixopt.model.evaluate import recheck
    from mixopt.model.figures import Violation, tolerance
    from mixopt.model.plan import plan_of, whole

    problems: list[Problem] = []
    base = period_instance(h, spec.period or None, problems)
    if spec.product not in {p.name for p in base.products}:
        problems.append(Problem(where, f"unknown product {spec.product!r}", "inputs",
                                field="product"))
    names = [m.name for m in base.materials]
    problems += [Problem(where, f"unknown material {m!r}", "additions", row_name=m,
                         field="material") for m in additions if m not in names]
    if tapped_t > spec.melt_t:
        problems.append(Problem(where, f"taps {tapped_t:g} t of a {spec.melt_t:g} t melt",
                                field="tapped_t"))
    if problems:
        raise InputError(problems)
    ci = correction_instance(base, spec)
    mix = np.array([[spec.melt_t - tapped_t, *(additions.get(n, 0.0) for n in names)]])
    evs, bad = recheck(plan_of(whole(Horizon.month(ci)), [mix]))
    c = Correction(spec, base, ci, "optimal" if not bad else "infeasible", "a correction read",
                   evs[0])
    for key, got, unit in (("objective", c.objective_value, c.objective_unit),
                           ("after_t", c.after_t, "t")):
        said = (stated or {}).get(key)
        if said is not None and abs(said - got) > tolerance(got):
            bad.append(Violation("document", "equal", (key,), abs(said - got), unit,
                                 f"states {key} {said:,.9g}, its additions give {got:,.9g}"))
    return c, bad


def furnace_diagnosis(inst: Instance, spec: Spec,
                      options: SolveOptions | None = None) -> FurnaceDiagnosis:
    """Why the melt cannot be corrected: the furnace it would need, the limits no addition
    can meet within the furnace without removing metal, the least tonnage to tap."""
    from mixopt.model.planner import solve

    def run(s: Spec, purpose: str, only: str | None = None) -> Evaluation | None:
        r = solve(correction_instance(inst, s, purpose, only), options, sensitivity=False)
        return r.evaluations[0] if r.status in ("optimal", "optimal_within_gap") else None

    notes = []
    F = spec.furnace_max_t
    big = run(dataclasses.replace(spec, furnace_max_t=None), "after_mass")
    needed = float(big.slab_t[0]) if big is not None else None
    if needed is None:
        notes.append("no furnace size would do: even without its limit the additions on "
                     "offer cannot bring every limit in")
    elif F is not None and needed <= F * (1 + 1e-9):
        notes.append("the furnace is large enough: it is not what stops the correction")
        needed = None
    else:
        notes.append(f"the furnace would need {needed:,.2f} t, it holds {F:,.6g} t")
    prod = next(p for p in inst.products if p.name == spec.product)
    stuck = []
    fixed = dataclasses.replace(spec, may_tap=False)
    window = dict(inst.alloys[prod.alloy])
    for e, (lo, hi) in prod.aim.items():  # an aim narrows the alloy's window
        a, b = window.get(e, (0.0, 100.0))
        window[e] = (max(a, lo), min(b, hi))
    if run(fixed, "after_mass", ()) is None:  # no limit at all: the mass alone
        notes.append(f"the heat's {spec.heat_t:,.6g} t cannot be made within the furnace "
                     "from the melt and the additions on offer (their supplies)")
        window = {}
    for e, (lo, hi) in window.items():
        if (lo <= 0 and hi >= 100) or run(fixed, "after_mass", (e,)) is not None:
            continue
        got = spec.analysis.wt_pct.get(e, 0.0)
        side = ("max" if got > hi or lo <= 0 else "min" if got < lo or hi >= 100
                else "max" if hi - got < got - lo else "min")
        limit = hi if side == "max" else lo
        stuck.append((e, side, got, limit))
        way = "down" if side == "max" else "up"
        notes.append(f"{e} cannot come {way} to {limit:g} wt% without removing metal: the "
                     f"melt is at {got:g} wt% and no addition on offer brings it {way} "
                     f"within the furnace's {F:,.6g} t")
    least = None
    if spec.may_tap:
        notes.append("tapping is allowed, and does not help: no tonnage tapped before "
                     "diluting brings every limit in")
    else:
        tap = run(dataclasses.replace(spec, may_tap=True), "tapped")
        if tap is not None:
            least = max(0.0, spec.melt_t - float(tap.mix_t[0, 0]))
            notes.append(f"tap at least {least:,.2f} t of the {spec.melt_t:,.6g} t melt "
                         "before diluting (--may-tap)")
        else:
            notes.append("tapping does not help either: no tonnage tapped before diluting "
                         "brings every limit in")
    return FurnaceDiagnosis(F, needed, tuple(stuck), least, tuple(notes))
