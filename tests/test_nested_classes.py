"""Nested groups, group maxima and caps, result classes, and the example national distribution's star rating —
with the example dossiers worked out by hand (none of these numbers comes from the engine)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, write_yaml

from spcncl_core import Catalog, Dossier, evaluate, read_dossier_file
from spcncl_core.cli import main
from spcncl_core.criteria.loader import load_criteria_sets
from spcncl_core.errors import CriteriaSetError
from spcncl_core.registries import CriteriaSetRegistry

NATIONAL = ROOT / "examples" / "spcncl-national" / "dossiers"
D = Decimal


def test_the_example_distribution_is_installed(catalog: Catalog) -> None:
    assert catalog.owner("ocop-2024") == "national" and catalog.owner("vnaward-2024") == "national"
    ocop = catalog.get("ocop-2024")
    assert [g.id for g in ocop.groups] == ["A", "B", "C"]
    assert [g.id for g in ocop.group("A").groups] == ["A1", "A2", "A3"]
    assert ocop.group("A1").max_points == 18 and ocop.group("A").max_points == 40
    assert ocop.group("B").children_max == 30 and ocop.group("B").max_points == 25  # capped
    assert [(c.id, c.points, c.recognised) for c in ocop.classes] == [
        ("sao-5", 90, True), ("sao-4", 70, True), ("sao-3", 50, True), ("sao-2", 30, False), ("sao-1", 0, False)]
    assert ocop.criterion("A11").path == ("A", "A1")


def test_honey_council_scored_five_stars(catalog: Catalog) -> None:
    loaded = read_dossier_file(NATIONAL / "ocop-2024-honey-council.yaml")
    e = catalog.evaluate(loaded.dossier, scores=loaded.council_scores)
    # A1: material 80 ≥ 75 → 5; cooperative 5; links 2 + 2 + 1 = 5; workers 60 ≥ 50 → 3: 18
    # A2: A21 (4.5 + 5 + 4) / 3 = 4.5; A22 (3.5 + 4) / 2 = 3.75; brand 3: 11.25
    # A3: A31 (5 + 4.5 + 5) / 3 = 4.8333…; local workers 75 ≥ 70 → 5: 9.8333…; A = 39.0833…
    # B: channels 1 + 2 + 2 = 5; B2 (4 + 4) / 2 = 4; B3 (3.5 + 4) / 2 = 3.75; growth 12000/10000 → 20 % ≥ 20 → 5;
    #    national 4; fairs 5: 26.75, capped at 25
    # C: C1 (9 + 8.5 + 9) / 3 = 8.8333…; food safety 10; standards 4 + 4 + 2 = 10; C4 council (0 + 1) / 2 = 0.5:
    #    29.3333…
    # total 39.0833… + 25 + 29.3333… = 93.4166… → 93.42 ≥ 90: five stars, recognised.
    # Shown parts: A and C both end in a third of a cent; the one cent left goes to A (listed first): A 39.09,
    # C 29.33; inside A, to A3 (9.84), inside A3 to A31 (4.84).
    assert e.total == D("93.42") and e.class_id == "sao-5" and e.passed
    assert dict(e.subtotals) == {"A": D("39.09"), "A1": 18, "A2": D("11.25"), "A3": D("9.84"), "B": 25,
                                 "C": D("29.33")}
    points = {c.id: c.points for c in e.criteria}
    assert points == {"A11": 5, "A12": 5, "A13": 5, "A14": 3, "A21": D("4.5"), "A22": D("3.75"), "A23": 3,
                      "A31": D("4.84"), "A32": 5, "B1": 5, "B2": 4, "B3": D("3.75"), "B4": 5, "B5": 4, "B6": 5,
                      "C1": D("8.83"), "C2": 10, "C3": 10, "C4": D("0.5")}
    assert e.subtotals["A"] + e.subtotals["B"] + e.subtotals["C"] == e.total
    assert e.subtotals["A1"] + e.subtotals["A2"] + e.subtotals["A3"] == e.subtotals["A"]
    assert sum(points[c] for c in ("A31", "A32")) == e.subtotals["A3"]


def test_rice_cake_self_assessed_exactly_three_stars(catalog: Catalog) -> None:
    loaded = read_dossier_file(NATIONAL / "ocop-2024-rice-cake-self.yaml")
    e = catalog.evaluate(loaded.dossier)
    # computed: material 50 → 3; household 2; supply 2; workers 5 → 1; no brand 0; local workers 30 → 1;
    # shop 1; growth undefined (no revenue the year before) → when_undefined 0; provincial 2; no fairs 0;
    # no food-safety certificate 0; tcvn 4; no export 0: 16. Self-assessed 5 + 4 + 5 + 5 + 5 + 10 = 34.
    # total 50 ≥ 50: three stars, recognised (the lowest recognised class, at its mark).
    assert (e.total, e.class_id, e.passed) == (D(50), "sao-3", True)
    assert dict(e.subtotals) == {"A": 23, "A1": 8, "A2": 9, "A3": 6, "B": 13, "C": 14}
    b4 = next(c for c in e.criteria if c.id == "B4")
    assert b4.explanation == ("revenue_growth undefined (cagr(revenue_prev, revenue, 1): the start value is 0, "
                              "growth needs a positive start): when_undefined → 0 of 5")


def test_classes_below_the_recognised_ones(catalog: Catalog) -> None:
    loaded = read_dossier_file(NATIONAL / "ocop-2024-rice-cake-self.yaml")
    lower = Dossier("ocop", 2024, loaded.dossier.inputs, {**loaded.dossier.self_assessment, "C1": "9.5"})
    e = catalog.evaluate(lower)
    assert (e.total, e.class_id, e.passed) == (D("49.5"), "sao-2", False)  # 49.5 < 50: two stars
    assert e.to_dict()["class"] == "sao-2" and e.to_dict()["class_label"] == {"vi": "2 sao", "en": "2 stars"}


def test_json_has_class_and_a_tree_of_subtotals(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", str(NATIONAL / "ocop-2024-honey-council.yaml"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["class"] == "sao-5" and data["passed"] is True
    assert data["subtotals"] == {"A": 39.09, "A1": 18, "A2": 11.25, "A3": 9.84, "B": 25, "C": 29.33}
    a = data["groups"][0]
    assert (a["id"], a["points"], a["criteria"], [g["id"] for g in a["groups"]]) == ("A", 39.09, [], ["A1", "A2", "A3"])
    assert a["groups"][0]["criteria"] == ["A11", "A12", "A13", "A14"]


def test_summary_line_shows_nested_subtotals_cap_and_class(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", str(NATIONAL / "ocop-2024-honey-council.yaml")]) == 0
    assert capsys.readouterr().out.rstrip().endswith(
        "total 93.42 of 100 (A 39.09 [A1 18, A2 11.25, A3 9.84], B 25 (capped; its parts add up to 26.75), C 29.33); "
        "class: 5 sao (total ≥ 90, recognised) → PASSED")


def test_criteria_show_nested(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["criteria", "show", "ocop-2024"]) == 0
    out = capsys.readouterr().out
    assert "Tổ chức sản xuất (A1)" in out and "Khả năng tiếp thị (B) (capped at 25)" in out
    assert "sao-3  3 sao  ≥ 50        yes" in out
    assert main(["criteria", "show", "ocop-2024", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["groups"][0]["groups"][0]["max_points"] == 18 and data["groups"][1]["cap"] is True
    assert [c["id"] for c in data["classes"]] == ["sao-5", "sao-4", "sao-3", "sao-2", "sao-1"]


# --- the format: nested groups and classes, malformed ---------------------------------------------------------

BASE: dict[str, Any] = {
    "id": "nest-2025", "title": {"vi": "Lồng nhau"}, "jurisdiction": "nest", "years": {"from": 2025},
    "product_group": "any", "provenance": "official", "total_points": 20, "aggregation": "mean-of-assigned",
    "classes": [{"id": "A", "label": {"vi": "Hạng A"}, "points": 15, "recognised": True},
                {"id": "B", "label": {"vi": "Hạng B"}, "points": 10, "recognised": False}],
    "groups": [{"id": "P", "title": {"vi": "Phần"}, "max_points": 20, "groups": [
        {"id": "P1", "title": {"vi": "Phần 1"}, "max_points": 12, "criteria": [
            {"id": "C1", "title": {"vi": "C1"}, "max_points": 6, "score": "manual"},
            {"id": "C2", "title": {"vi": "C2"}, "max_points": 6, "score": "manual"}]},
        {"id": "P2", "title": {"vi": "Phần 2"}, "criteria": [
            {"id": "C3", "title": {"vi": "C3"}, "max_points": 8, "score": "manual"}]}]}],
}


def load(catalog: Catalog, doc: dict[str, Any]) -> Any:
    registry = CriteriaSetRegistry()
    registry.add_document(doc, "nest.yaml")
    return load_criteria_sets(registry.sources, catalog.registries)


def problems(catalog: Catalog, doc: dict[str, Any]) -> list[str]:
    with pytest.raises(CriteriaSetError) as info:
        load(catalog, doc)
    return [str(p) for p in info.value.problems]


def changed(**top: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    doc.update(top)
    return doc


def test_base_is_valid_and_classes_decide_the_pass(catalog: Catalog) -> None:
    cset = load(catalog, BASE)["nest-2025"]
    for scores, total, cls, passed in [({"C1": 6, "C2": 6, "C3": 3}, 15, "A", True),
                                       ({"C1": 6, "C2": 4, "C3": 4.5}, D("14.5"), "B", False),
                                       ({"C1": 1, "C2": 1, "C3": 1}, 3, None, False)]:
        e = evaluate(cset, Dossier("nest", 2025, {}), {"m": scores})
        assert (e.total, e.class_id, e.passed) == (total, cls, passed)


def test_group_maximum_must_match_its_children(catalog: Catalog) -> None:
    doc = changed()
    doc["groups"][0]["groups"][0]["max_points"] = 11
    assert problems(catalog, doc) == [
        "nest.yaml: groups[0].groups[0].max_points: the children's max_points add up to 12, not the declared 11 "
        "(add cap: true to cut their sum at 11)"]


def test_a_cap_must_cut_and_needs_a_maximum(catalog: Catalog) -> None:
    doc = changed()
    doc["groups"][0]["groups"][1].update(max_points=8, cap=True)
    assert problems(catalog, doc) == [
        "nest.yaml: groups[0].groups[1].max_points: a cap must be below what the children can score (8); 8 cuts "
        "nothing"]
    doc = changed()
    doc["groups"][0]["groups"][1]["cap"] = True
    assert problems(catalog, doc) == ["nest.yaml: groups[0].groups[1].cap: a group that caps needs its max_points"]


def test_a_cap_cuts_and_says_so(catalog: Catalog) -> None:
    doc = changed(total_points=18)
    doc["groups"][0].update(max_points=18, cap=True)
    cset = load(catalog, doc)["nest-2025"]
    e = evaluate(cset, Dossier("nest", 2025, {}), {"m": {"C1": 6, "C2": 5.5, "C3": 7}})
    assert (e.total, e.subtotals["P"], e.subtotals["P1"], e.subtotals["P2"]) == (18, 18, D("11.5"), 7)
    e = evaluate(cset, Dossier("nest", 2025, {}), {"m": {"C1": 6, "C2": 5.5, "C3": 6}})
    assert e.total == D("17.5")  # under the cap: nothing cut


def test_empty_nested_group_and_duplicate_group_id(catalog: Catalog) -> None:
    doc = changed()
    doc["groups"][0]["groups"].append({"id": "P1", "title": {"vi": "Trùng"}, "criteria": []})
    assert problems(catalog, doc) == [
        "nest.yaml: groups[0].groups[2].criteria: a group needs at least one criterion or sub-group",
        "nest.yaml: groups[0].groups[2].id: group 'P1' is declared twice"]


def test_classes_out_of_order_above_the_total_and_twice(catalog: Catalog) -> None:
    doc = changed(classes=[{"id": "A", "label": {"vi": "A"}, "points": 25, "recognised": True},
                           {"id": "A", "label": {"vi": "B"}, "points": 30, "recognised": False}])
    assert problems(catalog, doc) == [
        "nest.yaml: classes[0].points: must be ≤ total_points (20)",
        "nest.yaml: classes[1].id: class 'A' is declared twice",
        "nest.yaml: classes[1].points: must be ≤ total_points (20)",
        "nest.yaml: classes[1].points: classes are listed highest first: 30 must be below the class above it (25)"]


def test_no_pass_and_no_classes(catalog: Catalog) -> None:
    doc = changed()
    del doc["classes"]
    assert problems(catalog, doc) == [
        "nest.yaml: pass: required when the set declares no classes: e.g. {operator: \">\", points: 70}"]


def test_provenance_partly_official_and_draft(catalog: Catalog, capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    assert problems(catalog, changed(provenance="partly-official")) == [
        "nest.yaml: official_parts: a partly-official set lists which parts are official, e.g. "
        "[\"P9 (revenue gate, 1520/HD-SCT)\"]"]
    assert problems(catalog, changed(official_parts=["P1"])) == [
        "nest.yaml: official_parts: only a partly-official set lists official parts; provenance is official"]
    partly = load(catalog, changed(provenance="partly-official", official_parts=["class thresholds"]))["nest-2025"]
    assert partly.provenance_text() == "PARTLY-OFFICIAL — partly official; official: class thresholds"
    draft = load(catalog, changed(provenance="draft"))["nest-2025"]
    assert draft.provenance_text() == "DRAFT — an authority's working draft, not yet in force"
    write_yaml(tmp_path / "draft.yaml", changed(provenance="draft"))
    assert main(["criteria", "validate", str(tmp_path / "draft.yaml")]) == 0


def test_rounding_malformed(catalog: Catalog) -> None:
    assert problems(catalog, changed(rounding={"digits": 2, "at": "group"})) == [
        "nest.yaml: rounding.at: must be total (round the total once) or criterion (round each criterion, then add), "
        "got 'group'"]
    assert problems(catalog, changed(rounding={"digits": 9})) == [
        "nest.yaml: rounding.digits: must be a whole number of digits from 0 to 6, got 9"]


def test_structural_and_semantic_problems_together(catalog: Catalog) -> None:
    """Issue 10: a file with several problems reports them all in one run, structure and meaning together."""
    doc = changed(top="three", provenance="guess", total_points=25)
    doc["groups"][0]["groups"][0]["criteria"][0]["score"] = {"bands": {"of": "nothing", "levels": [
        {"gte": 1, "points": 9}]}}
    doc["groups"][0]["groups"][1]["criteria"][0]["max_points"] = "eight"
    doc["classes"][1]["points"] = 16
    assert problems(catalog, doc) == [
        "nest.yaml: provenance: Must be one of: official, partly-official, reconstruction, draft.",
        "nest.yaml: top: Not a valid integer.",
        "nest.yaml: groups[0].groups[1].criteria[0].max_points: Not a valid number.",
        "nest.yaml: groups[0].groups[0].criteria[0].score.bands.of: unknown input 'nothing'; declare it under "
        "inputs or derived",
        "nest.yaml: groups[0].groups[0].criteria[0].score.bands.levels[0].points: must be ≤ max_points (6)",
        "nest.yaml: classes[1].points: classes are listed highest first: 16 must be below the class above it (15)"]


def test_nested_groups_extend_and_remove(catalog: Catalog) -> None:
    child = {"id": "nest-2026", "extends": "nest-2025", "years": {"from": 2026},
             "groups": [{"id": "P", "groups": [{"id": "P2", "criteria": [{"id": "C3", "max_points": 8,
                                                                          "title": {"vi": "C3 mới"}}]}]}],
             "remove": {"groups": []}}
    registry = CriteriaSetRegistry()
    registry.add_document(BASE, "nest.yaml")
    registry.add_document(child, "nest-2026.yaml")
    sets = load_criteria_sets(registry.sources, catalog.registries)
    assert sets["nest-2026"].criterion("C3").title == {"vi": "C3 mới"}
    assert sets["nest-2026"].group("P2").max_points == 8


def test_set_selection_is_explicit(pm: Any, register: Any) -> None:
    """Two product groups and no classification: an error listing the candidate sets, never a silent choice."""
    from spcncl_core import hookimpl, load_catalog
    from spcncl_core.errors import NoCriteriaSetError

    class TwoGroups:
        @hookimpl
        def register_criteria_sets(self, registry: Any) -> None:
            for group in ("standard", "crafts"):
                doc = copy.deepcopy(BASE)
                doc.update(id=f"two-{group}", jurisdiction="two", product_group=group)
                registry.add_document(doc, f"two-{group}.yaml")

    register(TwoGroups(), "two")
    catalog = load_catalog(pm)
    with pytest.raises(NoCriteriaSetError) as info:
        catalog.evaluate(Dossier("two", 2025, {}))
    assert str(info.value) == ("two 2025 has product groups crafts, standard and no plugin classified this dossier; "
                               "give the criteria set with --set: two-crafts (crafts), two-standard (standard)")
    assert catalog.evaluate(Dossier("two", 2025, {}, {"C1": 1, "C2": 1, "C3": 1}), "two-crafts").total == 3


def test_criteria_show_lists_the_inputs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["criteria", "show", "ocop-2024"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line and line.split()[0] in (
        "revenue", "producer_form", "local_material_share", "revenue_growth")}
    assert lines["revenue"].split() == ["revenue", "number", "triệu", "đồng", "0–", "Doanh", "thu", "năm", "N-1"]
    assert "cooperative, enterprise, household" in lines["producer_form"]
    assert "0–100" in lines["local_material_share"]
    assert "cagr(revenue_prev, revenue, 1)" in lines["revenue_growth"]
    assert main(["criteria", "show", "ocop-2024", "--json"]) == 0
    inputs = {i["id"]: i for i in json.loads(capsys.readouterr().out)["inputs"]}
    assert inputs["revenue"] == {"id": "revenue", "type": "number", "label": {"vi": "Doanh thu năm N-1",
                                                                               "en": "Revenue, year N-1"},
                                 "unit": "triệu đồng", "min": 0, "max": None, "options": [], "required": True}


def test_criteria_diff_reports_every_difference(catalog: Catalog) -> None:
    from spcncl_core.criteria.diff import diff_sets

    changed_doc = copy.deepcopy(BASE)
    changed_doc.update(id="nest-2026", provenance="partly-official", official_parts=["P"], rounding=1,
                       inputs=[{"id": "x", "type": "number", "unit": "tỷ đồng", "max": 10, "label": {"vi": "x"}}])
    changed_doc["classes"][0]["points"] = 16
    changed_doc["groups"][0]["groups"][1].update(max_points=7, cap=True)
    changed_doc["groups"][0]["max_points"] = changed_doc["total_points"] = 19
    base_doc = copy.deepcopy(BASE)
    base_doc["inputs"] = [{"id": "x", "type": "number", "unit": "triệu đồng", "max": 20, "label": {"vi": "x"}}]
    registry = CriteriaSetRegistry()
    registry.add_document(base_doc, "a.yaml")
    registry.add_document(changed_doc, "b.yaml")
    sets = load_criteria_sets(registry.sources, catalog.registries)
    got = {(c.what, c.id, c.field): (c.before, c.after) for c in diff_sets(sets["nest-2025"], sets["nest-2026"])}
    assert got == {
        ("setting", "provenance", "provenance"): ("official", "partly-official"),
        ("setting", "official_parts", "official_parts"): ("", "P"),
        ("setting", "classes", "classes"): ("A >= 15 recognised (vi: Hạng A); B >= 10 (vi: Hạng B)",
                                            "A >= 16 recognised (vi: Hạng A); B >= 10 (vi: Hạng B)"),
        ("setting", "rounding", "rounding"): ("2 digits, half up, at the total", "1 digits, half up, at the total"),
        ("setting", "total_points", "total_points"): ("20", "19"),
        ("input", "x", "unit"): ("triệu đồng", "tỷ đồng"),
        ("input", "x", "max"): ("20", "10"),
        ("group", "P", "max_points"): ("20", "19"),
        ("group", "P2", "max_points"): ("8", "7"),
        ("group", "P2", "cap"): ("False", "True"),
    }


def test_extending_with_entries_without_ids_reports_them_and_does_not_crash(catalog: Catalog) -> None:
    """Found by the fuzz suite: two groups without ids in an extending set raised KeyError in the merge."""
    registry = CriteriaSetRegistry()
    registry.add_document({"id": "c", "extends": "hanoi-2023-standard", "groups": [{}, {}]}, "c.yaml")
    with pytest.raises(CriteriaSetError) as info:
        load_criteria_sets(registry.sources, catalog.registries, catalog.criteria_sets)
    merged = "c.yaml (merged with 'hanoi-2023-standard')"
    assert [str(p) for p in info.value.problems] == [
        f"{merged}: groups[6].id: required key is missing", f"{merged}: groups[6].title: required key is missing",
        f"{merged}: groups[7].id: required key is missing", f"{merged}: groups[7].title: required key is missing"]
