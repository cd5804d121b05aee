"""Turn the ``LinearProgram`` of ``mixopt.model.formulation`` into a Pyomo model, fast.

The only module that knows Pyomo components; it is imported only for
``--backend pyomo``. Built the way measured fastest (README, "Speed at scale"): integer
index ranges, Python floats (``ndarray.tolist()``), variables fetched once into a list,
every row a ``LinearExpression``, and the cyclic garbage collector paused.

Model layout: ``model.x[j]`` is column ``j`` of the LP; each row block of the
LP is one indexed ``Constraint`` named after its family (``model.chemistry[i]``
is row ``i`` of the ``chemistry`` block, whose instance keys are in
``lp.row_block("chemistry").keys``).
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.core.expr.numeric_expr import LinearExpression

from mixopt.model.lp import LinearProgram


def _bound(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


def to_pyomo(lp: LinearProgram) -> pyo.ConcreteModel:
    """Build ``min c.x + offset s.t. row_lo <= A x <= row_hi`` as a ``ConcreteModel``."""
    with PauseGC():
        model = pyo.ConcreteModel(name="mixopt")
        n = lp.A.shape[1]
        model.x = pyo.Var(range(n), within=pyo.NonNegativeReals)
        xs = [model.x[j] for j in range(n)]
        for j in np.flatnonzero(lp.integer).tolist():
            xs[j].domain = pyo.Integers
        for j, (lo, hi) in enumerate(zip(lp.col_lo.tolist(), lp.col_hi.tolist(), strict=True)):
            xs[j].setlb(_bound(lo))
            xs[j].setub(_bound(hi))

        rows_of = lp.A.tocsr()  # Pyomo adds row by row
        indptr, indices, data = rows_of.indptr, rows_of.indices.tolist(), rows_of.data.tolist()
        lo_all, hi_all = lp.row_lo.tolist(), lp.row_hi.tolist()
        for block in lp.rows:
            con = pyo.Constraint(range(len(block.keys)))
            setattr(model, block.name, con)
            con.construct()
            for i in range(len(block.keys)):
                r = block.start + i
                a, b = int(indptr[r]), int(indptr[r + 1])
                if a == b:  # an empty row keeps its place with a zero coefficient
                    body = LinearExpression(constant=0.0, linear_coefs=[0.0],
                                            linear_vars=[xs[0]])
                else:
                    body = LinearExpression(constant=0.0, linear_coefs=data[a:b],
                                            linear_vars=[xs[k] for k in indices[a:b]])
                # infinite bounds stay floats: Pyomo reads them as absent, and a row free
                # on both sides (a limit a re-solve may set) stays a valid constraint
                con[i] = (lo_all[r], body, hi_all[r])

        nz = np.flatnonzero(lp.c)
        model.objective = pyo.Objective(
            expr=LinearExpression(constant=float(lp.offset), linear_coefs=lp.c[nz].tolist(),
                                  linear_vars=[xs[j] for j in nz.tolist()]),
            sense=pyo.minimize)
    return model


def columns(model: pyo.ConcreteModel) -> list:
    """The model's variables in LP column order."""
    return [model.x[j] for j in range(len(model.x))]


def rows(model: pyo.ConcreteModel, lp: LinearProgram) -> list:
    """The model's constraint data in LP row order."""
    out = []
    for block in lp.rows:
        con = getattr(model, block.name)
        out.extend(con[i] for i in range(len(block.keys)))
    return out
