"""Numerically awkward months: ppm limits next to 80 wt% master alloys, 10,000 t products
next to a 0.5 t melt and 0.001 t lots, yields near 0.5. HiGHS must see no numerical
warnings (mixopt writes rows in the unit of their limit) and the recheck must pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from mixopt import SolveOptions, Status, solve
from mixopt.model.arrays import to_arrays
from mixopt.model.formulation import build_lp
from mixopt.testing import assert_rechecked
from tests.helpers import inst


def awkward(lot: float | None = 0.001) -> dict:
    scrap2 = {"name": "scrap lots", "cost": 1700, "footprint": {"full": 0.5, "scope12": 0.3},
              "yield": 0.51, "composition": {"Pb": 0.0009, "Mn": 0.7, "Bi": 0.0005},
              "available": {"max": 30000}}
    if lot:
        scrap2["lot"] = lot
    return {
        "name": "numerics", "objective": {"minimise": "cost"},
        "alloys": {"X": {"Pb": [0.0, 0.0005], "Mn": [0.8, 1.2], "Bi": [0.0001, 0.0004]}},
        "products": [{"name": "big", "alloy": "X", "tonnes": 10000.0},
                     {"name": "melt", "alloy": "X", "tonnes": 0.5}],
        "materials": [
            {"name": "scrap", "cost": 1800, "footprint": {"full": 0.5, "scope12": 0.3},
             "yield": 0.5, "composition": {"Pb": 0.0003, "Mn": 0.9, "Bi": 0.0002}},
            scrap2,
            {"name": "AlMn80", "cost": 3000, "footprint": {"full": 7, "scope12": 5},
             "yield": 0.98, "composition": {"Mn": 80.0}},
            {"name": "primary", "cost": 2600, "footprint": {"full": 5.9, "scope12": 4},
             "composition": {"Pb": 0.0001, "Bi": 0.00015}},
        ]}


@pytest.mark.parametrize("lot", [None, 0.001])
def test_awkward_month_solves_cleanly(lot: float | None, tmp_path: Path) -> None:
    log = tmp_path / "highs.log"
    r = solve(inst(awkward(lot)), SolveOptions(highs_options={
        "log_file": str(log), "output_flag": True, "log_to_console": False}))
    assert r.status == Status.OPTIMAL
    assert_rechecked(r)
    text = log.read_text()
    assert "Coefficient ranges" in text  # the log was written: the check below means something
    assert "WARNING" not in text, text
    comp = r.evaluations[0].composition_wt_pct
    els = r.evaluations[0].arrays.constituents
    assert comp[:, els.index("Bi")].min() >= 0.0001 * (1 - 1e-6)  # ppm limits held
    assert comp[:, els.index("Pb")].max() <= 0.0005 * (1 + 1e-6)


def test_rows_are_in_limit_units() -> None:
    lp = build_lp(to_arrays(inst(awkward())), "cost")
    ch = lp.row_block("chemistry")
    finite = [v for v in (*lp.row_lo, *lp.row_hi) if v not in (0.0,) and abs(v) != float("inf")]
    assert min(abs(v) for v in finite) >= 1e-4 and max(abs(v) for v in finite) <= 1e6
    assert lp.row_hi[ch.start:ch.stop].max() <= 100
    assert abs(lp.A.data).min() > 1e-9  # HiGHS drops entries below 1e-9
