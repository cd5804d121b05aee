"""The cost-carbon frontier: exact LP breakpoints confirmed by independent solves."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mixopt import read, solve, with_overrides
from mixopt.analysis.frontier import frontier
from mixopt.cli import main
from mixopt.testing import assert_objective, assert_rechecked
from tests.conftest import INSTANCES
from tests.helpers import inst, lots_milp, two_material


@pytest.fixture(scope="module", params=["can-body.toml", "can-body-and-end.toml"])
def traced(request):
    i = read(INSTANCES / request.param)
    return i, frontier(i)


def test_breakpoints_are_confirmed_by_independent_solves(traced) -> None:
    i, fr = traced
    assert fr.method == "exact" and len(fr.points) >= 3
    for p in fr.points:
        fresh = solve(with_overrides(i, minimise="cost", cap=p.cap))
        assert_objective(fresh.objective_value, p.cost)
        assert_rechecked(p.result)


def test_segments_are_straight_and_convex(traced) -> None:
    i, fr = traced
    slopes = []
    for a, b in zip(fr.points, fr.points[1:], strict=False):
        mid = solve(with_overrides(i, minimise="cost", cap=(a.cap + b.cap) / 2))
        assert_objective(mid.objective_value, (a.cost + b.cost) / 2)  # linear in between
        slopes.append((b.cost - a.cost) / (b.cap - a.cap))
    assert all(s1 < s2 for s1, s2 in itertools.pairwise(slopes))  # real kinks


def test_mac_is_the_slope_between_neighbours(traced) -> None:
    i, fr = traced
    slab = sum(p.tonnes for p in i.first.products)
    mac = fr.mac()
    assert mac[0] is None
    for k in range(1, len(fr.points)):
        a, b = fr.points[k - 1], fr.points[k]
        expected = (a.cost - b.cost) / ((b.footprint_per_t - a.footprint_per_t) * slab)
        assert mac[k] == pytest.approx(expected, rel=1e-9)
        assert mac[k] > 0


def test_can_body_breakpoints_in_words() -> None:
    fr = frontier(read(INSTANCES / "can-body.toml"))
    t = fr.table()
    assert t.mac_per_t_co2e.iloc[1] == pytest.approx(300 / 3.9, rel=1e-6)  # INERTA vs hydro
    assert t.mac_per_t_co2e.iloc[-1] == pytest.approx(200 / 14.1, rel=1e-6)  # hydro vs coal
    # each row's changes are those of the segment its MAC prices
    assert t.changes.iloc[0] == "least footprint reachable"
    assert "INERTA exhausted" in t.changes.iloc[1] and "INERTA" not in t.changes.iloc[2]
    assert t.changes.iloc[-1].startswith("least cost, no cap binding; below it:")
    assert "Coal P1020 leaves" in t.changes.iloc[-1]


def test_milp_frontier_is_sampled_and_non_dominated() -> None:
    raw = lots_milp(n_lots=12, n_products=2)
    raw["materials"][0]["footprint"] = {"full": 3.0, "scope12": 1.0}
    fr = frontier(inst(raw), points=5)
    assert fr.method == "sampled" and "sampled" in fr.notes[0]
    assert len(fr.points) >= 1 and fr.solves == 2 + 5
    for p in fr.points:
        assert_rechecked(p.result)
        assert not any(q.cost < p.cost and q.footprint_per_t < p.footprint_per_t
                       for q in fr.points)


def test_cli_pareto_json_and_plot(tmp_path: Path) -> None:
    png = tmp_path / "f.png"
    r = CliRunner().invoke(main, ["pareto", str(INSTANCES / "can-body.toml"), "--format",
                                  "json", "--plot", str(png)])
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["method"] == "exact" and len(doc["points"]) == 4
    assert doc["points"][0]["mix"] and png.read_bytes()[:4] == b"\x89PNG"
    r = CliRunner().invoke(main, ["pareto", str(INSTANCES / "can-body.toml"), "--plot",
                                  str(png)])
    assert r.exit_code == 2 and "--force" in r.stderr


def test_no_trade_off_is_one_point_said_so(tmp_path: Path) -> None:
    import tomli_w

    raw = two_material(materials__1__cost=5)  # B is cheaper and cleaner: 50 t B either way
    fr = frontier(inst(raw))
    assert len(fr.points) == 1 and "no trade-off" in fr.notes[0]
    assert_objective(fr.points[0].cost, 50 * 5 + 50 * 10)
    path = tmp_path / "t.toml"
    path.write_text(tomli_w.dumps(raw))
    r = CliRunner().invoke(main, ["pareto", str(path)])
    assert r.exit_code == 0, r.stderr
    assert "no trade-off" in r.stderr and "least footprint reachable" in r.stdout
