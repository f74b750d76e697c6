"""The back office in a real browser: Debian's Chromium driven by Playwright's Python client (never
`playwright install`). Screenshots of every run are kept in test-artifacts/screenshots/ (git-ignored)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("flask_admin")

from backoffice_helpers import ALT_SET, alt_catalog, app_for, build, snapshot  # noqa: E402
from sqlalchemy import select  # noqa: E402

from spcncl_core.db.models import (  # noqa: E402
    Comment,
    CouncilMember,
    Dossier,
    Publication,
    RoundCriteriaSet,
    ScoringForm,
    User,
)
from spcncl_core.demo import DEMO_PASSWORD  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

if CHROMIUM is None and os.environ.get("CI") != "true":
    pytest.skip("Chromium is not installed (apt-get install chromium); CI installs it and runs these tests",
                allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


def seen(page: Any, text: str, timeout: float = 10.0) -> bool:
    """Whether `text` is in the page within `timeout` seconds: a click that submits a form returns before the next
    page has loaded, so reading the content at once can read the old page (a race seen on a loaded machine)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if text in page.content():
                return True
        except sync_api.Error:  # the page is navigating: read it again
            pass
        if time.monotonic() > deadline:
            return False
        page.wait_for_timeout(100)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the module (headless)."""
    assert CHROMIUM, "CI must have Chromium: .ci/run installs it"
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield chromium
        chromium.close()


@pytest.fixture
def serve(engine: Any) -> Iterator[Callable[..., str]]:
    """Serve a back-office app on a free loopback port in a thread; returns its base URL."""
    from werkzeug.serving import make_server

    servers = []

    def start(catalog: Any, **config: Any) -> str:
        server = make_server("127.0.0.1", 0, app_for(engine, catalog, **config), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()


@pytest.fixture
def page(browser: Any, request: Any) -> Iterator[Any]:
    """A fresh browser context and page; a screenshot of the last page is kept whatever the outcome."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{request.node.name}-last.png"), full_page=True)
    context.close()


def shot(tab: Any, name: str) -> None:
    """Keep a screenshot as a test artifact."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(tab: Any, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    tab.goto(f"{base}/login")
    tab.fill("#username", username)
    tab.fill("#password", password)
    tab.click("#sign-in")
    tab.wait_for_load_state()


def test_sign_in_for_each_role(page: Any, serve: Any, session: Any, catalog: Any) -> None:
    demo = build(session, catalog, "recognised")
    base = serve(catalog)
    page.goto(f"{base}/admin/dossiers/")
    assert "/login" in page.url
    sign_in(page, base, "admin", "wrong-password")
    assert page.locator(".alert-danger").inner_text().strip().startswith("Sai tên đăng nhập")
    for username, expected, absent in [("admin", "Người dùng", None), ("secretariat", "Đăng ký hồ sơ", "Người dùng"),
                                       ("viewer", "Rạng Đông", "Đăng ký hồ sơ"),
                                       ("member01", "Phiếu đánh giá của tôi", "Đăng ký hồ sơ")]:
        sign_in(page, base, username)
        if username != "member01":
            page.goto(f"{base}/admin/dossiers/?flt0_0={demo.round.id}")
        assert seen(page, expected), username
        assert absent is None or absent not in page.content(), username
        shot(page, f"role-{username}")
        page.click("#logout")
        assert "/login" in page.url


def test_secretariat_registers_and_screens_a_dossier(page: Any, serve: Any, session: Any, catalog: Any) -> None:
    demo = build(session, catalog, "registered")
    inputs = demo.dossiers[0].inputs
    base = serve(catalog)
    sign_in(page, base, "secretariat")
    page.goto(f"{base}/admin/dossiers/")
    page.click("#register")
    page.fill("input[name=enterprise_code]", "0108888888")
    page.fill("input[name=enterprise_name]", "Công ty CP Cơ khí Đông Anh")
    page.fill("input[name=product_name]", "Máy biến áp 250 kVA")
    page.fill("input[name=number]", "HN-2023-0500")
    page.fill("input[name=district]", "Đông Anh")
    for key, value in inputs.items():
        if value is True:
            page.check(f"input[name=in_{key}]")
        elif isinstance(value, list):
            for option in value:
                page.check(f"input[name=in_{key}__{option}]")
        elif isinstance(value, str) and page.locator(f"select[name=in_{key}]").count():
            page.select_option(f"select[name=in_{key}]", value)
        elif value is not False:
            page.fill(f"input[name=in_{key}]", str(value).replace(".", ","))
    shot(page, "secretariat-register")
    page.click("#save-dossier")
    assert seen(page, "Đã lưu hồ sơ nháp")
    page.click("#submit")
    assert page.locator("#state").inner_text() == "Đã nộp"
    # the documents received: the application form recorded from the checklist's form (the day defaults to today)
    assert "còn thiếu" in page.locator('#documents tr[data-kind="application_form"]').inner_text()
    page.select_option("#record-document select[name=kind]", "application_form")
    page.fill("#record-document input[name=title]", "Đơn đăng ký có chữ ký, dấu")
    page.click("#record-document button")
    assert seen(page, "Đã ghi nhận tài liệu.")
    row = page.locator('#documents tr.received[data-kind="application_form"]').inner_text()
    assert "Đơn đăng ký có chữ ký, dấu" in row and "secretariat" in row
    shot(page, "dossier-documents")
    page.locator("#documents").screenshot(path=str(SHOTS / "dossier-documents-table.png"))
    dossier_url = page.url
    page.goto(f"{base}/admin/rounds/{demo.round.id}")
    page.click("#open-screening")
    assert seen(page, "Đã kết thúc đăng ký")
    page.goto(dossier_url)
    page.click("#screen")
    assert page.locator("#state").inner_text() == "Đủ điều kiện"
    page.click("#preliminary")
    assert page.locator("#state").inner_text() == "Đã chấm sơ bộ"
    shot(page, "dossier-page")
    # found by looking at the page: long option lists in the inputs, kept on one line, squeezed the labels to a word
    # a line (a table 4,600 px tall) and pushed the values over the evaluation beside it
    inputs_box = page.locator("#inputs").bounding_box()
    evaluation_box = page.locator("#evaluation").bounding_box()
    assert inputs_box and evaluation_box and inputs_box["x"] + inputs_box["width"] <= evaluation_box["x"]
    label = page.locator("#inputs tr td").first.bounding_box()
    assert label and label["width"] > inputs_box["width"] / 4 and inputs_box["height"] < 2 * evaluation_box["height"]
    session.expire_all()
    assert session.scalar(select(Dossier.state).where(Dossier.number == "HN-2023-0500")) == "preliminarily_scored"
    page.goto(f"{base}/admin/dossiers/?search=co+khi+dong+anh")
    assert seen(page, "HN-2023-0500")


def test_admin_switches_a_set_then_is_refused_once_scoring_starts(page: Any, serve: Any, session: Any,
                                                                  catalog: Any) -> None:
    demo = build(session, catalog, "registered")
    base = serve(alt_catalog())
    sign_in(page, base, "admin")
    page.goto(f"{base}/admin/rounds/{demo.round.id}")
    shot(page, "round-dashboard")
    page.select_option("select[name=criteria_set]", ALT_SET)
    page.click("text=So sánh và đổi")
    assert page.locator("#diff").inner_text().count("\n") >= 2
    page.fill("#reason", "Bảng điểm chính thức của Quyết định 2022/QĐ-UBND")
    shot(page, "switch-diff")
    page.click("#do-switch")
    assert seen(page, f"Đã đổi sang bộ tiêu chí {ALT_SET}")
    scoring_round = build(session, catalog, "scoring", year=2025).round
    before = snapshot(session)
    page.goto(f"{base}/admin/rounds/{scoring_round.id}/switch?product_group=standard&criteria_set={ALT_SET}")
    assert seen(page, "Không thể đổi") and seen(page, "đang ở giai đoạn Hội đồng chấm điểm")
    assert page.locator("#do-switch").count() == 0  # no confirmation offered
    shot(page, "switch-refused")
    assert snapshot(session) == before
    assert session.get(RoundCriteriaSet, (demo.round.id, "standard")).criteria_set_id == ALT_SET


def test_a_council_member_scores_and_submits(page: Any, serve: Any, session: Any, catalog: Any) -> None:
    demo = build(session, catalog, "scoring")
    base = serve(catalog)
    sign_in(page, base, "member02")
    assert seen(page, "Phiếu đánh giá của tôi")
    dossier = next(d for d in demo.dossiers if d.state == "preliminarily_scored")
    page.click(f"text={dossier.number}")
    fields = page.locator("input[type=number]")
    for i in range(fields.count()):
        fields.nth(i).fill("1.5")
    page.click("#save")
    assert seen(page, "Đã lưu điểm")
    shot(page, "council-form")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#submit-form")
    assert seen(page, "Đã nộp phiếu")
    member = session.scalar(select(CouncilMember).join(User, User.id == CouncilMember.user_id)
                            .where(User.username == "member02"))
    session.expire_all()
    form = session.scalar(select(ScoringForm).where(ScoringForm.member_id == member.id,
                                                    ScoringForm.dossier_id == dossier.id))
    assert form.submitted_at is not None and len(form.entries) == fields.count()


def test_admin_publishes_and_a_visitor_comments_and_checks_a_certificate(page: Any, serve: Any, session: Any,
                                                                         catalog: Any) -> None:
    demo = build(session, catalog, "results")
    build(session, catalog, "recognised", year=2025)
    base = serve(catalog)
    sign_in(page, base, "admin")
    page.goto(f"{base}/admin/results/{demo.round.id}")
    shot(page, "results-charts")
    page.goto(f"{base}/admin/rounds/{demo.round.id}")
    page.click("#publish")
    assert seen(page, "Đã công khai kết quả")
    assert session.scalar(select(Publication).where(Publication.round_id == demo.round.id)) is not None
    page.click("#logout")
    page.goto(f"{base}/public/results/{demo.round.id}")
    page.fill("#author", "Nguyễn Văn D")
    page.fill("#text", "Đề nghị hội đồng xem lại số liệu xuất khẩu của sản phẩm này.")
    shot(page, "public-results")
    page.click("#send-comment")
    assert seen(page, "ý kiến đã được tiếp nhận")
    assert session.scalar(select(Comment.author).where(Comment.author == "Nguyễn Văn D"))
    page.goto(f"{base}/public/certificate")
    page.fill("#number", "HANOI-2025-001")
    page.click("#check")
    assert "Giấy chứng nhận còn hiệu lực" in page.locator("#result").inner_text()
    shot(page, "public-certificate")


def test_the_page_in_english(page: Any, serve: Any, session: Any, catalog: Any) -> None:
    demo = build(session, catalog, "recognised")
    base = serve(catalog)
    sign_in(page, base, "viewer")
    page.goto(f"{base}/admin/rounds/{demo.round.id}")
    assert seen(page, "Hồ sơ theo trạng thái")
    page.click("#language")
    assert seen(page, "Dossiers by state") and seen(page, "Sign out")
    shot(page, "round-dashboard-english")
    page.goto(f"{base}/admin/dossiers/")
    assert seen(page, "Search (accents and case do not matter)")


# records each block the parser inserts into the import page (before any of the page's own scripts run): its stage,
# percent, whether the report was in the page already, and which observer callback (parse step) brought it
WATCH_IMPORT = """
window.__steps = []; window.__batches = 0;
new MutationObserver(records => {
  window.__batches += 1;
  const report = !!document.getElementById('import-report');
  for (const r of records) for (const n of r.addedNodes) {
    if (n.nodeType === 1 && n.classList.contains('import-step'))
      window.__steps.push({stage: n.dataset.stage, percent: +n.dataset.percent, report, batch: window.__batches});
    if (n.nodeType === 1 && n.id === 'import-report') window.__reportBatch = window.__batches;
  }
}).observe(document, {childList: true, subtree: true});
"""


@pytest.mark.parametrize("javascript", [True, False], ids=["with-javascript", "without-javascript"])
def test_a_long_import_shows_its_progress_then_the_report(browser: Any, serve: Any, session: Any, catalog: Any,
                                                          tmp_path: Path, javascript: bool) -> None:
    """A bulk sheet of 3,000 products, checked (nothing saved) then imported: the page shows the progress bar as
    the rows are read, checked and written, then the report; the same without JavaScript."""
    from test_import_progress import bulk_sheet

    demo = build(session, catalog, "registered")
    fresh = build(session, catalog, "registered", year=2025).round
    sheet = bulk_sheet(catalog, demo, tmp_path / "danh-sach-2025.xlsx", 3000)
    base = serve(catalog)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN",
                                  java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(120_000)
    if javascript:
        page.add_init_script(WATCH_IMPORT)
    name = "import-progress" + ("" if javascript else "-no-js")
    try:
        sign_in(page, base, "secretariat")
        before = snapshot(session)
        for check_only in (True, False):
            page.goto(f"{base}/admin/rounds/{fresh.id}")
            page.set_input_files("#upload-bulk input[name=workbook]", str(sheet))
            if not check_only:
                page.uncheck("#upload-bulk input[name=check_only]")
            page.click("#upload-bulk button")
            page.wait_for_selector('#import-progress .import-step[data-stage="check"]')
            shot(page, f"{name}-{'check' if check_only else 'import'}-running")
            page.wait_for_selector('#import-report[data-outcome="done"]')
            outcome = page.locator("#import-outcome").inner_text()
            stages = [s.get_attribute("data-stage") for s in page.locator("#import-progress .import-step").all()]
            assert {"read", "check", "write"} <= set(stages), stages
            # every step is drawn where the first was: the newest covers the others, the last says 100 %
            boxes = {(round(b["x"]), round(b["y"])) for b in
                     (s.bounding_box() for s in page.locator("#import-progress .import-step").all())}
            assert len(boxes) == 1 and "100%" in page.locator("#import-progress .import-step").last.inner_text()
            if javascript:
                steps = page.evaluate("window.__steps")
                assert [s["percent"] for s in steps] == sorted(s["percent"] for s in steps)
                assert not any(s["report"] for s in steps)
                # the steps reached the page while the import ran: parsed before the report, not all at once
                assert min(s["batch"] for s in steps) < page.evaluate("window.__reportBatch")
            shot(page, f"{name}-{'check' if check_only else 'import'}-report")
            if check_only:
                assert outcome.startswith("Đã kiểm tra, chưa lưu gì") and snapshot(session) == before
        assert "3000 hồ sơ" in outcome or "3.000 hồ sơ" in outcome
        session.expire_all()
        assert len(session.scalars(select(Dossier.id).where(Dossier.round_id == fresh.id)).all()) == 3010
    finally:
        context.close()
