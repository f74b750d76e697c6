"""The engine on a small set that uses every rule kind: bands, choice, items, boolean, linear, parts, manual;
derived indicators; prerequisites; pass operators; rounding; ranking with tie-breaks; aggregations."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from spcncl_core import Catalog, CriteriaSet, Dossier, evaluate, rank
from spcncl_core.criteria.loader import load_criteria_sets
from spcncl_core.engine.aggregation import (
    CouncilSheet,
    SheetCriterion,
    mean_of_assigned,
    mean_of_totals,
    trimmed_mean_of_totals,
)
from spcncl_core.engine.functions import UndefinedValue, cagr, ratio, share
from spcncl_core.registries import CriteriaSetRegistry

D = Decimal

TESTLAND = {
    "id": "testland-2024", "title": {"vi": "Thử"}, "jurisdiction": "testland", "years": {"from": 2024},
    "product_group": "standard", "provenance": "official", "total_points": 45,
    "pass": {"operator": ">=", "points": 30}, "top": 2, "aggregation": "mean-of-assigned",
    "tie_breaks": [{"by": "subtotal", "group": "G1"}, {"by": "submitted_at"}],
    "inputs": [
        {"id": "x", "type": "number", "label": {"vi": "x"}},
        {"id": "n", "type": "integer", "min": 0, "required": False, "label": {"vi": "n"}},
        {"id": "flag", "type": "boolean", "label": {"vi": "cờ"}},
        {"id": "level", "type": "choice", "options": ["high", "low"], "label": {"vi": "mức"}},
        {"id": "tags", "type": "set", "options": ["a", "b", "c"], "label": {"vi": "nhãn"}},
        {"id": "pct", "type": "percent", "label": {"vi": "tỷ lệ"}},
    ],
    "derived": [{"id": "y", "function": "ratio", "args": ["x", "n"], "label": {"vi": "y"}}],
    "prerequisites": [{"id": "P1", "title": {"vi": "x không âm"}, "rule": {"of": "x", "gte": 0}}],
    "groups": [
        {"id": "G1", "title": {"vi": "Nhóm 1"}, "criteria": [
            {"id": "B", "title": {"vi": "bands"}, "max_points": 10,
             "score": {"bands": {"of": "x", "levels": [{"gte": 100, "points": 10}, {"gt": 50, "points": 5}]}}},
            {"id": "C", "title": {"vi": "choice"}, "max_points": 5,
             "score": {"choice": {"of": "level", "points": {"high": 5, "low": 2}}}},
            {"id": "I", "title": {"vi": "items"}, "max_points": 5,
             "score": {"items": {"of": "tags", "points": {"a": 3, "b": 3, "c": 3}}}},
            {"id": "Bo", "title": {"vi": "boolean"}, "max_points": 2,
             "score": {"boolean": {"of": "flag", "points": 2, "when": False}}},
        ]},
        {"id": "G2", "title": {"vi": "Nhóm 2"}, "criteria": [
            {"id": "L", "title": {"vi": "linear"}, "max_points": 8,
             "score": {"linear": {"of": "x", "from": {"value": 0, "points": 0}, "to": {"value": 200, "points": 8}}}},
            {"id": "P", "title": {"vi": "parts"}, "max_points": 5, "score": {"parts": [
                {"of": "x", "gt": 0, "points": 2},
                {"bands": {"of": "pct", "levels": [{"gte": 50, "points": 3}]}},
                {"of": "flag", "is": True, "points": 1}]}},
            {"id": "M", "title": {"vi": "manual"}, "max_points": 5, "score": "manual"},
            {"id": "Dv", "title": {"vi": "derived"}, "max_points": 5, "when_undefined": 1,
             "score": {"bands": {"of": "y", "levels": [{"gte": 2, "points": 5}]}}},
        ]},
    ],
}


@pytest.fixture(scope="module")
def testland(catalog: Catalog) -> CriteriaSet:
    registry = CriteriaSetRegistry()
    registry.add_document(TESTLAND, "testland.yaml")
    return load_criteria_sets(registry.sources, catalog.registries)["testland-2024"]


def inputs(**changes: Any) -> dict[str, Any]:
    base = {"x": 100, "n": 50, "flag": True, "level": "high", "tags": [], "pct": 60}
    base.update(changes)
    return base


def run(cset: CriteriaSet, scores: Any = None, self_assessment: Any = None, when: str | None = None,
        ident: str | None = None, **changes: Any) -> Any:
    dossier = Dossier("testland", 2024, inputs(**changes), self_assessment or {}, ident,
                      datetime.fromisoformat(when) if when else None)
    return evaluate(cset, dossier, scores)


def points(evaluation: Any) -> dict[str, tuple[Decimal, str]]:
    return {c.id: (c.points, c.explanation) for c in evaluation.criteria}


def test_every_rule_kind(testland: CriteriaSet) -> None:
    got = points(run(testland, self_assessment={"M": 3.5}))
    assert got == {
        "B": (D(10), "x 100 ≥ 100 → 10 of 10"),
        "C": (D(5), "level = high → 5 of 5"),
        "I": (D(0), "tags: none → 0 of 5"),
        "Bo": (D(0), "flag true → 0 of 2"),
        "L": (D(4), "x 100, linear 0→0 .. 200→8 → 4 of 8"),
        "P": (D(5), "x 100 > 0: 2; pct 60 ≥ 50: 3; flag is true: 1 (capped) → 5 of 5"),
        "M": (D("3.5"), "self-assessed → 3.5 of 5"),
        "Dv": (D(5), "y 2 ≥ 2 → 5 of 5"),
    }


def test_band_edges_linear_clamping_items_cap_and_missing_optional_input(testland: CriteriaSet) -> None:
    got = points(run(testland, x=50, tags=["a", "b"], flag=False, level="low", pct=49.99, n=None))
    assert got["B"] == (D(0), "x 50 ≤ 50 → 0 of 10")
    assert got["L"] == (D(2), "x 50, linear 0→0 .. 200→8 → 2 of 8")
    assert got["I"] == (D(5), "tags: a (3) + b (3) (capped) → 5 of 5")
    assert got["Bo"] == (D(2), "flag false → 2 of 2")
    assert got["C"] == (D(2), "level = low → 2 of 5")
    assert got["P"] == (D(2), "x 50 > 0: 2; pct 49.99 < 50: 0; flag is false, not true: 0 → 2 of 5")
    assert got["M"] == (D(0), "not scored yet (scored by the council) → 0 of 5")
    assert got["Dv"] == (D(0), "y not given → 0 of 5")
    assert points(run(testland, x="50.0001"))["B"] == (D(5), "x 50.0001 > 50 → 5 of 10")
    assert points(run(testland, x=500))["L"] == (D(8), "x 500, linear 0→0 .. 200→8 → 8 of 8")


def test_prerequisite_failure_stops_scoring(testland: CriteriaSet) -> None:
    evaluation = run(testland, x=-5)
    assert not evaluation.eligible and not evaluation.passed and evaluation.total is None
    assert [(p.id, p.passed, p.message) for p in evaluation.prerequisites] == [("P1", False, "x -5 < 0")]


def test_pass_operator_at_the_mark(testland: CriteriaSet) -> None:
    # base 29 + manual 1 = 30: passes with ≥ 30 ...
    assert run(testland, self_assessment={"M": 1}).passed is True
    assert run(testland, self_assessment={"M": "0.5"}).passed is False
    # ... and fails with > 30, from the same content apart from the operator
    strict = replace(testland, compiled=replace(testland.compiled, pass_test=lambda total: total > 30))
    assert run(strict, self_assessment={"M": 1}).passed is False


def test_council_scores_rounded_half_up(testland: CriteriaSet) -> None:
    # M: (0.5 + 0 + 0 + 0) / 4 = 0.125 → 0.13 half up (banker's rounding would give 0.12)
    evaluation = run(testland, scores={"a": {"M": 0.5}, "b": {"M": 0}, "c": {"M": 0}, "d": {"M": 0}})
    m = next(c for c in evaluation.criteria if c.id == "M")
    assert (m.points, m.council, m.scorers, m.preliminary) == (D("0.13"), D("0.13"), 4, D(0))
    assert evaluation.total == D("29.13")  # 29 computed + 0.125 → 29.125 → 29.13
    assert evaluation.preliminary_total == D(29)
    assert evaluation.council_scored is True


def test_reproducible_and_serialisable(testland: CriteriaSet) -> None:
    first, second = run(testland, ident="d1"), run(testland, ident="d1")
    assert first == second
    assert first.to_dict()["content_hash"] == testland.content_hash


def test_derived_functions_with_a_zero_base_are_undefined_not_zero() -> None:
    assert cagr(D(100), D(144), D(2)) == D(20)
    assert share(D("2.5"), D(500)) == D("0.5")
    for call in (lambda: cagr(D(0), D(144), D(2)), lambda: ratio(D(5), D(0)), lambda: share(D(5), D(0))):
        with pytest.raises(UndefinedValue):
            call()


def test_an_undefined_indicator_gives_the_rules_when_undefined_points(testland: CriteriaSet) -> None:
    got = points(run(testland, n=0))["Dv"]
    assert got == (D(1), "y undefined (ratio(x, n): the divisor is 0): when_undefined → 1 of 5")


def test_ranking_top_n_and_tie_breaks(testland: CriteriaSet) -> None:
    d_a = run(testland, ident="A", tags=["a"], self_assessment={"M": 1}, when="2024-09-01T10:00")  # 33, G1 18
    d_b = run(testland, ident="B", self_assessment={"M": 4}, when="2024-09-01T09:00")  # 33, G1 15
    d_c = run(testland, ident="C", tags=["a"], self_assessment={"M": 1}, when="2024-09-01T08:00")  # 33, G1 18
    d_d = run(testland, ident="D", tags=["a", "b"], when="2024-09-02T08:00")  # 34
    d_e = run(testland, ident="E", x=10, when="2024-09-02T08:00")  # 10.4: fails
    d_f = run(testland, ident="F", x=-5)  # ineligible: not ranked
    d_g = run(testland, ident="G", self_assessment={"M": 4}, when="2024-09-01T09:00")  # as B, same time
    assert [e.total for e in (d_a, d_b, d_c, d_d, d_e)] == [D(33), D(33), D(33), D(34), D("10.4")]
    ranking = rank([d_a, d_b, d_c, d_d, d_e, d_f, d_g], testland)
    assert [(r.position, r.evaluation.dossier_id, r.top) for r in ranking] == [
        (1, "D", True), (2, "C", True), (3, "A", False), (4, "B", False), (4, "G", False), (6, "E", False)]
    reasons = {r.evaluation.dossier_id: r.tie_break for r in ranking}
    assert reasons == {
        "D": None,
        "C": None,
        "A": "tie on total 33: earlier submission (2024-09-01 08:00 vs 2024-09-01 10:00)",
        "B": "tie on total 33: higher G1 subtotal (18 vs 15)",
        "G": "tie on total 33 not broken by subtotal G1, earlier submission",
        "E": None,
    }
    # a tie that straddles the last Top-N place takes every tied product in, for the council to settle
    top4 = rank([d_a, d_b, d_c, d_d, d_g], replace(testland, top=4))
    assert [r.evaluation.dossier_id for r in top4 if r.top] == ["D", "C", "A", "B", "G"]


def test_aggregations() -> None:
    from fractions import Fraction

    criteria = (SheetCriterion("K1", "G", ("G",), D(10), False), SheetCriterion("K2", "G", ("G",), D(10), True))
    preliminary = {"K1": D(6), "K2": D(4)}

    def sheet(scores: Any) -> CouncilSheet:
        return CouncilSheet(criteria, (), preliminary, scores)

    scores = {"m1": {"K1": D(8), "K2": D(2)}, "m2": {"K1": D(5)}, "m3": {"K1": D(9), "K2": D(3)}}
    assigned = mean_of_assigned(sheet(scores))
    assert assigned.points == {"K1": Fraction(22, 3), "K2": Fraction(5, 2)}  # exact thirds, not 28 digits
    assert assigned.total is None  # the sum of the points
    assert assigned.scorers == {"K1": 3, "K2": 2}
    complete = {"m1": {"K1": D(8), "K2": D(2)}, "m2": {"K1": D(5), "K2": D(4)}, "m3": {"K1": D(9), "K2": D(3)}}
    totals = mean_of_totals(sheet(complete))
    assert sum(totals.points.values()) == Fraction(10 + 9 + 12, 3)
    trimmed = trimmed_mean_of_totals(sheet(complete))
    assert trimmed.points == {"K1": 8, "K2": 2}  # totals 10, 9, 12: drop 12 and 9, keep m1
    assert mean_of_assigned(sheet({})).points == preliminary


def test_fast_path_equals_checking_path_for_every_rule_kind(testland: CriteriaSet) -> None:
    from spcncl_core.engine.evaluate import evaluate_checked
    from spcncl_core.engine.fastpath import Irregular

    fast = testland.compiled.fast_path()
    variants = [{}, {"x": 50}, {"x": "50.0001", "tags": ["a", "b"]}, {"flag": False, "level": "low"},
                {"n": None}, {"pct": 49.99}, {"x": 500, "n": 0}, {"x": -5}]
    for changes in variants:
        dossier = Dossier("testland", 2024, inputs(**changes))
        expected = evaluate_checked(testland, dossier)
        try:
            got = fast(dossier.inputs, None, None)
        except (Irregular, ValueError):  # undefined, or more digits than shown: the checking path takes over
            assert evaluate(testland, dossier) == expected
            continue
        assert (got == expected.prerequisite_data) if isinstance(got, tuple) else (got == expected), changes
