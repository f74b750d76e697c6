"""Helpers for the back-office tests: a small demo round at a chosen stage, an app on the test database, signing in
with a CSRF token read from the page, and counting rows to prove that a refused request wrote nothing."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from spcncl_core.catalog import Catalog
from spcncl_core.db.base import Base
from spcncl_core.demo import DEMO_PASSWORD, build_round

SMALL = {"enterprises": 6, "eligible": 8, "recognised": 5, "ineligible": 2, "members": 4, "high_tech": 2}
ALT_SET = "hanoi-2023-standard-official"


def build(session: Session, catalog: Catalog, stop_after: str, year: int = 2023) -> Any:
    """A committed demo round of 10 dossiers, built through the services up to `stop_after`."""
    demo = build_round(session, catalog, year=year, stop_after=stop_after, **SMALL)
    session.commit()
    return demo


def app_for(engine: Any, catalog: Catalog, **config: Any) -> Any:
    """A back-office app on the test database (CSRF on, as in production; cookies over plain http)."""
    from spcncl_admin import create_app

    settings = {"SQLALCHEMY_DATABASE_URI": engine.url.render_as_string(hide_password=False), "TESTING": True,
                "SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False, "SPCNCL_CATALOG": catalog,
                "SECRET_KEY": "test-secret", **config}
    return create_app(settings)


def token(client: Any, url: str = "/login") -> str:
    """The CSRF token of a page."""
    page = client.get(url).get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert found, f"no CSRF token on {url}"
    return found.group(1)


def sign_in(client: Any, username: str, password: str = DEMO_PASSWORD) -> Any:
    """Sign in through the form; returns the response."""
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token(client)})


def snapshot(session: Session) -> dict[str, int]:
    """Row counts of every table and the newest audit entry: equal snapshots mean nothing was written."""
    session.expire_all()
    counts = {t.name: session.execute(select(func.count()).select_from(t)).scalar_one()
              for t in Base.metadata.sorted_tables}
    session.rollback()
    return counts


def alt_catalog() -> Catalog:
    """The installed catalog plus an 'official' 2023 standard set, as a province would ship when the official
    table arrives: the admin's yearly switch then has a choice."""
    from spcncl_core import hookimpl, load_catalog
    from spcncl_core.plugins import get_plugin_manager

    class Official:
        @hookimpl
        def register_criteria_sets(self, registry: Any) -> None:
            registry.add_document({"id": ALT_SET, "extends": "hanoi-2023-standard", "provenance": "official",
                                   "title": {"vi": "Bộ tiêu chí 2023 (bảng chính thức, thử nghiệm)"},
                                   "pass": {"operator": ">", "points": 65}}, "test:official")

    pm = get_plugin_manager()
    pm.register(Official(), name="test-official")
    return load_catalog(pm)
