"""Home scrap (issue 22): a product's ``returns = {material, share}`` brings share x its
slab made back as a material: a supply of the month, or, with periods, the material's
stock at the end of the period. Checked against the independent model of
``tests/multiperiod_reference.py`` (its own rows, written from the contract), by hand,
through the JSON, and for bad input by file, row and field."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tomlkit
from click.testing import CliRunner

from mixopt.cli import main
from mixopt.errors import InputError
from mixopt.io.read import read
from mixopt.model.evaluate import recheck
from mixopt.model.plan import plan_of, whole
from mixopt.model.planner import solve
from tests.conftest import INSTANCES
from tests.multiperiod_reference import reference_objective

HOME = INSTANCES / "can-body-quarter-home-scrap.toml"
RTOL = 1e-7


def _materials(rng: np.random.Generator, periods: list[str] | None) -> list[dict]:
    els = ("Fe", "Si", "Mn")
    mats = []
    for i in range(int(rng.integers(3, 6))):
        m: dict = {"name": f"m{i}", "route": "post-consumer scrap" if i % 2 else
                   "carbon-anode primary", "cost": round(float(rng.uniform(1500, 2500)), 1),
                   "footprint": {"full": round(float(rng.uniform(0.3, 12)), 3),
                                 "scope12": 0.1},
                   "yield": round(float(rng.uniform(0.85, 1.0)), 3),
                   "composition": {e: round(float(rng.uniform(0.0, 1.5)), 3) for e in els}}
        if rng.random() < 0.6:
            m["available"] = {"max": round(float(rng.uniform(100, 900)), 1)}
        mats.append(m)
    home = {"name": "home", "route": "pre-consumer scrap",
            "cost": round(float(rng.uniform(0, 400)), 1),
            "footprint": {"full": 0.3, "scope12": 0.2},
            "yield": round(float(rng.uniform(0.9, 1.0)), 3),
            "composition": {"Fe": 0.5, "Si": 0.4, "Mn": 0.8}}
    if periods is not None:
        mx = round(float(rng.uniform(150, 600)), 1)
        home["stock"] = {"initial": round(float(rng.uniform(0, 150)), 1), "max": mx,
                         "holding_cost": round(float(rng.uniform(0, 20)), 2)}
        if rng.random() < 0.5:
            home["stock"]["final"] = round(float(rng.uniform(0, 100)), 1)
        home["available"] = {"max": 0.0 if rng.random() < 0.5 else 50.0}
    mats.append(home)
    mats.append({"name": "pure", "route": "carbon-anode primary", "cost": 2600,
                 "footprint": {"full": 8.0, "scope12": 6.0}, "composition": {}})
    return mats


def _raw(rng: np.random.Generator, periods: list[str] | None, sense: str) -> dict:
    def per(lo: float, hi: float) -> object:
        v = {p: round(float(rng.uniform(lo, hi)), 3) for p in periods or ["m"]}
        return v if periods else v["m"]

    prods = [{"name": "A", "alloy": "window", "tonnes": per(300, 700),
              "returns": {"material": "home", "share": per(0.1, 0.4)}}]
    if sense == "cost":  # a sold product returning its scrap too
        prods.append({"name": "B", "alloy": "window", "tonnes_min": 50,
                      "tonnes_max": round(float(rng.uniform(100, 400)), 1),
                      "price": round(float(rng.uniform(2000, 4000)), 1),
                      "returns": {"material": "home", "share": 0.25}})
    raw = {"name": "home scrap", "objective": {"minimise": sense},
           "alloys": {"window": {"Fe": [0.0, 0.9], "Si": [0.0, 1.0], "Mn": [0.2, 1.2]}},
           "products": prods, "materials": _materials(rng, periods)}
    return {**raw, "periods": periods} if periods else raw


@pytest.mark.parametrize("seed", range(10))
def test_random_horizons_with_home_scrap_equal_an_independent_model(tmp_path: Path,
                                                                    seed: int) -> None:
    rng = np.random.default_rng(2200 + seed)
    periods = [f"2027-{k + 1:02d}" for k in range(int(rng.integers(2, 5)))]
    raw = _raw(rng, periods, "cost" if seed % 3 else "footprint")
    path = tmp_path / "h.toml"
    path.write_text(tomlkit.dumps(raw))
    r = solve(read(path))
    status, want = reference_objective(raw)
    assert str(r.status) == status
    if status == "optimal":
        assert r.objective_value == pytest.approx(want, rel=RTOL)
        back = r.plan.returned("home")
        slab = np.array([[ev.slab_t[p] for p in range(len(raw["products"]))]
                         for ev in r.evaluations])
        shares = [[(pr["returns"]["share"][per] if isinstance(pr["returns"]["share"], dict)
                    else pr["returns"]["share"]) for pr in raw["products"]] for per in periods]
        assert back == pytest.approx((slab * np.array(shares)).sum(axis=1))
        closing = r.plan.closing("home")
        assert np.all(closing >= back - 1e-6)  # charged from the next period on


@pytest.mark.parametrize("seed", range(8))
def test_months_with_home_scrap_equal_an_independent_model(tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(2300 + seed)
    raw = _raw(rng, None, "cost" if seed % 2 else "footprint")
    path = tmp_path / "m.toml"
    path.write_text(tomlkit.dumps(raw))
    r = solve(read(path))
    status, want = reference_objective({**raw, "periods": ["m"]})
    assert str(r.status) == status
    if status == "optimal":
        assert r.objective_value == pytest.approx(want, rel=RTOL)


MONTH = """
name = "run-around"
[objective]
minimise = "cost"
[alloys.w]
Fe = [0, 0.5]
[[products]]
name = "P"
alloy = "w"
tonnes = 100
returns = { material = "home", share = 0.3 }
[[materials]]
name = "home"
route = "pre-consumer scrap"
cost = 100
footprint = { full = 0.3, scope12 = 0.2 }
yield = 0.95
composition = { Fe = 0.2 }
[[materials]]
name = "primary"
route = "carbon-anode primary"
cost = 2000
footprint = { full = 8, scope12 = 6 }
composition = { Fe = 0.1 }
"""


def test_a_month_charges_at_most_its_own_returns(tmp_path: Path) -> None:
    """Hand-worked: 100 t of slab return 30 t of home scrap (cheap, and Fe 0.2 is inside the
    window), so 30 t are charged, recovering 28.5 t; primary makes up 71.5 t: 3,000 +
    143,000 = 146,000. One t more share of the slab (the returns row's dual: per t of home
    scrap) is worth 2,000 x 0.95 - 100 = 1,800."""
    path = tmp_path / "m.toml"
    path.write_text(MONTH)
    r = solve(read(path))
    assert r.objective_value == pytest.approx(146_000.0, rel=1e-9)
    mix = r.evaluations[0].mix_t[0]
    assert mix == pytest.approx([30.0, 71.5])
    dual = next(d for d in r.dual_records if d["family"] == "returns")
    assert dual["binding"] == "max"
    assert dual["shadow_price"] == pytest.approx(-1800.0)
    assert dual["limit"] == "home: at most the home scrap that comes back this month"
    # a plan charging more than comes back is refused by the recheck
    _, bad = recheck(plan_of(whole(r.horizon), [np.array([[40.0, 62.0]])]))
    assert [(v.family, v.side) for v in bad] == [("returns", "max")]
    doc = json.loads(CliRunner().invoke(main, ["solve", str(path), "--format", "json"]).stdout)
    assert doc["returns"] == [{"product": "P", "period": None, "material": "home", "tonnes": 30.0}]
    decl = json.loads(CliRunner().invoke(main, ["solve", str(path), "--format",
                                                "declaration"]).stdout)["products"][0]
    assert decl["recycled_pre_consumer_share"] == pytest.approx(30 / 101.5)
    assert decl["home_scrap_share"] == pytest.approx(30 / 101.5)
    assert [m["home_scrap"] for m in decl["materials"]] == [True, False]


TWO = MONTH.replace('[objective]', 'periods = ["1", "2"]\n[objective]').replace(
    'composition = { Fe = 0.2 }', 'composition = { Fe = 0.2 }\navailable = { max = 0 }\n'
    'stock = { initial = 10, max = 40, holding_cost = 5 }')


def test_returns_join_the_stock_at_the_end_of_the_period(tmp_path: Path) -> None:
    """Hand-worked, two periods: the 10 t in stock are charged in period 1 (its own 30 t
    come back at its end); period 2 charges the 30 t back (they fit the 40 t yard) and
    its own 30 t end in stock, paying 5 x 30 holding; the first period's holding is 5 x 30
    too. Primary: 100 - 9.5 and 100 - 28.5. A stored material's cost is paid on what is
    bought (here none): home scrap comes back free, as its stock holds it."""
    path = tmp_path / "q.toml"
    path.write_text(TWO)
    r = solve(read(path))
    assert [ev.mix_t[0, 0] for ev in r.evaluations] == pytest.approx([10.0, 30.0])
    want = 2000 * (90.5 + 71.5) + 5 * (30 + 30)
    assert r.objective_value == pytest.approx(want, rel=1e-9)
    assert reference_objective(__import__("tomllib").loads(TWO))[1] == pytest.approx(want)
    doc = json.loads(CliRunner().invoke(main, ["solve", str(path), "--format", "json"]).stdout)
    rows = [p for p in doc["purchases"] if p["material"] == "home"]
    got = [[p[k] for k in ("opening_stock_t", "bought_t", "returned_t", "charged_t",
                            "closing_stock_t")] for p in rows]
    np.testing.assert_allclose(got, [[10, 0, 30, 10, 30], [30, 0, 30, 30, 30]], atol=1e-6)
    assert doc["returns"] == [{"product": "P", "period": p, "material": "home",
                               "tonnes": pytest.approx(30.0)} for p in ("1", "2")]
    # the yard: a 25 t store cannot take a period's 30 t back
    small = tmp_path / "s.toml"
    small.write_text(TWO.replace("max = 40", "max = 25"))
    assert str(solve(read(small)).status) == "infeasible"
    # charging home scrap in the period it comes back is refused by the recheck (and by
    # verify, exit 10)
    plan = {"mix": [{"period": "1", "product": "P", "material": "home", "tonnes": 40.0},
                    {"period": "1", "product": "P", "material": "primary", "tonnes": 62.0},
                    {"period": "2", "product": "P", "material": "primary", "tonnes": 100.0}],
            "purchases": [{"material": "home", "period": p, "bought_t": 0} for p in "12"]}
    sol = tmp_path / "plan.json"
    sol.write_text(json.dumps(plan))
    res = CliRunner().invoke(main, ["verify", str(path), str(sol), "--format", "json"])
    assert res.exit_code == 10, res.output
    said = [v for v in json.loads(res.stdout)["violations"] if v["family"] == "returns"]
    assert said and said[0]["where"] == "1 / home"


def test_the_shipped_quarter_with_home_scrap(tmp_path: Path) -> None:
    """Equal to the independent model; cheaper than the quarter without it (the same
    orders, 30% of each slab coming back at 0.3 t CO2e/t); its returns are in stock at
    the end of each month; the table shows them."""
    r = solve(read(HOME))
    status, want = reference_objective(HOME)
    assert (str(r.status), status) == ("optimal", "optimal")
    assert r.objective_value == pytest.approx(want, rel=RTOL)
    plain = solve(read(INSTANCES / "can-body-quarter.toml"))
    assert r.objective_value < plain.objective_value
    back = r.plan.returned("Home scrap AA3104")
    assert back == pytest.approx([3000.0, 2850.0, 3150.0])
    assert r.plan.closing("Home scrap AA3104")[-1] >= 1000.0 - 1e-6  # the final stock
    out = CliRunner().invoke(main, ["solve", str(HOME)]).stdout
    assert "returned" in out and "home scrap: 3,000.0 t (30.0% of the slab)" in out
    html = tmp_path / "q.html"
    assert CliRunner().invoke(main, ["report", str(HOME), "-o", str(html)]).exit_code == 0
    text = html.read_text()  # the stock chart stacks the returns on the purchases
    assert "and home scrap returned" in text and "Home scrap AA3104 returned (home scrap)" \
        in text


def test_returns_round_trip_through_toml_and_workbook(tmp_path: Path) -> None:
    runner = CliRunner()
    xlsx, back = tmp_path / "q.xlsx", tmp_path / "q.toml"
    assert runner.invoke(main, ["convert", str(HOME), str(xlsx)]).exit_code == 0
    assert runner.invoke(main, ["convert", str(xlsx), str(back)]).exit_code == 0
    original = read(HOME)
    assert read(xlsx) == original
    assert read(back) == original
    assert original.first.products[0].returns.share == 0.3


BAD = MONTH.replace('returns = { material = "home", share = 0.3 }',
                    'returns = { material = "hom", share = 1.0 }') + """
[[products]]
name = "Q"
alloy = "w"
tonnes = 10
returns = { material = "primary", share = -0.1 }
[[products]]
name = "R"
alloy = "w"
tonnes = 10
returns = { material = "primary", share = 0.2 }
"""


def test_bad_returns_are_refused_by_row_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD)
    with pytest.raises(InputError) as err:
        read(path)
    said = [str(p) for p in err.value.problems]
    assert any("row 1 ('P'), field 'returns.share'" in s and "less than 1" in s for s in said)
    assert any("row 2 ('Q'), field 'returns.share'" in s and "greater than or equal to 0"
               in s for s in said)
    assert len(said) == 2  # the names are checked once the numbers are valid
    path.write_text(BAD.replace("share = 1.0", "share = 0.3").replace("share = -0.1",
                                                                      "share = 0.1"))
    with pytest.raises(InputError) as err:
        read(path)
    said = [str(p) for p in err.value.problems]
    assert any("table 'products', row 1 ('P'), field 'returns.material': names material "
               "'hom', which the instance does not have; did you mean 'home'?" in s
               for s in said), said
    assert any("table 'materials', row 2 ('primary'), field 'route': has route "
               "'carbon-anode primary', but product 'Q' returns" in s for s in said), said
    assert len(said) == 3  # Q and R both name primary


def test_with_periods_the_returned_material_must_be_stored(tmp_path: Path) -> None:
    path = tmp_path / "q.toml"
    path.write_text(TWO.replace("stock = { initial = 10, max = 40, holding_cost = 5 }", ""))
    with pytest.raises(InputError, match=r"row 1 \('P'\), field 'returns.material': with "
                                         r"periods home scrap joins the stock of 'home'"):
        read(path)
