"""(MC), (NM) and (RU) Charges a casthouse can run: the smallest amount worth charging,
the most materials in one charge, and rules that tie materials together (the MILP part).

A furnace is charged from a few materials, each in a real amount; the optimum of the chance
constraints, left alone, puts almost every lot into almost every product (mixing lots
shrinks the spread). Each (product, material) pair a rule reads has a decision
z_pm ∈ {0, 1}, "m is charged to p", tied to the charge by x_pm ≤ U_pm z_pm and, where a
least charge applies, x_pm ≥ L_pm z_pm. U_pm is the most that can be charged: the
material's supply, its capacities, or the product's most slab at the material's yield.

The recheck counts from the plan alone: a material is charged when its charge is more
than ``CHARGED_T`` (1 g; the solver leaves at most its feasibility tolerance where z = 0).
An LP gives these rows no shadow price; diagnose bends them by trying, each verified by a
solve, one more material, a smaller least charge, or the rule dropped (``Family.loosen``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from mixopt.model.arrays import InstanceArrays
from mixopt.model.families.base import Family, Relaxation
from mixopt.model.families.shared import product_index
from mixopt.model.figures import Figures, Violation, tolerance
from mixopt.model.lp import INF, LPBuilder, charge_col, fix_integers
from mixopt.model.schema.instance import RULE_MIN_CHARGE_T

#: A charge above this counts as "charged" in the recheck (1 g).
CHARGED_T = 1e-6
#: Smaller least charges diagnose tries, as fractions of the given one.
MIN_CHARGE_FRACTIONS = (0.5, 0.2, 0.1)


def least_charge(d: InstanceArrays) -> np.ndarray:
    """(P, M) the least charge of every pair that has one when charged (0 where none): the
    material's ``min_charge``, or ``RULE_MIN_CHARGE_T`` for a material a rule requires in
    that product."""
    P = d.shape[0]
    out = np.where(np.isfinite(d.min_charge_t), d.min_charge_t, 0.0)[None, :].repeat(P, 0)
    for _, _, then_all, ps in d.rules:
        for p in ps:
            for m in then_all:
                out[p, m] = max(out[p, m], RULE_MIN_CHARGE_T)
    return out


def pairs(d: InstanceArrays) -> np.ndarray:
    """(K, 2) the (p, m) pairs with a charged decision, in charge-column order: every
    material of a product with ``max_materials``, every product of a material with
    ``min_charge``, and the materials of a rule in its products."""
    P, M, _ = d.shape
    need = np.zeros((P, M), dtype=bool)
    if len(d.max_materials):
        need[np.isfinite(d.max_materials), :] = True
    if len(d.min_charge_t):
        need[:, np.isfinite(d.min_charge_t)] = True
    for _, if_any, then_all, ps in d.rules:
        need[np.ix_(list(ps), list(if_any) + list(then_all))] = True
    return np.argwhere(need)


def most_charge(d: InstanceArrays) -> np.ndarray:
    """(P, M) U_pm: no plan charges more of m to p (supply, capacities, or the product's
    most slab at m's yield); validation refuses a rule where none bounds it."""
    cap = d.available_max_t.copy()
    for (_, ms), k in zip(d.capacity_groups, d.capacity_max_t, strict=True):
        cap[list(ms)] = np.minimum(cap[list(ms)], k)
    return np.minimum(cap[None, :], d.slab_max_t[:, None] / d.yield_t_per_t[None, :])


def charged_columns(b: LPBuilder, d: InstanceArrays) -> None:
    """z[p,m] in {0, 1}: m is charged to p (for the pairs a rule reads)."""
    pm = pairs(d)
    b.add_columns("charged", [(d.products[p], d.materials[m]) for p, m in pm], 0.0, 1.0,
                  integer=True)


def _z(b: LPBuilder, d: InstanceArrays) -> dict[tuple[int, int], int]:
    block = b.col_block("charged")
    if block is None:
        return {}
    return {(int(p), int(m)): block.start + i for i, (p, m) in enumerate(pairs(d))}


def define_min_charge(b: LPBuilder, d: InstanceArrays) -> None:
    """(MC) x[p,m] - U_pm z[p,m] <= 0 for every pair with a decision, and
    x[p,m] - L_pm z[p,m] >= 0 where a least charge L_pm applies."""
    z = _z(b, d)
    if not z:
        return
    M = d.shape[1]
    pm = np.array(list(z))
    zc = np.array(list(z.values()))
    k = len(pm)
    x = charge_col(M, pm[:, 0], pm[:, 1])
    most = most_charge(d)[pm[:, 0], pm[:, 1]]
    keys = [(d.products[p], d.materials[m]) for p, m in pm]
    b.add_rows("charge_link", keys, np.repeat(np.arange(k), 2), np.ravel([x, zc], "F"),
               np.ravel([np.ones(k), -most], "F"), -INF, 0.0)
    least = least_charge(d)[pm[:, 0], pm[:, 1]]
    on = np.flatnonzero(least > 0)
    b.add_rows("min_charge", [keys[i] for i in on], np.repeat(np.arange(len(on)), 2),
               np.ravel([x[on], zc[on]], "F"), np.ravel([np.ones(len(on)), -least[on]], "F"),
               0.0, INF)


def define_max_materials(b: LPBuilder, d: InstanceArrays) -> None:
    """(NM) sum_m z[p,m] <= K_p for every product with ``max_materials``."""
    z = _z(b, d)
    ps = np.flatnonzero(np.isfinite(d.max_materials)) if len(d.max_materials) else []
    if not z or not len(ps):
        return
    M = d.shape[1]
    b.add_rows("max_materials", [(d.products[p],) for p in ps],
               np.repeat(np.arange(len(ps)), M),
               np.array([z[(int(p), m)] for p in ps for m in range(M)]), np.ones(len(ps) * M),
               -INF, d.max_materials[ps])


def _rule_rows(d: InstanceArrays) -> Iterator[tuple[str, int, int, int]]:
    """(rule, product, if-material, then-material) of every implication a rule makes."""
    for name, if_any, then_all, ps in d.rules:
        for p in ps:
            for a in if_any:
                for c in then_all:
                    if a != c:
                        yield name, p, a, c


def define_rules(b: LPBuilder, d: InstanceArrays) -> None:
    """(RU) z[p,a] - z[p,c] <= 0: a charged in p requires c charged in p, for every a of a
    rule's if_any and c of its then_all, in each product it applies to."""
    z = _z(b, d)
    rows = list(_rule_rows(d))
    if not z or not rows:
        return
    cols = np.array([[z[(p, a)], z[(p, c)]] for _, p, a, c in rows]).ravel()
    b.add_rows("rule", [(name, d.products[p], d.materials[a], d.materials[c])
                        for name, p, a, c in rows],
               np.repeat(np.arange(len(rows)), 2), cols, np.tile([1.0, -1.0], len(rows)),
               -INF, 0.0)


def charged_mask(mix_t: np.ndarray) -> np.ndarray:
    """(P, M) bool: a plan's charge ``mix_t`` charges m to p (more than ``CHARGED_T``)."""
    return mix_t > CHARGED_T


def charged(fig: Figures) -> np.ndarray:
    return charged_mask(fig.mix_t)


def check_min_charge(fig: Figures) -> list[Violation]:
    d, x = fig.arrays, fig.mix_t
    least = least_charge(d)
    out = []
    for p, m in np.argwhere(charged(fig) & (least > 0)):
        short = least[p, m] - x[p, m]
        if short > tolerance(least[p, m]):
            out.append(Violation("min_charge", "min", (d.products[p], d.materials[m]),
                                 float(short), "t",
                                 f"charges {x[p, m]:,.6g} t of {d.materials[m]}, below the "
                                 f"least charge of {least[p, m]:g} t"))
    return out


def check_max_materials(fig: Figures) -> list[Violation]:
    d = fig.arrays
    count = charged(fig).sum(axis=1)
    return [Violation("max_materials", "max", (d.products[p],),
                      float(count[p] - d.max_materials[p]), "materials",
                      f"charges {count[p]} materials, at most {d.max_materials[p]:g}")
            for p in np.flatnonzero(count > np.nan_to_num(d.max_materials, nan=np.inf))]


def check_rules(fig: Figures) -> list[Violation]:
    d, on = fig.arrays, charged(fig)
    least = least_charge(d)
    out = []
    for name, p, a, c in _rule_rows(d):
        if on[p, a] and fig.mix_t[p, c] < least[p, c] - tolerance(least[p, c]):
            out.append(Violation("rule", "max", (name, d.products[p], d.materials[a],
                                                 d.materials[c]), 1.0, "rule",
                                 f"charges {d.materials[a]} but {fig.mix_t[p, c]:,.6g} t of "
                                 f"{d.materials[c]} (rule {name!r} needs at least "
                                 f"{least[p, c]:g} t)"))
    return out


def words_min_charge(key: tuple, side: str, d: InstanceArrays) -> str:
    p, m = product_index(d, key[0]), d.materials.index(key[1])
    return f"{key[0]}: {key[1]} none or at least {least_charge(d)[p, m]:g} t"


def words_max_materials(key: tuple, side: str, d: InstanceArrays) -> str:
    return f"{key[0]}: at most {d.max_materials[product_index(d, key[0])]:g} materials"


def words_rule(key: tuple, side: str, d: InstanceArrays) -> str:
    name, prod, a, c = key
    return f"{prod}: rule {name!r}, {a} charged needs {c} charged"


def materials_used(fig: Figures) -> np.ndarray:
    """(P,) how many different materials the plan charges to each product."""
    return charged(fig).sum(axis=1)


def _at(period: str) -> str:
    return f".{period}" if period else ""


def loosen_max_materials(d: InstanceArrays, period: str) -> Iterator[list[Relaxation]]:
    """Per product with ``max_materials``: one material more, then more (diagnose tries each
    in turn, verified by a solve, and offers the first that gives a plan)."""
    for p in np.flatnonzero(np.isfinite(d.max_materials)) if len(d.max_materials) else ():
        k, prod = int(d.max_materials[p]), d.products[p]
        path = f"products.{prod}.max_materials{_at(period)}"
        yield [Relaxation("max_materials", (prod,), "max", path, more,
                          f"{prod}: allow {more} materials instead of {k}")
               for more in sorted({*range(k + 1, min(k + 4, d.shape[1]) + 1), d.shape[1]})
               if more > k]


def loosen_min_charge(d: InstanceArrays, period: str) -> Iterator[list[Relaxation]]:
    """Per material with ``min_charge``: a smaller least charge, down to 1 kg."""
    for m in np.flatnonzero(np.isfinite(d.min_charge_t)) if len(d.min_charge_t) else ():
        t, name = float(d.min_charge_t[m]), d.materials[m]
        path = f"materials.{name}.min_charge{_at(period)}"
        yield [Relaxation("min_charge", ("every product", name), "min", path, v,
                          f"{name}: charge at least {v:g} t instead of {t:g} t")
               for v in dict.fromkeys(max(round(t * f, 6), RULE_MIN_CHARGE_T)
                                      for f in (*MIN_CHARGE_FRACTIONS, 0.0)) if v < t]


def loosen_rules(d: InstanceArrays, period: str) -> Iterator[list[Relaxation]]:
    """Per rule: the rule dropped (it then applies to no product)."""
    for name, *_ in d.rules:
        yield [Relaxation("rule", (name,), "max", f"rules.{name}.products", [],
                          f"drop the rule {name!r} (it then applies to no product)")]


MIN_CHARGE = Family(
    name="min_charge", label="MC", title="least charge",
    math="x_pm − L_pm z_pm ≥ 0 (where L_pm > 0) and x_pm − U_pm z_pm ≤ 0, z_pm ∈ {0, 1}",
    domain="(p, m) a charging rule reads (z_pm exists)",
    fields="`materials.min_charge` (L_pm; 0.001 t for a material a rule requires), U_pm "
           "from `available.max`, `capacities`, `products.tonnes`, `yield`",
    keys=("product", "material"), define=define_min_charge, check=check_min_charge,
    words=words_min_charge, columns=charged_columns, blocks=("charge_link",),
    loosen=loosen_min_charge,
    implied="the charge_link rows tie z_pm to the charge; U_pm never binds a plan that "
            "meets (SU), (CP) and (MB)")

MAX_MATERIALS = Family(
    name="max_materials", label="NM", title="most materials in a charge",
    math="Σ_m z_pm ≤ K_p", domain="p with `max_materials`",
    fields="`products.max_materials`", keys=("product",), define=define_max_materials,
    check=check_max_materials, words=words_max_materials, loosen=loosen_max_materials)

RULES = Family(
    name="rule", label="RU", title="charging rules",
    math="z_pa − z_pc ≤ 0 for a ∈ if_any_r, c ∈ then_all_r, p ∈ products_r",
    domain="r ∈ rules", fields="`rules.if_any`, `rules.then_all`, `rules.products`",
    keys=("rule", "product", "material", "requires"), define=define_rules,
    check=check_rules, words=words_rule, loosen=loosen_rules)


#: A first plan searches among each product's largest relaxed charges: this many times its
#: max_materials.
CANDIDATES_PER_SLOT = 2
#: ... for at most this many seconds (or a quarter of --time-limit).
FIRST_PLAN_S = 60.0


def rounded_start(wlp: Any, options: Any) -> np.ndarray | None:
    """A first plan for a MILP whose integer decisions are all charging decisions (HiGHS's
    own heuristics rarely find one when every product must drop lots it would like):
    solve the relaxation; then the same MILP restricted to each product's largest relaxed
    charges (twice ``max_materials`` of them: a small MILP); failing that, keep in each
    product its largest charges, add what the rules require, fix those decisions and solve
    what is left. The plan, over the LP's columns, or None. With cones the relaxation and
    the fixed problem are cone programs, the restricted one a MILP with cones."""
    from dataclasses import replace

    from mixopt.model.backend import solve_lp

    lp = wlp.lp
    blocks = [b for b in lp.cols if b.name == "charged"]
    owned = sum(b.stop - b.start for b in blocks)
    if not blocks or int(lp.integer.sum()) != owned:
        return None
    relaxed = solve_lp(lp, options, sensitivity=False, integer=False)
    if not relaxed.status.has_solution:
        return None
    z, hi = np.zeros(lp.A.shape[1]), lp.col_hi.copy()
    for b in blocks:
        d, cols = wlp.window.arrays[b.part], wlp.charge[b.part]
        mix = relaxed.x[cols.start:cols.stop].reshape(d.shape[:2])
        pm = pairs(d)
        z[b.start:b.stop] = _kept(d, mix)[pm[:, 0], pm[:, 1]]
        # candidates: the largest relaxed charges, and every material without a supply
        # limit (primary metal, master alloys: what makes up mass and chemistry)
        cand = np.maximum(_kept(d, mix, CANDIDATES_PER_SLOT),
                          ~np.isfinite(d.available_max_t)[None, :])
        hi[b.start:b.stop] *= cand[pm[:, 0], pm[:, 1]]
    limit = min(FIRST_PLAN_S, (options.time_limit_s or np.inf) / 4) if options else \
        FIRST_PLAN_S
    quick = replace(options, time_limit_s=limit) if options else None
    n = lp.A.shape[1]
    got = solve_lp(replace(lp, col_hi=hi), quick, sensitivity=False)
    if got.status.has_solution:
        return got.x[:n]  # the LP's own columns (a cut loop adds its own)
    got = solve_lp(fix_integers(lp, z[lp.integer]), options, sensitivity=False, integer=False)
    return got.x[:n] if got.status.has_solution else None


def _kept(d: InstanceArrays, mix: np.ndarray, per_slot: int = 1) -> np.ndarray:
    """(P, M) 0/1: the materials each product keeps from a relaxed plan ``mix``: its
    largest charges, ``per_slot`` times its max_materials of them (none below half its
    least charge), and what the rules then require."""
    least = least_charge(d)
    keep = (mix > CHARGED_T) & (mix >= least / 2)
    for p in range(d.shape[0]):
        k = d.max_materials[p] * per_slot if len(d.max_materials) else np.nan
        if np.isfinite(k) and keep[p].sum() > k:
            order = np.argsort(-np.where(keep[p], mix[p], -np.inf))
            keep[p, order[int(k):]] = False
    for _, if_any, then_all, ps in d.rules:
        for p in ps:
            if keep[p, list(if_any)].any():
                need = [c for c in then_all if not keep[p, c]]
                k = d.max_materials[p] * per_slot if len(d.max_materials) else np.nan
                if np.isfinite(k) and keep[p].sum() + len(need) > k:
                    keep[p, list(if_any)] = False  # no room for what it requires
                else:
                    keep[p, need] = True
    return keep.astype(float)
