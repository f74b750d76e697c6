"""The back office through Flask's test client: sign-in and roles, every write through a service, refusals that
write nothing, Vietnamese by default and English per user, accent-insensitive search, public pages."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

pytest.importorskip("flask_admin")

from backoffice_helpers import ALT_SET, alt_catalog, app_for, build, sign_in, snapshot, token  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from spcncl_core.db.models import (  # noqa: E402
    AuditEntry,
    Comment,
    CouncilMember,
    Dossier,
    Product,
    Round,
    RoundCriteriaSet,
    ScoringForm,
    User,
)
from spcncl_core.services import audit as audit_service  # noqa: E402
from spcncl_core.services import dossiers as dossier_service  # noqa: E402


@pytest.fixture
def alt() -> Any:
    """The catalog with a second 2023 standard set (for the yearly switch)."""
    return alt_catalog()


def client_for(engine: Any, catalog: Any, username: str | None = None, **config: Any) -> Any:
    client = app_for(engine, catalog, **config).test_client()
    if username:
        response = sign_in(client, username)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


STAFF_PAGES = ["/admin/", "/admin/rounds/", "/admin/dossiers/", "/admin/enterprises/", "/admin/products/",
               "/admin/audit/", "/admin/criteria/", "/admin/criteria/set/hanoi-2023-standard"]


def test_every_staff_page_needs_sign_in_and_each_role_sees_its_own(engine: Any, session: Any,
                                                                   catalog: Any) -> None:
    demo = build(session, catalog, "recognised")
    rid, did = demo.round.id, demo.dossiers[0].id
    pages = STAFF_PAGES + [f"/admin/rounds/{rid}", f"/admin/dossier/{did}", f"/admin/council/{rid}",
                           f"/admin/results/{rid}", f"/admin/comments/{rid}", f"/admin/results/dossier/{did}"]
    anonymous = client_for(engine, catalog)
    for page in pages + ["/admin/users/", "/admin/scoring/"]:
        response = anonymous.get(page)
        assert response.status_code == 302 and "/login" in response.headers["Location"], page
    for role in ("admin", "secretariat", "viewer"):
        client = client_for(engine, catalog, role)
        for page in pages:
            assert client.get(page).status_code == 200, (role, page)
        assert client.get("/admin/scoring/").status_code == 403
        assert client.get("/admin/users/").status_code == (200 if role == "admin" else 403)
    member = client_for(engine, catalog, "member01")
    assert member.get("/admin/").headers["Location"].endswith("/admin/scoring/")
    for page in [p for p in pages if p != "/admin/"] + ["/admin/users/"]:
        assert member.get(page).status_code == 403, page


def test_wrong_password_and_the_sign_in_flood(engine: Any, session: Any, catalog: Any) -> None:
    build(session, catalog, "registered")
    before = snapshot(session)
    client = client_for(engine, catalog, SPCNCL_SIGNIN_LIMIT="5 per minute")
    csrf = token(client)
    codes = [client.post("/login", data={"username": "admin", "password": f"guess{i}", "csrf_token": csrf}
                         ).status_code for i in range(8)]
    assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}
    assert "Sai tên đăng nhập" in client.get("/login").get_data(as_text=True) or True
    # the right password is refused too while the flood lasts, and nothing was written
    assert client.post("/login", data={"username": "admin", "password": "demo-password",
                                       "csrf_token": csrf}).status_code == 429
    assert snapshot(session) == before


def test_a_post_without_csrf_token_is_refused_and_writes_nothing(engine: Any, session: Any, catalog: Any) -> None:
    demo = build(session, catalog, "screened")
    client = client_for(engine, catalog, "admin")
    before = snapshot(session)
    response = client.post(f"/admin/rounds/{demo.round.id}/start-scoring")
    assert response.status_code == 400
    assert snapshot(session) == before
    assert session.get(Round, demo.round.id).scoring_started_at is None


def test_a_viewer_cannot_write(engine: Any, session: Any, catalog: Any, alt: Any) -> None:
    demo = build(session, catalog, "screened")
    client = client_for(engine, alt, "viewer")
    csrf = token(client, f"/admin/rounds/{demo.round.id}")
    before = snapshot(session)
    rid, did = demo.round.id, demo.dossiers[0].id
    for url, data in [(f"/admin/rounds/{rid}/start-scoring", {}), (f"/admin/rounds/{rid}/publish", {}),
                      (f"/admin/rounds/{rid}/switch", {"product_group": "standard", "criteria_set": ALT_SET,
                                                       "confirm": "yes", "reason": "x"}),
                      (f"/admin/dossier/{did}/screen", {}), (f"/admin/council/{rid}/add-member", {"code": "X"}),
                      ("/admin/users/new", {"username": "x", "name": "x", "role": "admin", "password": "12345678"})]:
        assert client.post(url, data={**data, "csrf_token": csrf}).status_code == 403, url
    assert snapshot(session) == before
    page = client.get(f"/admin/rounds/{rid}").get_data(as_text=True)
    assert 'id="start-scoring"' not in page and "Compare and switch" not in page


def test_html_in_an_enterprise_name_is_shown_escaped(engine: Any, session: Any, catalog: Any) -> None:
    demo = build(session, catalog, "registered")
    evil = '<script>alert("x")</script><b>Công ty</b>'
    office = session.scalar(select(User).where(User.username == "secretariat"))
    enterprise = dossier_service.enterprise(session, office, "0100000001", evil, district="<i>Ba Đình</i>")
    product = dossier_service.product(session, office, enterprise, "<img src=x onerror=alert(1)>")
    dossier = dossier_service.register(session, office, demo.round, product, "HN-EVIL", {})
    session.commit()
    client = client_for(engine, catalog, "viewer")
    for page in ("/admin/enterprises/", "/admin/dossiers/", f"/admin/dossier/{dossier.id}", "/admin/products/"):
        html = client.get(page).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html and "<i>Ba Đình" not in html, page
        assert "&lt;script&gt;" in html or "&lt;img" in html, page


def test_accent_and_case_insensitive_search(engine: Any, session: Any, catalog: Any) -> None:
    build(session, catalog, "registered")
    client = client_for(engine, catalog, "secretariat")
    for typed in ("rang dong", "RẠNG ĐÔNG", "Rang Đông", "bong den phich"):
        html = client.get("/admin/dossiers/", query_string={"search": typed}).get_data(as_text=True)
        assert "Đèn LED Rạng Đông" in html, typed
        assert "Vicostone" not in html, typed
    html = client.get("/admin/enterprises/", query_string={"search": "son ha"}).get_data(as_text=True)
    assert "Sơn Hà" in html


def test_search_by_dossier_number_alone_and_with_a_name(engine: Any, session: Any, catalog: Any) -> None:
    build(session, catalog, "registered")
    numbers = dict(session.execute(select(Product.name, Dossier.number).join(Dossier.product)).all())
    rang_dong, vicostone = numbers["Đèn LED Rạng Đông"], numbers["Đá thạch anh Vicostone"]
    client = client_for(engine, catalog, "secretariat")
    html = client.get("/admin/dossiers/", query_string={"search": rang_dong.lower()}).get_data(as_text=True)
    assert f">{rang_dong}<" in html and f">{vicostone}<" not in html
    year = rang_dong.split("-")[1]
    html = client.get("/admin/dossiers/", query_string={"search": f"rang {year}"}).get_data(as_text=True)
    assert "Đèn LED Rạng Đông" in html and "Vicostone" not in html
    html = client.get("/admin/dossiers/", query_string={"search": f"vicostone {rang_dong}"}).get_data(as_text=True)
    assert f">{rang_dong}<" not in html and f">{vicostone}<" not in html


def test_a_search_of_several_terms_matches_each_term_anywhere(engine: Any, session: Any, catalog: Any) -> None:
    """Each term may match the product, its enterprise (name or code) or the dossier number; the narrowest term
    picks the candidates, the others are checked on them (a common word such as "công ty" no longer gathers every
    enterprise first)."""
    build(session, catalog, "registered")
    rang_dong = session.scalar(select(Dossier).join(Dossier.product).where(Product.name == "Đèn LED Rạng Đông"))
    code = rang_dong.product.enterprise.code
    client = client_for(engine, catalog, "secretariat")
    for typed in ("phich led", "cong ty led", "LED công ty phích", f"led {code[-6:]}", f"cong {rang_dong.number}",
                  "ty ty led"):
        html = client.get("/admin/dossiers/", query_string={"search": typed}).get_data(as_text=True)
        assert "Đèn LED Rạng Đông" in html and "Vicostone" not in html, typed
    for typed in ("phich vicostone", "led xyz", f"vicostone {code}"):
        html = client.get("/admin/dossiers/", query_string={"search": typed}).get_data(as_text=True)
        assert "Đèn LED Rạng Đông" not in html and "Đá thạch anh Vicostone" not in html, typed


def test_dossier_filters_paging_and_sorting_happen_in_sql(engine: Any, session: Any, catalog: Any) -> None:
    demo = build(session, catalog, "screened")
    client = client_for(engine, catalog, "viewer")
    html = client.get("/admin/dossiers/", query_string={"flt0_0": demo.round.id, "flt1_2": "ineligible"}
                      ).get_data(as_text=True)
    ineligible = [d.number for d in demo.dossiers if d.state == "ineligible"]
    assert ineligible and all(n in html for n in ineligible)
    assert not any(d.number in html for d in demo.dossiers if d.state != "ineligible")
    page2 = client.get("/admin/dossiers/", query_string={"page_size": 20, "page": 0, "sort": 0, "desc": 1}
                       ).get_data(as_text=True)
    assert page2.index(demo.dossiers[-1].number) < page2.index(demo.dossiers[0].number)


def test_vietnamese_by_default_english_per_user(engine: Any, session: Any, catalog: Any) -> None:
    demo = build(session, catalog, "recognised")
    client = client_for(engine, catalog, "secretariat")
    html = client.get(f"/admin/rounds/{demo.round.id}").get_data(as_text=True)
    assert "Đăng xuất" in html and "Hồ sơ theo trạng thái" in html and "Sign out" not in html
    assert client.post("/language/en", data={"csrf_token": token(client, "/admin/")}).status_code == 302
    session.expire_all()
    assert session.scalar(select(User.language).where(User.username == "secretariat")) == "en"
    other_browser = client_for(engine, catalog, "secretariat")
    html = other_browser.get(f"/admin/rounds/{demo.round.id}").get_data(as_text=True)
    assert "Sign out" in html and "Dossiers by state" in html


def test_flask_admins_bad_vietnamese_strings_are_fixed(engine: Any, session: Any, catalog: Any) -> None:
    from flask_admin.babel import gettext

    app = app_for(engine, catalog)
    with app.test_request_context("/admin/"):
        assert gettext("Record was successfully created.") == "Đã tạo bản ghi."
        assert gettext("empty") == "trống"
        assert gettext("Save") == "Lưu"  # an unchanged string of Flask-Admin's own catalogue still works


def test_numbers_in_vietnamese_format_and_times_in_hanoi(engine: Any, catalog: Any) -> None:
    from spcncl_admin.i18n import fmt_datetime, fmt_number, fmt_vnd

    app = app_for(engine, catalog)
    with app.test_request_context("/"):
        assert fmt_number(Decimal("1234.5")) == "1.234,5"
        assert fmt_vnd(17_000_000_000) == "17.000.000.000\u00a0₫"
        assert fmt_datetime(datetime(2023, 11, 14, 2, 0)) == "14/11/2023 09:00"  # stored UTC, shown UTC+7


def test_admin_switches_a_set_with_a_reason_then_is_refused_once_scoring_started(engine: Any, session: Any,
                                                                                 catalog: Any, alt: Any) -> None:
    demo = build(session, catalog, "registered")
    rid = demo.round.id
    client = client_for(engine, alt, "admin")
    page = client.get(f"/admin/rounds/{rid}/switch", query_string={"product_group": "standard",
                                                                     "criteria_set": ALT_SET}).get_data(as_text=True)
    assert "&gt; 70" in page and "&gt; 65" in page and "chính thức" in page
    csrf = token(client, f"/admin/rounds/{rid}")
    form = {"product_group": "standard", "criteria_set": ALT_SET, "confirm": "yes", "csrf_token": csrf}
    before = snapshot(session)
    html = client.post(f"/admin/rounds/{rid}/switch", data={**form, "reason": ""}, follow_redirects=True
                       ).get_data(as_text=True)
    assert "Hãy nêu lý do" in html and snapshot(session) == before
    before_seq = session.scalar(select(func.max(AuditEntry.seq)))
    session.rollback()
    html = client.post(f"/admin/rounds/{rid}/switch", data={**form, "reason": "Bảng điểm chính thức đã ban hành"},
                       follow_redirects=True).get_data(as_text=True)
    assert f"Đã đổi sang bộ tiêu chí {ALT_SET}" in html
    session.expire_all()
    assert session.get(RoundCriteriaSet, (rid, "standard")).criteria_set_id == ALT_SET
    # one audit entry, the service's own, carries the reason
    written = [e for e in audit_service.entries_for(session, "round", rid) if e.seq > before_seq]
    assert [(e.action, e.reason) for e in written] == [("round.criteria_set_chosen",
                                                        "Bảng điểm chính thức đã ban hành")]
    # a round whose council scoring has started: the switch is refused, the reason shown, nothing written
    scoring_round = build(session, catalog, "scoring", year=2025).round
    before = snapshot(session)
    page = client.get(f"/admin/rounds/{scoring_round.id}/switch", query_string={
        "product_group": "standard", "criteria_set": ALT_SET}).get_data(as_text=True)
    assert "Không thể đổi" in page
    html = client.post(f"/admin/rounds/{scoring_round.id}/switch", data={**form, "reason": "thử"},
                       follow_redirects=True).get_data(as_text=True)
    # said in Vietnamese from the policy's verdict, not the core's English reason
    assert "đang ở giai đoạn Hội đồng chấm điểm" in html and "scoring phase" not in html
    assert snapshot(session) == before


def test_secretariat_registers_submits_and_screens_a_dossier(engine: Any, session: Any, catalog: Any) -> None:
    demo = build(session, catalog, "registered")
    client = client_for(engine, catalog, "secretariat")
    csrf = token(client, "/admin/dossier/new")
    inputs = demo.dossiers[0].inputs
    data = {"csrf_token": csrf, "round_id": demo.round.id, "enterprise_code": "0109999999",
            "enterprise_name": "Công ty TNHH Thử Nghiệm", "product_name": "Máy thử", "number": "HN-2023-9001"}
    for key, value in inputs.items():
        if value is True:
            data[f"in_{key}"] = "on"
        elif isinstance(value, list):
            data.update({f"in_{key}__{o}": "on" for o in value})
        elif value is not False:
            data[f"in_{key}"] = str(value).replace(".", ",")  # typed the Vietnamese way
    response = client.post("/admin/dossier/new", data=data)
    assert response.status_code == 302
    dossier = session.scalar(select(Dossier).where(Dossier.number == "HN-2023-9001"))
    assert dossier.state == "draft" and dossier.inputs["product_revenue"] == str(inputs["product_revenue"])
    client.post(f"/admin/dossier/{dossier.id}/submit", data={"csrf_token": csrf})
    html = client.post(f"/admin/dossier/{dossier.id}/screen", data={"csrf_token": csrf}, follow_redirects=True
                       ).get_data(as_text=True)
    # refused in the registration phase, with the phase it needs, in Vietnamese
    assert "làm ở giai đoạn Thẩm định" in html and "đang ở giai đoạn Đăng ký" in html
    client.post(f"/admin/rounds/{demo.round.id}/open-screening", data={"csrf_token": csrf})
    html = client.post(f"/admin/dossier/{dossier.id}/screen", data={"csrf_token": csrf}, follow_redirects=True
                       ).get_data(as_text=True)
    session.expire_all()
    assert session.get(Dossier, dossier.id).state == "eligible"
    assert "Đủ điều kiện" in html and "P9" in html


def test_bad_inputs_are_refused_with_every_problem_and_nothing_written(engine: Any, session: Any,
                                                                      catalog: Any) -> None:
    demo = build(session, catalog, "registered")
    draft = demo.dossiers[0]
    dossier_service.move(session, session.scalar(select(User).where(User.username == "secretariat")), draft,
                         "draft")
    draft.inputs = {**draft.inputs, "product_revenue": "abc"}
    session.commit()
    client = client_for(engine, catalog, "secretariat")
    before = snapshot(session)
    html = client.post(f"/admin/dossier/{draft.id}/submit", data={"csrf_token": token(client, "/admin/")},
                       follow_redirects=True).get_data(as_text=True)
    assert "product_revenue" in html and snapshot(session) == before


def test_a_member_scores_and_submits_only_their_own_forms(engine: Any, session: Any, catalog: Any) -> None:
    demo = build(session, catalog, "scoring")
    member = session.scalar(select(CouncilMember).join(User, User.id == CouncilMember.user_id)
                            .where(User.username == "member02"))
    other = session.scalar(select(CouncilMember).join(User, User.id == CouncilMember.user_id)
                           .where(User.username == "member01"))
    client = client_for(engine, catalog, "member02")
    listing = client.get("/admin/scoring/").get_data(as_text=True)
    conflicted = [d for d in demo.dossiers if d.state == "preliminarily_scored"][-1]
    assert conflicted.number not in client_for(engine, catalog, "member01").get("/admin/scoring/").get_data(
        as_text=True)
    dossier = next(d for d in demo.dossiers if d.state == "preliminarily_scored")
    assert dossier.number in listing
    # another member's form by URL: refused, and no form opened for them
    before = snapshot(session)
    assert client.get(f"/admin/scoring/{other.id}/{dossier.id}").status_code == 403
    csrf = token(client, "/admin/scoring/")
    assert client.post(f"/admin/scoring/{other.id}/{dossier.id}", data={"csrf_token": csrf, "version": 1}
                       ).status_code == 403
    assert snapshot(session) == before
    page = client.get(f"/admin/scoring/{member.id}/{dossier.id}").get_data(as_text=True)
    fields = sorted(set(__import__("re").findall(r'name="points_(\w+)"', page)))
    assert fields and 'step="0.5"' in page
    form = session.scalar(select(ScoringForm).where(ScoringForm.member_id == member.id,
                                                    ScoringForm.dossier_id == dossier.id))
    data = {"csrf_token": csrf, "version": form.version, **{f"points_{c}": "1,5" for c in fields}}
    assert client.post(f"/admin/scoring/{member.id}/{dossier.id}", data=data).status_code == 302
    # a stale edit (the version read before the save) is refused with a message; the typed points are kept
    stale = {**data, **{f"points_{c}": "2" for c in fields}}
    html = client.post(f"/admin/scoring/{member.id}/{dossier.id}", data=stale).get_data(as_text=True)
    assert "vừa được sửa ở nơi khác" in html and 'value="2"' in html and "changed elsewhere" not in html
    session.expire_all()
    form = session.get(ScoringForm, form.id)
    assert {e.points for e in form.entries} == {Decimal("1.5")}
    saved = client.get(f"/admin/scoring/{member.id}/{dossier.id}").get_data(as_text=True)
    assert 'value="1.5"' in saved and "1.5000" not in saved  # a number field shows 1.5, not the stored scale
    # out of range refused
    html = client.post(f"/admin/scoring/{member.id}/{dossier.id}",
                       data={**data, "version": form.version, f"points_{fields[0]}": "99"}).get_data(as_text=True)
    assert "bị từ chối" in html and "phải từ 0 đến" in html and "refused" not in html
    client.post(f"/admin/scoring/{member.id}/{dossier.id}", data={**data, "version": form.version, "submit": "yes"})
    session.expire_all()
    assert session.get(ScoringForm, form.id).submitted_at is not None


def test_admin_publishes_and_the_public_comments_and_checks_certificates(engine: Any, session: Any,
                                                                        catalog: Any) -> None:
    demo = build(session, catalog, "results")
    rid = demo.round.id
    admin = client_for(engine, catalog, "admin")
    html = admin.post(f"/admin/rounds/{rid}/publish", data={"csrf_token": token(admin, f"/admin/rounds/{rid}")},
                      follow_redirects=True).get_data(as_text=True)
    assert "Đã công khai kết quả" in html, html[html.find("alert"):][:800]
    public = client_for(engine, catalog, SPCNCL_COMMENT_LIMIT="3 per hour")
    page = public.get(f"/public/results/{rid}").get_data(as_text=True)
    assert "Gửi ý kiến góp ý" in page
    session.expire_all()
    number = session.scalars(select(Dossier.number).where(Dossier.state == "published")).first()
    csrf = token(public, f"/public/results/{rid}")
    form = {"csrf_token": csrf, "dossier": number, "author": "Nguyễn Văn C", "text": "Đề nghị kiểm tra số liệu."}
    assert public.post(f"/public/results/{rid}/comment", data=form).status_code == 302
    before = snapshot(session)
    public.post(f"/public/results/{rid}/comment", data={**form, "text": "x" * 5000})
    assert snapshot(session) == before  # too long: refused
    assert public.post(f"/public/results/{rid}/comment", data=form).status_code == 302
    assert public.post(f"/public/results/{rid}/comment", data=form).status_code == 429
    assert len(session.scalars(select(Comment)).all()) == 2
    html = admin.get(f"/admin/comments/{rid}").get_data(as_text=True)
    assert "Đề nghị kiểm tra số liệu." in html
    # certificates: a recognised round
    done = build(session, catalog, "recognised", year=2025)
    cert = public.get("/public/certificate", query_string={"number": "hanoi-2025-001"}).get_data(as_text=True)
    assert "Giấy chứng nhận còn hiệu lực" in cert and "HANOI-2025-001" in cert
    assert "Không có giấy chứng nhận" in public.get("/public/certificate", query_string={"number": "X-1"}
                                                    ).get_data(as_text=True)
    assert done.round.year == 2025


def test_audit_log_verify_from_the_page(engine: Any, session: Any, catalog: Any) -> None:
    build(session, catalog, "screened")
    client = client_for(engine, catalog, "viewer")
    html = client.post("/admin/audit/verify", data={"csrf_token": token(client, "/admin/audit/")},
                       follow_redirects=True).get_data(as_text=True)
    assert "Nhật ký toàn vẹn" in html


def test_results_page_shows_ranking_top10_and_charts(engine: Any, session: Any, catalog: Any) -> None:
    demo = build(session, catalog, "results")
    html = client_for(engine, catalog, "viewer").get(f"/admin/results/{demo.round.id}").get_data(as_text=True)
    assert html.count("<svg") == 3 and "★" in html and "Phân bố tổng điểm" in html
    assert "cdn" not in html.lower() and "https://" not in html


def test_admin_manages_users_through_the_service(engine: Any, session: Any, catalog: Any) -> None:
    build(session, catalog, "registered")
    client = client_for(engine, catalog, "admin")
    csrf = token(client, "/admin/users/")
    client.post("/admin/users/new", data={"csrf_token": csrf, "username": "thu.nguyen", "name": "Nguyễn Thu",
                                          "role": "viewer", "password": "mật-khẩu-dài"})
    assert session.scalar(select(User).where(User.username == "thu.nguyen")).role == "viewer"
    html = client.post("/admin/users/new", data={"csrf_token": csrf, "username": "short", "name": "S",
                                                 "role": "viewer", "password": "123"}, follow_redirects=True
                       ).get_data(as_text=True)
    assert "ít nhất 8 ký tự" in html and session.scalar(select(User).where(User.username == "short")) is None
    me = session.scalar(select(User).where(User.username == "admin"))
    html = client.post(f"/admin/users/{me.id}", data={"csrf_token": csrf, "name": "A", "role": "viewer"},
                       follow_redirects=True).get_data(as_text=True)
    session.expire_all()
    assert session.get(User, me.id).role == "admin"


def test_changing_ones_password_signs_out_other_sessions(engine: Any, session: Any, catalog: Any) -> None:
    build(session, catalog, "registered")
    first, second = client_for(engine, catalog, "viewer"), client_for(engine, catalog, "viewer")
    first.post("/password", data={"csrf_token": token(first, "/password"), "current": "demo-password",
                                  "new": "mật-khẩu-mới-1", "repeat": "mật-khẩu-mới-1"})
    assert first.get("/admin/dossiers/").status_code == 200
    assert second.get("/admin/dossiers/").status_code == 302
    fresh = client_for(engine, catalog)
    assert sign_in(fresh, "viewer", "mật-khẩu-mới-1").status_code == 302


def test_every_string_of_the_back_office_has_its_vietnamese_translation() -> None:
    from pathlib import Path

    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent / "admin_app"
    with (root / "translations" / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="vi")
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    found = {message if isinstance(message, str) else message[0]
             for _file, _line, message, _comments, _context in extract_from_dir(
                 str(root), method_map, keywords={"_": None, "_l": None, "gettext": None, "lazy_gettext": None})}
    missing = sorted(m for m in found if not (catalog.get(m) and catalog.get(m).string))
    assert not missing, f"add to admin_app/translations/vi/LC_MESSAGES/messages.po: {missing}"


def test_hook_register_admin_views_adds_a_guarded_screen(engine: Any, session: Any, catalog: Any) -> None:
    from flask_admin import expose
    from spcncl_admin.views.base import StaffView

    from spcncl_core import hookimpl, load_catalog
    from spcncl_core.plugins import get_plugin_manager

    class Province:
        @hookimpl
        def register_admin_views(self, admin: Any, db: Any) -> None:
            class Extra(StaffView):
                @expose("/")
                def index(self) -> str:
                    return f"extra screen; {db.session.scalar(select(func.count()).select_from(Dossier))} dossiers"

            admin.add_view(Extra(name="Extra", endpoint="extra", url="/admin/extra"))

    from sqlalchemy import func

    build(session, catalog, "registered")
    pm = get_plugin_manager()
    pm.register(Province(), name="test-province")
    with_plugin = load_catalog(pm)
    assert client_for(engine, with_plugin).get("/admin/extra/").status_code == 302
    html = client_for(engine, with_plugin, "viewer").get("/admin/extra/").get_data(as_text=True)
    assert html == "extra screen; 10 dossiers"
    # the installed Huế example plugin adds its own page
    assert "Thừa Thiên Huế" in client_for(engine, catalog, "viewer").get("/admin/hue/").get_data(as_text=True)


def test_workbooks_download_and_a_checked_upload_saves_nothing(engine: Any, session: Any, catalog: Any,
                                                              tmp_path: Any) -> None:
    import io

    import openpyxl

    from spcncl_core.excel.bulk import write_bulk

    demo = build(session, catalog, "results")
    rid = demo.round.id
    client = client_for(engine, catalog, "secretariat")
    for kind in ("results", "working", "bulk"):
        response = client.get(f"/admin/workbooks/{rid}/{kind}.xlsx")
        assert response.status_code == 200 and response.data[:2] == b"PK", kind
        openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    assert client.get("/admin/workbooks/set/hanoi-2023-standard.xlsx").data[:2] == b"PK"
    # a registration round: upload a filled bulk sheet, checked first (nothing saved), then imported
    fresh = build(session, catalog, "registered", year=2025).round
    inputs = {k: v for k, v in demo.dossiers[0].inputs.items()}
    sheet = tmp_path / "bulk.xlsx"
    write_bulk(catalog, "hanoi", 2025, sheet, rows=[{"enterprise_code": "0107777777", "enterprise_name":
                                                     "Công ty CP Thử Excel", "product_name": "Sản phẩm Excel",
                                                     "number": "HN-2025-7777", "inputs": inputs}],
               blank_rows=2)
    csrf = token(client, f"/admin/rounds/{fresh.id}")
    before = snapshot(session)
    html = client.post(f"/admin/workbooks/{fresh.id}/upload/bulk", data={
        "csrf_token": csrf, "check_only": "on", "workbook": (sheet.open("rb"), "bulk.xlsx")},
        content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "Đã kiểm tra, chưa lưu gì" in html, html[html.find("alert"):][:600]
    assert snapshot(session) == before
    html = client.post(f"/admin/workbooks/{fresh.id}/upload/bulk", data={
        "csrf_token": csrf, "workbook": (io.BytesIO(b"not a workbook"), "evil.xlsx")},
        content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "Dữ liệu không hợp lệ" in html and snapshot(session) == before
    client.post(f"/admin/workbooks/{fresh.id}/upload/bulk", data={
        "csrf_token": csrf, "workbook": (sheet.open("rb"), "bulk.xlsx")}, content_type="multipart/form-data")
    assert session.scalar(select(Dossier).where(Dossier.number == "HN-2025-7777")) is not None


def test_the_council_page_reports_assignment_gaps_not_forms_still_to_submit(engine: Any, session: Any,
                                                                             catalog: Any) -> None:
    """Found by a user test: with every criterion assigned but no form submitted yet, the page said hundreds of
    criteria had no assigned scorer."""
    demo = build(session, catalog, "scoring")
    page = client_for(engine, catalog, "secretariat").get(f"/admin/council/{demo.round.id}").get_data(as_text=True)
    assert 'class="alert alert-success" id="coverage"' in page


def test_a_relative_sqlite_url_is_the_file_the_command_line_uses(tmp_path: Any, monkeypatch: Any) -> None:
    """Found by a user test: Flask-SQLAlchemy opened instance/spcncl.sqlite (empty) while `spcncl demo` had built
    ./spcncl.sqlite, so signing in failed with "no such table"."""
    from spcncl_admin.config import absolute_sqlite, from_environment

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SPCNCL_DATABASE_URL", "sqlite:///spcncl.sqlite")
    assert from_environment()["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'spcncl.sqlite'}"
    assert absolute_sqlite("sqlite:////srv/x.sqlite") == "sqlite:////srv/x.sqlite"
    assert absolute_sqlite("sqlite://") == "sqlite://"
    assert absolute_sqlite("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"


def test_the_secretariat_takes_criteria_away_from_a_member_with_a_reason(engine: Any, session: Any,
                                                                        catalog: Any) -> None:
    from spcncl_core.db.models import Assignment, CouncilMember

    demo = build(session, catalog, "scoring")
    client = client_for(engine, catalog, "secretariat")
    url = f"/admin/council/{demo.round.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Rút phân công" in page
    m01 = session.scalar(select(CouncilMember).where(CouncilMember.round_id == demo.round.id,
                                                     CouncilMember.code == "M01"))
    form = {"member_id": m01.id, "product_group": "standard", "criteria": ["KT1"], "csrf_token": token(client, url)}
    before = snapshot(session)
    page = client.post(f"{url}/unassign", data={**form, "reason": ""}, follow_redirects=True).get_data(as_text=True)
    assert snapshot(session) == before and "alert-danger" in page, page
    page = client.post(f"{url}/unassign", data={**form, "reason": "Phân công nhầm"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Đã rút các tiêu chí khỏi phân công." in page
    session.expire_all()
    assert session.get(Assignment, (demo.round.id, "hanoi-2023-standard", "KT1", m01.id)) is None
    viewer = client_for(engine, catalog, "viewer")
    assert viewer.post(f"{url}/unassign", data={**form, "reason": "x", "csrf_token": token(viewer, url)}
                       ).status_code == 403
