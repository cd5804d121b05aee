"""The Newton system of the conic interior point (``backend.ipm``), solved by product blocks.

The system, for ``A x = b`` (equality rows), ``G x + s = h``, ``s`` in the cones, and the
interior point's scaling W of the cones, is

    [0  A'  G' ] [dx]   [rx]
    [A  0   0  ] [dy] = [ry]
    [G  0  -W²] [dz]   [rz]

With ``dz = W⁻²(G dx - rz)`` it is ``[H A'; A 0]`` in ``(dx, dy)``, ``H = G' W⁻² G``: a
diagonal ``D`` (column bounds, one-column rows, the terms of the cones) plus a rank-one
term per multi-column row and per cone. A second-order cone ``‖(a_i x_i)_i‖ <= a_0 x_r``
(NT scaling ``W = η W̄``) gives ``η⁻²(2 g g' - a_0² e_r e_r' + diag(a_i²))`` with
``g = G_k' J w̄``: ``diag(a_i²)`` and ``-a_0²`` go on the diagonal, ``g`` is a row. The
rows (multi-column inequality rows, equality rows, one g per cone) form ``Bt``, each with
its 1 x 1 block ``C⁻¹`` (``s/z``, a tiny regularisation for an equality row, ``η²/2``).
A column is eliminated through its diagonal unless the diagonal is tiny against its
coefficients (a basic column in no active cone: a huge pivot) or may be negative (the
cones' spread columns r): those K columns stay unknowns next to the rows' multipliers v,

    [D_K   Bt_K'                  ] [dx_K]   [r_K]
    [Bt_K  -(Bt_E D_E⁻¹ Bt_E' + C⁻¹)] [v   ] = [t - Bt_E D_E⁻¹ r_E]

A month's LP has far fewer rows than charge columns, so this matrix is small and dense
(about 1,300 unknowns at 500 lots x 20 products x 12 constituents, where the KKT matrix
of a general sparse solver has 130,000 rows). Its unknowns fall into one block per
product (and period) — the product's rows and kept columns, which touch no other
product — and the coupling unknowns (supply, capacity and cap rows, stock and contract
rows and their columns): a block-angular (arrowhead) matrix

    [M_11          M_1c]
    [      ...     ... ]
    [         M_PP M_Pc]
    [M_c1 ...  M_cP M_cc]

factored by a small LU per product block and one dense LU of the Schur complement
``M_cc - Σ_p M_cp M_pp⁻¹ M_pc`` on the coupling unknowns (or, when that costs less in
flops, one LU of the whole). Each solve is refined iteratively against the
unregularised system above.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sl
import scipy.sparse as sp

#: Primal (H + δI) and dual (equality rows) regularisation, in the equilibrated units.
REGULARISATION = 1e-8
#: Iterative refinement: at most this many corrections, stopping when the residual is
#: below REFINE_TOL relative to the right-hand side or falls by less than REFINE_RATIO.
REFINE_STEPS = 10
REFINE_TOL = 1e-13
REFINE_RATIO = 5.0
#: A column stays an unknown of the reduced system when its diagonal is below KEEP times
#: its largest coefficient squared (a basic column in no active cone), so that no tiny
#: pivot is eliminated; the cones' spread columns always stay.
KEEP = 1e-6
#: A blocked solve left with a larger relative residual than this is done again with
#: the whole matrix factored (partial pivoting over every unknown).
BLOCKED_ERROR = 1e-6


class NotBlockable(ValueError):
    """The problem's cones are not the diagonal cones this system is written for."""


@dataclass(frozen=True)
class Layout:
    """The shape of the last factored system: its product blocks, its coupling unknowns
    and the unknowns of the largest block."""

    blocks: int
    coupling: int
    largest: int


class BlockKKT:
    """The reduced Newton system of ``A x = b, G x + s = h`` (``G``: ``nonneg`` rows, then
    the second-order cones of dimensions ``soc``), blocked by ``block`` (a block number per
    column, -1 for a column no block owns)."""

    def __init__(self, Aeq: sp.csr_matrix, G: sp.csr_matrix, nonneg: int, soc: np.ndarray,
                 block: np.ndarray) -> None:
        n = G.shape[1]
        G = sp.csr_matrix(G)
        self.Aeq, self.G = sp.csr_matrix(Aeq), G
        self.Gt = G.T.tocsr()
        self.A = sp.vstack([self.Aeq, G], format="csr")
        self.AT = self.A.T.tocsr()
        count = np.diff(G.indptr)
        lin = np.arange(nonneg)
        single = lin[count[:nonneg] == 1]
        self.multi = lin[count[:nonneg] > 1]
        self.single_row = single
        self.single_col = G.indices[G.indptr[single]]
        self.single_val = G.data[G.indptr[single]]
        K = len(soc)
        heads = nonneg + np.concatenate([[0], np.cumsum(soc)[:-1]]).astype(np.int64)
        rows = np.arange(nonneg, G.shape[0])
        if K and not (count[rows] == 1).all():
            raise NotBlockable("a cone row touches several columns")
        col_of = G.indices[G.indptr[rows]] if K else np.zeros(0, np.int64)
        val_of = G.data[G.indptr[rows]] if K else np.zeros(0)
        seg = np.repeat(np.arange(K), soc)
        head = np.zeros(len(rows), bool)
        head[heads - nonneg] = True
        self.r_col, self.r_val = col_of[head], val_of[head]
        self.e_col, self.e_val, self.e_cone = col_of[~head], val_of[~head], seg[~head]
        if K and len(np.unique(self.e_cone * n + self.e_col)) < len(self.e_col):
            raise NotBlockable("a cone holds a column twice")
        if np.isin(self.r_col, self.e_col).any():
            raise NotBlockable("a cone's spread column is a term of a cone")
        self.K, self.n, self.m0 = K, n, Aeq.shape[0]
        self.block = np.asarray(block, dtype=np.int64)
        self._order(np.flatnonzero(~head), heads - nonneg)

    def _order(self, e_pos: np.ndarray, r_pos: np.ndarray) -> None:
        """Bt's rows (multi-column inequality rows, equality rows, then each cone's g)
        sorted by block, coupling last; where the g entries sit in Bt's data."""
        K, n = self.K, self.n
        pos = np.concatenate([r_pos, e_pos])
        val = np.concatenate([self.r_val, self.e_val])
        g = sp.csr_matrix((np.arange(1.0, len(pos) + 1),
                           (np.concatenate([np.arange(K), self.e_cone]),
                            np.concatenate([self.r_col, self.e_col]))), shape=(K, n))
        source = g.data.astype(np.int64) - 1
        self.g_pos, self.g_val = pos[source], val[source]
        fixed = sp.vstack([self.G[self.multi], self.Aeq], format="csr")
        Bt = sp.vstack([fixed, g], format="csr")
        self.g_at = fixed.nnz
        self.base = Bt.data.copy()
        owner = _row_owner(Bt, self.block)
        big = np.iinfo(np.int64).max
        self.row_order = np.argsort(np.where(owner < 0, big, owner), kind="stable")
        owner = owner[self.row_order]
        self.nb = nb = int(max(owner.max(initial=-1), self.block.max(initial=-1))) + 1
        self.row_cut = np.searchsorted(np.where(owner < 0, nb, owner), np.arange(nb + 1))
        ids = sp.csr_matrix((np.arange(1.0, Bt.nnz + 1), Bt.indices, Bt.indptr),
                            shape=Bt.shape)[self.row_order]
        self.Bt = ids.copy()
        self.ids = ids.data.astype(np.int64) - 1
        idc = ids.tocsc()
        self.Btc, self.idc = idc, idc.data.astype(np.int64) - 1
        nm = len(self.multi)
        orig = self.row_order
        self.eq_rows = np.flatnonzero((orig >= nm) & (orig < nm + self.m0))
        self.eq_of = orig[self.eq_rows] - nm
        # a column's scale in the fixed rows: it is kept as an unknown when its diagonal
        # falls below KEEP of it
        self.colmax = np.maximum(np.asarray(abs(fixed).max(axis=0).todense()).ravel(), 1.0)
        self.layout = Layout(nb, 0, 0)
        self.whole = False  # set for good when the blocked factors prove too inaccurate

    def factor(self, w2inv_lin: np.ndarray, eta: np.ndarray, q: np.ndarray) -> None:
        """Factor the system at the scaling: ``w2inv_lin`` = z/s of the nonnegative rows,
        ``eta`` and ``q = J w̄`` (the cones' part) of each cone."""
        self._at = (w2inv_lin, eta, q)
        reg = REGULARISATION
        D = np.zeros(self.n)
        np.add.at(D, self.single_col, self.single_val ** 2 * w2inv_lin[self.single_row])
        np.add.at(D, self.e_col, self.e_val ** 2 / eta[self.e_cone] ** 2)
        np.add.at(D, self.r_col, -self.r_val ** 2 / eta ** 2)  # kept: any sign will do
        keep = D < KEEP * self.colmax ** 2
        keep[self.r_col] = True
        kept = np.flatnonzero(keep)
        kb = self.block[kept]
        kept = kept[np.argsort(np.where(kb < 0, np.iinfo(np.int64).max, kb), kind="stable")]
        kb = self.block[kept]
        nb = self.nb
        self.kept = kept
        self.kept_cut = kc = np.searchsorted(np.where(kb < 0, nb, kb), np.arange(nb + 1))
        self.base[self.g_at:self.g_at + len(self.g_pos)] = self.g_val * q[self.g_pos]
        self.Bt.data = self.base[self.ids]
        self.Btc.data = self.base[self.idc]
        eta2 = eta ** 2
        cinv = np.concatenate([1.0 / w2inv_lin[self.multi], np.full(self.m0, reg),
                               eta2 / 2])[self.row_order]
        self.Dinv = np.where(keep, 0.0, 1.0 / np.where(keep, 1.0, D))
        Dk = D[kept] + reg
        Y = self.Bt.copy()
        Y.data *= np.sqrt(self.Dinv)[Y.indices]
        S = (Y @ Y.T).tocsr()
        BtK = self.Btc[:, kept].tocsr()
        rc = self.row_cut
        sizes = np.diff(kc) + np.diff(rc)
        R, nk = len(cinv), len(kept)
        Rc, Kc = R - rc[nb], nk - kc[nb]
        self.layout = Layout(nb, int(Rc + Kc), int(sizes.max(initial=0)))
        self.dense = self.whole or _dense_is_cheaper(sizes.astype(float), Rc + Kc)
        if self.dense:  # one LU of the whole matrix, unknowns (kept columns, rows)
            Bk = BtK.toarray()
            M = np.zeros((nk + R,) * 2)
            M[:nk, :nk] = np.diag(Dk)
            M[nk:, :nk] = Bk
            M[:nk, nk:] = Bk.T
            M[nk:, nk:] = -S.toarray()
            M[nk:, nk:][np.diag_indices(R)] -= cinv
            self._lu = sl.lu_factor(M, check_finite=False)
            return
        lus, mbc = [], []
        for b in range(nb):
            r0, r1, k0, k1 = rc[b], rc[b + 1], kc[b], kc[b + 1]
            if r1 - r0 + k1 - k0 == 0:
                lus.append(None)
                mbc.append(np.zeros((0, Kc + Rc)))
                continue
            Bk = BtK[r0:r1, k0:k1].toarray()
            Mbb = np.block([[np.diag(Dk[k0:k1]), Bk.T],
                            [Bk, -(S[r0:r1, r0:r1].toarray() + np.diag(cinv[r0:r1]))]])
            lus.append(sl.lu_factor(Mbb, check_finite=False))
            top = np.zeros((k1 - k0, Kc + Rc))
            top[:, Kc:] = BtK[rc[nb]:, k0:k1].toarray().T
            low = np.zeros((r1 - r0, Kc + Rc))
            low[:, Kc:] = -S[r0:r1, rc[nb]:].toarray()
            mbc.append(np.vstack([top, low]))
        Bc = BtK[rc[nb]:, kc[nb]:].toarray()
        Mcc = np.block([[np.diag(Dk[kc[nb]:]), Bc.T],
                        [Bc, -(S[rc[nb]:, rc[nb]:].toarray() + np.diag(cinv[rc[nb]:]))]])
        Mb = np.vstack(mbc) if mbc else np.zeros((0, Kc + Rc))
        X = np.empty_like(Mb)
        at = 0
        for lu, m in zip(lus, mbc, strict=True):
            if lu is not None:
                X[at:at + len(m)] = sl.lu_solve(lu, m, check_finite=False)
            at += len(m)
        T = Mcc - Mb.T @ X
        self._lus, self._Mb, self._X = lus, Mb, X
        self._luT = sl.lu_factor(T, check_finite=False) if len(T) else None

    def _reduced(self, r1: np.ndarray, ry: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(dx, dy) of ``[H+δ A'; A -δ] (dx, dy) = (r1, ry)`` by the blocked factors."""
        rc, kc, nb = self.row_cut, self.kept_cut, self.nb
        t = np.zeros(self.Bt.shape[0])
        t[self.eq_rows] = ry[self.eq_of]
        rows = t - self.Bt @ (r1 * self.Dinv)
        rk = r1[self.kept]
        if self.dense:
            sol = sl.lu_solve(self._lu, np.concatenate([rk, rows]), check_finite=False)
            return self._unpack(r1, sol[:len(rk)], sol[len(rk):])
        rb = np.concatenate([np.concatenate([rk[kc[b]:kc[b + 1]], rows[rc[b]:rc[b + 1]]])
                             for b in range(nb)] + [np.zeros(0)])
        y = np.empty_like(rb)
        at = 0
        for lu in self._lus:
            if lu is not None:
                size = len(lu[1])
                y[at:at + size] = sl.lu_solve(lu, rb[at:at + size], check_finite=False)
                at += size
        vc = np.zeros(0)
        if self._luT is not None:
            rcpl = np.concatenate([rk[kc[nb]:], rows[rc[nb]:]])
            vc = sl.lu_solve(self._luT, rcpl - self._Mb.T @ y, check_finite=False)
            y -= self._X @ vc
        dxk = np.empty(len(self.kept))
        v = np.empty(len(rows))
        at = 0
        for b in range(nb):
            nkb, nrb = kc[b + 1] - kc[b], rc[b + 1] - rc[b]
            dxk[kc[b]:kc[b + 1]] = y[at:at + nkb]
            v[rc[b]:rc[b + 1]] = y[at + nkb:at + nkb + nrb]
            at += nkb + nrb
        Kc = len(self.kept) - kc[nb]
        dxk[kc[nb]:] = vc[:Kc]
        v[rc[nb]:] = vc[Kc:]
        return self._unpack(r1, dxk, v)

    def _unpack(self, r1: np.ndarray, dxk: np.ndarray, v: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
        """(dx, dy) from the kept columns' steps and the rows' multipliers v."""
        dx = (r1 - self.Bt.T @ v) * self.Dinv
        dx[self.kept] = dxk
        dy = np.empty(self.m0)
        dy[self.eq_of] = v[self.eq_rows]
        return dx, dy

    def solve(self, rx: np.ndarray, ry: np.ndarray, rz: np.ndarray,
              w2: Callable[[np.ndarray], np.ndarray],
              w2inv: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, ...]:
        """(dx, dy, dz) of the system in the module doc; ``w2``/``w2inv`` apply W² and W⁻²
        of the factored scaling. Refined against the unregularised system; when the
        blocked factors leave it inaccurate (no pivoting across blocks), the whole matrix
        is factored instead, from then on."""
        dx, dy, dz, error = self._refined(rx, ry, rz, w2, w2inv)
        if error > BLOCKED_ERROR and not self.dense:
            self.whole = True
            self.factor(*self._at)
            dx, dy, dz, error = self._refined(rx, ry, rz, w2, w2inv)
        return dx, dy, dz

    def _refined(self, rx: np.ndarray, ry: np.ndarray, rz: np.ndarray,
                 w2: Callable[[np.ndarray], np.ndarray],
                 w2inv: Callable[[np.ndarray], np.ndarray]) -> tuple:
        """The solve refined, and its relative residual."""
        m0, n = self.m0, self.n

        def once(rx: np.ndarray, ry: np.ndarray, rz: np.ndarray) -> tuple[np.ndarray, ...]:
            dx, dy = self._reduced(rx + self.Gt @ w2inv(rz), ry)
            return dx, dy, w2inv(self.G @ dx - rz)

        dx, dy, dz = once(rx, ry, rz)
        rhs = np.concatenate([rx, ry, rz])
        scale = max(np.abs(rhs).max(initial=0), 1e-300)
        last = worst = np.inf
        for _ in range(REFINE_STEPS + 1):
            Ax = self.A @ dx
            Ax[m0:] -= w2(dz)
            err = rhs - np.concatenate([self.AT @ np.concatenate([dy, dz]), Ax])
            worst = np.abs(err).max(initial=0)
            if worst <= REFINE_TOL * scale or worst * REFINE_RATIO > last:
                break
            last = worst
            cx, cy, cz = once(err[:n], err[n:n + m0], err[n + m0:])
            dx, dy, dz = dx + cx, dy + cy, dz + cz
        return dx, dy, dz, min(worst, last) / scale


def _dense_is_cheaper(sizes: np.ndarray, coupling: int) -> bool:
    """Whether one LU of the whole reduced matrix costs less than the blocked
    factorisation (flops, and ~1e7 flops' worth of overhead per block)."""
    whole = (sizes.sum() + coupling) ** 3 * 2 / 3
    blocked = (2 * coupling ** 2 * sizes.sum() + 2 / 3 * coupling ** 3
               + (2 / 3 * sizes ** 3 + 2 * sizes ** 2 * coupling + 1e7).sum())
    return bool(whole <= blocked)


def _row_owner(Bt: sp.csr_matrix, block: np.ndarray) -> np.ndarray:
    """The block of each row of Bt: the one block all its columns belong to, else -1."""
    rows = np.repeat(np.arange(Bt.shape[0]), np.diff(Bt.indptr))
    b = block[Bt.indices]
    lo = np.full(Bt.shape[0], np.iinfo(np.int64).max)
    hi = np.full(Bt.shape[0], np.iinfo(np.int64).min)
    np.minimum.at(lo, rows, b)
    np.maximum.at(hi, rows, b)
    return np.where((lo == hi) & (lo >= 0), lo, -1)
