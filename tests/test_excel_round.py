"""Round workbooks on a real database: the bulk sheet imported, the working group's sheet, council scoring
workbooks written and imported back through the scoring service, and the results workbook."""

from __future__ import annotations

import random
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from excel_helpers import meta_of, people
from sqlalchemy import select

from spcncl_core import Catalog
from spcncl_core.db.models import Dossier, ScoringForm
from spcncl_core.demo import build_round, synthetic_inputs
from spcncl_core.errors import PermissionDeniedError, WorkbookError
from spcncl_core.excel.bulk import SHEET as BULK_SHEET
from spcncl_core.excel.bulk import write_bulk
from spcncl_core.excel.council import import_council_workbook, write_council_workbook
from spcncl_core.excel.dossier_import import import_bulk
from spcncl_core.excel.results_book import write_results_book
from spcncl_core.excel.working_sheet import write_working_sheet
from spcncl_core.services import audit, results, rounds, scoring, screening
from spcncl_core.services import dossiers as dossiers_service

SMALL = dict(enterprises=6, eligible=8, recognised=6, ineligible=2, members=5, high_tech=2)


def _rows(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [{"enterprise_code": f"01{i:08d}", "enterprise_name": f"Công ty {i} (synthetic)",
             "product_name": f"Sản phẩm {i}", "district": ["Đông Anh", "Cầu Giấy"][i % 2],
             "sector": "cơ khí, chế tạo", "inputs": synthetic_inputs(rng, i % 3 != 0, 45 if i == 4 else None)}
            for i in range(count)]


def test_bulk_sheet_written_read_back_and_imported(session: Any, catalog: Catalog, tmp_path: Path) -> None:
    users = people(session)
    round_ = rounds.create_round(session, users["admin"], catalog, "hanoi", 2023, "Xét chọn 2023 (thử)")
    session.commit()
    rows = _rows(6)
    path = write_bulk(catalog, "hanoi", 2023, tmp_path / "bulk.xlsx", rows=rows, blank_rows=20)
    meta = meta_of(path)
    assert meta["kind"] == "bulk" and meta["year"] == "2023"
    assert set(meta["criteria_sets"]) == {"hanoi-2023-standard", "hanoi-2023-high-tech"}
    ws = openpyxl.load_workbook(path)[BULK_SHEET]
    assert [c.value for c in ws[5]][:7] == ["number", "enterprise_code", "enterprise_name", "district", "sector",
                                            "product_name", "hanoi_site"]
    assert "st_staff_share" in meta["columns"] and "quality.iso9001" in meta["columns"]
    assert ws.freeze_panes == "G6" and ws.protection.sheet and ws["A6"].protection.locked is False
    assert ws["A5"].protection.locked and "TÁI DỰNG" in ws["A3"].value
    validations = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert any(dv.formula1 == '"automated,semi_automated,manual"' for dv in validations.values())
    before = audit.count(session)
    report = import_bulk(session, users["secretariat"], catalog, round_, path)
    session.commit()
    assert report.registered == [f"HANOI-2023-{i:04d}" for i in range(1, 7)]
    stored = list(session.scalars(select(Dossier).order_by(Dossier.number)))
    assert [d.state for d in stored] == ["submitted"] * 6
    assert [d.product_group for d in stored].count("high-tech") == 1
    assert stored[0].inputs["product_revenue"] == rows[0]["inputs"]["product_revenue"]
    assert sorted(stored[1].inputs["quality"]) == sorted(rows[1]["inputs"]["quality"])
    # one entry per dossier (registered and submitted), one listing the new enterprises, one the new products
    assert audit.count(session) == before + 8 and audit.verify(session).ok
    history = audit.entries_for(session, "dossier", "HANOI-2023-0001")
    assert [(e.action, e.actor, e.after) for e in history] == [
        ("dossier.registered", "secretariat", {"product": "Sản phẩm 0", "enterprise": "0100000000",
                                               "state": "submitted"})]
    assert history[0].reason.endswith("product group standard")
    created = {e.action: e.after for e in audit.entries_for(session, "round", round_.id)}
    assert sorted(created["enterprises.created"]["enterprises"]) == [r["enterprise_code"] for r in rows]
    assert [p[2] for p in created["products.created"]["products"]] == [r["product_name"] for r in rows]
    for dossier, row in zip(stored, rows):
        evaluation = screening.engine_evaluation(session, catalog, dossier)
        direct = catalog.evaluate(__import__("spcncl_core").Dossier("hanoi", 2023, row["inputs"]))
        assert evaluation.total == direct.total


@pytest.fixture
def scoring_round(session: Any, catalog: Catalog) -> Any:
    built = build_round(session, catalog, stop_after="scoring", **SMALL)
    session.commit()
    return built


def test_working_sheet_every_dossier_every_criterion(session: Any, catalog: Catalog, scoring_round: Any,
                                                     tmp_path: Path) -> None:
    path = write_working_sheet(session, catalog, scoring_round.round, tmp_path / "ws.xlsx")
    workbook = openpyxl.load_workbook(path)
    assert meta_of(path)["kind"] == "working-sheet"
    sheets = {ws.title: ws for ws in workbook.worksheets if ws.title != "_spcncl"}
    assert set(sheets) == {"Sơ bộ standard", "Sơ bộ high-tech"}
    ws = sheets["Sơ bộ standard"]
    assert ws.freeze_panes == "G6" and ws.print_title_rows == "$4:$5" and "TÁI DỰNG" in ws["A3"].value
    cset = catalog.get("hanoi-2023-standard")
    header = [c.value for c in ws[5]]
    assert header[:6] == ["Hạng", "Số hồ sơ", "Sản phẩm", "Doanh nghiệp", "Ngành", "Quận, huyện"]
    kt1 = header.index(next(h for h in header if h and h.startswith("KT1\n")))
    rows = [r for r in ws.iter_rows(min_row=6) if r[1].value and str(r[1].value).startswith("HN-")]
    standard = [d for d in scoring_round.dossiers if d.product_group == "standard"]
    assert sorted(r[1].value for r in rows) == sorted(d.number for d in standard)
    for row in rows:
        dossier = next(d for d in standard if d.number == row[1].value)
        evaluation = screening.engine_evaluation(session, catalog, dossier)
        total = header.index("Tổng điểm")
        if evaluation.eligible:
            first = evaluation.criteria[0]
            assert Decimal(str(row[kt1].value)) == first.preliminary
            assert row[kt1].comment.text == first.explanation  # the rule's explanation as a note
            assert Decimal(str(row[total].value)) == evaluation.total
            assert row[total + 1].value == ("Đạt" if evaluation.passed else "Không đạt")
        else:
            assert row[total + 1].value == "Không đủ điều kiện"
            assert row[total + 4].value.startswith(evaluation.failed_prerequisites()[0].id + ":")
    positions = [r[0].value for r in rows if r[0].value is not None]
    assert positions == sorted(positions)
    assert len(cset.criteria) == sum(1 for h in header if h and "\n(tối đa" in h and not h.startswith("Cộng"))


def test_council_workbook_written_and_imported_through_the_scoring_service(
        session: Any, catalog: Catalog, scoring_round: Any, tmp_path: Path) -> None:
    round_ = scoring_round.round
    member = scoring.get_member(session, round_, "M01")  # M01 declared a conflict with the last scored dossier
    path = write_council_workbook(session, catalog, round_, member, tmp_path / "m01.xlsx")
    meta = meta_of(path)
    assert meta["kind"] == "council" and meta["member"] == "M01"
    workbook = openpyxl.load_workbook(path)
    conflicted = [d.number for d in scoring_round.dossiers if d.state == "preliminarily_scored"][-1]
    values: dict[tuple[str, str], Any] = {}
    for name, layout in meta["sheets"].items():
        ws = workbook[name]
        assert ws.protection.sheet and ws.freeze_panes == "E6"
        cset = catalog.get(layout["criteria_set"])
        assigned = set(scoring.assigned_criteria(session, catalog, member, next(
            d for d in scoring_round.dossiers if d.product_group == layout["product_group"]
            and d.state == "preliminarily_scored")))
        assert set(layout["columns"]) == assigned  # only the member's criteria
        validations = list(ws.data_validations.dataValidation)
        for criterion_id, letter in layout["columns"].items():
            maximum = cset.criterion(criterion_id).max_points
            rule = next(v for v in validations if f"{letter}6" in str(v.sqref))
            assert rule.type == "custom" and f"{letter}6<={maximum.normalize():f}" in rule.formula1
            assert f"MOD({letter}6,0.5)=0" in rule.formula1
        for number, row in layout["rows"].items():
            for criterion_id, letter in layout["columns"].items():
                cell = ws[f"{letter}{row}"]
                prelim = ws.cell(row, cell.column - 1)
                if number == conflicted:
                    assert cell.protection.locked and cell.fill.fgColor.rgb.endswith("D9D9D9")
                    continue
                assert cell.protection.locked is False and prelim.protection.locked
                assert prelim.value is not None and prelim.comment is not None
                value = min(Decimal(str(prelim.value)) + Decimal("0.5"), cset.criterion(criterion_id).max_points)
                cell.value = float(value)
                values[(number, criterion_id)] = value
    filled = tmp_path / "m01-filled.xlsx"
    workbook.save(filled)
    secretariat = people(session)["secretariat"]  # enters the member's workbook on their behalf
    report = import_council_workbook(session, secretariat, catalog, round_, filled)
    session.commit()
    assert report.member == "M01" and report.scores == len(values) and conflicted not in report.forms
    forms = {f.dossier_id: f for f in session.scalars(select(ScoringForm).where(ScoringForm.member_id == member.id))}
    numbers = {d.id: d.number for d in scoring_round.dossiers}
    saved = {(numbers[d], e.criterion_id): e.points for d, f in forms.items() for e in f.entries}
    assert saved == values and all(f.submitted_at is not None for f in forms.values())
    # importing it again is refused (the forms exist); every refused cell is named; nothing changes
    before = audit.count(session)
    with pytest.raises(WorkbookError) as raised:
        import_council_workbook(session, secretariat, catalog, round_, filled)
    assert len(raised.value.problems) == len(values)
    assert re.fullmatch(r"m01-filled.xlsx: Phiếu (standard|high-tech)![A-Z]+\d+: Chủ tịch Hội đồng 01 has a form "
                        r"for dossier HN-2023-\d{4} already", str(raised.value.problems[0]))
    assert audit.count(session) == before


def test_a_member_imports_their_own_workbook_through_the_web_forms_service(
        session: Any, catalog: Catalog, scoring_round: Any, tmp_path: Path) -> None:
    round_ = scoring_round.round
    member = scoring.get_member(session, round_, "M02")
    path = write_council_workbook(session, catalog, round_, member, tmp_path / "m02.xlsx")
    layout = meta_of(path)["sheets"]["Phiếu standard"]
    number, row = next(iter(layout["rows"].items()))
    workbook = openpyxl.load_workbook(path)
    for letter in layout["columns"].values():
        workbook["Phiếu standard"][f"{letter}{row}"] = 1.5
    workbook.save(tmp_path / "m02-filled.xlsx")
    own = people(session)["member02"]
    report = import_council_workbook(session, own, catalog, round_, tmp_path / "m02-filled.xlsx", submit=True)
    session.commit()
    assert report.forms == report.submitted == [number]
    actions = [(e.action, e.actor) for e in audit.entries_for(session, "dossier", number)][-3:]
    assert actions == [("form.opened", "member02"), ("score.saved", "member02"), ("form.submitted", "member02")]
    # another member's account may not enter M02's workbook
    with pytest.raises(PermissionDeniedError, match="import members' submitted forms on their behalf needs the role "
                                                    "admin or secretariat; member03 is council"):
        import_council_workbook(session, people(session)["member03"], catalog, round_, tmp_path / "m02-filled.xlsx")


def test_council_workbook_problems_name_their_cells(session: Any, catalog: Catalog, scoring_round: Any,
                                                    tmp_path: Path) -> None:
    round_ = scoring_round.round
    member = scoring.get_member(session, round_, "M01")
    path = write_council_workbook(session, catalog, round_, member, tmp_path / "m01.xlsx")
    meta = meta_of(path)
    layout = meta["sheets"]["Phiếu standard"]
    conflicted = [d.number for d in scoring_round.dossiers if d.state == "preliminarily_scored"
                  and d.product_group == "standard"][-1]
    first_number = next(n for n in layout["rows"] if n != conflicted)
    (c1, l1), (c2, l2) = list(layout["columns"].items())[:2]
    row, bad_row = layout["rows"][first_number], layout["rows"][conflicted]
    workbook = openpyxl.load_workbook(path)
    ws = workbook["Phiếu standard"]
    ws[f"{l1}{row}"], ws[f"{l2}{row}"], ws[f"{l1}{bad_row}"] = 99, 0.3, 1
    workbook.save(tmp_path / "bad.xlsx")
    maximum = catalog.get("hanoi-2023-standard").criterion(c1).max_points.normalize()
    with pytest.raises(WorkbookError) as raised:
        import_council_workbook(session, people(session)["secretariat"], catalog, round_, tmp_path / "bad.xlsx")
    assert [str(p) for p in raised.value.problems] == [
        f"bad.xlsx: Phiếu standard!{l1}{row}: {c1}: must be between 0 and {maximum:f}, got 99",
        f"bad.xlsx: Phiếu standard!{l2}{row}: {c2}: must be in steps of 0.5, got 0.3",
        f"bad.xlsx: Phiếu standard!{l1}{bad_row}: {member.name} declared a conflict with dossier {conflicted}: "
        "this cell must stay empty",
    ]
    assert session.scalar(select(ScoringForm).where(ScoringForm.member_id == member.id)) is None


def test_results_workbook(session: Any, catalog: Catalog, tmp_path: Path) -> None:
    built = build_round(session, catalog, stop_after="recognised", **SMALL)
    session.commit()
    path = write_results_book(session, catalog, built.round, tmp_path / "results.xlsx")
    meta = meta_of(path)
    assert meta["kind"] == "results" and meta["year"] == "2023" and meta["dossiers"] == "10"
    assert meta["criteria_sets"]["hanoi-2023-standard"] == catalog.get("hanoi-2023-standard").content_hash
    workbook = openpyxl.load_workbook(path)
    assert [s for s in workbook.sheetnames] == ["Xếp hạng", "Top 10", "Công khai", "Phụ lục quyết định",
                                                "Tổng hợp", "_spcncl"]
    stored = results.round_results(session, built.round)
    ranking = workbook["Xếp hạng"]
    assert ranking.freeze_panes == "E5" and ranking.page_setup.orientation == "landscape"
    assert ranking.auto_filter.ref.startswith("A4:") and ranking.print_title_rows == "$4:$4"
    assert "TÁI DỰNG" in ranking["A3"].value
    header = [c.value for c in ranking[4]]
    total_col = header.index("Tổng điểm")
    body = [r for r in ranking.iter_rows(min_row=5, values_only=True) if r[1]]
    assert [r[1] for r in body] == [d.number for d, _ in stored]
    for row, (_dossier, result) in zip(body, stored):
        assert (Decimal(str(row[total_col])) if row[total_col] is not None else None) == result.total
        assert row[header.index("Cộng KT")] == (float(result.subtotals["KT"]) if result.eligible else None)
        assert row[header.index("Top")] == ("TOP" if result.top else None)
    assert ranking.cell(5, total_col + 1).number_format == "[$-42A]0.00"  # points shown 78,00
    passed = [d for d, r in stored if r.passed]
    disclosure = [r for r in workbook["Công khai"].iter_rows(min_row=6, values_only=True) if r[0]]
    assert [r[1] for r in disclosure] == [d.product.name for d in passed]
    assert "Công khai từ 14/11/2023" in workbook["Công khai"]["A2"].value
    annex = workbook["Phụ lục quyết định"]
    assert annex["A3"].value.startswith("(Kèm theo Quyết định số 5012/QĐ-UBND-2023 ngày 26/11/2023")
    recognised = [r for r in annex.iter_rows(min_row=7, values_only=True) if r[0]]
    assert len(recognised) == sum(1 for d, _ in stored if d.state == "recognised")
    summary = [r for r in workbook["Tổng hợp"].iter_rows(values_only=True) if r[0] == "Cộng"]
    assert summary[0][1:5] == (len(stored), sum(r.eligible for _, r in stored), len(passed),
                               sum(r.top for _, r in stored))


def test_a_star_rated_round_with_nested_groups(session: Any, catalog: Catalog, tmp_path: Path) -> None:
    """The OCOP example set (sub-groups, caps, star classes) through the bulk sheet and the working group's sheet."""
    from spcncl_core.dossier import read_dossier_file

    users = people(session)
    round_ = rounds.create_round(session, users["admin"], catalog, "ocop", 2024, "OCOP 2024 (thử)")
    session.commit()
    root = Path(__file__).resolve().parent.parent / "examples" / "spcncl-national" / "dossiers"
    files = sorted(root.glob("ocop-*.yaml"))
    rows = [{"enterprise_code": f"OC{i}", "enterprise_name": f"Hộ {i} (synthetic)", "product_name": f"SP {i}",
             "inputs": dict(read_dossier_file(f).dossier.inputs)} for i, f in enumerate(files)]
    path = write_bulk(catalog, "ocop", 2024, tmp_path / "ocop.xlsx", rows=rows, blank_rows=0)
    import_bulk(session, users["secretariat"], catalog, round_, path)
    rounds.open_screening(session, users["secretariat"], round_)
    for dossier in session.scalars(select(Dossier).where(Dossier.round_id == round_.id)):
        if screening.screen(session, users["secretariat"], catalog, dossier):
            screening.preliminary_scores(session, users["secretariat"], catalog, dossier)
    session.commit()
    written = write_working_sheet(session, catalog, round_, tmp_path / "ws.xlsx")
    ws = openpyxl.load_workbook(written)["Sơ bộ food"]
    header = [c.value for c in ws[5]]
    cset = catalog.get("ocop-2024")
    assert [h.split("\n")[0] for h in header if h and "\n" in h and not h.startswith("Cộng")] == [
        c.id for c in cset.criteria]  # every criterion of every sub-group
    assert "Phân hạng" in header
    checked = 0
    for row in ws.iter_rows(min_row=6, values_only=True):
        if not row[1] or not str(row[1]).startswith("OCOP-"):
            continue
        checked += 1
        dossier = dossiers_service.get(session, round_, row[1])
        evaluation = screening.engine_evaluation(session, catalog, dossier)
        if evaluation.eligible:
            assert Decimal(str(row[header.index("Tổng điểm")])) == evaluation.total
            assert row[header.index("Phân hạng")] == (evaluation.result_class.label["vi"] if evaluation.result_class
                                                      else None)
    assert checked == len(files)
