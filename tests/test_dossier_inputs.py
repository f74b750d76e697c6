"""Malformed dossiers: every problem reported together, each naming its field, with the exact message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES

from spcncl_core import Catalog, Dossier, DossierError, read_dossier_file
from spcncl_core.dossier import dossier_from_mapping


def good_inputs() -> dict[str, Any]:
    return dict(read_dossier_file(EXAMPLES / "hanoi-2022-cadisun-cable.yaml").dossier.inputs)


def problems(catalog: Catalog, inputs: dict[str, Any], year: int = 2022, **kwargs: Any) -> list[str]:
    with pytest.raises(DossierError) as info:
        catalog.evaluate(Dossier("hanoi", year, inputs, **kwargs))
    return [str(p) for p in info.value.problems]


def test_wrong_types_out_of_range_unknown_choice_and_missing_all_at_once(catalog: Catalog) -> None:
    inputs = good_inputs()
    inputs.update(product_revenue="lots", product_workers=12.5, local_content=120, automation_level="robotic",
                  quality=["iso9001", "iso14001"], tax_arrears="no")
    del inputs["equity"]
    assert problems(catalog, inputs) == [
        "inputs.equity: required input is missing",
        "inputs.product_revenue: must be a number, got 'lots'",
        "inputs.product_workers: must be a whole number, got 12.5",
        "inputs.tax_arrears: must be true or false, got 'no'",
        "inputs.automation_level: 'robotic' is not an option; options: automated, semi_automated, manual",
        "inputs.quality: 'iso14001' is not an option (did you mean 'iso9001'?); options: iso9001, conformity, "
        "other_qms",
        "inputs.local_content: must be ≤ 100, got 120",
    ]


def test_negative_where_the_set_forbids_it(catalog: Catalog) -> None:
    assert problems(catalog, {**good_inputs(), "export_revenue": -1, "jobs_created": -3}) == [
        "inputs.export_revenue: must be ≥ 0, got -1",
        "inputs.jobs_created: must be ≥ 0, got -3",
    ]


def test_input_no_set_of_the_jurisdiction_declares_has_a_hint(catalog: Catalog) -> None:
    assert problems(catalog, {**good_inputs(), "export_revenu": 5}) == [
        "inputs.export_revenu: unknown input (did you mean 'export_revenue'?); no criteria set of this "
        "jurisdiction declares it"]


def test_input_another_set_of_the_jurisdiction_declares_is_ignored(catalog: Catalog) -> None:
    # st_staff_share and digital are declared by the high-tech and 2023 sets; the 2021 standard set ignores them
    evaluation = catalog.evaluate(Dossier("hanoi", 2022, {**good_inputs(), "st_staff_share": 40,
                                                          "digital": ["erp"]}))
    assert evaluation.criteria_set == "hanoi-2021-standard"
    assert evaluation.total == 70


def test_self_assessment_and_council_scores_are_checked(catalog: Catalog) -> None:
    assert problems(catalog, good_inputs(), self_assessment={"KT1": 16, "KT9": 1}) == [
        "self_assessment.KT1: must be between 0 and 15, got 16",
        "self_assessment.KT9: unknown criterion (did you mean 'KT5'?) in hanoi-2021-standard"]
    with pytest.raises(DossierError) as info:
        catalog.evaluate(Dossier("hanoi", 2022, good_inputs()),
                         scores={"m1": {"KT1": 7.25, "CN1": -1, "ZZ": 1}})
    assert [str(p) for p in info.value.problems] == [
        "council_scores.m1.KT1: must be in steps of 0.5, got 7.25",
        "council_scores.m1.CN1: must be between 0 and 8, got -1",
        "council_scores.m1.ZZ: unknown criterion"]


def test_dossier_file_shape(tmp_path: Path) -> None:
    with pytest.raises(DossierError) as info:
        dossier_from_mapping({"jurisdiction": "", "year": "2023", "inputs": [], "scores": {}})
    assert [str(p) for p in info.value.problems] == [
        "scores: unknown key (did you mean 'council_scores'?); allowed: jurisdiction, year, inputs, "
        "self_assessment, council_scores, id, product, enterprise, submitted_at, note",
        'jurisdiction: required: the jurisdiction\'s id, e.g. "hanoi"',
        "year: required: the programme year as a whole number, got '2023'",
        "inputs: must be a mapping of input id to value"]
    bad = tmp_path / "broken.json"
    bad.write_text('{"jurisdiction": "hanoi",', encoding="utf-8")
    with pytest.raises(DossierError, match=r"broken.json: line 1, column 26: not valid JSON: Expecting property name"):
        read_dossier_file(bad)


def test_year_outside_the_chosen_set_and_wrong_jurisdiction(catalog: Catalog) -> None:
    with pytest.raises(DossierError) as info:
        catalog.evaluate(Dossier("hanoi", 2019, good_inputs()), set_id="hanoi-2023-standard")
    assert [str(p) for p in info.value.problems] == ["year: 2019 is outside the years of hanoi-2023-standard (2023–)"]
    with pytest.raises(DossierError) as info:
        catalog.evaluate(Dossier("hue", 2023, {}), set_id="hanoi-2023-standard")
    assert [str(p) for p in info.value.problems] == [
        "jurisdiction: 'hue' does not match hanoi-2023-standard (hanoi)"]


def test_numbers_are_exact_decimals_whatever_their_spelling(catalog: Catalog) -> None:
    """0.1 + 0.2 style float noise cannot move a band: floats, strings and ints read as the decimals written."""
    base = good_inputs()
    as_text = {k: (str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v) for k, v in base.items()}
    as_text["product_workers"] = "250"
    first = catalog.evaluate(Dossier("hanoi", 2022, base))
    second = catalog.evaluate(Dossier("hanoi", 2022, as_text))
    assert first.to_dict() == second.to_dict()
    # 2.5 / 500 × 100 is exactly 0.5: R&D band ≥ 0.5 holds (a float computation gives 0.49999…)
    assert next(c for c in first.criteria if c.id == "CN2").explanation == "rd_share 0.5 ≥ 0.5 → 4 of 6"
    assert json.dumps(first.to_dict(), ensure_ascii=False)
