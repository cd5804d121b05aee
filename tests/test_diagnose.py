"""Every deliberately infeasible shipped instance is explained, and the suggested
relaxations are right: applying them makes the instance feasible."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from mixopt import Status, apply_overrides, read, solve
from mixopt.analysis.diagnose import diagnose, domain_checks
from mixopt.cli import Exit, main
from tests.conftest import INSTANCES

LP_CASES = {
    "infeasible-fe.toml": ("Fe max 0.25 wt% is below even the cleanest", "alloys.AA1070.Fe"),
    "infeasible-cap.toml": ("below the least achievable footprint, 4.6300",
                            "objective.footprint_cap"),
    "infeasible-supply.toml": ("demand of 2,000.0 t of slab is above the 1,869.0 t",
                               "materials.UBC bales.available.max"),
    "infeasible-recycled.toml": ("need at least 2,400.0 t of recycled charge",
                                 "products.AA3104 slab.min_recycled"),
}


@pytest.mark.parametrize("name", sorted(LP_CASES))
def test_infeasible_instance_is_explained_and_the_relaxation_works(name: str) -> None:
    inst = read(INSTANCES / name)
    diag = diagnose(inst)
    check, path = LP_CASES[name]
    assert diag.status == Status.INFEASIBLE
    assert any(check in c for c in diag.checks), diag.checks
    assert diag.options, "no way out offered"
    assert any(path in o.overrides for o in diag.options)
    for option in diag.options:
        assert option.verified == Status.OPTIMAL
        fixed = solve(apply_overrides(inst, option.overrides))  # independently of diagnose
        assert fixed.status == Status.OPTIMAL, (option.title, option.overrides)
    assert diag.conflict and any("make exactly" in c for c in diag.conflict)


def test_fe_relaxation_amount_is_the_lowest_reachable() -> None:
    diag = diagnose(read(INSTANCES / "infeasible-fe.toml"))
    (relax,) = diag.options[0].relaxations
    assert relax.value == [0.0, 0.3]  # the cleanest material carries 0.30 wt% Fe
    assert "the lowest reachable is 0.3 wt%. Relax it by 0.05" in relax.message
    tighter = apply_overrides(read(INSTANCES / "infeasible-fe.toml"),
                              {"alloys.AA1070.Fe": [0.0, 0.299]})
    assert solve(tighter).status == Status.INFEASIBLE  # and no less would do


def test_supply_relaxation_amount_is_tight() -> None:
    inst = read(INSTANCES / "infeasible-supply.toml")
    (relax,) = diagnose(inst).options[0].relaxations
    assert relax.path == "materials.UBC bales.available.max"
    short = apply_overrides(inst, {relax.path: relax.value * 0.995})
    assert solve(short).status == Status.INFEASIBLE


def test_purchase_rule_conflict_is_named() -> None:
    diag = diagnose(read(INSTANCES / "infeasible-lots.toml"))
    assert diag.status == Status.INFEASIBLE
    assert any("conflict is only in the integer rules" in n for n in diag.notes)
    assert any("dropping every lot rule" in n for n in diag.notes)


def test_feasible_instance_has_nothing_to_relax() -> None:
    diag = diagnose(read(INSTANCES / "can-body.toml"))
    assert diag.status == Status.OPTIMAL and not diag.options
    assert domain_checks(read(INSTANCES / "can-body.toml")) == []


def test_cli_diagnose_and_solve_explain() -> None:
    r = CliRunner().invoke(main, ["diagnose", str(INSTANCES / "infeasible-fe.toml"),
                                  "--format", "json"])
    assert r.exit_code == Exit.INFEASIBLE
    doc = json.loads(r.stdout)
    assert doc["options"][0]["overrides"] == {"alloys.AA1070.Fe": [0.0, 0.3]}
    r = CliRunner().invoke(main, ["solve", str(INSTANCES / "infeasible-fe.toml")])
    assert r.exit_code == Exit.INFEASIBLE
    assert "Relax it by 0.05" in r.stdout and 'alloys.AA1070.Fe=[0, 0.3]' in r.stdout
    r = CliRunner().invoke(main, ["solve", str(INSTANCES / "infeasible-fe.toml"), "--format",
                                  "json"])
    assert json.loads(r.stdout)["diagnosis"]["checks"]


@pytest.mark.parametrize("name", sorted(LP_CASES))
def test_single_limit_ways_come_first_and_joint_ones_say_so(name: str) -> None:
    inst = read(INSTANCES / name)
    diag = diagnose(inst)
    kinds = ["alone" if o.title == "this limit alone" else "joint" if "joint" in o.title
             else "other" for o in diag.options]
    assert kinds == sorted(kinds, key=lambda k: k != "alone"), kinds  # singles first
    for o in diag.options:
        if o.title == "this limit alone":
            assert len(o.relaxations) == 1
        if len(o.relaxations) > 1:
            assert o.title.startswith("joint") and f"all {len(o.relaxations)}" in o.title
            for r in o.relaxations:  # a joint way is offered only when no part of it suffices
                alone = solve(apply_overrides(inst, {r.path: r.value}))
                assert alone.status == Status.INFEASIBLE, (r.path, r.value)


def test_cap_case_offers_the_cap_alone_and_a_joint_way() -> None:
    diag = diagnose(read(INSTANCES / "infeasible-cap.toml"))
    assert diag.options[0].title == "this limit alone"
    assert set(diag.options[0].overrides) == {"objective.footprint_cap"}
    assert any(o.title.startswith("joint") for o in diag.options)


def test_lot_conflicts_get_lot_rounded_sets_that_work() -> None:
    inst = read(INSTANCES / "infeasible-lots.toml")
    diag = diagnose(inst)
    sets = [n.split('--set "')[1].rstrip('"]') for n in diag.notes if "--set" in n]
    assert "products.melt.tonnes=20" in sets and "products.melt.tonnes=30" in sets
    assert "materials.Ingot A.lot=5" in sets
    for text in sets:
        path, value = text.split("=")
        assert solve(apply_overrides(inst, {path: float(value)})).status == Status.OPTIMAL
