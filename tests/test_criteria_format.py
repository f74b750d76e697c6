"""Malformed criteria-set files: each refused, with every problem reported at once and the exact message."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from conftest import MINIMAL_SET, write_yaml

from spcncl_core import Catalog, CriteriaSetError, PluginError
from spcncl_core.criteria.loader import load_criteria_sets
from spcncl_core.registries import CriteriaSetRegistry


def load(catalog: Catalog, tmp_path: Path, *docs: Any) -> dict[str, Any]:
    """Write each document to a file (name.yaml), load them with the installed catalog's registries."""
    registry = CriteriaSetRegistry()
    for i, doc in enumerate(docs):
        name = f"set{i}.yaml" if len(docs) > 1 else "bad.yaml"
        path = tmp_path / name
        if isinstance(doc, str):
            path.write_text(doc, encoding="utf-8")
        else:
            write_yaml(path, doc)
        registry.add_file(path, label=name)
    if registry.problems:
        raise CriteriaSetError(registry.problems)
    return load_criteria_sets(registry.sources, catalog.registries, known=catalog.criteria_sets)


def problems(catalog: Catalog, tmp_path: Path, *docs: Any) -> list[str]:
    with pytest.raises(CriteriaSetError) as info:
        load(catalog, tmp_path, *docs)
    return [str(p) for p in info.value.problems]


def variant(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(MINIMAL_SET)
    doc.update(changes)
    return doc


def criterion(doc: dict[str, Any], index: int) -> dict[str, Any]:
    return doc["groups"][0]["criteria"][index]


def test_minimal_set_is_valid(catalog: Catalog, tmp_path: Path) -> None:
    sets = load(catalog, tmp_path, MINIMAL_SET)
    assert list(sets) == ["test-set"]
    assert sets["test-set"].total_points == 20
    assert len(sets["test-set"].content_hash) == 64


def test_max_points_must_add_up_to_the_declared_total(catalog: Catalog, tmp_path: Path) -> None:
    assert problems(catalog, tmp_path, variant(total_points=25)) == [
        "bad.yaml: total_points: the criteria's max_points add up to 20 (A 20), not the declared 25"]


def test_bands_out_of_order(catalog: Catalog, tmp_path: Path) -> None:
    doc = variant()
    criterion(doc, 0)["score"]["bands"]["levels"] = [{"gte": 50, "points": 5}, {"gte": 100, "points": 10}]
    assert problems(catalog, tmp_path, doc) == [
        "bad.yaml: groups[0].criteria[0].score.bands.levels[1]: bands out of order: threshold 100 must be below "
        "the band above it (50); bands are read top-down, highest first"]


def test_equal_thresholds_only_as_gt_then_gte(catalog: Catalog, tmp_path: Path) -> None:
    doc = variant()
    criterion(doc, 0)["score"]["bands"]["levels"] = [{"gte": 50, "points": 5}, {"gt": 50, "points": 4}]
    assert problems(catalog, tmp_path, doc) == [
        "bad.yaml: groups[0].criteria[0].score.bands.levels[1]: bands out of order: threshold 50 must be below "
        "the band above it (50); bands are read top-down, highest first"]
    criterion(doc, 0)["score"]["bands"]["levels"] = [{"gt": 50, "points": 5}, {"gte": 50, "points": 4}]
    assert load(catalog, tmp_path, doc)


def test_points_above_the_criterion_maximum(catalog: Catalog, tmp_path: Path) -> None:
    doc = variant()
    criterion(doc, 0)["score"]["bands"]["levels"][0]["points"] = 12
    assert problems(catalog, tmp_path, doc) == [
        "bad.yaml: groups[0].criteria[0].score.bands.levels[0].points: must be ≤ max_points (10)"]


def test_unknown_rule_kind(catalog: Catalog, tmp_path: Path) -> None:
    doc = variant()
    criterion(doc, 0)["score"] = {"bandz": criterion(doc, 0)["score"]["bands"]}
    assert problems(catalog, tmp_path, doc) == [
        "bad.yaml: groups[0].criteria[0].score: unknown rule kind 'bandz' (did you mean 'bands'?); known kinds: "
        "bands, choice, items, boolean, linear, parts, manual"]


def test_unknown_input_referenced_by_a_rule(catalog: Catalog, tmp_path: Path) -> None:
    doc = variant()
    criterion(doc, 0)["score"]["bands"]["of"] = "revenu"
    assert problems(catalog, tmp_path, doc) == [
        "bad.yaml: groups[0].criteria[0].score.bands.of: unknown input 'revenu' (did you mean 'revenue'?); "
        "declare it under inputs or derived"]


def test_input_of_the_wrong_type_for_the_rule(catalog: Catalog, tmp_path: Path) -> None:
    doc = variant()
    criterion(doc, 0)["score"]["bands"]["of"] = "level"
    assert problems(catalog, tmp_path, doc) == [
        "bad.yaml: groups[0].criteria[0].score.bands.of: input 'level' is of type choice; this rule needs integer "
        "or number or percent"]


def test_choice_option_that_the_input_does_not_have(catalog: Catalog, tmp_path: Path) -> None:
    doc = variant()
    criterion(doc, 1)["score"]["choice"]["points"] = {"hgh": 10, "low": 4}
    assert problems(catalog, tmp_path, doc) == [
        "bad.yaml: groups[0].criteria[1].score.choice.points.hgh: 'hgh' is not an option of 'level' (did you mean "
        "'high'?); options: high, low"]


def test_cycle_in_extends(catalog: Catalog, tmp_path: Path) -> None:
    a = {"id": "cycle-a", "extends": "cycle-b", "title": {"vi": "A"}}
    b = {"id": "cycle-b", "extends": "cycle-a", "title": {"vi": "B"}}
    assert problems(catalog, tmp_path, a, b) == ["set1.yaml: extends: cycle in extends: cycle-a → cycle-b → cycle-a"]


def test_a_set_extending_itself(catalog: Catalog, tmp_path: Path) -> None:
    assert problems(catalog, tmp_path, {"id": "self-ref", "extends": "self-ref"}) == [
        "bad.yaml: extends: cycle in extends: self-ref → self-ref"]


def test_extends_an_unknown_set(catalog: Catalog, tmp_path: Path) -> None:
    assert problems(catalog, tmp_path, {"id": "child", "extends": "hanoi-2018-standrd"}) == [
        "bad.yaml: extends: unknown criteria set 'hanoi-2018-standrd' (did you mean 'hanoi-2018-standard'?)"]


def test_unknown_key(catalog: Catalog, tmp_path: Path) -> None:
    assert problems(catalog, tmp_path, variant(colour="red")) == [
        "bad.yaml: colour: unknown key (not part of the criteria-set format)"]


def test_required_key_missing(catalog: Catalog, tmp_path: Path) -> None:
    doc = variant()
    del doc["title"]
    del criterion(doc, 0)["max_points"]
    assert problems(catalog, tmp_path, doc) == [
        "bad.yaml: title: required key is missing",
        "bad.yaml: groups[0].criteria[0].max_points: required key is missing"]


def test_not_yaml(catalog: Catalog, tmp_path: Path) -> None:
    assert problems(catalog, tmp_path, "id: x\ngroups: [unclosed\n") == [
        "bad.yaml: line 3, column 1: not valid YAML: did not find expected ',' or ']'"]


def test_not_a_mapping(catalog: Catalog, tmp_path: Path) -> None:
    assert problems(catalog, tmp_path, "- just\n- a list\n") == [
        "bad.yaml: must be a mapping of keys (id, title, groups, …), not list"]


def test_duplicate_criterion_id(catalog: Catalog, tmp_path: Path) -> None:
    doc = variant()
    criterion(doc, 1)["id"] = "A1"
    assert problems(catalog, tmp_path, doc) == ["bad.yaml: criteria[1].id: criterion 'A1' is declared twice"]


def test_unknown_aggregation(catalog: Catalog, tmp_path: Path) -> None:
    assert problems(catalog, tmp_path, variant(aggregation="median")) == [
        "bad.yaml: aggregation: unknown aggregation 'median'; known: mean-of-assigned, mean-of-totals, "
        "trimmed-mean-of-totals"]


def test_pass_mark_above_the_total_and_bad_provenance(catalog: Catalog, tmp_path: Path) -> None:
    assert problems(catalog, tmp_path, variant(provenance="guess")) == [
        "bad.yaml: provenance: Must be one of: official, partly-official, reconstruction, draft."]
    assert problems(catalog, tmp_path, variant(**{"pass": {"operator": ">", "points": 30}})) == [
        "bad.yaml: pass.points: must be ≤ total_points (20)"]


def test_unknown_tie_break_group_and_derived_argument(catalog: Catalog, tmp_path: Path) -> None:
    doc = variant(tie_breaks=[{"by": "subtotal", "group": "B"}],
                  derived=[{"id": "growth", "function": "cagr", "args": ["revenue_n3", "revenue", 2],
                            "label": {"vi": "Tăng trưởng"}}])
    assert problems(catalog, tmp_path, doc) == [
        "bad.yaml: derived[0].args[0]: unknown input 'revenue_n3' (did you mean 'revenue'?)",
        "bad.yaml: tie_breaks[0].group: unknown group 'B'"]


def test_every_problem_is_reported_at_once(catalog: Catalog, tmp_path: Path) -> None:
    doc = variant(total_points=30)
    criterion(doc, 0)["score"]["bands"]["levels"][0]["points"] = 11
    criterion(doc, 1)["score"]["choice"]["of"] = "levl"
    found = problems(catalog, tmp_path, doc)
    assert found == [
        "bad.yaml: groups[0].criteria[0].score.bands.levels[0].points: must be ≤ max_points (10)",
        "bad.yaml: groups[0].criteria[1].score.choice.of: unknown input 'levl' (did you mean 'level'?); declare it "
        "under inputs or derived",
        "bad.yaml: total_points: the criteria's max_points add up to 20 (A 20), not the declared 30"]


def test_errors_in_an_extending_file_name_that_file(catalog: Catalog, tmp_path: Path) -> None:
    child = {"id": "child-set", "extends": "hanoi-2023-standard",
             "groups": [{"id": "KT", "criteria": [{"id": "KT1", "max_points": "ten"}]}],
             "remove": {"criteria": ["KT9"]}}
    assert problems(catalog, tmp_path, child) == ["bad.yaml: groups[0].criteria[0].max_points: Not a valid number."]
    child["groups"][0]["criteria"][0]["max_points"] = 12
    assert problems(catalog, tmp_path, child) == [
        "bad.yaml: remove.criteria[0]: 'KT9' is not in the base set (did you mean 'KT5'?)",
        "bad.yaml (merged with 'hanoi-2023-standard'): total_points: the criteria's max_points add up to 102 "
        "(KT 42, CN 27, MT 8, XH 5, LT 10, CĐ 10), not the declared 100"]


def test_duplicate_set_id_names_both_plugins(catalog: Catalog) -> None:
    registry = CriteriaSetRegistry()
    with registry.owned_by("alpha"):
        registry.add_document(MINIMAL_SET, "alpha/set.yaml")
    with registry.owned_by("beta"):
        registry.add_document(MINIMAL_SET, "beta/set.yaml")
    with pytest.raises(PluginError, match=r"criteria set 'test-set' is registered twice: by plugin 'alpha' "
                                          r"\(alpha/set.yaml\) and by plugin 'beta' \(beta/set.yaml\)"):
        load_criteria_sets(registry.sources, catalog.registries)


def test_nothing_half_loaded(catalog: Catalog, tmp_path: Path) -> None:
    """One bad set among good ones: the whole load is refused, nothing is returned."""
    good = variant(id="good-set")
    bad = variant(id="bad-set", total_points=21)
    with pytest.raises(CriteriaSetError) as info:
        load(catalog, tmp_path, good, bad)
    assert [p.where for p in info.value.problems] == ["set1.yaml: total_points"]
