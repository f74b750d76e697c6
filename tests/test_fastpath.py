"""The generated fast path gives exactly what the checking path gives, on thousands of random dossiers, and
hands every irregular dossier to the checking path."""

from __future__ import annotations

import random
import sys
from contextlib import nullcontext
from fractions import Fraction
from typing import Any

import pytest
from conftest import ROOT

from spcncl_core import Catalog, Dossier, DossierError, evaluate
from spcncl_core.engine.evaluate import evaluate_checked
from spcncl_core.engine.fastpath import Irregular

sys.path.insert(0, str(ROOT / "benchmarks"))
from synthetic import hanoi_inputs  # noqa: E402


def random_inputs(rng: random.Random, high_tech: bool) -> dict[str, Any]:
    inputs = hanoi_inputs(rng)
    if rng.random() < 0.3:  # numbers as text, as a spreadsheet import may give them
        inputs["product_revenue"] = str(inputs["product_revenue"])
    if rng.random() < 0.2:
        inputs["product_revenue"] = rng.choice([100, 1000, 300, 200])  # band edges, exactly
        inputs["product_revenue_n3"] = inputs["product_revenue"] / rng.choice([1.44, 1, 1.21])
    if rng.random() < 0.2:
        inputs["product_workers"] = 0  # divisor 0
    if high_tech:
        inputs["high_tech_list_item"] = rng.randint(1, 107)
        inputs["st_staff_share"] = round(rng.uniform(0, 60), 1)
    elif rng.random() < 0.5:
        inputs["high_tech_list_item"] = None
    return inputs


@pytest.mark.parametrize("set_id", ["hanoi-2018-standard", "hanoi-2018-high-tech", "hanoi-2021-standard",
                                    "hanoi-2021-high-tech", "hanoi-2023-standard", "hanoi-2023-high-tech"])
def test_fast_path_equals_checking_path(catalog: Catalog, set_id: str) -> None:
    cset = catalog.get(set_id)
    fast = cset.compiled.fast_path()
    assert fast is not None
    rng = random.Random(set_id)
    known = catalog.known_inputs("hanoi")
    compared = 0
    for _ in range(1500):
        inputs = random_inputs(rng, "high-tech" in set_id)
        dossier = Dossier("hanoi", cset.year_from, inputs)
        expected = evaluate_checked(cset, dossier, known_inputs=known)
        assert evaluate(cset, dossier, known_inputs=known) == expected
        try:
            result = fast(inputs, None, None)
        except (Irregular, ValueError):  # an undefined indicator: the checking path explains it
            assert not expected.eligible or any("undefined" in c.explanation for c in expected.criteria)
            continue
        if isinstance(result, tuple):  # ineligible: the prerequisites only
            assert not expected.eligible and result == expected.prerequisite_data
        else:
            assert result == expected
            compared += 1
    assert compared > 1000


def test_irregular_dossiers_take_the_checking_path(catalog: Catalog) -> None:
    cset = catalog.get("hanoi-2023-standard")
    fast = cset.compiled.fast_path()
    inputs = random_inputs(random.Random(1), False)
    for key, bad in [("product_revenue", "much"), ("tax_arrears", "no"), ("quality", ["iso"]),
                     ("automation_level", "robot"), ("local_content", 120), ("equity", None)]:
        broken = {**inputs, key: bad}
        with pytest.raises((Irregular, ValueError, TypeError)):
            fast(broken, None, None)
        with pytest.raises(DossierError) as info:
            evaluate(cset, Dossier("hanoi", 2023, broken))
        assert [p.where for p in info.value.problems] == [f"inputs.{key}"]


def test_plugin_rule_kinds_and_checks_run_inside_the_fast_path(pm: Any, register: Any) -> None:
    from test_plugins import Province  # the province plugin with its own rule kind, check and function

    from spcncl_core import load_catalog

    register(Province(), "provincia")
    cset = load_catalog(pm).get("provincia-2025")
    fast = cset.compiled.fast_path()
    assert "values = {" in fast.__source__  # the plugin's functions read the values by name
    for output, sector in [(17, "C26"), (3, "C10"), (40, "A01")]:
        dossier = Dossier("provincia", 2025, {"output": output, "sector": sector})
        expected = evaluate_checked(cset, dossier)
        got = fast(dossier.inputs, None, None)
        assert (got == expected) if not isinstance(got, tuple) else (got == expected.prerequisite_data)


class PlusOneBands:
    """Built lazily: a plugin rule kind that subclasses the built-in bands and scores one point more."""

    @staticmethod
    def make() -> Any:
        from spcncl_core.engine.rules import Bands

        class Generous(Bands):
            name = "generous-bands"

            def compile(self, rule: Any) -> Any:
                parent = super().compile(rule)

                def generous(values: Any) -> Any:
                    points, how = parent(values)
                    return points + 1, how + " + 1"

                return generous

        return Generous()


def test_a_plugin_kind_subclassing_a_built_in_one_scores_the_same_on_every_evaluation(pm: Any, register: Any
                                                                                       ) -> None:
    """Defect: the generator dispatched with isinstance and emitted the parent's code: 6 for 19 evaluations, then
    5 from the 20th (when the fast path is generated)."""
    from spcncl_core import hookimpl, load_catalog

    class Plugin:
        @hookimpl
        def register_rule_kinds(self, registry: Any) -> None:
            registry.add(PlusOneBands.make())

        @hookimpl
        def register_criteria_sets(self, registry: Any) -> None:
            registry.add_document({
                "id": "generous-2025", "title": {"vi": "Thử"}, "jurisdiction": "generous", "years": {"from": 2025},
                "product_group": "any", "provenance": "official", "total_points": 10,
                "pass": {"operator": ">", "points": 5}, "aggregation": "mean-of-assigned",
                "inputs": [{"id": "x", "type": "number", "label": {"vi": "x"}}],
                "groups": [{"id": "G", "title": {"vi": "G"}, "criteria": [
                    {"id": "G1", "title": {"vi": "G1"}, "max_points": 10,
                     "score": {"generous-bands": {"of": "x", "levels": [{"gte": 10, "points": 5}]}}}]}],
            }, "generous.yaml")

    register(Plugin(), "generous")
    cset = load_catalog(pm).get("generous-2025")
    got = [evaluate(cset, Dossier("generous", 2025, {"x": 12})).total for _ in range(45)]
    assert set(got) == {6}


def random_council(rng: random.Random, criteria: list[Any], members: int = 9) -> dict[str, dict[str, Any]]:
    """Each criterion scored by 2–4 of `members` members, in steps of 0.5 (floats and ints, as JSON gives them)."""
    out: dict[str, dict[str, Any]] = {}
    for c in criteria:
        if rng.random() < 0.1:
            continue  # nobody scored it: the computed points stand
        for m in rng.sample(range(members), rng.randint(2, 4)):
            halves = rng.randint(0, int(c.max_points * 2))
            out.setdefault(f"m{m}", {})[c.id] = halves // 2 if halves % 2 == 0 else halves / 2
    return out


@pytest.mark.parametrize("set_id", ["hanoi-2023-standard", "hanoi-2018-high-tech", "ocop-2024"])
def test_council_fast_path_equals_checking_path(catalog: Catalog, set_id: str) -> None:
    cset = catalog.get(set_id)
    fast = cset.compiled.fast_path()
    assert fast.council is not None
    rng = random.Random(set_id)
    known = catalog.known_inputs(cset.jurisdiction)
    used = 0
    for n in range(600):
        if set_id == "ocop-2024":
            inputs = {"local_material_share": rng.randint(0, 100), "producer_form": "enterprise",
                      "value_chain_links": ["supply"], "workers": rng.randint(0, 80), "has_brand": rng.random() < .5,
                      "local_worker_share": rng.randint(0, 100), "sales_channels": ["shop"],
                      "revenue": rng.randint(0, 500), "revenue_prev": rng.randint(1, 500), "market": "regional",
                      "trade_fairs": False, "food_safety_cert": True, "standards": ["iso"], "export_markets": 1}
        else:
            inputs = random_inputs(rng, "high-tech" in set_id)
        scores = random_council(rng, list(cset.criteria))
        if n % 50 == 0:  # irregular sheets take the checking path
            scores.setdefault("m0", {})[cset.criteria[0].id] = rng.choice(["7", 0.3, -1, 99])
        dossier = Dossier(cset.jurisdiction, cset.year_from, inputs)
        try:
            expected = evaluate_checked(cset, dossier, scores, known_inputs=known)
        except DossierError as exc:
            with pytest.raises(DossierError) as info:
                evaluate(cset, dossier, scores, known_inputs=known)
            assert info.value.problems == exc.problems
            continue
        assert evaluate(cset, dossier, scores, known_inputs=known) == expected
        try:
            got = fast.council(inputs, scores, None, None)
        except (Irregular, ValueError, TypeError, KeyError):
            continue
        assert got == expected
        used += 1
    assert used > 300


def test_a_kind_carries_its_generator_beside_its_checking_code() -> None:
    from spcncl_core.engine.codegen import generates
    from spcncl_core.engine.rules import BUILTIN_RULE_KINDS, Bands

    assert {k.name for k in BUILTIN_RULE_KINDS if generates(k)} == {"bands", "choice", "items", "parts"}

    class OwnCompile(Bands):  # changes the scoring, not the generator: never generated
        def compile(self, rule: Any) -> Any:
            return super().compile(rule)

    class Both(OwnCompile):  # writes both: its own generator is trusted
        def parse(self, params: Any, path: str, ctx: Any) -> Any:
            return super().parse(params, path, ctx)

        def compile(self, rule: Any) -> Any:
            return super().compile(rule)

        def generate(self, rule: Any, gen: Any) -> Any:
            return Bands.generate(self, rule, gen)

    assert not generates(OwnCompile()) and generates(Both())


def test_council_fast_path_takes_decimal_scores_as_the_database_gives_them(catalog: Catalog) -> None:
    from decimal import Decimal

    cset = catalog.get("hanoi-2023-standard")
    fast = cset.compiled.fast_path()
    rng = random.Random(7)
    used = 0
    for _ in range(100):
        inputs = random_inputs(rng, False)
        scores = {m: {c: Decimal(str(p)) for c, p in given.items()}
                  for m, given in random_council(rng, list(cset.criteria)).items()}
        dossier = Dossier("hanoi", 2023, inputs)
        try:
            expected = evaluate_checked(cset, dossier, scores, known_inputs=catalog.known_inputs("hanoi"))
        except DossierError:
            continue
        try:
            got = fast.council(inputs, scores, None, None)
        except (Irregular, ValueError):  # ineligible or an undefined indicator: the checking path decides
            continue
        assert got == expected
        used += 1
    assert used > 50
    with pytest.raises((Irregular, KeyError)):  # not a valid score: the checking path reports it
        fast.council(random_inputs(random.Random(8), False), {"m": {"KT1": Decimal("7.25")}}, None, None)


def test_council_fast_path_gives_the_checking_paths_answer_for_ineligible_dossiers(catalog: Catalog) -> None:
    """An ineligible dossier with a valid sheet stays on the fast path and gets the checking path's evaluation;
    a sheet the checking path would refuse (a boolean, an empty sheet, an unknown criterion) leaves it."""
    cset = catalog.get("hanoi-2023-standard")
    fast = cset.compiled.fast_path()
    inputs = hanoi_inputs(random.Random(3))
    inputs["hanoi_site"] = False  # P1 fails
    scores = random_council(random.Random(4), list(cset.criteria))
    expected = evaluate_checked(cset, Dossier("hanoi", 2023, inputs), scores)
    assert not expected.eligible
    assert fast.council(inputs, scores, None, None) == expected
    for bad in ({"m0": {"KT1": True}}, {"m0": {}}, {"m0": {"KT9": 1}}, {"m0": {"KT1": 10.5}},
                {"m0": {"KT1": Fraction(1, 2)}}):
        with pytest.raises((Irregular, KeyError)):
            fast.council(inputs, bad, None, None)
        with pytest.raises(DossierError) if bad != {"m0": {}} else nullcontext():
            evaluate(cset, Dossier("hanoi", 2023, inputs), bad)

