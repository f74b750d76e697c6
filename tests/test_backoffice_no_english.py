"""No English on the back office's Vietnamese pages: every page each role can reach (followed link by link from the
home page, on a round at every stage), and the messages of refused or invalid requests, are read for words that
are English rather than Vietnamese. A new English text on a Vietnamese page makes this test fail and names it.

A word counts as English when it is plain ASCII and cannot be a Vietnamese syllable written without its marks
(“results”, “given”), or is one of the few English words that could (“the”, “not”, “in”). Not counted: words in
the records' own data (names of enterprises, products, people, user names, round titles, typed reasons), short
capitals (ISO, ERP, HN), code shown as code (<code>), and the few words kept on purpose (ALLOWED)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest

pytest.importorskip("flask_admin")

from backoffice_helpers import app_for, build, sign_in, token  # noqa: E402
from sqlalchemy import select  # noqa: E402

from spcncl_core.db.models import (  # noqa: E402
    Comment,
    Conflict,
    CouncilMember,
    Enterprise,
    Product,
    Round,
    User,
)

INITIAL = "ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|g|h|k|l|m|n|p|r|s|t|v|x"
VOWELS = "uyeu|uye|uya|oai|oay|uoi|ieu|yeu|ai|ao|au|ay|eo|eu|ia|iu|oa|oe|oi|ua|ui|uy|uo|ie|ye|uu|oo|a|e|i|o|u|y"
FINAL = "ch|ng|nh|c|m|n|p|t|i|y|o|u"
SYLLABLE = re.compile(rf"(?:{INITIAL})?(?:{VOWELS})(?:{FINAL})?")
# English words that are also the shape of a Vietnamese syllable without its marks
LOOKALIKES = {"the", "not", "in", "on", "no", "to", "at", "it", "go", "me", "he", "we", "by", "my", "up", "of",
              "is", "as", "or", "be", "if", "than", "then", "them", "that", "mean", "each", "set", "per", "yes",
              "can", "one", "two", "ten", "none", "need", "note", "name", "type", "code", "sum", "all", "via", "new",
              "old", "see", "use", "min", "max", "cap", "vs", "pass", "given", "true", "false"}
# kept on purpose: the language switch names English in English; Excel and xlsx are what officials call the files;
# "Top 10" is the programme's own term
ALLOWED = {"English", "Excel", "xlsx", "Top"}
ROLES = ("admin", "secretariat", "viewer", "member01", None)  # None: a visitor, not signed in
SKIPPED_LINKS = ("logout", "/language/", "/static/", "/download", ".xlsx", "/export", "/delete", "/verify")


class PageText(HTMLParser):
    """The text of a page as a reader meets it: text nodes and the attributes read out (title, placeholder, labels,
    the values of buttons), without scripts, styles and code."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code"):
            self.hidden += 1
        for name, value in attrs:
            if value and (name in ("title", "placeholder", "aria-label", "alt")
                          or (name == "value" and tag in ("button", "input") and ("type", "submit") in attrs)):
                self.texts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code"):
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden and data.strip() and not _json(data):
            self.texts.append(data.strip())


def _json(text: str) -> bool:
    """Whether `text` is data for the page's scripts (Flask-Admin's filters, hidden), not words."""
    try:
        return isinstance(json.loads(text), dict | list)
    except ValueError:
        return False


def english_words(text: str, data_words: set[str]) -> list[str]:
    """The English words of `text`."""
    text = re.sub(r"\b\w+(?:-\w+)+\b", " ", text)  # kebab-case codes: set ids, dossier and certificate numbers
    found = []
    for word in re.findall(r"[^\W\d_]+", text):
        lower = word.lower()
        if not lower.isascii() or len(word) == 1 or (word.isupper() and len(word) <= 6):
            continue
        if word in ALLOWED or lower in data_words:
            continue
        if lower in LOOKALIKES or not SYLLABLE.fullmatch(lower):
            found.append(word)
    return found


def data_words(session: Any) -> set[str]:
    """Every word of the records' own data: names and titles, typed reasons and comments."""
    columns = [Enterprise.name, Enterprise.district, Enterprise.sector, Product.name, Product.sector, User.username,
               User.name, Round.title, CouncilMember.name, CouncilMember.code, Conflict.reason, Comment.text,
               Comment.author]
    words: set[str] = set()
    for column in columns:
        for value in session.scalars(select(column)):
            words.update(w.lower() for w in re.findall(r"[^\W\d_]+", value or ""))
    session.rollback()
    return words


def crawl(client: Any, starts: list[str], limit: int = 400) -> dict[str, str]:
    """Every page reachable from `starts` by same-site links (query strings dropped): url → HTML."""
    pages: dict[str, str] = {}
    todo = list(starts)
    while todo and len(pages) < limit:
        url = todo.pop().split("?")[0].split("#")[0]
        if url in pages or any(s in url for s in SKIPPED_LINKS):
            continue
        response = client.get(url)
        if response.status_code in (301, 302, 303):
            todo.append(response.headers["Location"])
        pages[url] = response.get_data(as_text=True) if response.status_code == 200 and "html" in \
            response.content_type else ""
        todo += [h.replace("&amp;", "&") for h in re.findall(r'href="(/[^"]*)"', pages[url])]
    return pages


def english_on(pages: dict[str, str], words: set[str]) -> dict[str, set[str]]:
    """English text → the pages showing it."""
    found: dict[str, set[str]] = {}
    for url, html in pages.items():
        reader = PageText()
        reader.feed(html)
        for text in reader.texts:
            if english_words(text, words):
                found.setdefault(text[:200], set()).add(url)
    return found


def test_the_detector_tells_english_from_vietnamese() -> None:
    assert english_words("hanoi_site is true", set()) == ["hanoi", "site", "is", "true"]
    assert english_words("product_revenue 1234.5 ≥ 1000 → 10 of 10", set()) == ["product", "revenue", "of"]
    assert english_words("results computed", set()) == ["results", "computed"]
    assert english_words("not scored yet (scored by the council)", set())
    assert english_words("(capped)", set()) == ["capped"]
    assert not english_words("Doanh thu sản phẩm năm N-1: 1.234,5 ≥ 1.000 → 10 trên 10", set())
    assert not english_words("Trụ sở hoặc cơ sở sản xuất tại Hà Nội: có; công nghệ thông tin, ISO 9001", set())
    assert not english_words("Công ty CP Vicostone", {"vicostone"})


@pytest.fixture
def rounds_at_every_stage(session: Any, catalog: Any) -> Any:
    """A round recognised (results, comments, certificates), one in registration and one in council scoring."""
    recognised = build(session, catalog, "recognised")
    build(session, catalog, "registered", year=2024)
    build(session, catalog, "scoring", year=2025)
    return recognised


@pytest.mark.parametrize("role", ROLES)
def test_no_english_on_any_vietnamese_page(engine: Any, session: Any, catalog: Any, rounds_at_every_stage: Any,
                                           role: str | None) -> None:
    client = app_for(engine, catalog).test_client()
    if role:
        assert sign_in(client, role).status_code == 302
    pages = crawl(client, ["/admin/", "/"])
    assert len(pages) > (40 if role in ("admin", "secretariat", "viewer") else 3), sorted(pages)
    found = english_on(pages, data_words(session))
    assert not found, "English on Vietnamese pages (say it in Vietnamese: admin_app/texts_vi.py, the .po files):\n" \
        + "\n".join(f"  {text!r} on {sorted(urls)[:3]}" for text, urls in sorted(found.items()))


def test_no_english_on_criteria_set_comparisons_and_the_switch(engine: Any, session: Any, catalog: Any) -> None:
    """Pages the link walk reaches without their query: set comparisons (every kind of difference: settings,
    inputs, indicators, prerequisites, groups, criteria; sets of other plugins) and the yearly switch's diff."""
    from backoffice_helpers import ALT_SET, alt_catalog

    demo = build(session, catalog, "registered")
    client = app_for(engine, alt_catalog()).test_client()
    assert sign_in(client, "admin").status_code == 302
    urls = [f"/admin/criteria/compare?a={a}&b={b}" for a, b in (
        ("hanoi-2018-standard", "hanoi-2023-standard"), ("hanoi-2021-high-tech", "hanoi-2023-high-tech"),
        ("hanoi-2023-standard", ALT_SET), ("hue-2021", "ocop-2024"), ("ocop-2024", "vnaward-2024"))]
    urls.append(f"/admin/rounds/{demo.round.id}/switch?product_group=standard&criteria_set={ALT_SET}")
    pages = {url: client.get(url).get_data(as_text=True) for url in urls}
    assert all('id="diff"' in page for page in pages.values())
    found = english_on(pages, data_words(session))
    assert not found, "English on Vietnamese pages:\n" + "\n".join(
        f"  {text!r} on {sorted(urls)[:2]}" for text, urls in sorted(found.items()))


def test_refusals_and_invalid_data_are_said_in_vietnamese(engine: Any, session: Any, catalog: Any,
                                                          rounds_at_every_stage: Any) -> None:
    """Messages of the services shown after a refused or invalid request (flashed on the next page)."""
    from backoffice_helpers import ALT_SET, alt_catalog

    demo = rounds_at_every_stage
    scoring_round = session.scalar(select(Round).where(Round.year == 2025))
    registering = session.scalar(select(Round).where(Round.year == 2024))
    client = app_for(engine, alt_catalog()).test_client()
    assert sign_in(client, "admin").status_code == 302
    csrf = token(client, "/admin/")
    did = demo.dossiers[0].id
    posts = [
        # a switch once scoring started; the round's phase actions out of turn; an override without a reason
        (f"/admin/rounds/{scoring_round.id}/switch", {"product_group": "standard", "criteria_set": ALT_SET,
                                                      "confirm": "yes", "reason": "thử"}),
        (f"/admin/rounds/{demo.round.id}/open-screening", {}),
        (f"/admin/rounds/{scoring_round.id}/close-scoring", {}),
        (f"/admin/rounds/{scoring_round.id}/compute", {}),
        (f"/admin/rounds/{demo.round.id}/decide", {"number": "1/QĐ", "decided_on": "2023-12-01"}),
        (f"/admin/dossier/{did}/override", {"prerequisite": "P1", "passed": "yes", "reason": ""}),
        (f"/admin/dossier/{did}/screen", {}),
        # a registration with a missing name; one with a number taken
        ("/admin/dossier/new", {"round_id": scoring_round.id, "enterprise_code": "0109999999",
                                "enterprise_name": "", "product_name": "", "product_group": "standard",
                                "number": "HN-2025-9999"}),
        ("/admin/dossier/new", {"round_id": registering.id, "enterprise_code": "0109999999",
                                "enterprise_name": "Công ty Thử", "product_name": "Sản phẩm thử",
                                "product_group": "standard", "number": "HN-2024-0001"}),
        # refusals of the services themselves (not of the policy): a member code taken, a password too short
        (f"/admin/council/{scoring_round.id}/add-member", {"code": "M01", "name": "Thành viên trùng mã",
                                                           "role": "member"}),
        ("/admin/users/new", {"username": "newcomer", "name": "Người mới", "role": "viewer", "password": "ngắn"}),
    ]
    words = data_words(session)
    found: dict[str, set[str]] = {}
    for url, data in posts:
        page = client.post(url, data={**data, "csrf_token": csrf}, follow_redirects=True).get_data(as_text=True)
        flashed = re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', page, flags=re.S)
        assert flashed, f"{url}: no message shown"
        for text, urls in english_on({url: "".join(flashed)}, words).items():
            found.setdefault(text, set()).update(urls)
    assert not found, "English in messages on Vietnamese pages:\n" + "\n".join(
        f"  {text!r} after {sorted(urls)}" for text, urls in sorted(found.items()))
