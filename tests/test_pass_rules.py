"""Compound pass rules: all/any of conditions on the total, a group's subtotal, a named criterion or each
criterion (points or share of the maximum); the explanation names each condition and the one that failed. The
example national award is worked out by hand."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest
from conftest import ROOT

from spcncl_core import Catalog, Dossier, evaluate, read_dossier_file
from spcncl_core.cli import main
from spcncl_core.criteria.loader import load_criteria_sets
from spcncl_core.errors import CriteriaSetError
from spcncl_core.registries import CriteriaSetRegistry

NATIONAL = ROOT / "examples" / "spcncl-national" / "dossiers"
D = Decimal


def test_award_passed(catalog: Catalog) -> None:
    loaded = read_dossier_file(NATIONAL / "vnaward-2024-passed.yaml")
    e = catalog.evaluate(loaded.dossier, scores=loaded.council_scores)
    # members' totals: m1 730, m2 690, m3 780, m4 630, m5 681; trimmed: drop m3 (highest) and m4 (lowest).
    # T1 (300 + 280 + 290) / 3 = 290; T2 (250 + 240 + 230) / 3 = 240; T3 (180 + 170 + 161) / 3 = 170.333… → 170.3
    # (rounded per criterion to one decimal, then added): total 700.3 ≥ 650; 290/400 = 72.5 %, 240/350 = 68.6 %,
    # 170.3/250 = 68.1 %: every criterion ≥ 60 % → passed.
    assert {c.id: c.points for c in e.criteria} == {"T1": 290, "T2": 240, "T3": D("170.3")}
    assert (e.total, e.passed) == (D("700.3"), True)
    assert e.pass_detail == (("total 700.3 ≥ 650", True), ("each criterion ≥ 60 % of its maximum", True))


def test_award_one_criterion_short(catalog: Catalog) -> None:
    loaded = read_dossier_file(NATIONAL / "vnaward-2024-one-criterion-short.yaml")
    e = catalog.evaluate(loaded.dossier, scores=loaded.council_scores)
    # totals 850, 835, 820: three members, drop the highest and the lowest → m2 alone: 370, 320, 145 = 835 ≥ 650,
    # but T3 145 of 250 = 58 % < 60 % → not passed, and the explanation names T3.
    assert (e.total, e.passed) == (835, False)
    assert e.pass_detail == (("total 835 ≥ 650", True),
                             ("each criterion ≥ 60 % of its maximum: not met by T3 145 of 250", False))


def test_cli_names_each_condition_and_the_one_that_failed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", str(NATIONAL / "vnaward-2024-one-criterion-short.yaml")]) == 0
    assert capsys.readouterr().out.rstrip().endswith(
        "total 835 of 1000 (T 835); pass: all of (total ≥ 650; each criterion ≥ 60 % of its maximum) → NOT PASSED "
        "(✓ total 835 ≥ 650; ✗ each criterion ≥ 60 % of its maximum: not met by T3 145 of 250)")
    assert main(["evaluate", str(NATIONAL / "vnaward-2024-one-criterion-short.yaml"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["pass_checks"] == [
        {"condition": "total 835 ≥ 650", "held": True},
        {"condition": "each criterion ≥ 60 % of its maximum: not met by T3 145 of 250", "held": False}]


RULES: dict[str, Any] = {
    "id": "rules-2025", "title": {"vi": "Quy tắc"}, "jurisdiction": "rules", "years": {"from": 2025},
    "product_group": "any", "provenance": "official", "total_points": 30, "aggregation": "mean-of-assigned",
    "groups": [
        {"id": "G1", "title": {"vi": "Một"}, "criteria": [
            {"id": "K1", "title": {"vi": "K1"}, "max_points": 10, "score": "manual"},
            {"id": "K2", "title": {"vi": "K2"}, "max_points": 10, "score": "manual"}]},
        {"id": "G2", "title": {"vi": "Hai"}, "criteria": [
            {"id": "K3", "title": {"vi": "K3"}, "max_points": 10, "score": "manual"}]}],
}


def with_pass(rule: Any) -> dict[str, Any]:
    doc = copy.deepcopy(RULES)
    doc["pass"] = rule
    return doc


def load(catalog: Catalog, doc: dict[str, Any]) -> Any:
    registry = CriteriaSetRegistry()
    registry.add_document(doc, "rules.yaml")
    return load_criteria_sets(registry.sources, catalog.registries)["rules-2025"]


def problems(catalog: Catalog, doc: dict[str, Any]) -> list[str]:
    with pytest.raises(CriteriaSetError) as info:
        load(catalog, doc)
    return [str(p) for p in info.value.problems]


def judge(catalog: Catalog, rule: Any, k1: float, k2: float, k3: float) -> Any:
    cset = load(catalog, with_pass(rule))
    return evaluate(cset, Dossier("rules", 2025, {}), {"m": {"K1": k1, "K2": k2, "K3": k3}})


def test_any_group_and_named_criterion(catalog: Catalog) -> None:
    rule = {"any": [{"of": "group", "group": "G2", "operator": ">=", "share": 90},
                    {"all": [{"of": "criterion", "criterion": "K1", "operator": ">", "points": 5},
                             {"of": "total", "operator": ">=", "points": 20}]}]}
    e = judge(catalog, rule, 6, 4, 9)  # G2 9 of 10 = 90 % ≥ 90: the first holds
    assert e.passed and e.pass_detail[0] == ("group G2 9 of 10 = 90 % ≥ 90 %", True)
    e = judge(catalog, rule, 6, 6, 8.5)  # G2 85 %; K1 6 > 5 and total 20.5 ≥ 20
    assert e.passed and [held for _, held in e.pass_detail] == [False, True, True]
    e = judge(catalog, rule, 5, 8, 8.5)  # K1 5 is not > 5
    assert not e.passed
    assert e.pass_detail == (("group G2 8.5 of 10 = 85 % < 90 %", False), ("criterion K1 5 ≤ 5", False),
                             ("total 21.5 ≥ 20", True))


def test_the_pass_test_uses_the_published_total(catalog: Catalog) -> None:
    # K1 (6 + 6.5 + 6.5) / 3 = 6.3333…, K2 6.5, K3 7.5: exactly 20.333… → published 20.33 > 20.33 is false
    cset = load(catalog, with_pass({"operator": ">", "points": "20.33"}))
    e = evaluate(cset, Dossier("rules", 2025, {}), {"a": {"K1": 6, "K2": 6.5, "K3": 7.5}, "b": {"K1": 6.5},
                                                    "c": {"K1": 6.5}})
    assert e.total == D("20.33") and not e.passed


def test_malformed_pass_rules(catalog: Catalog) -> None:
    assert problems(catalog, with_pass({"all": []})) == ["rules.yaml: pass.all: must be a non-empty list of conditions"]
    assert problems(catalog, with_pass({"all": [{"of": "group", "group": "G3", "points": 5}]})) == [
        "rules.yaml: pass.all[0].group: unknown group 'G3'; known: G1, G2"]
    assert problems(catalog, with_pass({"of": "each-criterion", "share": 160})) == [
        "rules.yaml: pass.share: is a percentage of the maximum: must be ≤ 100, got 160"]
    assert problems(catalog, with_pass({"of": "criterion", "criterion": "K1", "points": 5, "share": 50})) == [
        "rules.yaml: pass: needs exactly one of points or share (a percentage of the maximum)"]
    assert problems(catalog, with_pass({"of": "subtotal", "points": 5})) == [
        "rules.yaml: pass.of: must be one of total, group, criterion, each-criterion, got 'subtotal'"]
    assert problems(catalog, with_pass({"of": "criterion", "criterion": "K3", "points": 12})) == [
        "rules.yaml: pass.points: must be ≤ the maximum of criterion K3 (10)"]
    assert problems(catalog, with_pass({"any": [{"operator": "=>", "points": 10}], "all": []})) == [
        "rules.yaml: pass: 'all' stands alone: write {all: [conditions]}"]
    assert problems(catalog, with_pass({"operator": "=>", "points": 10})) == [
        "rules.yaml: pass.operator: must be one of >, >=, ≥, got '=>'"]
    assert problems(catalog, with_pass([70])) == [
        "rules.yaml: pass: must be a condition such as {operator: \">=\", points: 70} or {all: [conditions]}"]


def test_compound_rule_in_the_fast_path_equals_the_checking_path(catalog: Catalog) -> None:
    from spcncl_core.engine.evaluate import evaluate_checked

    doc = with_pass({"all": [{"of": "total", "operator": ">=", "points": 10},
                             {"of": "each-criterion", "operator": ">=", "share": 60}]})
    doc["inputs"] = [{"id": "x", "type": "number", "label": {"vi": "x"}}]
    for c in doc["groups"][0]["criteria"] + doc["groups"][1]["criteria"]:
        c["score"] = {"bands": {"of": "x", "levels": [{"gte": 8, "points": 8}, {"gte": 5, "points": 5}]}}
    cset = load(catalog, doc)
    fast = cset.compiled.fast_path()
    for x in (2, 5, 9):
        dossier = Dossier("rules", 2025, {"x": x})
        assert fast(dossier.inputs, None, None) == evaluate_checked(cset, dossier)
    assert evaluate(cset, Dossier("rules", 2025, {"x": 5})).pass_detail == (
        ("total 15 ≥ 10", True), ("each criterion ≥ 60 % of its maximum: not met by K1 5 of 10, K2 5 of 10, "
                                  "K3 5 of 10", False))
