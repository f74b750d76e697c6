"""Random JSON and YAML documents fed to the dossier reader and to the criteria-set loader: the only outcomes are a
result or the project's own errors (never a raw exception)."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import EXAMPLES, MINIMAL_SET
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spcncl_core import Catalog, SpcnclError, read_dossier_file
from spcncl_core.criteria.loader import load_criteria_sets
from spcncl_core.registries import CriteriaSetRegistry

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
GOOD = json.loads((EXAMPLES / "hanoi-2023-vnsteel-council.json").read_text(encoding="utf-8"))

numbers_as_text = st.sampled_from(["1.000", "2.400.000", "1,5", "1e-999999", "1e999999", "-0", "0x10", " 12 ",
                                   "NaN", "inf", "1_000", "", "９", "1.5e3", "12.500", "3.14159265358979323846"])
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=20), numbers_as_text)
documents = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=5), st.dictionaries(st.text(max_size=10), children, max_size=5)), max_leaves=30)
tokens = st.sampled_from(['{', '}', '[', ']', ',', ':', '"a"', '"id"', '"inputs"', '"year"', " ", "\n", "  ",
                          "- ", "a: ", "&x ", "*x", "<<: ", "1e999999", "9" * 5000, "-0.0", "1.000", "true", "null",
                          '"\\u0000"', "2023", '"hanoi"', "jurisdiction: hanoi\n", "---\n", "? ", "!!python/object "])
keys = st.sampled_from(["jurisdiction", "year", "inputs", "self_assessment", "council_scores", "id",
                        "submitted_at", "product_revenue", "equity", "KT1", "member-1", "quality", "x"])


def mutate(value: Any, rng: random.Random, replacement: Any, depth: int = 0) -> Any:
    """`value` with one randomly chosen part (a key's value or a list item) replaced."""
    if isinstance(value, dict) and value and (depth == 0 or rng.random() < 0.7):
        key = rng.choice(sorted(value, key=str))
        out = dict(value)
        out[key] = mutate(value[key], rng, replacement, depth + 1) if rng.random() < 0.6 else replacement
        return out
    if isinstance(value, list) and value and rng.random() < 0.7:
        i = rng.randrange(len(value))
        out_list = list(value)
        out_list[i] = mutate(value[i], rng, replacement, depth + 1) if rng.random() < 0.6 else replacement
        return out_list
    return replacement


def write(tmp_path: Path, data: Any, as_yaml: bool) -> Path:
    path = tmp_path / ("fuzz.yaml" if as_yaml else "fuzz.json")
    if as_yaml:
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    else:
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def outcome_of_dossier(catalog: Catalog, path: Path) -> None:
    try:
        loaded = read_dossier_file(path)
        catalog.evaluate(loaded.dossier, scores=loaded.council_scores).to_dict()
    except SpcnclError:
        pass


@FUZZ
@given(data=documents, as_yaml=st.booleans())
def test_random_documents_as_dossiers(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory, data: Any,
                                      as_yaml: bool) -> None:
    outcome_of_dossier(catalog, write(tmp_path_factory.mktemp("fuzz"), data, as_yaml))


@FUZZ
@given(seed=st.integers(0, 2**32), replacement=documents, as_yaml=st.booleans())
def test_a_good_dossier_with_a_random_part_replaced(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory,
                                                    seed: int, replacement: Any, as_yaml: bool) -> None:
    data = mutate(copy.deepcopy(GOOD), random.Random(seed), replacement)
    outcome_of_dossier(catalog, write(tmp_path_factory.mktemp("fuzz"), data, as_yaml))


@FUZZ
@given(key=keys, value=documents)
def test_random_values_under_dossier_keys(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory, key: str,
                                          value: Any) -> None:
    data = copy.deepcopy(GOOD)
    (data["inputs"] if key in ("product_revenue", "equity", "quality", "x") else data)[key] = value
    outcome_of_dossier(catalog, write(tmp_path_factory.mktemp("fuzz"), data, as_yaml=False))


@FUZZ
@given(text=st.one_of(st.text(max_size=200), st.lists(tokens, max_size=60).map("".join)), as_yaml=st.booleans())
def test_random_text_as_a_dossier_file(catalog: Catalog, tmp_path_factory: pytest.TempPathFactory, text: str,
                                       as_yaml: bool) -> None:
    path = tmp_path_factory.mktemp("fuzz") / ("t.yaml" if as_yaml else "t.json")
    path.write_text(text, encoding="utf-8")
    outcome_of_dossier(catalog, path)


def load_set(catalog: Catalog, text: str) -> None:
    registry = CriteriaSetRegistry()
    registry.add_text(text, "fuzz.yaml")
    try:
        if registry.problems:
            return
        load_criteria_sets(registry.sources, catalog.registries,
                           {k: v for k, v in catalog.criteria_sets.items() if k != "test-set"})
    except SpcnclError:
        pass


@FUZZ
@given(seed=st.integers(0, 2**32), replacement=documents, extends=st.booleans())
def test_a_good_criteria_set_with_a_random_part_replaced(catalog: Catalog, seed: int, replacement: Any,
                                                         extends: bool) -> None:
    base: dict[str, Any] = copy.deepcopy(MINIMAL_SET)
    if extends:
        base = {"id": "fuzz-child", "extends": "hanoi-2023-standard", "top": 5,
                "groups": [{"id": "KT", "criteria": [{"id": "KT1", "max_points": 10}]}]}
    data = mutate(base, random.Random(seed), replacement)
    load_set(catalog, yaml.safe_dump(data, allow_unicode=True))


NUMERIC_PLACES = [("score_step",), ("total_points",), ("pass", "points"), ("top",), ("rounding",),
                  ("groups", 0, "criteria", 0, "max_points"),
                  ("groups", 0, "criteria", 0, "score", "bands", "levels", 0, "gte"),
                  ("groups", 0, "criteria", 0, "score", "bands", "levels", 1, "points"),
                  ("groups", 0, "criteria", 1, "score", "choice", "points", "high"),
                  ("inputs", 0, "min"), ("years", "from"), ("years", "to")]
hostile_numbers = st.one_of(numbers_as_text, st.integers(), st.integers(min_value=10**20, max_value=10**40),
                            st.floats(allow_nan=False, allow_infinity=False), st.decimals(allow_nan=False,
                                                                                          allow_infinity=False).map(str))


@FUZZ
@given(place=st.sampled_from(NUMERIC_PLACES), value=hostile_numbers)
def test_any_number_anywhere_in_a_criteria_set(catalog: Catalog, place: tuple[Any, ...], value: Any) -> None:
    data: Any = copy.deepcopy({**MINIMAL_SET, "score_step": 0.5})
    target = data
    for part in place[:-1]:
        target = target[part]
    target[place[-1]] = value
    load_set(catalog, yaml.safe_dump(data, allow_unicode=True))


@FUZZ
@given(data=documents)
def test_random_documents_as_criteria_sets(catalog: Catalog, data: Any) -> None:
    load_set(catalog, yaml.safe_dump(data, allow_unicode=True))
