"""From lab analyses to spreads: ``mixopt spreads ANALYSES.csv [--into PATH]``.

The CSV has one row per sample: a material column (``material``, or the one named by
``--material-column``), then one column per element in wt% (a unit in the header is read:
``Fe [ppm]``; blank = not analysed). Only element columns are read (``mixopt.io.columns``;
with ``--into``, also the other constituents the instance's alloys limit); any other
column of a lab export (a furnace number, a date, a sample id, ``Al`` the balance) is
ignored and listed in one warning. A column given twice, a malformed CSV (an
unterminated quote) or a table without analyses is refused before anything is written.
Per material and constituent the mean and the sample standard deviation are estimated
(pandas); materials with too few samples are flagged, and below two samples no spread
is estimated. Writing them into an instance is ``mixopt.io.spreads_into``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mixopt.errors import InputError, Problem
from mixopt.io.columns import Vocabulary, few
from mixopt.io.csvfile import header_of, read_raw

log = logging.getLogger(__name__)

#: Below this many samples a material's spread is flagged as uncertain.
DEFAULT_MIN_SAMPLES = 5
#: The base metal of a lab analysis: the balance, not a constituent.
BALANCE = "Al"


@dataclass(frozen=True)
class Spreads:
    table: pd.DataFrame  # material, constituent, samples, mean_wt_pct, sd_wt_pct (nan: <2)
    min_samples: int

    @property
    def few(self) -> list[str]:
        """Materials with fewer samples than ``min_samples`` (their spreads are uncertain)."""
        n = self.table.groupby("material", sort=False)["samples"].max()
        return [m for m, k in n.items() if k < self.min_samples]

    def of(self, column: str) -> dict[str, dict[str, float]]:
        """{material: {constituent: value}} of ``mean_wt_pct`` or ``sd_wt_pct`` (nan left
        out)."""
        out: dict[str, dict[str, float]] = {}
        for r in self.table.itertuples():
            v = getattr(r, column)
            if not math.isnan(v):
                out.setdefault(r.material, {})[r.constituent] = float(v)
        return out


def read_analyses(path: Path, min_samples: int = DEFAULT_MIN_SAMPLES,
                  material: str = "material", constituents: tuple[str, ...] = ()) -> Spreads:
    """Estimate means and spreads from a CSV of analyses; every bad cell is named.
    ``constituents``: names read besides the elements (those an instance's alloys limit)."""
    problems: list[Problem] = []
    raw = read_raw(path, "analyses", problems)
    if raw is None:
        raise InputError(problems)
    vocabulary = Vocabulary([c for c in constituents if c != BALANCE])
    head = header_of(raw, "analyses", {material: ""}, material, problems,
                     constituents=vocabulary, lab=True)
    if head is None or problems:
        raise InputError(problems)
    key = next(c for c in head.columns if c.name == material)
    cols = [c for c in head.columns if c.name != material and c.name != BALANCE]
    ignored = head.ignored + [c.header for c in head.columns if c.name == BALANCE]
    if ignored:
        log.warning("%s: %d column(s) not read (not a constituent; %s is the balance): %s",
                    path, len(ignored), BALANCE, few(ignored, 8))
    if not cols:
        raise InputError([Problem(str(path), f"has no column of a chemical element (its "
                                             f"columns: {raw.header})", "analyses")])
    if not raw.rows:
        raise InputError([Problem(str(path), "has no analyses (no row under the header)",
                                  "analyses")])
    records = []
    for i, cells in enumerate(raw.rows, start=1):
        name = cells[key.index]
        if not name:
            problems.append(Problem(str(path), "no material named", "analyses", i,
                                    field=key.header))
        for c in cols:
            text = cells[c.index]
            if text == "":
                continue
            try:
                v = c.value(float(text))
            except ValueError:
                hint = (" (below a detection limit? write the value to estimate with, or "
                        "leave the cell blank: not analysed)" if text.strip()[:1] in "<>"
                        else "")
                problems.append(Problem(str(path), f"{text!r} is not a number{hint}",
                                        "analyses", i, name or None, c.header))
                continue
            if not (0 <= v <= 100) or math.isnan(v):
                problems.append(Problem(str(path), f"{text} is not a content in wt% (0-100)",
                                        "analyses", i, name or None, c.header))
                continue
            records.append((name, c.name, v))
    if problems:
        raise InputError(problems)
    df = pd.DataFrame.from_records(records, columns=["material", "constituent", "wt_pct"])
    g = df.groupby(["material", "constituent"], sort=False)["wt_pct"]
    table = pd.DataFrame({"samples": g.count(), "mean_wt_pct": g.mean(),
                          "sd_wt_pct": g.std(ddof=1)}).reset_index()
    return Spreads(table, min_samples)


def sig(v: float) -> float:
    """An estimate as written: six significant digits (lab analyses have fewer)."""
    return float(f"{v:.6g}")
