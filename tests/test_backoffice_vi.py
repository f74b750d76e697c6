"""The back office speaks Vietnamese to officials: policy refusals said from the verdict's facts, error pages in the
back-office layout, no English or raw codes on Vietnamese screens (English for a user who chose it)."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytest.importorskip("flask_admin")

from backoffice_helpers import app_for, build, sign_in, token  # noqa: E402


def client_for(engine: Any, catalog: Any, username: str | None = None, **config: Any) -> Any:
    client = app_for(engine, catalog, **config).test_client()
    if username:
        assert sign_in(client, username).status_code == 302
    return client


def test_every_policy_action_has_words_for_a_refusal() -> None:
    from spcncl_admin.views.labels import ACTIONS, PHASE_ENTRY, PHASES, ROLES

    from spcncl_core.services.policy import PHASES as ORDER
    from spcncl_core.services.policy import POLICY
    from spcncl_core.services.policy import ROLES as ALL_ROLES

    assert set(ACTIONS) == set(POLICY)
    assert set(PHASE_ENTRY) == set(ORDER) == set(PHASES)
    assert set(ROLES) == set(ALL_ROLES)


def test_a_phase_refusal_is_said_in_vietnamese_from_the_verdict(engine: Any, session: Any, catalog: Any) -> None:
    demo = build(session, catalog, "registered")
    did = demo.dossiers[0].id
    client = client_for(engine, catalog, "secretariat")
    page = client.post(f"/admin/dossier/{did}/screen", data={"csrf_token": token(client, f"/admin/dossier/{did}")},
                       follow_redirects=True).get_data(as_text=True)
    assert "Không thực hiện được ở giai đoạn này" in page
    assert "kiểm tra điều kiện tiên quyết của hồ sơ" in page and "đợt xét chọn năm 2023" in page
    assert "is done in the" not in page and "phase" not in page.split("Không thực hiện được", 1)[1][:400]


def test_a_phase_refusal_is_english_for_an_english_user(engine: Any, session: Any, catalog: Any) -> None:
    demo = build(session, catalog, "registered")
    did = demo.dossiers[0].id
    client = client_for(engine, catalog, "secretariat")
    client.post("/language/en", data={"csrf_token": token(client, "/admin/"), "next": "/admin/"})
    page = client.post(f"/admin/dossier/{did}/screen", data={"csrf_token": token(client, f"/admin/dossier/{did}")},
                       follow_redirects=True).get_data(as_text=True)
    assert "check a dossier&#39;s prerequisites is done in the Screening phase" in page, page[-3000:]


def test_a_role_refusal_is_said_in_the_pages_language(engine: Any, catalog: Any) -> None:
    from spcncl_admin.views.labels import verdict_text

    from spcncl_core.db.models import User
    from spcncl_core.services.policy import may

    viewer = User(username="v", name="V", role="viewer", active=True)
    app = app_for(engine, catalog)
    with app.test_request_context("/?lang=vi"):
        vi = verdict_text(may(viewer, "enterprise.save"))
    with app.test_request_context("/?lang=en"):
        en = verdict_text(may(viewer, "enterprise.save"))
    assert vi == "Việc „tạo hoặc sửa doanh nghiệp” cần vai trò Quản trị hoặc Tổ công tác; vai trò của bạn là " \
                 "Người xem.", vi
    assert en == "create or change an enterprise needs the role Administrator or Working group; your role is Viewer."


@pytest.mark.parametrize("language", ["vi", "en"])
def test_error_pages_are_ours_in_the_users_language(engine: Any, session: Any, catalog: Any, language: str) -> None:
    demo = build(session, catalog, "registered")
    client = client_for(engine, catalog, "viewer")
    if language == "en":
        client.post("/language/en", data={"csrf_token": token(client, "/admin/"), "next": "/admin/"})
    forbidden = client.get("/admin/users/")
    missing = client.get("/admin/dossier/999999")
    no_csrf = client.post(f"/admin/dossier/{demo.dossiers[0].id}/screen", data={})
    assert (forbidden.status_code, missing.status_code, no_csrf.status_code) == (403, 404, 400)
    pages = [r.get_data(as_text=True) for r in (forbidden, missing, no_csrf)]
    for page in pages:
        assert 'id="error"' in page and 'id="logout"' in page  # the back-office layout, signed in
        assert "Forbidden" not in page and "The CSRF token is missing" not in page
    if language == "vi":
        assert "Không có quyền truy cập" in pages[0] and "Không tìm thấy trang" in pages[1]
        assert "mã bảo mật" in pages[2]
    else:
        assert "Access refused" in pages[0] and "Page not found" in pages[1] and "security token" in pages[2]


def test_the_sign_in_flood_page_is_vietnamese(engine: Any, session: Any, catalog: Any) -> None:
    build(session, catalog, "registered")
    client = client_for(engine, catalog, SPCNCL_SIGNIN_LIMIT="2 per minute")
    csrf = token(client)
    for i in range(2):
        client.post("/login", data={"username": "admin", "password": f"guess{i}", "csrf_token": csrf})
    flooded = client.post("/login", data={"username": "admin", "password": "x", "csrf_token": csrf})
    assert flooded.status_code == 429
    assert "Quá nhiều lần thử" in flooded.get_data(as_text=True)


def test_every_option_of_the_installed_criteria_sets_has_vietnamese_words(catalog: Any) -> None:
    from spcncl_admin.views.labels import _option_words

    words = _option_words()
    options = {o for cset in catalog.criteria_sets.values() for spec in cset.inputs for o in spec.options}
    missing = sorted(o for o in options if not (words.get(o) or {}).get("vi"))
    assert "semi_automated" in options
    assert not missing, f"add to admin_app/option_labels.yaml: {missing}"


def test_no_raw_codes_on_the_register_form_and_the_dossier_page(engine: Any, session: Any, catalog: Any) -> None:
    demo = build(session, catalog, "screened")
    dossier = demo.dossiers[0]
    client = client_for(engine, catalog, "secretariat")
    form = client.get("/admin/dossier/new").get_data(as_text=True)
    assert '<option value="semi_automated"' in form and ">Bán tự động</option>" in form
    assert "> semi_automated<" not in form and "> iso9001</label>" not in form and "Nhãn hiệu đã đăng ký" in form
    page = client.get(f"/admin/dossier/{dossier.id}").get_data(as_text=True)
    inputs = page.split('id="inputs"', 1)[1].split("</table>", 1)[0]
    for code in ("semi_automated", "iso9001", "trademark", "permit_compliance"):
        assert code not in inputs, code
    history = page.split('id="history"', 1)[1].split("</table>", 1)[0]
    assert "đăng ký hồ sơ" in history and "chuyển trạng thái" in history and "Trạng thái: Đã nộp" in history
    for code in ("dossier.registered", "dossier.state", "state: submitted", "state: eligible"):
        assert code not in history, history[max(0, history.find(code) - 300):history.find(code) + 100]
    evaluation = page.split('id="evaluation"', 1)[1].split("</table>", 1)[0]
    assert " trên " in evaluation and " of " not in evaluation
    assert "," in evaluation and not re.search(r"\d\.\d(?!\d\d)", evaluation), evaluation[:2000]


def test_comment_states_audit_actions_page_size_and_tie_breaks_in_vietnamese(engine: Any, session: Any,
                                                                              catalog: Any) -> None:
    demo = build(session, catalog, "recognised")
    client = client_for(engine, catalog, "admin")
    comments = client.get(f"/admin/comments/{demo.round.id}").get_data(as_text=True)
    assert "đã xử lý: giữ nguyên kết quả" in comments and "resolved: kept" not in comments
    audit = client.get("/admin/audit/").get_data(as_text=True)
    assert "quyết định công nhận" in audit and "20 dòng" in audit and "50 dòng" in audit and "50 items" not in audit
    results = client.get(f"/admin/results/{demo.round.id}").get_data(as_text=True)
    assert "tie on total" not in results


def test_engine_texts_are_said_the_vietnamese_way_only_on_vietnamese_pages(engine: Any, catalog: Any) -> None:
    from spcncl_admin.i18n import fmt_engine

    app = app_for(engine, catalog)
    text = "product_revenue 560.5 ≥ 500 → 8 of 10"
    with app.test_request_context("/?lang=vi"):
        assert fmt_engine(text) == "Doanh thu sản phẩm năm N-1: 560,5 ≥ 500 → 8 trên 10"
        assert fmt_engine("tie on total 72.5: higher innovation subtotal (20.5 vs 18)") == \
            "bằng tổng điểm 72,5: điểm nhóm innovation cao hơn (20,5 so với 18)"
        assert fmt_engine("product_revenue 17000000000 ≥ 1000 → 10 of 10") == \
            "Doanh thu sản phẩm năm N-1: 17.000.000.000 ≥ 1.000 → 10 trên 10"
    with app.test_request_context("/?lang=en"):
        assert fmt_engine(text) == text


# the core's English texts (engine, services) and what a Vietnamese page says for them
ENGINE_TEXTS = {
    "hanoi_site is true": "Trụ sở hoặc cơ sở sản xuất tại Hà Nội: có",
    "years_in_production 5 ≥ 3": "Số năm sản xuất ổn định: 5 ≥ 3",
    "product_revenue not given": "Doanh thu sản phẩm năm N-1: chưa kê khai",
    "high_tech_list_item 45 within 1–107": "Số thứ tự trong danh mục sản phẩm công nghệ cao: 45 trong khoảng 1–107",
    "product_revenue 1234.5 ≥ 1000 → 10 of 10": "Doanh thu sản phẩm năm N-1: 1.234,5 ≥ 1.000 → 10 trên 10",
    "council: mean of 3 members → 7.5 of 10; preliminary: export_share ≈11.729 ≥ 10 → 5 of 10":
        "hội đồng: trung bình của 3 thành viên → 7,5 trên 10; sơ bộ: Tỷ trọng xuất khẩu (%): ≈11,729 ≥ 10 → 5 trên 10",
    "quality: iso9001 (3) + conformity (3) → 6 of 8 (capped)":
        "Hệ thống quản lý chất lượng, chứng nhận: ISO 9001 (3) + Công bố hợp chuẩn, hợp quy (3) → 6 trên 8 "
        "(không quá điểm tối đa)",
    "environment: none → 0 of 8": "Bảo vệ môi trường, tiết kiệm năng lượng: không có → 0 trên 8",
    "automation_level = semi_automated → 5 of 8": "Mức độ tự động hoá dây chuyền: Bán tự động → 5 trên 8",
    "tax_arrears is true, not false: 0": "Có nợ thuế quá hạn: có, cần: không: 0",
    "not scored yet (scored by the council)": "chưa chấm (do hội đồng chấm)",
    "jobs_created > 0 → 2; social_insurance_full is true → 1 (summed, capped)":
        "Số việc làm tăng thêm năm N-1 > 0 → 2; Đóng BHXH đầy đủ cho người lao động: có → 1 "
        "(cộng dồn, không quá điểm tối đa)",
    "all of (total ≥ 650; each criterion ≥ 60 % of its maximum)":
        "tất cả các điều kiện (tổng điểm ≥ 650; mỗi tiêu chí ≥ 60 % điểm tối đa của tiêu chí)",
}
REASONS = {
    "results computed": "đã tính kết quả",
    "results published (version 1)": "công bố kết quả (lần 1)",
    "submitted at 2023-09-01T01:00:00+00:00, product group standard":
        "nộp lúc 01/09/2023 08:00, nhóm sản phẩm Thông thường",
    "criteria sets locked: high-tech hanoi-2023-high-tech, standard hanoi-2023-standard":
        "khóa bộ tiêu chí: Công nghệ cao hanoi-2023-high-tech, Thông thường hanoi-2023-standard",
    "preliminary KT1 10, KT2 12.5": "điểm sơ bộ KT1 10, KT2 12,5",
    "P3: years_in_production 2 < 3; P9: product_revenue 60 < 100":
        "P3: Số năm sản xuất ổn định: 2 < 3; P9: Doanh thu sản phẩm năm N-1: 60 < 100",
    "valid until 2026-11-26": "hiệu lực đến 26/11/2026",
    "override of P3": "ghi đè điều kiện tiên quyết P3",
    "Văn bản xác nhận bổ sung ngày 12.10": "Văn bản xác nhận bổ sung ngày 12.10",  # a person's words: as written
}
SERVICE_TEXTS = {
    "a written reason for switching the standard criteria set is required (it is blank)":
        "Cần nhập lý do đổi bộ tiêu chí của nhóm Thông thường",
    "the criteria sets of the 2023 round are locked: council scoring started on 14/11/2023 09:00":
        "bộ tiêu chí của đợt xét chọn năm 2023 đã khóa: hội đồng bắt đầu chấm điểm lúc 14/11/2023 09:00",
    "dossier HN-2023-0001 is eligible: only a submitted dossier is screened":
        "hồ sơ HN-2023-0001 đang ở trạng thái Đủ điều kiện: chỉ thẩm định hồ sơ đã nộp",
    "the 2023 round has a dossier numbered HN-2023-0001 already": "đợt xét chọn năm 2023 đã có hồ sơ số HN-2023-0001",
    "a password needs at least 8 characters": "mật khẩu cần ít nhất 8 ký tự",
    "something the table does not know": "something the table does not know",
}


def test_the_cores_texts_are_said_in_vietnamese_by_their_shapes(engine: Any, catalog: Any) -> None:
    from spcncl_admin.i18n import fmt_engine, fmt_reason
    from spcncl_admin.views.labels import service_text

    app = app_for(engine, catalog)
    with app.test_request_context("/?lang=vi"):
        for english, vietnamese in ENGINE_TEXTS.items():
            assert fmt_engine(english, catalog.get("hanoi-2023-standard")) == vietnamese, english
        for english, vietnamese in REASONS.items():
            assert fmt_reason(english) == vietnamese, english
        for english, vietnamese in SERVICE_TEXTS.items():
            assert service_text(english) == vietnamese, english
    with app.test_request_context("/?lang=en"):
        for english in (*ENGINE_TEXTS, *REASONS, *SERVICE_TEXTS):
            assert fmt_engine(english) == fmt_reason(english) == service_text(english) == english


def test_a_dossiers_input_problems_are_said_in_vietnamese(engine: Any, session: Any, catalog: Any) -> None:
    from spcncl_core.db.models import User
    from spcncl_core.services import dossiers

    demo = build(session, catalog, "registered")
    secretariat = session.query(User).filter_by(username="secretariat").one()
    enterprise = dossiers.enterprise(session, secretariat, "0109999998", "Công ty Thử nghiệm")
    product = dossiers.product(session, secretariat, enterprise, "Sản phẩm thử nghiệm")
    inputs = {**demo.dossiers[0].inputs, "years_in_production": -3, "automation_level": "robot"}
    draft = dossiers.register(session, secretariat, demo.round, product, "HN-2023-9999", inputs)
    session.commit()
    client = client_for(engine, catalog, "secretariat")
    page = client.post(f"/admin/dossier/{draft.id}/submit", data={"csrf_token": token(
        client, f"/admin/dossier/{draft.id}")}, follow_redirects=True).get_data(as_text=True)
    assert "hồ sơ không hợp lệ" in page, page[-3000:]
    assert "Số năm sản xuất ổn định: phải ≥ 0, không phải -3" in page
    assert "robot không phải một lựa chọn" in page or "&#39;robot&#39; không phải một lựa chọn" in page
    assert "must be" not in page and "invalid dossier" not in page


def test_demo_names_read_well_in_vietnamese(session: Any, catalog: Any) -> None:
    from spcncl_core.db.models import Enterprise

    demo = build(session, catalog, "registered")
    names = [e.name for e in session.query(Enterprise)] + [demo.round.title]
    assert any("(số liệu giả định)" in n for n in names)
    assert not any("synthetic" in n or "((" in n or "))" in n for n in names), names
