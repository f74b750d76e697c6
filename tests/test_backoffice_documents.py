"""The dossier page's documents received: the checklist (received or missing, day, by whom), the secretariat's form
to record a document and strike one out (CSRF, the service's errors shown in the page, nothing written when refused),
in Vietnamese."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytest.importorskip("flask_admin")

from backoffice_helpers import app_for, build, sign_in, snapshot, token  # noqa: E402
from sqlalchemy import select  # noqa: E402

from spcncl_core.db.models import DossierDocument  # noqa: E402


def client_for(engine: Any, catalog: Any, username: str) -> Any:
    client = app_for(engine, catalog).test_client()
    assert sign_in(client, username).status_code == 302
    return client


def _documents(page: str) -> str:
    return page.split('id="documents"', 1)[1].split("</table>", 1)[0]


def test_the_secretariat_records_and_strikes_out_a_document(engine: Any, session: Any, catalog: Any) -> None:
    demo = build(session, catalog, "registered")
    dossier = demo.dossiers[0]
    url = f"/admin/dossier/{dossier.id}"
    client = client_for(engine, catalog, "secretariat")
    page = client.get(url).get_data(as_text=True)
    table = _documents(page)
    assert "Đơn đăng ký tham gia xét chọn" in table and "còn thiếu" in table and "chỉ khi doanh nghiệp có" in table
    assert "application_form" not in table.replace('data-kind="application_form"', "")
    assert 'id="record-document"' in page and "Đã nhận 0/6 tài liệu bắt buộc." in page
    csrf = token(client, url)
    page = client.post(f"{url}/document", data={"csrf_token": csrf, "kind": "financial_statements",
                                                "received_on": "2023-03-04", "title": "BCTC năm 2022"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Đã ghi nhận tài liệu." in page
    row = re.search(r'<tr class="received" data-kind="financial_statements">(.*?)</tr>', page, re.S)
    assert row and "04/03/2023" in row.group(1) and "BCTC năm 2022" in row.group(1) and "secretariat" in row.group(1)
    assert "Đã nhận 1/6 tài liệu bắt buộc." in page
    history = page.split('id="history"', 1)[1].split("</table>", 1)[0]
    assert "nhận tài liệu" in history and "Báo cáo tài chính 3 năm gần nhất, “BCTC năm 2022”, nhận ngày 04/03/2023" \
        in history and "document.recorded" not in history and "financial_statements" not in history
    document = session.scalar(select(DossierDocument))
    page = client.post(f"{url}/unrecord", data={"csrf_token": csrf, "document": str(document.id),
                                                "reason": "ghi nhầm"}, follow_redirects=True).get_data(as_text=True)
    assert "Đã gạch bỏ tài liệu" in page and 'class="received"' not in _documents(page)
    assert "gạch bỏ tài liệu" in page.split('id="history"', 1)[1] and "ghi nhầm" in page
    session.expire_all()
    assert session.scalar(select(DossierDocument)) is None


@pytest.mark.parametrize(("form", "says"), [
    ({"kind": "passport", "received_on": "2023-03-04"}, "không phải loại tài liệu trong danh mục của hanoi"),
    ({"kind": "patent", "received_on": "2023-03-04", "title": "x" * 301}, "tối đa 300 ký tự"),
    ({"kind": "patent", "received_on": "2999-01-01"}, "sau ngày hôm nay"),
    ({"kind": "patent", "received_on": "ngày mai"}, "Nhập ngày nhận tài liệu (dd/mm/yyyy)."),
    ({"kind": "patent", "received_on": "1/1/99999999999999999999"}, "Nhập ngày nhận tài liệu (dd/mm/yyyy)."),
])
def test_a_refused_document_is_said_in_the_page_and_nothing_is_written(engine: Any, session: Any, catalog: Any,
                                                                       form: dict[str, str], says: str) -> None:
    demo = build(session, catalog, "registered")
    url = f"/admin/dossier/{demo.dossiers[0].id}"
    client = client_for(engine, catalog, "secretariat")
    before = snapshot(session)
    page = client.post(f"{url}/document", data={"csrf_token": token(client, url), **form},
                       follow_redirects=True).get_data(as_text=True)
    assert 'class="alert alert-danger' in page and says in page, page[page.find("alert"):][:500]
    assert snapshot(session) == before


def test_no_csrf_a_viewer_or_a_later_phase_writes_nothing(engine: Any, session: Any, catalog: Any) -> None:
    demo = build(session, catalog, "scoring")
    url = f"/admin/dossier/{demo.dossiers[0].id}"
    before = snapshot(session)
    secretariat = client_for(engine, catalog, "secretariat")
    data = {"kind": "patent", "received_on": "2023-03-04"}
    assert secretariat.post(f"{url}/document", data=data).status_code == 400
    viewer = client_for(engine, catalog, "viewer")
    page = viewer.get(url).get_data(as_text=True)
    assert 'id="documents"' in page and 'id="record-document"' not in page and "Gạch bỏ" not in page
    assert viewer.post(f"{url}/document", data={**data, "csrf_token": token(viewer, url)}).status_code == 403
    page = secretariat.get(url).get_data(as_text=True)
    assert 'id="record-document"' not in page  # the round is past screening: no form
    page = secretariat.post(f"{url}/document", data={**data, "csrf_token": token(secretariat, url)},
                            follow_redirects=True).get_data(as_text=True)
    assert "Không thực hiện được ở giai đoạn này" in page and "ghi nhận tài liệu đã nhận của hồ sơ" in page
    assert snapshot(session) == before
