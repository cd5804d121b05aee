"""The least change of what links the periods that gives a horizon a plan.

When every period has a plan alone, the links fight: a stored material's offer per
period, its storage limit, its final stock, a contract's minimum or maximum. An elastic
copy of the joint LP lets each of those bounds move at a price of 1 per 100% of its size
(so the least *relative* change wins); the moved bounds are turned into changes of the
horizon, and the changed horizon is solved again to verify the way out.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from mixopt.model.backend import SolveOptions, solve_lp
from mixopt.model.lp import Block, LinearProgram
from mixopt.model.multiperiod import build_window, solve_horizon
from mixopt.model.schema.horizon import Horizon, Stocked

#: A bound moved by less than this share of its size is not a change.
MOVE_TOL = 1e-7


@dataclass(frozen=True)
class LinkChange:
    what: str  # "offer", "storage", "final", "contract_min", "contract_max"
    material: str
    period: str | None
    was: float
    now: float

    @property
    def message(self) -> str:
        label, path = {
            "offer": ("offer", "available.max"), "storage": ("storage", "stock.max"),
            "final": ("final stock", "stock.final"),
            "contract_min": ("contract minimum", "contract.min"),
            "contract_max": ("contract maximum", "contract.max")}[self.what]
        where = "" if self.period is None else (
            f" (after {self.period})" if self.what == "final" else f" in {self.period}")
        verb = "lower" if self.now < self.was else "raise"
        return (f"{verb} {self.material}'s {label}{where} from {self.was:,.6g} t to "
                f"{self.now:,.6g} t   [materials.{self.material}.{path}]")


def _ref(v: float) -> float:
    return max(abs(v), 1.0)


def least_link_change(h: Horizon, options: SolveOptions | None = None) -> \
        tuple[list[LinkChange], str] | None:
    """The changes, and the status of the horizon once they are made; None when even
    moving every link bound gives no plan."""
    wlp = build_window(h, 0, len(h.periods))
    lp = wlp.lp
    n, m = lp.A.shape[1], lp.A.shape[0]
    col_lo, col_hi = lp.col_lo.copy(), lp.col_hi.copy()
    extra_cols: list[tuple[int, int, float, tuple]] = []  # (column, sign, ref, meaning)
    for name in ("buy", "stock"):
        blk = lp.col_block(name)
        for i, key in enumerate(blk.keys if blk is not None else ()):
            j = blk.start + i
            if np.isfinite(col_hi[j]):
                extra_cols.append((j, -1, _ref(col_hi[j]), ("offer" if name == "buy"
                                                            else "storage", *key)))
                col_hi[j] = np.inf
            if name == "stock" and col_lo[j] > 0:
                extra_cols.append((j, 1, _ref(col_lo[j]), ("final", *key)))
                col_lo[j] = 0.0
    row_slacks: list[tuple[int, int, float, tuple]] = []  # (row, sign, ref, meaning)
    con = lp.row_block("contract")
    for i, key in enumerate(con.keys if con is not None else ()):
        r = con.start + i
        if np.isfinite(lp.row_lo[r]) and lp.row_lo[r] > 0:
            row_slacks.append((r, 1, _ref(lp.row_lo[r]), ("contract_min", None, key[0])))
        if np.isfinite(lp.row_hi[r]):
            row_slacks.append((r, -1, _ref(lp.row_hi[r]), ("contract_max", None, key[0])))
    k1, k2 = len(extra_cols), len(row_slacks)
    if k1 + k2 == 0:
        return None
    # rows: the LP's own (contract rows with their slacks), then x_j -/+ e_j against the
    # bound it replaces
    cols_s = sp.csc_matrix((np.array([s for _, s, _, _ in row_slacks], dtype=float),
                            ([r for r, _, _, _ in row_slacks], np.arange(k2))), shape=(m, k2))
    link = sp.csc_matrix((np.ones(k1), (np.arange(k1), [j for j, _, _, _ in extra_cols])),
                         shape=(k1, n))
    e = sp.csc_matrix((np.array([s for _, s, _, _ in extra_cols], dtype=float),
                       (np.arange(k1), np.arange(k1))), shape=(k1, k1))
    A = sp.bmat([[lp.A, None, cols_s], [link, e, None]], format="csc")
    bound = np.array([lp.col_hi[j] if s < 0 else lp.col_lo[j] for j, s, _, _ in extra_cols])
    row_lo = np.concatenate([lp.row_lo, np.where([s > 0 for _, s, _, _ in extra_cols],
                                                 bound, -np.inf)])
    row_hi = np.concatenate([lp.row_hi, np.where([s < 0 for _, s, _, _ in extra_cols],
                                                 bound, np.inf)])
    c = np.concatenate([np.zeros(n), [1 / r for _, _, r, _ in extra_cols],
                        [1 / r for _, _, r, _ in row_slacks]])
    elastic = LinearProgram(
        A=A, row_lo=row_lo, row_hi=row_hi,
        col_lo=np.concatenate([col_lo, np.zeros(k1 + k2)]),
        col_hi=np.concatenate([col_hi, np.full(k1 + k2, np.inf)]), c=c, offset=0.0,
        integer=np.zeros(n + k1 + k2, dtype=bool), rows=(Block("elastic", 0, ()),),
        cols=(Block("elastic", 0, ()),), objective_unit="share")
    x = solve_lp(elastic, options, sensitivity=False, integer=False).x
    if x is None:
        return None
    moved = x[n:]
    changes = []
    for (j, s, ref, (what, period, name)), v in zip(extra_cols + row_slacks, moved,
                                                    strict=True):
        if v <= MOVE_TOL * ref:
            continue
        was = (lp.col_hi[j] if s < 0 else lp.col_lo[j]) if what in ("offer", "storage",
                                                                    "final") else \
            (h.contracts[name].min if what == "contract_min" else h.contracts[name].max)
        now = was + v if what in ("offer", "storage", "contract_max") else max(was - v, 0.0)
        changes.append(LinkChange(what, name, period, float(was), float(now)))
    verified = solve_horizon(_changed(h, changes), options, sensitivity=False).status
    return changes, str(verified)


def _changed(h: Horizon, changes: list[LinkChange]) -> Horizon:
    """``h`` with the link changes made."""
    stocked, contracts = dict(h.stocked), dict(h.contracts)
    for ch in changes:
        if ch.what in ("contract_min", "contract_max"):
            field = ch.what.removeprefix("contract_")
            contracts[ch.material] = contracts[ch.material].model_copy(update={field: ch.now})
            continue
        s: Stocked = stocked[ch.material]
        if ch.what == "final":
            stocked[ch.material] = dataclasses.replace(s, final_t=ch.now)
            continue
        k = h.periods.index(ch.period)
        attr = "buy_max_t" if ch.what == "offer" else "max_t"
        values = list(getattr(s, attr))
        values[k] = ch.now
        stocked[ch.material] = dataclasses.replace(s, **{attr: tuple(values)})
    return dataclasses.replace(h, stocked=stocked, contracts=contracts)
