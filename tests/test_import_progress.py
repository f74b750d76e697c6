"""Long imports show their progress: the Excel imports report each stage (rows read, records checked, records
written) through their progress callback, and the back office's upload streams a page of progress steps and then
the report — for a check (nothing saved) and for an import (all or nothing), refusals listed by cell."""

from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from spcncl_core import Catalog
from spcncl_core.db.models import Dossier, User
from spcncl_core.errors import WorkbookError
from spcncl_core.excel.bulk import write_bulk

pytest.importorskip("flask_admin")

from backoffice_helpers import app_for, build, sign_in, snapshot, token  # noqa: E402


def bulk_sheet(catalog: Catalog, demo: Any, target: Path, rows: int, year: int = 2025,
               bad_row: int | None = None) -> Path:
    """A filled bulk sheet of `rows` products (the demo's first dossier's inputs, each its own enterprise);
    `bad_row` gets a revenue that is not a number."""
    inputs = dict(demo.dossiers[0].inputs)
    data = [{"enterprise_code": f"0107{i:06d}", "enterprise_name": f"Công ty CP Thử Excel {i}",
             "product_name": f"Sản phẩm {i}", "inputs": dict(inputs)} for i in range(rows)]
    if bad_row is not None:
        numeric = next(k for k, v in inputs.items() if isinstance(v, int | float) and not isinstance(v, bool))
        data[bad_row]["inputs"][numeric] = "nhiều lắm"
    return write_bulk(catalog, "hanoi", year, target, rows=data, blank_rows=0)


def check_stages(events: list[tuple[str, int, int]], stages: tuple[str, ...]) -> None:
    """Each stage in order, its counts never going back, ending with done == total."""
    assert tuple(dict.fromkeys(s for s, _, _ in events)) == stages, events[:5]
    for stage in stages:
        steps = [(d, t) for s, d, t in events if s == stage]
        assert all(a[0] <= b[0] for a, b in zip(steps, steps[1:])), (stage, steps)
        assert steps[-1][0] == steps[-1][1], (stage, steps[-1])


def test_a_bulk_import_reports_reading_checking_and_writing(session: Any, catalog: Catalog, tmp_path: Path) -> None:
    from spcncl_core.excel.dossier_import import import_bulk

    demo = build(session, catalog, "registered")
    fresh = build(session, catalog, "registered", year=2025).round
    sheet = bulk_sheet(catalog, demo, tmp_path / "bulk.xlsx", 700)
    events: list[tuple[str, int, int]] = []
    who = session.scalar(select(User).where(User.username == "secretariat"))
    report = import_bulk(session, who, catalog, fresh, sheet, progress=lambda *e: events.append(e))
    assert report.count == 700
    check_stages(events, ("read", "check", "write"))
    assert [d for s, d, _ in events if s == "check"] == [100, 200, 300, 400, 500, 600, 700]
    assert len([e for e in events if e[0] == "read"]) >= 3 and events[-1] == ("write", 700, 700)
    session.rollback()
    # a refused sheet: read and checked, never written
    events.clear()
    bad = bulk_sheet(catalog, demo, tmp_path / "bad.xlsx", 150, bad_row=120)
    with pytest.raises(WorkbookError) as refused:
        import_bulk(session, who, catalog, fresh, bad, progress=lambda *e: events.append(e))
    assert "Danh sách hồ sơ!" in str(refused.value.problems[0]) and "126" in refused.value.problems[0].where
    check_stages(events, ("read", "check"))


def test_a_council_import_reports_its_stages(session: Any, catalog: Catalog, tmp_path: Path) -> None:
    import openpyxl

    from spcncl_core.excel.council import import_council_workbook, write_council_workbook
    from spcncl_core.services import scoring

    demo = build(session, catalog, "scoring")
    member = scoring.get_member(session, demo.round, "M01")
    path = write_council_workbook(session, catalog, demo.round, member, tmp_path / "m01.xlsx")
    workbook = openpyxl.load_workbook(path)
    filled = 0
    for ws in workbook.worksheets:
        if ws.title.startswith("Phiếu"):
            for row in ws.iter_rows(min_row=6):
                for cell in row[5::2]:
                    if cell.protection.locked is False:
                        cell.value = 0
                        filled += 1
    workbook.save(path)
    assert filled
    events: list[tuple[str, int, int]] = []
    who = session.scalar(select(User).where(User.username == "secretariat"))
    report = import_council_workbook(session, who, catalog, demo.round, path, progress=lambda *e: events.append(e))
    assert report.scores == filled
    check_stages(events, ("read", "check", "write"))
    session.rollback()


def _client(engine: Any, catalog: Catalog, username: str = "secretariat") -> Any:
    client = app_for(engine, catalog).test_client()
    assert sign_in(client, username).status_code == 302
    return client


def _steps(page: str) -> list[tuple[str, int]]:
    return [(s, int(p)) for s, p in re.findall(r'class="import-step" data-stage="(\w+)" data-percent="(\d+)"', page)]


def test_the_upload_streams_progress_then_the_report(engine: Any, session: Any, catalog: Catalog,
                                                     tmp_path: Path) -> None:
    demo = build(session, catalog, "registered")
    fresh = build(session, catalog, "registered", year=2025).round
    sheet = bulk_sheet(catalog, demo, tmp_path / "bulk.xlsx", 1200)
    client = _client(engine, catalog)
    url = f"/admin/workbooks/{fresh.id}/upload/bulk"
    csrf = token(client, f"/admin/rounds/{fresh.id}")
    before = snapshot(session)
    response = client.post(url, data={"csrf_token": csrf, "check_only": "on", "workbook": (sheet.open("rb"),
                                                                                         "danh-sach.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["X-Accel-Buffering"] == "no" and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    steps = _steps(page)
    assert {s for s, _ in steps} == {"upload", "read", "check", "write"} and len(steps) > 10
    assert [p for _, p in steps] == sorted(p for _, p in steps) and steps[-1] == ("write", 100)
    assert page.index('data-stage="write"') < page.index('id="import-report" data-outcome="done"')
    assert "Kiểm tra bảng tính (chưa lưu gì)" in page and "Ghi thử, sẽ hoàn tác khi xong" in page
    assert "Đã kiểm tra, chưa lưu gì: 1200 hồ sơ" in page or "Đã kiểm tra, chưa lưu gì: 1.200 hồ sơ" in page
    assert page.rstrip().endswith("</html>")
    assert snapshot(session) == before
    # imported for real: every row, then the report; the page says "Saving", not "Trial write"
    page = client.post(url, data={"csrf_token": csrf, "workbook": (sheet.open("rb"), "danh-sach.xlsx")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-outcome="done"' in page and "Đang lưu:" in page and "Ghi thử" not in page
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Dossier).where(Dossier.round_id == fresh.id)) == 1210


def test_a_refused_upload_lists_every_problem_by_cell_and_saves_nothing(engine: Any, session: Any,
                                                                        catalog: Catalog, tmp_path: Path) -> None:
    demo = build(session, catalog, "registered")
    fresh = build(session, catalog, "registered", year=2025).round
    bad = bulk_sheet(catalog, demo, tmp_path / "bad.xlsx", 300, bad_row=250)
    client = _client(engine, catalog)
    url = f"/admin/workbooks/{fresh.id}/upload/bulk"
    csrf = token(client, f"/admin/rounds/{fresh.id}")
    before = snapshot(session)
    page = client.post(url, data={"csrf_token": csrf, "workbook": (bad.open("rb"), "bad.xlsx")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-outcome="refused"' in page and "Chưa lưu gì." in page and "Dữ liệu không hợp lệ" in page
    problems = page.split('id="import-problems"', 1)[1]
    assert "bad.xlsx: Danh sách hồ sơ!" in problems and "256" in problems
    assert _steps(page)[-1] == ("check", 85) and not [s for s in _steps(page) if s[0] == "write"]
    page = client.post(url, data={"csrf_token": csrf, "workbook": (io.BytesIO(b"PK\x03\x04 not a zip"), "x.xlsx")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-outcome="refused"' in page and "x.xlsx" in page
    leftovers = set(Path(tempfile.gettempdir()).glob("spcncl-upload-*"))
    for name in ("..", ".", "a/../..", "\\x\\..", "x\x01y.xlsx", "danh sách", "bad.XLSX"):  # never a path
        response = client.post(url, data={"csrf_token": csrf, "workbook": (bad.open("rb"), name)},
                               content_type="multipart/form-data")
        assert response.status_code == 200 and 'data-outcome="refused"' in response.get_data(as_text=True), (
            name, re.findall(r"data-outcome=\"[a-z]+\"|alert[^<]*<[^<]*", response.get_data(as_text=True)))
    assert set(Path(tempfile.gettempdir()).glob("spcncl-upload-*")) <= leftovers  # every upload folder removed
    assert snapshot(session) == before


def test_uploads_need_a_token_a_role_and_a_file(engine: Any, session: Any, catalog: Catalog) -> None:
    fresh = build(session, catalog, "registered", year=2025).round
    url = f"/admin/workbooks/{fresh.id}/upload/bulk"
    before = snapshot(session)
    workbook = (io.BytesIO(b"PK"), "x.xlsx")
    secretariat = _client(engine, catalog)
    assert secretariat.post(url, data={"workbook": workbook}, content_type="multipart/form-data").status_code == 400
    csrf = token(secretariat, f"/admin/rounds/{fresh.id}")
    page = secretariat.post(url, data={"csrf_token": csrf}, follow_redirects=True).get_data(as_text=True)
    assert "Chọn tệp" in page or "(.xlsx)" in page
    assert secretariat.post(f"/admin/workbooks/{fresh.id}/upload/other", data={"csrf_token": csrf}).status_code == 404
    viewer = _client(engine, catalog, "viewer")
    assert viewer.post(url, data={"csrf_token": token(viewer, "/admin/"), "workbook": (io.BytesIO(b"PK"), "x.xlsx")},
                       content_type="multipart/form-data").status_code == 403
    assert snapshot(session) == before
