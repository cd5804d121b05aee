"""The exact LP/MILP mixopt solves, as an MPS or LP file written by HiGHS, with names a
person can read: ``charge.AA3104_slab.UBC_bales`` (t charged of a material into a
product), ``chemistry.AA3104_slab.Mn`` (a row of the chemistry family), and so on for
every family's rows and columns (``mixopt.model.families``); with periods each period's
rows and columns carry its name (``charge.2027_01.AA3104_slab.UBC_bales``) and the rows
that link them are named by family, period and material
(``stock_balance.2027_02.UBC_bales``). Any solver can then be
regressed on mixopt's instances.

The file's objective is the one mixopt reports: when minimising the footprint, the LP's
total t CO2e is divided by the slab over every period (t CO2e per t of slab, casting included);
when minimising cost, the total cost. The solution is the same LP's: dividing an
objective by a constant moves no optimum.
"""

from __future__ import annotations

import re
from pathlib import Path

from mixopt.errors import InputError, Problem
from mixopt.io.atomic import write_atomic
from mixopt.model.schema.horizon import Horizon
from mixopt.model.schema.instance import Instance

#: Characters every LP and MPS reader takes in a name; others become "_".
_UNSAFE = re.compile(r"[^A-Za-z0-9_.]")


def block_names(blocks: tuple) -> list[str]:
    """One unique, reader-safe name per row (or column) of ``blocks``, in LP order."""
    names: list[str] = []
    seen: set[str] = set()
    for b in blocks:
        for key in b.keys:
            name = ".".join(_UNSAFE.sub("_", str(p)) for p in (b.name, *key))
            base, k = name, 1
            while name in seen:  # two keys that differ only in unsafe characters
                k += 1
                name = f"{base}~{k}"
            seen.add(name)
            names.append(name)
    return names


def write_model(plan: Horizon | Instance, path: Path, force: bool = False) -> None:
    """Write the LP/MILP of ``plan`` (every period, and what links them) to ``path``
    (.mps or .lp, by HiGHS)."""
    from dataclasses import replace

    from mixopt.model.backend.highs import write_model_file
    from mixopt.model.formulation import build_window
    from mixopt.model.schema.horizon import as_horizon

    h = as_horizon(plan)
    lp = build_window(h).lp
    if h.objective.minimise == "footprint":  # as reported: per t of slab
        slab = float(sum(d.slab_tonnes.sum() for d in h.arrays))
        lp = replace(lp, c=lp.c / slab, offset=lp.offset / slab)
    if lp.cones is not None and len(lp.cones):
        raise InputError([Problem(str(path), "the plan has chance constraints (a confidence "
                                             "with spreads): second-order cones have no MPS "
                                             "or LP form here; export it with --set "
                                             "objective.confidence=... removed, or with a "
                                             "--margin-sd (a plain LP)")])
    write_atomic(Path(path), lambda tmp: write_model_file(
        lp, block_names(lp.cols), block_names(lp.rows), tmp, path), force)
