"""Hooks are called through pluggy: hookwrappers run, pluggy's tracing sees every call (SPCNCL_TRACE_PLUGINS), each
registration is attributed to its plugin, event hooks get a read-only evaluation, and a plugin's exception is a
PluginError naming plugin and hook."""

from __future__ import annotations

import copy
from collections.abc import Callable, Generator
from typing import Any

import pytest
from conftest import EXAMPLES, MINIMAL_SET

from spcncl_core import CriteriaSetError, Dossier, PluginError, hookimpl, load_catalog, read_dossier_file
from spcncl_core.engine.rules import Bands
from spcncl_core.plugins import get_plugin_manager

VNSTEEL = read_dossier_file(EXAMPLES / "hanoi-2023-vnsteel-council.json")


def evaluate(catalog: Any) -> Any:
    return catalog.evaluate(VNSTEEL.dossier, scores=VNSTEEL.council_scores)


def test_hookwrappers_run_around_registrations_and_events(pm: Any, register: Callable[..., Any]) -> None:
    seen: list[str] = []

    class Wrapper:
        @hookimpl(wrapper=True)
        def register_criteria_sets(self, registry: Any) -> Generator[None, None, None]:
            result = yield
            seen.append(f"sets: {len(registry.sources)}")
            return result

        @hookimpl(wrapper=True)
        def classify_product(self, catalog: Any, jurisdiction: str, year: int, inputs: Any
                             ) -> Generator[None, str | None, str | None]:
            group = yield
            seen.append(f"classified: {group}")
            return group

        @hookimpl(wrapper=True)
        def dossier_evaluated(self, catalog: Any, dossier: Any, evaluation: Any) -> Generator[None, None, None]:
            result = yield
            seen.append(f"evaluated: {evaluation.total}")
            return result

    register(Wrapper(), "wrapper")
    evaluation = evaluate(load_catalog(pm))
    assert seen == ["sets: 6", "classified: standard", "evaluated: 86.33"]
    assert str(evaluation.total) == "86.33"


def test_pluggy_tracing_sees_every_hook_call(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
                                             ) -> None:
    monkeypatch.setenv("SPCNCL_TRACE_PLUGINS", "1")
    evaluate(load_catalog(get_plugin_manager(entry_points_too=False)))
    err = capsys.readouterr().err
    for hook in ("register_rule_kinds", "register_criteria_sets", "classify_product", "dossier_evaluated"):
        assert any(line.startswith("spcncl trace:") and line.endswith(f" {hook} [hook]")
                   for line in err.splitlines()), hook


def test_each_registration_is_attributed_to_its_plugin(pm: Any, register: Callable[..., Any]) -> None:
    class Steps(Bands):
        name = "steps"

    class Extra:
        @hookimpl
        def register_rule_kinds(self, registry: Any) -> None:
            registry.add(Steps())

        @hookimpl
        def register_criteria_sets(self, registry: Any) -> None:
            registry.add_document(MINIMAL_SET, "extra/test-set.yaml")

    register(Extra(), "extra")
    catalog = load_catalog(pm)
    assert (catalog.registries.rule_kinds.owner("steps"), catalog.registries.rule_kinds.owner("bands")) == (
        "extra", "core")
    assert (catalog.owner("test-set"), catalog.owner("hanoi-2023-standard")) == ("extra", "hanoi")
    assert list(catalog.registries.rule_kinds)[-1] == "steps"  # registration order, whatever pluggy's call order


def test_dossier_evaluated_cannot_change_the_evaluation(pm: Any, register: Callable[..., Any]) -> None:
    class Cheat:
        @hookimpl
        def dossier_evaluated(self, catalog: Any, dossier: Any, evaluation: Any) -> None:
            evaluation.passed = not evaluation.passed

    register(Cheat(), "cheat")
    with pytest.raises(PluginError, match=r"plugin 'cheat' failed in dossier_evaluated: AttributeError: the "
                                          r"evaluation is read-only: cannot set 'passed'; "
                                          r".*SPCNCL_BLOCK_PLUGINS=cheat"):
        evaluate(load_catalog(pm))


def test_dossier_evaluated_cannot_change_subtotals_either(pm: Any, register: Callable[..., Any]) -> None:
    class Cheat:
        @hookimpl
        def dossier_evaluated(self, catalog: Any, dossier: Any, evaluation: Any) -> None:
            evaluation.subtotals["KT"] = 100

    register(Cheat(), "cheat")
    with pytest.raises(PluginError, match=r"plugin 'cheat' failed in dossier_evaluated: TypeError"):
        evaluate(load_catalog(pm))


def test_a_reading_event_hook_sees_the_evaluation_returned(pm: Any, register: Callable[..., Any]) -> None:
    seen: list[Any] = []

    class Reader:
        @hookimpl
        def dossier_evaluated(self, catalog: Any, dossier: Any, evaluation: Any) -> None:
            seen.append(evaluation)

    register(Reader(), "reader")
    evaluation = evaluate(load_catalog(pm))
    assert seen == [evaluation] and seen[0].to_dict() == evaluation.to_dict()


@pytest.mark.parametrize("hook", ["classify_product", "dossier_evaluated", "register_functions"])
def test_any_exception_from_any_hook_names_plugin_and_hook(pm: Any, register: Callable[..., Any], hook: str
                                                           ) -> None:
    def boom(**_: Any) -> None:
        raise KeyError("oops")

    class Broken:
        pass

    impls = {
        "classify_product": lambda catalog, jurisdiction, year, inputs: boom(),
        "dossier_evaluated": lambda catalog, dossier, evaluation: boom(),
        "register_functions": lambda registry: boom(),
    }
    plugin = Broken()
    setattr(plugin, hook, hookimpl(impls[hook]))
    register(plugin, "broken")
    with pytest.raises(PluginError, match=rf"plugin 'broken' failed in {hook}: KeyError: 'oops'; fix or uninstall "
                                          r"it, or block it with SPCNCL_BLOCK_PLUGINS=broken"):
        evaluate(load_catalog(pm))


def test_a_plugin_kind_subclassing_a_built_in_one_scores_the_same_on_the_fast_path(
        pm: Any, register: Callable[..., Any]) -> None:
    class HalfBands(Bands):
        name = "half-bands"

        def compile(self, rule: Any) -> Any:
            inner = super().compile(rule)

            def half(values: Any) -> Any:
                points, how = inner(values)
                return points / 2, how + " (halved)"

            return half

    class Halving:
        @hookimpl
        def register_rule_kinds(self, registry: Any) -> None:
            registry.add(HalfBands())

        @hookimpl
        def register_criteria_sets(self, registry: Any) -> None:
            data = copy.deepcopy(MINIMAL_SET)
            criterion = data["groups"][0]["criteria"][0]
            criterion["score"] = {"half-bands": criterion["score"]["bands"]}
            registry.add_document(data, "halving/test-set.yaml")

    register(Halving(), "halving")
    catalog = load_catalog(pm)
    dossier = Dossier("testland", 2024, {"revenue": 100, "level": "low"})
    points = [catalog.evaluate(dossier).criteria[0].points for _ in range(60)]  # past FAST_PATH_AFTER
    assert set(points) == {5}


def test_a_deep_document_from_a_plugin_is_refused_naming_it(pm: Any, register: Callable[..., Any]) -> None:
    score: Any = {"boolean": {"of": "level", "points": 1}}
    for _ in range(3000):
        score = {"parts": [score]}

    class Deep:
        @hookimpl
        def register_criteria_sets(self, registry: Any) -> None:
            data = copy.deepcopy({**MINIMAL_SET, "groups": []})
            data["groups"] = [{"id": "A", "title": {"vi": "A"}, "criteria": [
                {"id": "A1", "title": {"vi": "A1"}, "max_points": 20, "score": score}]}]
            registry.add_document(data, "deep/test-set.yaml")

    register(Deep(), "deep")
    with pytest.raises(CriteriaSetError) as info:
        load_catalog(pm)
    assert [str(p) for p in info.value.problems] == [
        "plugin 'deep': deep/test-set.yaml: nested too deeply (more than 40 levels; setting SPCNCL_MAX_DEPTH)"]


def test_dossier_evaluated_cannot_change_the_dossier_either(pm: Any, register: Callable[..., Any]) -> None:
    class Meddler:
        @hookimpl
        def dossier_evaluated(self, catalog: Any, dossier: Any, evaluation: Any) -> None:
            dossier.inputs["product_revenue"] = 0

    register(Meddler(), "meddler")
    with pytest.raises(PluginError, match=r"plugin 'meddler' failed in dossier_evaluated: TypeError"):
        evaluate(load_catalog(pm))
    assert VNSTEEL.dossier.inputs["product_revenue"] == 2400
