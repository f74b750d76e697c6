"""The plugin system: registration order, entry points (Huế as a real third-party distribution), blocking,
clashes and broken plugins named, and one test for every hook."""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import MINIMAL_SET, ROOT

from spcncl_core import (
    Catalog,
    Dossier,
    PluginError,
    PrerequisiteCheck,
    RuleContext,
    RuleKind,
    hookimpl,
    hookspecs,
    load_catalog,
)
from spcncl_core.engine.aggregation import Aggregated
from spcncl_core.engine.functions import DerivedFunction
from spcncl_core.plugins import get_plugin_manager

HOOKS = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
         if hasattr(fn, "spcncl_spec")]


@pytest.fixture
def fake_distribution(tmp_path: Path) -> Iterator[Callable[[str, str, str], None]]:
    """Install a throw-away distribution with a `spcncl` entry point on sys.path (real importlib.metadata)."""
    site = tmp_path / "site"
    site.mkdir()
    modules: list[str] = []

    def make(name: str, module: str, source: str) -> None:
        (site / f"{module}.py").write_text(source, encoding="utf-8")
        info = site / f"{name}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n", encoding="utf-8")
        (info / "entry_points.txt").write_text(f"[spcncl]\n{name} = {module}\n", encoding="utf-8")
        modules.append(module)

    sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    try:
        yield make
    finally:
        sys.path.remove(str(site))
        for module in modules:
            sys.modules.pop(module, None)
        importlib.invalidate_caches()


def test_builtins_first_then_entry_points(catalog: Catalog) -> None:
    names = [p.name for p in catalog.plugins()]
    assert names[:2] == ["core", "hanoi"]
    assert "hue" in names[2:]


def test_hue_is_found_through_its_entry_point(catalog: Catalog) -> None:
    hue = next(p for p in catalog.plugins() if p.name == "hue")
    assert hue.origin == "entry point spcncl_hue (spcncl-hue 0.1.0)"
    assert hue.criteria_sets == ("hue-2021",)
    assert hue.hooks == ("register_admin_views", "register_criteria_sets")
    hue_set = catalog.get("hue-2021")
    assert (hue_set.pass_rule.operator, hue_set.pass_rule.points) == (">=", Decimal(65))
    assert hue_set.aggregation == "mean-of-totals"
    assert [c.manual for c in hue_set.criteria] == [True] * 6
    assert catalog.get("hue-2021").source == "spcncl_hue/criteria_sets/hue-2021.yaml"


def test_plugins_can_be_blocked_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPCNCL_BLOCK_PLUGINS", "hue, nobody")
    catalog = load_catalog()
    assert "hue" not in [p.name for p in catalog.plugins()]
    assert "hue-2021" not in catalog.criteria_sets
    assert load_catalog(get_plugin_manager(block=["hanoi"], entry_points_too=False)).criteria_sets == {}


def test_a_plugin_that_fails_to_import_is_named(fake_distribution: Callable[..., None]) -> None:
    fake_distribution("spcncl-broken", "spcncl_broken_plugin", "raise ImportError('needs numpy')\n")
    with pytest.raises(PluginError, match=r"plugin 'spcncl-broken' \(spcncl_broken_plugin, from spcncl-broken 0.1\) "
                                          r"failed to load: ImportError: needs numpy; fix or uninstall it, or block "
                                          r"it with SPCNCL_BLOCK_PLUGINS=spcncl-broken"):
        get_plugin_manager()


def test_a_misspelt_hook_is_refused(fake_distribution: Callable[..., None]) -> None:
    fake_distribution("spcncl-typo", "spcncl_typo_plugin",
                      "from spcncl_core import hookimpl\n\n@hookimpl\ndef register_criteria_set(registry):\n"
                      "    pass\n")
    with pytest.raises(PluginError, match=r"plugin 'spcncl-typo' implements an unknown hook.*register_criteria_set"):
        get_plugin_manager()


def test_duplicate_criteria_set_id_names_both_plugins(pm: Any, register: Callable[..., Any]) -> None:
    class Copycat:
        @hookimpl
        def register_criteria_sets(self, registry: Any) -> None:
            registry.add_document({**MINIMAL_SET, "id": "hanoi-2018-standard"}, "copycat/hanoi.yaml")

    register(Copycat(), "copycat")
    with pytest.raises(PluginError, match=r"criteria set 'hanoi-2018-standard' is registered twice: by plugin "
                                          r"'hanoi' \(criteria_sets/hanoi/2018-standard.yaml\) and by plugin "
                                          r"'copycat' \(copycat/hanoi.yaml\)"):
        load_catalog(pm)


def test_a_plugin_that_raises_during_registration_is_named(pm: Any, register: Callable[..., Any]) -> None:
    class Buggy:
        @hookimpl
        def register_functions(self, registry: Any) -> None:
            raise KeyError("oops")

    register(Buggy(), "buggy")
    with pytest.raises(PluginError, match=r"plugin 'buggy' failed in register_functions: KeyError: 'oops'"):
        load_catalog(pm)


def test_duplicate_rule_kind_names_both_plugins(pm: Any, register: Callable[..., Any]) -> None:
    class Again:
        @hookimpl
        def register_rule_kinds(self, registry: Any) -> None:
            from spcncl_core.engine.rules import Bands
            registry.add(Bands())

    register(Again(), "again")
    with pytest.raises(PluginError, match=r"rule kind 'bands' is registered twice: by plugin 'core' and by plugin "
                                          r"'again'"):
        load_catalog(pm)


class Ladder(RuleKind):
    """A province's own rule kind: `points_per_step` for every `step` of the input, capped by the engine."""

    name = "ladder"
    description = "ladder {of, step, points_per_step}"

    def parse(self, params: Any, path: str, ctx: RuleContext) -> Any:
        ctx.ref_input(f"{path}.of", params["of"], frozenset({"number", "derived"}))
        return (params["of"], Decimal(str(params["step"])), Decimal(str(params["points_per_step"])))

    def compile(self, rule: Any) -> Any:
        of, step, per = rule

        def ladder(values: Mapping[str, Any]) -> tuple[Decimal, str]:
            steps = values[of] // step
            return steps * per, f"{of} {values[of]}: {steps} steps"

        return ladder

    def describe(self, rule: Any) -> str:
        return f"{rule[0]}: {rule[2]} per {rule[1]}"


class OnList(PrerequisiteCheck):
    """A province's own prerequisite check: the input's value is one of a list of codes."""

    name = "on_list"
    description = "{check: on_list, of, codes}"

    def parse(self, params: Mapping[str, Any], path: str, ctx: RuleContext) -> Any:
        ctx.ref_input(f"{path}.of", params["of"])
        return (params["of"], frozenset(params["codes"]))

    def compile(self, rule: Any) -> Any:
        of, codes = rule
        return lambda values: (values[of] in codes, f"{of} {values[of]} {'on' if values[of] in codes else 'not on'} "
                                                    "the list")

    def describe(self, rule: Any) -> str:
        return f"{rule[0]} on the list"


def median_of_totals(criteria: Any, preliminary: Any, scores: Any) -> Aggregated:
    totals = sorted(sum(s.values(), Decimal(0)) for s in scores.values())
    return Aggregated(dict(preliminary), totals[len(totals) // 2], {c: len(scores) for c in criteria})


class Province:
    """A province plugin using every registration hook, a classification and the evaluation event."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    @hookimpl
    def register_rule_kinds(self, registry: Any) -> None:
        registry.add(Ladder())

    @hookimpl
    def register_functions(self, registry: Any) -> None:
        registry.add(DerivedFunction("double", 1, lambda a: a * 2, "double(a): 2a"))

    @hookimpl
    def register_prerequisite_checks(self, registry: Any) -> None:
        registry.add(OnList())

    @hookimpl
    def register_aggregations(self, registry: Any) -> None:
        registry.add("median-of-totals", median_of_totals, "the median of the members' totals")

    @hookimpl
    def register_criteria_sets(self, registry: Any) -> None:
        registry.add_document({
            "id": "provincia-2025", "title": {"vi": "Tỉnh thử"}, "jurisdiction": "provincia",
            "years": {"from": 2025}, "product_group": "local", "provenance": "official", "total_points": 10,
            "pass": {"operator": ">", "points": 5}, "aggregation": "median-of-totals",
            "inputs": [{"id": "output", "type": "number", "label": {"vi": "Sản lượng"}},
                       {"id": "sector", "type": "text", "label": {"vi": "Ngành"}}],
            "derived": [{"id": "output2", "function": "double", "args": ["output"], "label": {"vi": "x2"}}],
            "prerequisites": [{"id": "Q1", "title": {"vi": "Ngành ưu tiên"},
                               "rule": {"check": "on_list", "of": "sector", "codes": ["C10", "C26"]}}],
            "groups": [{"id": "G", "title": {"vi": "Nhóm"}, "criteria": [
                {"id": "G1", "title": {"vi": "Bậc thang"}, "max_points": 10,
                 "score": {"ladder": {"of": "output2", "step": 10, "points_per_step": 2}}}]}],
        }, "provincia/2025.yaml")

    @hookimpl
    def classify_product(self, catalog: Any, jurisdiction: str, year: int, inputs: Any) -> str | None:
        # overrides the Hanoi plugin, which was registered before (pluggy calls the last registered first)
        return "standard" if jurisdiction == "hanoi" and inputs.get("force_standard") else None

    @hookimpl
    def dossier_evaluated(self, catalog: Any, dossier: Any, evaluation: Any) -> None:
        self.events.append((dossier.jurisdiction, evaluation.criteria_set))


def test_every_registration_hook_and_the_evaluation_event(pm: Any, register: Callable[..., Any]) -> None:
    province = register(Province(), "provincia")
    catalog = load_catalog(pm)
    evaluation = catalog.evaluate(Dossier("provincia", 2025, {"output": 17, "sector": "C26"}),
                                  scores={"a": {"G1": 4}, "b": {"G1": 7}, "c": {"G1": 9}})
    criterion = evaluation.criteria[0]
    assert criterion.preliminary == 6  # output2 = 34 → 3 steps of 10 → 6 points
    assert criterion.explanation.endswith("preliminary: output2 34: 3 steps → 6 of 10")
    assert evaluation.total == 7 and evaluation.passed  # median of 4, 7, 9
    refused = catalog.evaluate(Dossier("provincia", 2025, {"output": 17, "sector": "A01"}))
    assert [(p.id, p.message) for p in refused.prerequisites] == [("Q1", "sector A01 not on the list")]
    assert province.events == [("provincia", "provincia-2025"), ("provincia", "provincia-2025")]


def test_classify_product_can_be_overridden_by_a_later_plugin(pm: Any, register: Callable[..., Any],
                                                              catalog: Catalog) -> None:
    ht_inputs = {"high_tech_list_item": 45}
    assert catalog.classify("hanoi", 2023, ht_inputs) == "high-tech"
    register(Province(), "provincia")
    assert load_catalog(pm).classify("hanoi", 2023, {**ht_inputs, "force_standard": True}) == "standard"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_docstring_a_test_and_documentation(hook: str) -> None:
    spec = getattr(hookspecs, hook)
    assert (spec.__doc__ or "").strip(), f"hookspec {hook} has no docstring"
    assert hook in (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8"), f"{hook} is not documented"
    tests = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").glob("test_*.py"))
    assert f"def {hook}(" in tests, f"no test implements {hook}"
    assert not any(p.default is not inspect.Parameter.empty for p in inspect.signature(spec).parameters.values())
