"""A primal-dual interior point for ``min c.x  s.t.  A x + s = b``, ``s`` in the zero cone,
the nonnegative cone and second-order cones (Clarabel's form, ``conic.ConicForm``), whose
Newton systems are solved by product blocks (``backend.kkt``).

The method is the homogeneous self-dual embedding with Nesterov-Todd scaling and
Mehrotra's predictor-corrector, as in ECOS (Domahidi, Chu, Boyd 2013) and Clarabel
(Goulart, Chen 2024): each iteration factors the Newton system once and solves it three
times (the constant right-hand side (-c, b, h), the predictor, the corrector); the step
keeps 1% inside the cones. The data are equilibrated first (Ruiz, every cone's rows
scaled alike), the objective to unit size. It stops at a relative duality gap of
``TOLERANCE`` (1e-9) with every primal and dual residual within ``RESIDUAL`` (1e-8) of
the size of its row's terms, or with a certificate of infeasibility (``b.z < 0 = A'z``)
or unboundedness (``c.x < 0``, ``A x + s = 0``). When rounding stops the progress first (the Newton
systems grow ill-conditioned as the iterates near the boundary), the best iterate is
optimal if it is within ``ACCEPT`` (1e-8), optimal at reduced accuracy within
``REDUCED`` (1e-7); otherwise there is no answer and the caller solves by Clarabel.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from mixopt.model.backend.kkt import BlockKKT

log = logging.getLogger(__name__)

#: Optimal: a relative duality gap of TOLERANCE (the tolerance mixopt gives Clarabel,
#: ``conic.TOLERANCE``) with every row's and column's residual within RESIDUAL of its size
#: (stricter, row by row, than Clarabel's 1e-9 of the norm of b or c) ...
TOLERANCE = 1e-9
RESIDUAL = 1e-8
#: ... or gap and residuals within ACCEPT when rounding stops the progress first
ACCEPT = 1e-8
#: ... or as optimal at reduced accuracy (reported so)
REDUCED = 1e-7
#: Certificates of infeasibility: Clarabel's default tolerances.
INFEASIBLE = 1e-8
MAX_ITERATIONS = 200
#: Iterations without halving the best residual after which a nearly optimal iterate stops
STALL = 5
STEP = 0.99


@dataclass(frozen=True)
class Answer:
    """How the interior point ended: ``status`` "optimal" (within TOLERANCE, or ACCEPT
    when rounding stopped the progress), "reduced" (within REDUCED), "infeasible",
    "unbounded", "iterations", "time_limit" or "numerical"; ``x`` and ``z`` (Clarabel's
    sign convention) when optimal."""

    status: str
    x: np.ndarray | None
    z: np.ndarray | None
    iterations: int
    gap: float  # relative duality gap at the answer (inf without one)
    primal_residual: float
    dual_residual: float
    blocks: int
    coupling: int  # unknowns of the coupling system


class Cones:
    """The nonnegative orthant of dimension ``nonneg``, then second-order cones of the
    dimensions ``soc``: their algebra on vectors of length ``nonneg + sum(soc)``."""

    def __init__(self, nonneg: int, soc: np.ndarray) -> None:
        self.l, self.K = nonneg, len(soc)
        self.off = np.concatenate([[0], np.cumsum(soc)[:-1]]).astype(np.int64)
        self.seg = np.repeat(np.arange(self.K), soc)
        self.head = np.zeros(int(np.sum(soc)), bool)
        self.head[self.off] = True
        self.e = np.concatenate([np.ones(nonneg), self.head.astype(float)])
        self.degree = nonneg + self.K

    def _sum(self, v: np.ndarray) -> np.ndarray:
        return np.add.reduceat(v, self.off) if self.K else np.zeros(0)

    def _tail(self, v: np.ndarray) -> np.ndarray:
        """‖v₁‖ of each cone's part of v (its part only)."""
        return np.sqrt(self._sum(np.where(self.head, 0.0, v * v)))

    def det(self, v: np.ndarray) -> np.ndarray:
        """v₀² - ‖v₁‖² of each cone (without cancellation)."""
        q = v[self.l:]
        t = self._tail(q)
        return (q[self.off] - t) * (q[self.off] + t)

    def circ(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """The Jordan product u ∘ v."""
        out = u * v
        a, b = u[self.l:], v[self.l:]
        q = a[self.off][self.seg] * b + b[self.off][self.seg] * a
        q[self.off] = self._sum(a * b)
        out[self.l:] = q
        return out

    def inv_circ(self, lam: np.ndarray, v: np.ndarray) -> np.ndarray:
        """x with lam ∘ x = v."""
        out = np.empty_like(v)
        out[:self.l] = v[:self.l] / lam[:self.l]
        a, b = lam[self.l:], v[self.l:]
        a0, b0 = a[self.off], b[self.off]
        x0 = (a0 * b0 - (self._sum(a * b) - a0 * b0)) / self.det(lam)
        q = (b - x0[self.seg] * a) / a0[self.seg]
        q[self.off] = x0
        out[self.l:] = q
        return out

    def step(self, u: np.ndarray, d: np.ndarray) -> float:
        """The largest α with u + α d in the cones (u inside)."""
        a = np.inf
        neg = d[:self.l] < 0
        if neg.any():
            a = float(np.min(-u[:self.l][neg] / d[:self.l][neg]))
        if self.K:
            uq, dq = u[self.l:], d[self.l:]
            qa = dq[self.off] ** 2 - self._sum(np.where(self.head, 0.0, dq * dq))
            qb = uq[self.off] * dq[self.off] - self._sum(np.where(self.head, 0.0, uq * dq))
            qc = self.det(u)
            disc = qb * qb - qa * qc
            # the boundary is met (at the smaller positive root) unless f(α) stays > 0
            hit = (qa < 0) | ((qb < 0) & (disc >= 0))
            root = qc[hit] / np.maximum(np.sqrt(np.maximum(disc[hit], 0.0)) - qb[hit], 1e-300)
            a = min(a, float(root.min(initial=np.inf)))
        return a

    def interior(self, v: np.ndarray) -> np.ndarray:
        """v shifted along e into the interior when it is not inside (a starting point)."""
        worst = -np.inf
        if self.l:
            worst = float(-v[:self.l].min())
        if self.K:
            q = v[self.l:]
            worst = max(worst, float((self._tail(q) - q[self.off]).max()))
        return v + (1.0 + worst) * self.e if worst >= 0 else v


class Scaling:
    """The Nesterov-Todd scaling W of (s, z): W z = W⁻¹ s = λ."""

    def __init__(self, cones: Cones, s: np.ndarray, z: np.ndarray) -> None:
        self.c = c = cones
        l, seg = c.l, c.seg
        self.lin = np.sqrt(s[:l] / z[:l])
        sq, zq = s[l:], z[l:]
        sn, zn = np.sqrt(c.det(s)), np.sqrt(c.det(z))
        sb, zb = sq / sn[seg], zq / zn[seg]
        gamma = np.sqrt((1.0 + c._sum(sb * zb)) / 2.0)
        jz = np.where(c.head, zb, -zb)
        self.w = (sb + jz) / (2.0 * gamma[seg])
        self.eta = np.sqrt(sn / zn)
        self.q = np.where(c.head, self.w, -self.w)  # J w̄
        e2, j = (self.eta ** 2)[seg], np.where(c.head, 1.0, -1.0)
        self._sq = ((self.lin ** 2, self.w, 2.0 * e2 * self.w, e2 * j),
                    (self.lin ** -2, self.q, 2.0 * self.q / e2, j / e2))
        self.lam = self.mul(z)

    def _wbar(self, v: np.ndarray) -> np.ndarray:
        c, w = self.c, self.w
        w0 = w[c.off]
        v0 = v[c.off]
        w1v1 = c._sum(w * v) - w0 * v0
        out = v + ((v0 + w1v1 / (1.0 + w0))[c.seg]) * w
        out[c.off] = w0 * v0 + w1v1
        return out

    def mul(self, v: np.ndarray, inverse: bool = False) -> np.ndarray:
        """W v, or W⁻¹ v (W̄⁻¹ = J W̄ J)."""
        c = self.c
        out = v[:c.l] / self.lin if inverse else v[:c.l] * self.lin
        q = v[c.l:]
        if inverse:
            q = np.where(c.head, q, -q)
            q = self._wbar(q)
            q = np.where(c.head, q, -q) / self.eta[c.seg]
        else:
            q = self._wbar(q) * self.eta[c.seg]
        return np.concatenate([out, q])

    def sq(self, v: np.ndarray, inverse: bool = False) -> np.ndarray:
        """W² v = η²(2 w̄ w̄'v - J v), or W⁻² v = η⁻²(2 q q'v - J v)."""
        lin, a, a2, jf = self._sq[inverse]
        c = self.c
        q = v[c.l:]
        return np.concatenate([v[:c.l] * lin, a2 * c._sum(a * q)[c.seg] - jf * q])


def equilibrate(A: sp.csr_matrix, zero: int, nonneg: int, soc: np.ndarray,
                rounds: int = 15) -> tuple[np.ndarray, np.ndarray]:
    """Ruiz scaling (column d, row e) towards unit max-norms; a cone's rows share one."""
    m, n = A.shape
    group = np.arange(m)
    heads = zero + nonneg + np.concatenate([[0], np.cumsum(soc)[:-1]]).astype(np.int64)
    group[zero + nonneg:] = np.repeat(heads, soc)
    A = sp.csr_matrix(A)
    rows = np.repeat(np.arange(m), np.diff(A.indptr))
    cols, size = A.indices, np.abs(A.data)
    by_col = np.argsort(cols, kind="stable")
    col_start = np.searchsorted(cols[by_col], np.arange(n))
    d, e = np.ones(n), np.ones(m)
    for _ in range(rounds):
        v = size * e[rows] * d[cols]
        rn, cn = _segment_max(v, A.indptr[:-1], m), _segment_max(v[by_col], col_start, n)
        gmax = np.zeros(m)
        np.maximum.at(gmax, group, rn)
        rn = gmax[group]
        d = np.clip(d / np.sqrt(np.where(cn > 0, cn, 1.0)), 1e-4, 1e4)
        e = np.clip(e / np.sqrt(np.where(rn > 0, rn, 1.0)), 1e-4, 1e4)
    return d, e


def _segment_max(v: np.ndarray, starts: np.ndarray, count: int) -> np.ndarray:
    """The largest entry of each of ``count`` consecutive segments of v (0 if empty)."""
    out = np.zeros(count)
    if not len(v):
        return out
    ends = np.append(starts[1:], len(v))
    full = starts < ends
    out[full] = np.maximum.reduceat(v, starts[full])
    return out


def interior_point(c: np.ndarray, A: sp.spmatrix, b: np.ndarray, zero: int, nonneg: int,
                   soc: np.ndarray, block: np.ndarray, time_limit_s: float | None = None
                   ) -> Answer:
    """Solve ``min c.x, A x + s = b`` (``zero`` equality rows, ``nonneg`` rows, then the
    cones ``soc``); ``block``: the block of each column (-1: none), for ``kkt.BlockKKT``.
    Raises ``kkt.NotBlockable`` when the cones are not of the diagonal form it takes."""
    t0 = time.perf_counter()
    A = sp.csr_matrix(A)
    d, e = equilibrate(A, zero, nonneg, soc)
    As = (sp.diags(e) @ A @ sp.diags(d)).tocsr()
    cs = d * c
    cscale = 1.0 / max(np.abs(cs).max(initial=0.0), 1e-12)
    run = _Embedding(cs * cscale, As, e * b, zero, Cones(nonneg, soc),
                     BlockKKT(As[:zero], As[zero:], nonneg, soc, block))
    best, best_merit, last, it, stalled = None, np.inf, None, 0, 0
    for it in range(MAX_ITERATIONS + 1):
        pres, dres, gap = run.residuals()
        merit = max(pres, dres, gap)
        log.debug("%3d primal %.1e dual %.1e gap %.1e tau %.1e kappa %.1e", it, pres, dres,
                  gap, run.tau, run.kappa)
        if not np.isfinite(merit):
            break
        stalled = stalled + 1 if merit > 0.5 * best_merit else 0
        if merit < best_merit:
            best, best_merit = (run.x / run.tau, run.y / run.tau, run.z / run.tau, pres, dres,
                                gap), merit
        if gap <= TOLERANCE and pres <= RESIDUAL and dres <= RESIDUAL:
            last = "optimal"
            break
        cert = run.certificate()
        if cert:
            return Answer(cert, None, None, it, np.inf, pres, dres, *run.size())
        if it == MAX_ITERATIONS:
            last = "iterations"
            break
        if time_limit_s is not None and time.perf_counter() - t0 > time_limit_s:
            last = "time_limit"
            break
        if (merit > 1e3 * best_merit and run.tau > run.kappa) or (
                best_merit <= REDUCED and stalled >= STALL) or (
                best_merit <= ACCEPT and stalled >= 2):
            break  # rounding took over (not on the way to a certificate): no more progress
        if not run.step():
            break
    if last is None and best_merit <= ACCEPT:
        last = "optimal"
    if last is None or last in ("iterations", "time_limit"):
        ok = best is not None and best_merit <= REDUCED
        last = ("reduced" if ok else "numerical") if last is None else last
        if not ok:
            return Answer(last, None, None, it, np.inf, np.inf, np.inf, *run.size())
    xs, ys, zz, pres, dres, gap = best
    zfull = np.concatenate([ys, zz]) * e / cscale
    return Answer(last, d * xs, zfull, it, gap, pres, dres, *run.size())


class _Embedding:
    """The iterates (x, y, z, s, τ, κ) of the homogeneous self-dual embedding of the
    equilibrated problem, and its Newton steps."""

    def __init__(self, c: np.ndarray, A: sp.csr_matrix, b: np.ndarray, zero: int,
                 cones: Cones, kkt: BlockKKT) -> None:
        self.c, self.cones, self.kkt = c, cones, kkt
        self.Aeq, self.G = A[:zero], A[zero:]
        self.beq, self.h = b[:zero], b[zero:]
        self.At, self.Gt = self.Aeq.T.tocsr(), self.G.T.tocsr()
        n, m = A.shape[1], self.G.shape[0]
        w = Scaling(cones, cones.e.copy(), cones.e.copy())  # W = I: the starting point
        kkt.factor(1.0 / w.lin ** 2, w.eta, w.q)
        self.x, _, z = self._solve(w, np.zeros(n), self.beq, self.h)
        self.s = cones.interior(-z)
        _, self.y, z = self._solve(w, -c, np.zeros(zero), np.zeros(m))
        self.z = cones.interior(z)
        self.tau = self.kappa = 1.0

    def size(self) -> tuple[int, int]:
        return self.kkt.layout.blocks, self.kkt.layout.coupling

    def _solve(self, w: Scaling, rx: np.ndarray, ry: np.ndarray, rz: np.ndarray) -> tuple:
        return self.kkt.solve(rx, ry, rz, w.sq, lambda v: w.sq(v, True))

    def residuals(self) -> tuple[float, float, float]:
        """(primal, dual residual, relative gap), residuals row by row relative to the
        sizes of their terms; keeps the residual vectors for the step."""
        x, y, z, s, tau = self.x, self.y, self.z, self.s, self.tau
        Ax, Gx, Aty, Gtz = self.Aeq @ x, self.G @ x, self.At @ y, self.Gt @ z
        self.r1 = Aty + Gtz + self.c * tau
        self.r2 = self.beq * tau - Ax
        self.r3 = self.h * tau - Gx - s
        self.r4 = -self.c @ x - self.beq @ y - self.h @ z - self.kappa
        pres = max(_rel(self.r2, tau * np.abs(self.beq), Ax, tau),
                   _rel(self.r3, tau * np.abs(self.h), Gx, tau))
        dres = _rel(self.r1, tau * np.abs(self.c), Aty, tau, Gtz)
        pcost, dcost = self.c @ x / tau, -(self.beq @ y + self.h @ z) / tau
        gap = abs(pcost - dcost) / max(1.0, min(abs(pcost), abs(dcost)))
        return pres, dres, gap

    def certificate(self) -> str | None:
        """"infeasible" or "unbounded" when the iterate certifies it (Clarabel's tests)."""
        if self.tau >= self.kappa:
            return None
        bz = self.beq @ self.y + self.h @ self.z
        if bz < -INFEASIBLE and np.abs(self.At @ self.y + self.Gt @ self.z).max(
                initial=0) < -INFEASIBLE * bz:
            return "infeasible"
        cx = self.c @ self.x
        if cx < -INFEASIBLE and max(np.abs(self.Aeq @ self.x).max(initial=0),
                                    np.abs(self.G @ self.x + self.s).max(initial=0)
                                    ) < -INFEASIBLE * cx:
            return "unbounded"
        return None

    def step(self) -> bool:
        """One predictor-corrector step (after ``residuals``); False when it stalls."""
        cones, tau, kappa = self.cones, self.tau, self.kappa
        mu = (self.s @ self.z + tau * kappa) / (cones.degree + 1)
        w = Scaling(cones, self.s, self.z)
        self.kkt.factor(1.0 / w.lin ** 2, w.eta, w.q)
        x1, y1, z1 = self._solve(w, -self.c, self.beq, self.h)
        self._dir = (w, x1, y1, z1,
                     kappa / tau - self.c @ x1 - self.beq @ y1 - self.h @ z1)
        ll = cones.circ(w.lam, w.lam)
        aff = self._direction(-ll, -tau * kappa, 1.0)
        sigma = (1.0 - min(1.0, self._length(*aff[2:]))) ** 3
        corr = cones.circ(w.mul(aff[3], inverse=True), w.mul(aff[2]))
        dx, dy, dz, ds, dt, dk = self._direction(-ll - corr + sigma * mu * cones.e,
                                                 -tau * kappa - aff[4] * aff[5] + sigma * mu,
                                                 1.0 - sigma)
        alpha = min(1.0, STEP * self._length(dz, ds, dt, dk))
        if not alpha > 1e-10:
            return False
        self.x, self.y = self.x + alpha * dx, self.y + alpha * dy
        self.z, self.s = self.z + alpha * dz, self.s + alpha * ds
        self.tau, self.kappa = tau + alpha * dt, kappa + alpha * dk
        return True

    def _direction(self, ds: np.ndarray, dk: float, eta: float) -> tuple:
        """The Newton direction for the complementarity targets (ds, dk), the residuals
        reduced by the factor 1 - eta."""
        w, x1, y1, z1, denom = self._dir
        t = self.cones.inv_circ(w.lam, ds)
        x2, y2, z2 = self._solve(w, -eta * self.r1, eta * self.r2,
                                 eta * self.r3 - w.mul(t))
        dtau = (-eta * self.r4 + dk / self.tau + self.c @ x2 + self.beq @ y2
                + self.h @ z2) / denom
        dz = z2 + dtau * z1
        return (x2 + dtau * x1, y2 + dtau * y1, dz, w.mul(t - w.mul(dz)), dtau,
                (dk - self.kappa * dtau) / self.tau)

    def _length(self, dz: np.ndarray, ds: np.ndarray, dt: float, dk: float) -> float:
        """The largest step along the direction that keeps every iterate in its cone."""
        a = min(self.cones.step(self.s, ds), self.cones.step(self.z, dz))
        for v, dv in ((self.tau, dt), (self.kappa, dk)):
            if dv < 0:
                a = min(a, -v / dv)
        return a


def _rel(r: np.ndarray, *sizes: np.ndarray | float) -> float:
    """max |r_i| / max(sizes_i): residuals relative to the sizes of their terms."""
    if not len(r):
        return 0.0
    size = np.abs(sizes[0])
    for v in sizes[1:]:
        size = np.maximum(size, np.abs(v))
    return float((np.abs(r) / size).max())
