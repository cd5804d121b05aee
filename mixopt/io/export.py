"""The exact LP/MILP mixopt solves, as an MPS or LP file written by HiGHS, with names a
person can read: ``charge.AA3104_slab.UBC_bales`` (t charged of a material into a
product), ``chemistry.AA3104_slab.Mn`` (a row of the chemistry family), and so on for
every family's rows and columns (``mixopt.model.families``); with periods each period's
rows and columns carry its name (``charge.2027_01.AA3104_slab.UBC_bales``) and the rows
that link them are named by family, period and material
(``stock_balance.2027_02.UBC_bales``). Any solver can then be
regressed on mixopt's instances. Every name is one HiGHS reads back as written: a name
over ``MAX_NAME`` characters is shortened (its start, ``~`` and a hash) and listed with
what it stands for in ``model.lp.names.csv`` beside the model.

The file's objective is the one mixopt reports: when minimising the footprint, the LP's
total t CO2e is divided by the slab over every period (t CO2e per t of slab, casting included);
when minimising cost, the total cost. The solution is the same LP's: dividing an
objective by a constant moves no optimum.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mixopt.errors import InputError, Problem
from mixopt.io.atomic import replace_all, write_atomic
from mixopt.io.spreadsheet import formula_safe
from mixopt.model.schema.horizon import Horizon
from mixopt.model.schema.instance import Instance

#: Characters every LP and MPS reader takes in a name; others become "_".
_UNSAFE = re.compile(r"[^A-Za-z0-9_.]")
#: Names longer than this are shortened (HiGHS's readers and writers cut names of about
#: 560 characters, which merged two columns whose long names differ only at the end; the
#: LP format's own limit is 255).
MAX_NAME = 200


@dataclass(frozen=True)
class Shortened:
    """A name written shorter than it is: what it stands for."""

    kind: str  # "row" or "column"
    in_file: str
    family: str
    key: str  # the key's parts as the instance names them, joined by " | "


def block_names(blocks: tuple, kind: str = "column") -> tuple[list[str], list[Shortened]]:
    """One unique, reader-safe name per row (or column) of ``blocks``, in LP order, each
    at most ``MAX_NAME`` characters (a longer one keeps its start and ends in ``~`` and a
    hash of the whole), and the names shortened."""
    names: list[str] = []
    short: list[Shortened] = []
    seen: set[str] = set()
    for b in blocks:
        for key in b.keys:
            name = ".".join(_UNSAFE.sub("_", str(p)) for p in (b.name, *key))
            if len(name) > MAX_NAME:
                digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]
                name = f"{name[:MAX_NAME - 11]}~{digest}"
                short.append(Shortened(kind, name, b.name, " | ".join(map(str, key))))
            base, k = name, 1
            while name in seen:  # two keys that differ only in unsafe characters
                k += 1
                name = f"{base}~{k}"
            if short and short[-1].in_file == base and base != name:
                short[-1] = Shortened(kind, name, b.name, short[-1].key)
            seen.add(name)
            names.append(name)
    return names, short


def names_file(path: Path) -> Path:
    """The file listing the names an export shortened: ``model.lp.names.csv``."""
    return path.with_name(path.name + ".names.csv")


def write_model(plan: Horizon | Instance, path: Path, force: bool = False) -> list[Path]:
    """Write the LP/MILP of ``plan`` (every period, and what links them) to ``path``
    (.mps or .lp, by HiGHS); names too long for the readers are shortened and listed in
    ``names_file(path)``, written with the model as one update. Returns the files
    written."""
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
    cols, short_cols = block_names(lp.cols, "column")
    rows, short_rows = block_names(lp.rows, "row")
    path = Path(path)
    if not short_cols and not short_rows:
        write_atomic(path, lambda tmp: write_model_file(lp, cols, rows, tmp, path), force)
        return [path]
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / f"model{path.suffix}"
        write_model_file(lp, cols, rows, model, path)
        data = model.read_bytes()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["kind", "name_in_file", "family", "key"])
    w.writerows([s.kind, s.in_file, s.family, formula_safe(s.key)]
                for s in (*short_cols, *short_rows))
    replace_all({path: data, names_file(path): buf.getvalue()}, force)
    return [path, names_file(path)]
