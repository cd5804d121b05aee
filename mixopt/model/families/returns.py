"""(RT) Home scrap: a share of every slab made comes back as a material (edge trim, crops,
rejects: the run-around loop of a rolling mill).

A product with ``returns = {material, share}`` gives back ``share`` x its slab made
(Σ_m y_m x_pm) as that material, whose chemistry, spreads, cost and footprint are declared
on it as usual (route pre-consumer scrap, so it counts as pre-consumer recycled content).

- In a month the returns are a supply of that month: what is charged of the material (and
  fed to processes) is at most what comes back, R_n = Σ_p S_p Σ_m y_m x_pm over the
  products returning to n (its ``available`` still bounds it as any material's).
- With periods the material is stored (``io.periods`` requires its ``stock``): the stock
  balance (SB) takes the returns in at the end of each period, so they count in the
  closing stock (storage max, holding cost, final stock), and this family holds that they
  are charged from the next period on: the closing stock is at least the period's returns
  (s_nk − R_nk ≥ 0: what was in stock before they came back never went negative).

Rows are keyed (period, material), the period "" in a month; in tonnes.
"""

from __future__ import annotations

import numpy as np

from mixopt.model.families.base import Dual, Family
from mixopt.model.families.shared import kept, return_terms, use_terms, violation
from mixopt.model.families.stock import col
from mixopt.model.figures import Violation
from mixopt.model.lp import INF, LPBuilder
from mixopt.model.plan import HorizonPlan, Window


def _returned(w: Window) -> list[str]:
    """The materials some product of the window returns to, in the window's order."""
    got = {int(m) for d in w.arrays for m in d.return_material if m >= 0}
    return [w.materials[m] for m in sorted(got)]


def define_returns(b: LPBuilder, w: Window) -> None:
    """(RT) a month: Σ_p x_pn + Σ_o c_no Σ_p x_po − R_n <= 0 for every material n home scrap
    comes back as; with periods: s_nk − R_nk >= 0 for every period k (R_nk = Σ_p S_p Σ_m
    y_m x^k_pm over the products returning to n)."""
    names = _returned(w)
    if not names:
        return
    rows, cols, vals, keys = [], [], [], []
    if not w.horizon.has_periods:
        d = w.arrays[0]
        ms = np.array([d.materials.index(n) for n in names])
        for r, c, v, sign in (*[(*use_terms(d, ms), 1.0)], *[(*return_terms(d, ms), -1.0)]):
            rows.append(r)
            cols.append(c + w.col0[0])
            vals.append(sign * v)
        keys = [(w.period(0), n) for n in names]
        lo, hi = np.full(len(keys), -INF), np.zeros(len(keys))
    else:
        for j, n in enumerate(names):
            for k, d in enumerate(w.arrays):
                i = len(keys)
                r, c, v = return_terms(d, np.array([d.materials.index(n)]))
                rows += [np.array([i]), r + i]
                cols += [np.array([col(b, w, "stock", n, k)]), c + w.col0[k]]
                vals += [np.ones(1), -v]
                keys.append((w.period(k), n))
        lo, hi = np.zeros(len(keys)), np.full(len(keys), INF)
    b.add_rows("returns", keys, np.concatenate(rows), np.concatenate(cols),
               np.concatenate(vals), lo, hi)


def check_returns(plan: HorizonPlan) -> list[Violation]:
    w, out = plan.window, []
    for n in _returned(w):
        back = plan.returned(n)
        if not w.horizon.has_periods:
            used = float(plan.used(n)[0])
            out.append(violation("returns", "max", (w.period(0), n), used - back[0], back[0],
                                 "t", f"charges {used:,.6g} t of home scrap, {back[0]:,.6g} t "
                                      "comes back"))
            continue
        before = plan.closing(n) - back
        out += [violation("returns", "min", (w.period(k), n), -before[k], 0.0, "t",
                          f"charges {back[k]:,.6g} t of home scrap in the period it comes "
                          "back (it joins the stock at the period's end)")
                for k in w.ks]
    return kept(out)


def words_returns(key: tuple, side: str, w: Window) -> str:
    if not key[0]:
        return f"{key[1]}: at most the home scrap that comes back this month"
    return f"{key[1]} in {key[0]}: home scrap is charged from the period after it comes back"


FAMILY = Family(
    name="returns", label="RT", title="home scrap returns",
    math="a month: Σ_p x_pn + Σ_o c_no Σ_p x_po ≤ Σ_p S_p Σ_m y_m x_pm [p returns n]; "
         "periods: s_nk ≥ Σ_p S_p Σ_m y_m x^k_pm [p returns n]",
    domain="n a product's `returns.material` (k ∈ periods)",
    fields="`products.returns.material`, `products.returns.share`",
    keys=("period", "material"), define=define_returns, check=check_returns,
    words=words_returns, dual=Dual("t"), scope="horizon")
