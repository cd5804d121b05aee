"""At the furnace (issue 22): ``mixopt correct`` against independent models (a linprog LP
and a Clarabel SOCP written from the contract, ``tests/correction_reference.py``), by
hand, through its JSON contract and exit codes, ``verify`` of a correction, corrections
from a plan, and bad input by file, row and field."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tomlkit
from click.testing import CliRunner

from mixopt.analysis.correct import correct
from mixopt.analysis.correct_spec import spec_for
from mixopt.cli import main
from mixopt.io.read import read
from tests.conftest import INSTANCES
from tests.correction_reference import correction

CAN = INSTANCES / "can-body.toml"
FE_HIGH = INSTANCES / "can-body-correction" / "fe-high.csv"
RTOL = 1e-7


def _sample(path: Path, wt: dict[str, float], sd: dict[str, float] | None = None) -> Path:
    rows = ["constituent,wt_pct,sd_wt_pct"] + [f"{e},{v},{(sd or {}).get(e, 0.0)}"
                                                for e, v in wt.items()]
    path.write_text("\n".join(rows) + "\n")
    return path


def _correct(args: list[str]) -> tuple[int, dict, str]:
    res = CliRunner().invoke(main, ["correct", *args, "--format", "json"])
    return res.exit_code, json.loads(res.stdout) if res.stdout.strip() else {}, res.stderr


def _fe_high() -> dict[str, float]:
    return {r.split(",")[0]: float(r.split(",")[1])
            for r in FE_HIGH.read_text().splitlines()[1:]}


@pytest.mark.parametrize(("flags", "kw"), [
    ([], {}),
    (["--minimise", "footprint"], {"minimise": "footprint"}),
    (["--furnace-max", "85", "--may-tap"], {"furnace_t": 85.0, "may_tap": True}),
    (["--heat-t", "90"], {"heat_t": 90.0}),
], ids=["cost", "footprint", "tap", "bigger-heat"])
def test_the_shipped_fe_high_melt_equals_an_independent_lp(flags, kw) -> None:
    code, doc, _ = _correct([str(CAN), "--product", "AA3104 slab", "--melt-t", "80",
                             "--analysis", str(FE_HIGH), *flags])
    assert code == 0
    inst = read(CAN).first
    args = {"heat_t": 80.0, "furnace_t": 95.0, "tap_cost": 180.0, **kw}
    ref = correction(inst, "AA3104 slab", 80.0, _fe_high(), **args)
    assert ref.status == "optimal" == doc["status"]
    assert doc["objective"]["value"] == pytest.approx(ref.objective, rel=RTOL)
    assert doc["tapped_t"] == pytest.approx(ref.tapped_t, abs=1e-6)
    got = {a["material"]: a["tonnes"] for a in doc["additions"]}
    cost = sum(t * inst.costs[[m.name for m in inst.materials].index(n)]
               for n, t in got.items())
    if kw.get("minimise") != "footprint":
        assert cost + 180.0 * doc["tapped_t"] == pytest.approx(doc["objective"]["value"])
    after = 80.0 - doc["tapped_t"] + sum(
        t * inst.materials[[m.name for m in inst.materials].index(n)].yield_
        for n, t in got.items())
    assert doc["melt"] == {"before_t": 80.0, "after_t": pytest.approx(after),
                           "heat_t": args["heat_t"], "furnace_max_t": args["furnace_t"]}
    assert args["heat_t"] - 1e-6 <= after <= args["furnace_t"] + 1e-6
    fe = next(r for r in doc["composition"] if r["constituent"] == "Fe")
    assert fe["wt_pct"] == pytest.approx(0.8, abs=1e-7) and fe["binding"] == "max"
    assert fe["sample_wt_pct"] == 0.92


def _random_case(rng: np.random.Generator) -> tuple[dict, dict[str, float], dict]:
    """A month's materials (scrap, primary, pure metal, master alloys, with supplies and
    spreads), a window, and a melt sampled around it (some inside, some far out)."""
    els = ("Fe", "Si", "Mn", "Cu")
    mats = []
    for i in range(int(rng.integers(2, 5))):
        mats.append({"name": f"scrap{i}", "route": "post-consumer scrap",
                     "cost": round(float(rng.uniform(1500, 2200)), 1),
                     "footprint": {"full": 0.5, "scope12": 0.3},
                     "yield": round(float(rng.uniform(0.85, 0.98)), 3),
                     "composition": {e: round(float(rng.uniform(0.05, 1.2)), 3) for e in els},
                     "composition_sd": {e: round(float(rng.uniform(0.0, 0.1)), 3)
                                        for e in els},
                     "available": {"max": round(float(rng.uniform(2, 30)), 2)}})
    mats += [{"name": "primary", "route": "carbon-anode primary", "cost": 2500,
              "footprint": {"full": 8.0, "scope12": 6.0},
              "composition": {"Fe": 0.12, "Si": 0.05}, "composition_sd": {"Fe": 0.01},
              "available": {"max": round(float(rng.uniform(5, 40)), 1)}},
             {"name": "AlMn75", "route": "master alloy", "cost": 3200, "yield": 0.98,
              "footprint": {"full": 7.0, "scope12": 5.0}, "composition": {"Mn": 75.0},
              "composition_sd": {"Mn": 0.5}},
             {"name": "AlCu50", "route": "master alloy", "cost": 6000, "yield": 0.99,
              "footprint": {"full": 8.0, "scope12": 5.0}, "composition": {"Cu": 50.0}}]
    raw = {"name": "furnace", "objective": {"minimise": "cost"},
           "furnace": {"max_t": round(float(rng.uniform(85, 110)), 1),
                       "tap_cost_per_t": round(float(rng.uniform(50, 400)), 1)},
           "alloys": {"w": {"Fe": [0.0, 0.7], "Si": [0.0, 0.6], "Mn": [0.8, 1.3],
                            "Cu": [0.05, 0.25]}},
           "products": [{"name": "P", "alloy": "w", "tonnes": 1000}], "materials": mats}
    sample = {"Fe": round(float(rng.uniform(0.3, 1.0)), 3),
              "Si": round(float(rng.uniform(0.1, 0.7)), 3),
              "Mn": round(float(rng.uniform(0.5, 1.4)), 3),
              "Cu": round(float(rng.uniform(0.0, 0.3)), 3)}
    sd = {e: round(float(rng.uniform(0.0, 0.03)), 3) for e in sample}
    return raw, sample, sd


@pytest.mark.parametrize("seed", range(16))
def test_random_corrections_equal_an_independent_model(tmp_path: Path, seed: int) -> None:
    """Mean corrections (linprog) and, every other seed, at a confidence (Clarabel on true
    cones: the melt one draw with the sample's sd, the additions' spreads); with and
    without tapping; least cost or least footprint."""
    rng = np.random.default_rng(2200 + seed)
    raw, sample, sd = _random_case(rng)
    path = tmp_path / "m.toml"
    path.write_text(tomlkit.dumps(raw))
    h = read(path)
    melt = round(float(rng.uniform(60, 85)), 1)
    heat = melt if seed % 4 else round(melt + 5, 1)
    tap, sense = seed % 3 == 0, "footprint" if seed % 5 == 4 else "cost"
    confidence = 0.9 if seed % 2 else None
    spec = spec_for(h, path, "P", melt, _sample(tmp_path / "s.csv", sample, sd), heat, None,
                    tap, sense, confidence)
    c = correct(h, spec)
    ref = correction(h.first, "P", melt, sample, heat, raw["furnace"]["max_t"], tap,
                     raw["furnace"]["tap_cost_per_t"], sense, sd, confidence,
                     solver="clarabel" if confidence else "linprog")
    assert c.status == ref.status, (c.status, ref.status)
    if ref.status == "optimal":
        assert c.objective_value == pytest.approx(ref.objective, rel=1e-6, abs=1e-4)
        if confidence is not None:  # every limit holds with the confidence
            for row in c.composition():
                assert row["probability_within"] >= confidence - 1e-5
    else:
        assert c.diagnosis is not None and c.diagnosis.notes


HAND = """
name = "hand"
[furnace]
max_t = 120
tap_cost_per_t = 100
[alloys.w]
Fe = [0, 0.8]
[[products]]
name = "P"
alloy = "w"
tonnes = 1000
[[materials]]
name = "pure"
route = "carbon-anode primary"
cost = 2000
footprint = { full = 8, scope12 = 6 }
composition = {}
"""


def test_hand_worked_dilution_furnace_and_tapping(tmp_path: Path) -> None:
    """80 t at Fe 1.0 into Fe max 0.8 with pure metal (2,000/t): 20 t dilute it to 100 t
    (40,000). A 95 t furnace cannot hold that (exit 3): it would need 100 t, Fe cannot
    come down without removing metal, and at least 4 t must be tapped (76 t of Fe-metal
    x 1.0 in 95 t is 0.8). Allowed to tap at 100/t: a = max(r, 20 - r/4) within a <= 15 +
    r costs 2,000 a + 100 r, least at r = a = 16: 33,600, the heat back at 80 t."""
    path = tmp_path / "h.toml"
    path.write_text(HAND)
    csv = _sample(tmp_path / "s.csv", {"Fe": 1.0})
    base = [str(path), "--product", "P", "--melt-t", "80", "--analysis", str(csv)]
    code, doc, _ = _correct(base)
    assert code == 0
    assert doc["objective"] == {"minimise": "cost", "value": pytest.approx(40000.0),
                                "unit": "USD", "scope": "full",
                                "additions_cost": pytest.approx(40000.0),
                                "tapping_cost": 0.0, "footprint_t_co2e": pytest.approx(160.0)}
    assert doc["additions"][0]["material"] == "pure"
    assert doc["additions"][0]["tonnes"] == pytest.approx(20.0)
    assert doc["tapped_t"] == 0.0 and doc["melt"]["after_t"] == pytest.approx(100.0)
    assert doc["composition"] == [{"constituent": "Fe", "wt_pct": pytest.approx(0.8),
                                   "min_wt_pct": 0.0, "max_wt_pct": 0.8, "binding": "max",
                                   "sample_wt_pct": 1.0, "sd_wt_pct": 0.0,
                                   "probability_within": 1.0}]
    code, doc, err = _correct([*base, "--furnace-max", "95"])
    assert code == 3 and doc["status"] == "infeasible"
    d = doc["diagnosis"]
    assert d["furnace_needed_t"] == pytest.approx(100.0)
    assert d["cannot_come_down"] == ["Fe"] and d["cannot_come_up"] == []
    assert d["least_tap_t"] == pytest.approx(4.0)
    assert "the furnace would need 100.00 t, it holds 95 t" in err
    assert "Fe cannot come down to 0.8 wt% without removing metal" in err
    assert "tap at least 4.00 t of the 80 t melt before diluting" in err
    code, same, _ = _correct([*base, "--set", "furnace.max_t=95"])  # the field, overridden
    assert code == 3 and same["diagnosis"] == d
    code, doc, _ = _correct([*base, "--furnace-max", "95", "--may-tap"])
    assert code == 0
    assert doc["objective"]["value"] == pytest.approx(33600.0)
    assert doc["tapped_t"] == pytest.approx(16.0)
    assert doc["additions"][0]["tonnes"] == pytest.approx(16.0)
    assert doc["melt"]["after_t"] == pytest.approx(80.0)
    table = CliRunner().invoke(main, ["correct", *base, "--furnace-max", "95",
                                      "--may-tap"]).stdout
    assert "tap: 16.000 t" in table and "least cost: 33,600.00 USD" in table


def test_a_confidence_holds_each_limit_with_its_probability(tmp_path: Path) -> None:
    """The shipped Fe-high melt at 95% cannot be diluted within 95 t (exit 3, the furnace
    would need more); with tapping it can, and Fe's probability within its window is then
    0.95 (binding)."""
    base = [str(CAN), "--product", "AA3104 slab", "--melt-t", "80", "--analysis",
            str(FE_HIGH), "--confidence", "0.95"]
    code, doc, _ = _correct(base)
    assert code == 3
    assert doc["diagnosis"]["furnace_needed_t"] > 95
    assert doc["diagnosis"]["least_tap_t"] > 0
    code, doc, _ = _correct([*base, "--may-tap"])
    assert code == 0 and doc["confidence"] == 0.95 and doc["tapped_t"] > 0
    fe = next(r for r in doc["composition"] if r["constituent"] == "Fe")
    assert fe["binding"] == "max"
    assert fe["probability_within"] == pytest.approx(0.95, abs=1e-5)
    ref = correction(read(CAN).first, "AA3104 slab", 80.0, _fe_high(), 80.0, 95.0, True,
                     180.0, "cost", {"Fe": 0.02, "Si": 0.01, "Cu": 0.005, "Mn": 0.02,
                                     "Mg": 0.02, "Cr": 0.002, "Zn": 0.005, "Ti": 0.002,
                                     "Ga": 0.001, "V": 0.001}, 0.95, solver="clarabel")
    assert doc["objective"]["value"] == pytest.approx(ref.objective, rel=1e-6)


def test_verify_rechecks_a_correction_without_the_solver(tmp_path: Path) -> None:
    out = tmp_path / "c.json"
    res = CliRunner().invoke(main, ["correct", str(CAN), "--product", "AA3104 slab",
                                    "--melt-t", "80", "--analysis", str(FE_HIGH),
                                    "--furnace-max", "85", "--may-tap", "--format", "json",
                                    "-o", str(out)])
    assert res.exit_code == 0
    res = CliRunner().invoke(main, ["verify", str(CAN), str(out), "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["feasible"] and doc["violations"] == []
    assert doc["inputs"]["furnace_max_t"] == 85.0 and doc["inputs"]["may_tap"]
    bad = json.loads(out.read_text())
    bad["additions"][0]["tonnes"] *= 0.9  # less dilution: Fe over, and the figures stated
    bad["tapped_t"] = 0.0  # and no tapping: above the furnace
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    res = CliRunner().invoke(main, ["verify", str(CAN), str(tmp_path / "bad.json"),
                                    "--format", "json"])
    assert res.exit_code == 10
    said = {(v["family"], v["where"]) for v in json.loads(res.stdout)["violations"]}
    assert {("chemistry", "AA3104 slab / Fe"), ("mass_balance", "AA3104 slab"),
            ("document", "objective"), ("document", "after_t")} <= said


def test_a_correction_from_a_plan_adds_only_what_the_plan_leaves(tmp_path: Path) -> None:
    """The month's least-footprint plan uses all of UBC, process scrap, INERTA and the
    scrap-electrolysis metal: a heat made to it can be diluted only with what is left
    (hydro, coal primary and the master alloys), at the plan's product."""
    plan = tmp_path / "plan.json"
    res = CliRunner().invoke(main, ["solve", str(CAN), "--format", "json", "-o", str(plan)])
    assert res.exit_code == 0
    code, doc, _ = _correct([str(CAN), "--plan", str(plan), "--heat-t", "80", "--analysis",
                             str(FE_HIGH), "--minimise", "footprint"])
    assert code == 0 and doc["product"] == "AA3104 slab"
    left = doc["inputs"]["supply_t"]
    for name in ("UBC bales", "Process scrap 3xxx", "INERTA", "Scrap-electrolysis P1020"):
        assert left[name] == pytest.approx(0.0, abs=1e-6)
    assert {a["material"] for a in doc["additions"]} <= {"Hydro P1020", "Coal P1020",
                                                        "Mn master alloy (AlMn75)"}
    assert doc["melt"]["before_t"] == 80.0
    assert all("planned_wt_pct" in r for r in doc["composition"])
    # the free month's own correction would take scrap-electrolysis metal
    code, free, _ = _correct([str(CAN), "--product", "AA3104 slab", "--melt-t", "80",
                              "--analysis", str(FE_HIGH), "--minimise", "footprint"])
    assert "Scrap-electrolysis P1020" in {a["material"] for a in free["additions"]}
    assert doc["objective"]["value"] > free["objective"]["value"]


def test_a_heat_of_a_period(tmp_path: Path) -> None:
    quarter = INSTANCES / "can-body-quarter.toml"
    base = [str(quarter), "--product", "AA3104 slab", "--melt-t", "80", "--analysis",
            str(FE_HIGH), "--furnace-max", "100"]
    code, _, err = _correct(base)
    assert code == 2 and "--period" in err and "2027-01" in err
    code, doc, _ = _correct([*base, "--period", "2027-02"])
    assert code == 0 and doc["period"] == "2027-02"
    # without a plan a stored material may be added up to what may be bought of it
    assert doc["inputs"]["supply_t"] == {"UBC bales": 9000.0}


def test_a_heat_of_a_quarter_made_to_its_plan_may_take_home_scrap_from_the_yard(
        tmp_path: Path) -> None:
    """From the quarter's plan, a stored material may be added up to what is in the yard
    at the period's end and what may still be bought; home scrap (nothing bought) up to
    its closing stock, returns included; a material bought when charged up to what the
    plan leaves of its offer."""
    from mixopt.model.planner import solve

    quarter = INSTANCES / "can-body-quarter-home-scrap.toml"
    plan = tmp_path / "plan.json"
    assert CliRunner().invoke(main, ["solve", str(quarter), "--format", "json", "-o",
                                     str(plan)]).exit_code == 0
    code, doc, _ = _correct([str(quarter), "--plan", str(plan), "--heat-t", "80", "--period",
                             "2027-01", "--analysis", str(FE_HIGH), "--furnace-max", "100"])
    assert code == 0
    r = solve(read(quarter))
    left = doc["inputs"]["supply_t"]
    assert left["Home scrap AA3104"] == pytest.approx(r.plan.closing("Home scrap AA3104")[0])
    assert left["UBC bales"] == pytest.approx(r.plan.closing("UBC bales")[0] + 9000
                                              - r.plan.bought("UBC bales")[0])
    inerta = r.plan.used("INERTA")[0]
    assert left["INERTA"] == pytest.approx(1200 - inerta)
    got = {a["material"]: a["tonnes"] for a in doc["additions"]}
    assert all(t <= left.get(m, np.inf) + 1e-6 for m, t in got.items())
    assert "Home scrap AA3104" in got  # own metal from the yard, free: it dilutes Fe


def test_bad_analyses_and_melts_are_refused_by_file_row_and_field(tmp_path: Path) -> None:
    csv = tmp_path / "s.csv"
    csv.write_text("constituent,wt_pct,sd_wt_pct\nSi,0.2,0\nFE,-0.1,0\nXx,0.1,0\n"
                   "Mn,99,0\nMg,1.0,-0.2\nMn,1,0\n")
    res = CliRunner().invoke(main, ["correct", str(CAN), "--product", "AA3104 slab",
                                    "--melt-t", "120", "--analysis", str(csv)])
    assert res.exit_code == 2
    err = res.stderr
    for said in (f"{csv}, table 'analysis', row 2 ('FE'), field 'wt_pct': -0.1 is negative",
                 (f"{csv}, table 'analysis', row 3 ('Xx'), field 'constituent': unknown "
                 "constituent 'Xx'"),
                 f"{csv}, table 'analysis', row 5 ('Mg'), field 'sd_wt_pct': -0.2 is negative",
                 (f"{csv}, table 'analysis', row 6 ('Mn'), field 'constituent': Mn again "
                 "(first in row 4)"),
                 (f"{csv}, table 'analysis', field 'wt_pct': the contents add up to 100.2 wt%, "
                 "over 100"),
                 (f"{csv}, table 'analysis', field 'constituent': gives no Cu, Zn, Ti, Ga, V, "
                 "which the product's alloy limits"),
                 ("--melt-t: the melt (120 t) is above the furnace capacity of 95 t "
                 "([furnace] max_t of")):
        assert said in err, (said, err)
    assert "7 problems in the input" in err
    # a lab's file: its own header spelling and units, Al the balance, a ';' locale
    lab = tmp_path / "lab.csv"
    lab.write_text("Constituent;WT_PCT [ppm];sd_wt_pct\nAl;balance;\n" + "".join(
        f"{e.upper()};{v * 1e4:.1f};0\n".replace(".", ",") for e, v in _fe_high().items()))
    code, doc, _ = _correct([str(CAN), "--product", "AA3104 slab", "--melt-t", "80",
                             "--analysis", str(lab)])
    assert code == 0
    assert doc["objective"]["value"] == pytest.approx(35473.0018842824, rel=1e-9)
    assert doc["inputs"]["analysis"][1] == {"constituent": "Fe", "wt_pct": 0.92,
                                            "sd_wt_pct": 0.0}
    # no furnace at all, an unknown product, tapping without its cost
    plain = tmp_path / "plain.toml"
    plain.write_text(CAN.read_text().replace("[furnace]\nmax_t = 95\ntap_cost_per_t = 180\n",
                                             ""))
    res = CliRunner().invoke(main, ["correct", str(plain), "--product", "AA3104", "--melt-t",
                                    "80", "--analysis", str(FE_HIGH), "--may-tap"])
    assert res.exit_code == 2
    for said in ("table 'furnace', field 'max_t': no furnace capacity",
                 "--product: unknown product 'AA3104'; did you mean 'AA3104 slab'?",
                 "table 'furnace', field 'tap_cost_per_t': --may-tap: tapping needs its cost"):
        assert said in res.stderr, (said, res.stderr)
