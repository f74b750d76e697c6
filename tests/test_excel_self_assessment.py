"""The self-assessment workbook: content, validations, locked cells, metadata; its estimate formulas computed by a
real formula evaluator (`formulas`) against the engine on every example dossier; and a filled one imported."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from excel_helpers import IDENTITY, fill, meta_of, people, self_assessment_values

from spcncl_core import Catalog
from spcncl_core.dossier import read_dossier_file
from spcncl_core.engine.evaluate import evaluate
from spcncl_core.errors import PhaseError, WorkbookError
from spcncl_core.excel.dossier_import import import_self_assessments
from spcncl_core.excel.layout import NUMBER
from spcncl_core.excel.self_assessment import SHEET, write_self_assessment
from spcncl_core.services import audit, dossiers, rounds, screening

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted([*(ROOT / "examples" / "dossiers").iterdir(),
                   *(ROOT / "examples" / "spcncl-national" / "dossiers").glob("*.yaml")])


def test_template_content_validations_locks_and_metadata(catalog: Catalog, tmp_path: Path) -> None:
    cset = catalog.get("hanoi-2023-standard")
    path = write_self_assessment(cset, 2024, tmp_path / "sa.xlsx")
    meta = meta_of(path)
    assert meta["kind"] == "self-assessment" and meta["criteria_set"] == cset.id
    assert meta["content_hash"] == cset.content_hash and meta["year"] == "2024"
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Hướng dẫn", SHEET, "_spcncl"] and workbook.security.lockStructure
    ws = workbook[SHEET]
    assert ws.protection.sheet and ws.freeze_panes == "C6"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9  # A4
    assert "TÁI DỰNG" in ws["A3"].value  # provenance under the title
    cells = meta["cells"]
    # one unlocked input cell per input (a set input: one per option), labelled with its id and unit
    revenue = cells["inputs"]["product_revenue"]
    row = revenue[1:]
    assert ws[f"A{row}"].value == "product_revenue" and ws[f"C{row}"].value == "tỷ đồng"
    assert ws[f"B{row}"].value == "Doanh thu sản phẩm năm N-1"
    assert ws[revenue].protection.locked is False and ws[revenue].number_format == NUMBER
    assert len(cells["options"]) == sum(len(s.options) for s in cset.inputs if s.type == "set")
    assert set(cells["inputs"]) == {s.id for s in cset.inputs if s.type != "set"}
    unlocked = {c.coordinate for r in ws.iter_rows() for c in r if c.protection.locked is False}
    expected = set(cells["inputs"].values()) | set(cells["options"].values()) | set(cells["self"].values())
    expected |= set(cells["identity"].values())
    assert unlocked == expected  # everything else is locked
    # validations: lists for choices and booleans, numeric ranges, self-scores 0..max
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    by_cell = {cell: dv for ref, dv in rules.items() for cell in ref.split()}
    automation = by_cell[cells["inputs"]["automation_level"]]
    assert automation.type == "list" and automation.formula1 == '"automated,semi_automated,manual"'
    assert by_cell[cells["inputs"]["tax_arrears"]].formula1 == '"Có,Không"'
    assert by_cell[cells["options"]["quality.iso9001"]].formula1 == '"Có,Không"'
    assert (by_cell[revenue].type, by_cell[revenue].formula1) == ("decimal", "0")
    assert by_cell[cells["inputs"]["product_workers"]].type == "whole"
    local = by_cell[cells["inputs"]["local_content"]]
    assert (local.formula1, local.formula2) == ("0", "100")
    kt1 = by_cell[cells["self"]["KT1"]]
    assert (kt1.type, kt1.formula1, kt1.formula2) == ("decimal", "0", "10")
    # estimate formulas, marked as an estimate
    estimate = ws[cells["estimate"]["KT1"]].value
    assert estimate.startswith("=MIN(10,IF(ISNUMBER(") and ">=1000,10," in estimate
    assert "ƯỚC TÍNH" in ws["A4"].value


def _evaluator_key(path: Path, address: str) -> str:
    return f"'[{path.name}]{SHEET.upper()}'!{address}"


def _number(value: Any) -> Decimal | None:
    if value is None or value == "" or (hasattr(value, "__class__") and value.__class__.__name__ == "XlError"):
        return None
    return Decimal(str(round(float(value), 6))).normalize()


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, Path, dict[str, Any]]]:
    """One generated template per criteria set, loaded once into the formula evaluator."""
    return {}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_estimate_formulas_agree_with_the_engine(example: Path, catalog: Catalog, models: dict[str, Any],
                                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    loaded = read_dossier_file(example)
    _agree(catalog.select(loaded.dossier), loaded.dossier, catalog, models, tmp_path_factory)


@pytest.mark.parametrize("seed", range(8))
def test_estimate_formulas_agree_on_random_dossiers(seed: int, catalog: Catalog, models: dict[str, Any],
                                                    tmp_path_factory: pytest.TempPathFactory) -> None:
    """Synthetic dossiers, strong and weak, some with optional inputs left out and values on band edges."""
    import random

    from spcncl_core import Dossier
    from spcncl_core.demo import synthetic_inputs

    rng = random.Random(seed)
    inputs = synthetic_inputs(rng, seed % 2 == 0, rng.choice([None, 12]) if seed % 3 else None)
    if seed % 4 == 1:
        inputs.update(product_revenue=1000, product_revenue_n3=694.4444, export_revenue=300, rd_spend=10)
    if seed % 4 == 3:
        inputs.update(product_revenue=100, product_workers=0, product_revenue_n3=0, digital=[], green=[])
    dossier = Dossier("hanoi", 2023, inputs)
    _agree(catalog.select(dossier), dossier, catalog, models, tmp_path_factory)


def _agree(cset: Any, dossier: Any, catalog: Catalog, models: dict[str, Any],
           tmp_path_factory: pytest.TempPathFactory) -> None:
    formulas = pytest.importorskip("formulas")
    if cset.id not in models:
        path = write_self_assessment(cset, dossier.year, tmp_path_factory.mktemp("sa") / f"{cset.id}.xlsx")
        models[cset.id] = (formulas.ExcelModel().loads(str(path)).finish(), path, meta_of(path))
    model, path, meta = models[cset.id]
    values = self_assessment_values(cset, meta["cells"], dict(dossier.inputs), dict(dossier.self_assessment))
    solution = model.calculate(inputs={_evaluator_key(path, a): v for a, v in values.items()})

    def computed(address: str) -> Any:
        return solution[_evaluator_key(path, address)].value[0][0]

    evaluation = evaluate(cset, dossier, known_inputs=catalog.known_inputs(cset.jurisdiction))  # preliminary
    for prerequisite in evaluation.prerequisites:
        assert computed(meta["cells"]["prerequisites"][prerequisite.id]) == (
            "Đạt" if prerequisite.passed else "Không đạt"), prerequisite
    result = computed(meta["result"])
    if not evaluation.eligible:
        assert result == "KHÔNG ĐỦ ĐIỀU KIỆN"
        return
    for criterion in evaluation.criteria:
        assert _number(computed(meta["cells"]["estimate"][criterion.id])) == criterion.preliminary.normalize(), \
            (criterion.id, criterion.explanation)
    assert _number(computed(meta["total"])) == evaluation.total.normalize()
    assert result == ("ĐẠT" if evaluation.passed else "KHÔNG ĐẠT")
    if "class" in meta:
        label = evaluation.result_class.label["vi"] if evaluation.result_class else ""
        assert computed(meta["class"]) == label


def test_a_filled_self_assessment_imports_to_the_engines_result(session: Any, catalog: Catalog,
                                                               tmp_path: Path) -> None:
    users = people(session)
    secretariat = users["secretariat"]
    round_ = rounds.create_round(session, users["admin"], catalog, "hanoi", 2023, "Xét chọn 2023 (thử)")
    session.commit()
    loaded = read_dossier_file(ROOT / "examples" / "dossiers" / "hanoi-2023-misa-amis.yaml")
    cset = catalog.select(loaded.dossier)
    template = write_self_assessment(cset, 2023, tmp_path / "template.xlsx")
    meta = meta_of(template)
    values = self_assessment_values(cset, meta["cells"], dict(loaded.dossier.inputs), {"KT1": 6, "CN1": 7.5})
    (tmp_path / "in").mkdir()
    filled = fill(template, tmp_path / "in" / "filled.xlsx", SHEET, values, IDENTITY, meta["cells"])
    report = import_self_assessments(session, secretariat, catalog, round_, [tmp_path / "in"])  # a folder
    session.commit()
    assert report.registered == ["HANOI-2023-0001"] and not report.updated
    stored = dossiers.get(session, round_, "HANOI-2023-0001")
    assert stored.state == "submitted" and stored.product.name == IDENTITY["product_name"]
    assert stored.product.enterprise.code == IDENTITY["enterprise_code"]
    assert stored.self_assessment == {"KT1": 6, "CN1": 7.5}
    imported = screening.engine_evaluation(session, catalog, stored)
    direct = evaluate(cset, loaded.dossier)
    assert imported.total == direct.total and imported.passed == direct.passed
    assert [c.preliminary for c in imported.criteria] == [c.preliminary for c in direct.criteria]
    assert [c.self_assessed for c in imported.criteria if c.self_assessed is not None] == [6, Decimal("7.5")]
    # re-importing the same enterprise, product and round updates the dossier, with audit entries
    before = audit.count(session)
    values[meta["cells"]["inputs"]["product_revenue"]] = 3000
    fill(template, filled, SHEET, values, IDENTITY, meta["cells"])
    report = import_self_assessments(session, secretariat, catalog, round_, [filled])
    session.commit()
    assert report.updated == ["HANOI-2023-0001"] and not report.registered
    assert stored.inputs["product_revenue"] == 3000 and stored.state == "submitted"
    actions = [e.action for e in audit.entries_for(session, "dossier", "HANOI-2023-0001")][-3:]
    assert actions == ["dossier.state", "dossier.updated", "dossier.state"] and audit.count(session) == before + 3
    # once screening has begun, a re-import is refused and nothing changes
    rounds.open_screening(session, secretariat, round_)
    screening.screen(session, secretariat, catalog, stored)
    session.commit()
    before = audit.count(session)
    with pytest.raises(PhaseError, match=r"^register a product's dossier is done in the registration phase; the "
                                         r"2023 round is in the screening phase: that phase is over for this round$"):
        import_self_assessments(session, secretariat, catalog, round_, [filled])
    assert stored.inputs["product_revenue"] == 3000 and audit.count(session) == before


def test_a_template_of_another_period_is_refused(session: Any, catalog: Catalog, tmp_path: Path) -> None:
    users = people(session)
    round_ = rounds.create_round(session, users["admin"], catalog, "hanoi", 2023, "Xét chọn 2023 (thử)")
    session.commit()
    old = write_self_assessment(catalog.get("hanoi-2018-standard"), 2019, tmp_path / "2019.xlsx")
    with pytest.raises(WorkbookError) as raised:
        import_self_assessments(session, users["secretariat"], catalog, round_, [old])
    assert [str(p) for p in raised.value.problems] == [
        "2019.xlsx: made for hanoi-2018-standard, which the 2023 round does not use (hanoi-2023-high-tech, "
        "hanoi-2023-standard): fill in the round's template"]


def test_a_plugins_rule_kind_and_function_carry_their_excel_formulas(pm: Any, register: Any,
                                                                     tmp_path: Path) -> None:
    """A province's own kind writes its estimate beside its scoring code (`RuleKind.excel_formula`), its own
    function in `DerivedFunction.excel_formula`; a subclass that changes the scoring but not the formula gets no
    estimate rather than its parent's (wrong) one."""
    formulas = pytest.importorskip("formulas")
    from collections.abc import Mapping

    from spcncl_core import Dossier, hookimpl, load_catalog
    from spcncl_core.engine.functions import DerivedFunction
    from spcncl_core.engine.rules import RuleKind
    from spcncl_core.excel.estimate import literal

    class Ladder(RuleKind):
        name = "steps"
        description = "steps {of, step, points_per_step}"

        def parse(self, params: Any, path: str, ctx: Any) -> Any:
            ctx.ref_input(f"{path}.of", params["of"], frozenset({"number", "derived"}))
            return (params["of"], Decimal(str(params["step"])), Decimal(str(params["points_per_step"])))

        def compile(self, rule: Any) -> Any:
            of, step, per = rule

            def steps(values: Mapping[str, Any]) -> tuple[Decimal, str]:
                count = values[of] // step if values[of] is not None else 0
                return count * per, f"{of}: {count} steps"

            return steps

        def describe(self, rule: Any) -> str:
            return f"{rule[2]} per {rule[1]} of {rule[0]}"

        def excel_formula(self, rule: Any, cells: Any) -> str | None:
            of, step, per = rule
            ref = cells.ref(of)
            return None if ref is None else f"IF(ISNUMBER({ref}),INT({ref}/{literal(step)})*{literal(per)},0)"

    class Bonus(Ladder):  # scores one more, but writes no formula of its own: never estimated with Ladder's
        name = "steps-plus-one"

        def compile(self, rule: Any) -> Any:
            parent = super().compile(rule)
            return lambda values: (parent(values)[0] + 1, "plus one")

    class Plugin:
        @hookimpl
        def register_rule_kinds(self, registry: Any) -> None:
            registry.add(Ladder())
            registry.add(Bonus())

        @hookimpl
        def register_functions(self, registry: Any) -> None:
            registry.add(DerivedFunction("triple", 1, lambda a: a * 3, "triple(a): 3a",
                                         excel_formula=lambda args: (None, f"{args[0]}*3")))

        @hookimpl
        def register_criteria_sets(self, registry: Any) -> None:
            registry.add_document({
                "id": "steppe-2025", "title": {"vi": "Thử"}, "jurisdiction": "steppe", "years": {"from": 2025},
                "product_group": "any", "provenance": "official", "total_points": 20,
                "pass": {"operator": ">", "points": 5}, "aggregation": "mean-of-assigned",
                "inputs": [{"id": "output", "type": "number", "label": {"vi": "Sản lượng"}}],
                "derived": [{"id": "output3", "function": "triple", "args": ["output"], "label": {"vi": "x3"}}],
                "groups": [{"id": "G", "title": {"vi": "Nhóm"}, "criteria": [
                    {"id": "G1", "title": {"vi": "Bậc"}, "max_points": 10,
                     "score": {"steps": {"of": "output3", "step": 10, "points_per_step": 2}}},
                    {"id": "G2", "title": {"vi": "Bậc cộng"}, "max_points": 10,
                     "score": {"steps-plus-one": {"of": "output", "step": 5, "points_per_step": 1}}}]}],
            }, "steppe.yaml")

    register(Plugin(), "steppe")
    cset = load_catalog(pm).get("steppe-2025")
    path = write_self_assessment(cset, 2025, tmp_path / "steppe.xlsx")
    meta = meta_of(path)
    sheet = openpyxl.load_workbook(path)[SHEET]
    assert sheet[meta["cells"]["estimate"]["G2"]].value is None  # Bonus: not estimated, and the row says so
    assert "không ước tính được" in sheet[meta["cells"]["estimate"]["G2"].replace("D", "F")].value
    model = formulas.ExcelModel().loads(str(path)).finish()
    for output in (0, 7, 12.5, 40):
        dossier = Dossier("steppe", 2025, {"output": output})
        values = self_assessment_values(cset, meta["cells"], dict(dossier.inputs), {})
        solution = model.calculate(inputs={_evaluator_key(path, a): v for a, v in values.items()})
        estimated = solution[_evaluator_key(path, meta["cells"]["estimate"]["G1"])].value[0][0]
        g1 = evaluate(cset, dossier).criteria[0]
        assert _number(estimated) == g1.preliminary.normalize() and g1.preliminary == min(10, output * 3 // 10 * 2)
