"""Hostile and careless files through the command line, each run in a subprocess capped in memory and time
(tests/hostile.py): every case checks the message and the exit code, and that no traceback escapes."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import EXAMPLES, MINIMAL_SET, write_yaml
from hostile import billion_laughs, spcncl

GOOD = json.loads((EXAMPLES / "hanoi-2023-vnsteel-council.json").read_text(encoding="utf-8"))


def dossier(tmp_path: Path, name: str = "d.json", **changes: Any) -> Path:
    """The good example dossier with `changes` (inputs merged), written as JSON."""
    data = copy.deepcopy(GOOD)
    inputs = changes.pop("inputs", {})
    data["inputs"].update(inputs)
    data.update(changes)
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def text_file(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def bad_input(run: Any, *fragments: str) -> None:
    """Exit 2, and some line of stderr holds every fragment."""
    assert run.code == 2, (run.code, run.err[-2000:])
    assert any(all(f in line for f in fragments) for line in run.lines), run.err[-2000:]
    assert all(line.startswith("error: ") for line in run.lines), run.err[-2000:]


# --- resource exhaustion ---------------------------------------------------------------------------------------

def test_billion_laughs_dossier_is_refused_before_expansion(tmp_path: Path) -> None:
    path = text_file(tmp_path, "laughs.yaml", "jurisdiction: hanoi\nyear: 2023\n" + billion_laughs(key="inputs"))
    bad_input(spcncl("evaluate", str(path)), "laughs.yaml: line", "too many values once aliases are expanded",
              "SPCNCL_MAX_NODES")


def test_a_smaller_bomb_under_an_unknown_key_prints_a_bounded_message(tmp_path: Path) -> None:
    path = text_file(tmp_path, "small.yaml", "jurisdiction: hanoi\nyear: 2023\ninputs: {}\n"
                     + billion_laughs(levels=5, width=10, key="surprise"))
    run = spcncl("evaluate", str(path))
    bad_input(run, "unknown key")
    assert len(run.err) < 5000


def test_yaml_nested_30000_deep_is_refused_without_a_crash(tmp_path: Path) -> None:
    path = text_file(tmp_path, "deep.yaml", "inputs: " + "[" * 30000 + "]" * 30000 + "\n")
    bad_input(spcncl("evaluate", str(path)), "deep.yaml: line 1", "nested too deeply (more than 40 levels")


def test_json_nested_100000_deep_is_refused(tmp_path: Path) -> None:
    path = text_file(tmp_path, "deep.json", '{"inputs": ' + "[" * 100000 + "]" * 100000 + "}")
    bad_input(spcncl("evaluate", str(path)), "deep.json: line 1", "nested too deeply")


def test_dev_zero_is_refused_without_reading() -> None:
    bad_input(spcncl("evaluate", "/dev/zero"), "/dev/zero", "is not a regular file")


def test_a_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    bad_input(spcncl("evaluate", str(fifo)), "pipe.json", "is not a regular file")


def test_a_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "folder.json"
    folder.mkdir()
    bad_input(spcncl("evaluate", str(folder)), "folder.json", "is a folder")


def test_a_file_above_the_size_cap_is_refused(tmp_path: Path) -> None:
    path = dossier(tmp_path, note="x" * 50_000)
    bad_input(spcncl("evaluate", str(path), env={"SPCNCL_MAX_FILE_BYTES": "40000"}), "d.json", "is too large",
              "SPCNCL_MAX_FILE_BYTES")


def test_200000_unknown_keys_are_reported_quickly_and_briefly(tmp_path: Path) -> None:
    path = dossier(tmp_path, inputs={f"k{i}": i for i in range(200_000)})
    run = spcncl("evaluate", str(path))
    bad_input(run, "inputs.k0: unknown input")
    assert run.lines[-1] == "error: … and 199500 more problems"


def test_200000_council_members_and_assessed_criteria_are_reported_quickly(tmp_path: Path) -> None:
    path = dossier(tmp_path, council_scores={f"m{i}": {"KT9": 1} for i in range(100_000)},
                   self_assessment={f"X{i}": 1 for i in range(100_000)})
    run = spcncl("evaluate", str(path))
    bad_input(run, "self_assessment.X0: unknown criterion in hanoi-2023-standard")
    assert run.lines[-1].startswith("error: … and ")


def test_a_megabyte_key_and_value_are_quoted_briefly(tmp_path: Path) -> None:
    path = dossier(tmp_path, inputs={"k" * 1_000_000: 1, "product_revenue": "9" * 1_000_000})
    run = spcncl("evaluate", str(path))
    bad_input(run, "inputs.product_revenue: must be a number", "too long to be a number")
    assert max(len(line) for line in run.lines) < 700


def test_a_bad_setting_for_a_cap_is_a_clear_error(tmp_path: Path) -> None:
    run = spcncl("evaluate", str(dossier(tmp_path)), env={"SPCNCL_MAX_DEPTH": "deep"})
    bad_input(run, "SPCNCL_MAX_DEPTH='deep' must be a positive whole number")


# --- text and structure ----------------------------------------------------------------------------------------

def test_latin1_text_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = text_file(tmp_path, "latin.yaml", "jurisdiction: hanoi\nyear: 2023\nproduct: \"Đèn\"\nnote: caf\xe9\n"
                     .encode().replace("caf\xe9".encode(), b"caf\xe9"))
    bad_input(spcncl("evaluate", str(path)), "latin.yaml: line 4", "is not UTF-8 text", "save the file as UTF-8")


def test_utf16_is_refused(tmp_path: Path) -> None:
    path = text_file(tmp_path, "wide.json", json.dumps(GOOD).encode("utf-16"))
    bad_input(spcncl("evaluate", str(path)), "wide.json", "is not UTF-8 text")


def test_duplicate_key_in_json_names_both_lines(tmp_path: Path) -> None:
    path = text_file(tmp_path, "dup.json", '{"id": "A",\n "jurisdiction": "hanoi",\n "id": "B"}')
    bad_input(spcncl("evaluate", str(path)), "dup.json: line 3", "key 'id' is given twice (lines 1 and 3)")


def test_duplicate_input_in_yaml_names_both_lines(tmp_path: Path) -> None:
    text = yaml.safe_dump(GOOD, allow_unicode=True, sort_keys=False).replace(
        "  product_revenue: 2400\n", "  product_revenue: 2400\n  rd_spend_note: 1\n  product_revenue: 9999\n")
    path = text_file(tmp_path, "dup.yaml", text)
    line = text.splitlines().index("  product_revenue: 9999") + 1
    bad_input(spcncl("evaluate", str(path)), f"dup.yaml: line {line}", "key 'product_revenue' is given twice",
              f"and {line})")


def test_two_yaml_documents_are_refused(tmp_path: Path) -> None:
    path = text_file(tmp_path, "two.yaml", "jurisdiction: hanoi\n---\njurisdiction: hue\n")
    bad_input(spcncl("evaluate", str(path)), "two.yaml: line", "more than one YAML document")


def test_a_list_as_a_key_is_refused(tmp_path: Path) -> None:
    path = text_file(tmp_path, "key.yaml", "? [a, b]\n: 1\n")
    bad_input(spcncl("evaluate", str(path)), "key.yaml: line 1", "a key must be a plain text or number")


def test_an_empty_file_is_not_a_dossier(tmp_path: Path) -> None:
    bad_input(spcncl("evaluate", str(text_file(tmp_path, "empty.yaml", ""))), "must be a mapping with jurisdiction")


def test_an_undefined_alias_is_invalid_yaml(tmp_path: Path) -> None:
    bad_input(spcncl("evaluate", str(text_file(tmp_path, "alias.yaml", "inputs: *nowhere\n"))),
              "alias.yaml: line 1", "not valid YAML")


# --- numbers ---------------------------------------------------------------------------------------------------

def test_a_5000_digit_integer_is_refused(tmp_path: Path) -> None:
    path = text_file(tmp_path, "big.json", json.dumps(GOOD).replace('"product_revenue": 2400',
                                                                     '"product_revenue": ' + "7" * 5000))
    bad_input(spcncl("evaluate", str(path)), "big.json: line 1", "is too long")


@pytest.mark.parametrize(("text", "fragment"), [
    ("1e-999999", "too many decimal places (at most 10)"),
    ("1e999999", "is too large: numbers must be below 10^15"),
    ("1.000", "ambiguous: in Vietnamese notation the dot separates thousands (1000)"),
    ("2.400.000", "no thousands separators"),
    ("1,5", "has a decimal comma: write 1.5"),
    ("0x10", "got '0x10'"),
])
def test_numbers_as_text_follow_the_grammar(tmp_path: Path, text: str, fragment: str) -> None:
    run = spcncl("evaluate", str(dossier(tmp_path, inputs={"product_revenue": text})))
    bad_input(run, "inputs.product_revenue: must be a number", fragment)
    assert len(run.err) < 1000


def test_a_json_number_out_of_range_is_refused_briefly(tmp_path: Path) -> None:
    path = text_file(tmp_path, "exp.json", json.dumps(GOOD).replace('"equity": 350', '"equity": 1e999999'))
    run = spcncl("evaluate", str(path))
    bad_input(run, "exp.json: line 1", "number '1e999999' is too large")
    assert len(run.err) < 1000


def test_nan_is_not_a_json_number(tmp_path: Path) -> None:
    path = text_file(tmp_path, "nan.json", json.dumps(GOOD).replace('"equity": 350', '"equity": NaN'))
    bad_input(spcncl("evaluate", str(path)), "NaN is not a number JSON allows")


def test_a_year_far_beyond_the_horizon_is_refused(tmp_path: Path) -> None:
    bad_input(spcncl("evaluate", str(dossier(tmp_path, year=20233))), "year: 20233 is not a programme year",
              "years run from 1990")


def test_a_plain_number_as_text_is_still_read(tmp_path: Path) -> None:
    run = spcncl("evaluate", str(dossier(tmp_path, inputs={"product_revenue": " 2400 "})), "--json")
    assert (run.code, json.loads(run.out)["total"]) == (0, 86.33)


# --- silent acceptance -----------------------------------------------------------------------------------------

def test_self_assessment_zero_is_not_taken_as_empty(tmp_path: Path) -> None:
    bad_input(spcncl("evaluate", str(dossier(tmp_path, self_assessment=0))),
              "self_assessment: must be a mapping of criterion id to points, got 0")


def test_an_object_as_id_is_refused(tmp_path: Path) -> None:
    bad_input(spcncl("evaluate", str(dossier(tmp_path, id={"x": [1, 2]}))),
              "id: must be a text or a whole number, got a mapping of 1 item")


# --- criteria-set files ----------------------------------------------------------------------------------------

def test_criteria_file_nested_30000_deep_does_not_crash(tmp_path: Path) -> None:
    path = text_file(tmp_path, "deep-set.yaml", "id: deep\ngroups: " + "[" * 30000 + "]" * 30000 + "\n")
    bad_input(spcncl("criteria", "validate", str(path)), "deep-set.yaml: line 2", "nested too deeply")


def test_parts_nested_2000_deep_are_refused(tmp_path: Path) -> None:
    data = copy.deepcopy(MINIMAL_SET)
    data["groups"][0]["criteria"][0]["score"] = "SCORE"
    score = '{"parts": [' * 2000 + '{"boolean": {"of": "level", "points": 1}}' + "]}" * 2000
    path = tmp_path / "parts.json.yaml"  # JSON is YAML; written as text, since json.dumps would recurse itself
    path.write_text(json.dumps(data).replace('"SCORE"', score), encoding="utf-8")
    bad_input(spcncl("criteria", "validate", str(path)), "parts.json.yaml: line 1", "nested too deeply")


def test_score_step_1e_minus_30_is_a_clear_problem(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "step.yaml", {**MINIMAL_SET, "score_step": "1e-30"})
    bad_input(spcncl("criteria", "validate", str(path)), "step.yaml: score_step: Not a valid number",
              "too many decimal places")


def test_duplicate_id_inside_a_criteria_file(tmp_path: Path) -> None:
    text = yaml.safe_dump(MINIMAL_SET, allow_unicode=True, sort_keys=False) + "id: other-set\n"
    path = text_file(tmp_path, "twice.yaml", text)
    last = len(text.splitlines())
    bad_input(spcncl("criteria", "validate", str(path)), f"twice.yaml: line {last}",
              f"key 'id' is given twice (lines 1 and {last})")


def test_two_files_with_the_same_set_id(tmp_path: Path) -> None:
    a = write_yaml(tmp_path / "a.yaml", MINIMAL_SET)
    b = write_yaml(tmp_path / "b.yaml", {**MINIMAL_SET, "top": 5})
    bad_input(spcncl("criteria", "validate", str(a), str(b)), f"{b}: id",
              f"criteria set id 'test-set' is also declared by {a}")


def test_billion_laughs_under_an_unknown_key_of_a_criteria_file(tmp_path: Path) -> None:
    text = yaml.safe_dump(MINIMAL_SET, allow_unicode=True, sort_keys=False) + billion_laughs(key="extra")
    path = text_file(tmp_path, "bomb.yaml", text)
    bad_input(spcncl("criteria", "validate", str(path)), "bomb.yaml: line", "too many values once aliases")


def test_criteria_validate_refuses_a_device() -> None:
    bad_input(spcncl("criteria", "validate", "/dev/zero"), "/dev/zero", "is not a regular file")
