"""The base views every back-office screen derives from: sign-in and role checked on the server for every view
(STYLE.md trap 10: a BaseView with @expose is public unless it says otherwise), CSRF through Flask-WTF, generic
writes switched off, accent-insensitive search, and one way to call a service and show its error in the page."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_admin.contrib.sqla import ModelView
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from spcncl_core.catalog import Catalog
from spcncl_core.db.models import User
from spcncl_core.errors import ProblemsError, SpcnclError
from spcncl_core.search import fold

from .. import texts_vi
from ..extensions import db
from ..i18n import fmt_date, fmt_datetime, words_of
from ..policy import STAFF, can
from .labels import refusal_lead, refusal_text

T = TypeVar("T")


def catalog() -> Catalog:
    """The criteria sets and plugins this application loaded."""
    return current_app.extensions["spcncl_catalog"]


def actor() -> User:
    """The signed-in user's record: the acting user every service takes and checks against the policy."""
    user = db.session.get(User, current_user.id)
    if user is None:
        abort(403)
    return user


def allowed(action: str, round_: Any = None) -> bool:
    """Whether the signed-in user may do the policy's `action` (now, on `round_` when given)."""
    return bool(current_user.is_authenticated and can(current_user, action, round_))


def require(action: str) -> None:
    """Refuse (403) a request whose role the policy never allows for `action` (the phase is left to the service,
    which says which phase it needs)."""
    if not allowed(action):
        abort(403)


def refusal(exc: SpcnclError) -> str:
    """A service's error for the page: a short lead in the page's language, then the service's own message."""
    if isinstance(exc, ProblemsError):
        summary, problems = exc.summary, [str(p) for p in exc.problems[:20]]
        if str(get_locale() or "vi") == "vi":
            labels, options = words_of(catalog())
            summary = texts_vi.apply(texts_vi.SUMMARIES, summary)
            problems = [texts_vi.problem(p, labels, options) for p in problems]
        return f"{refusal_lead(exc)}: {summary}: " + "; ".join(problems)
    return f"{refusal_lead(exc)}: {refusal_text(exc)}"


def run_service(call: Callable[[], T], done: str | None = None) -> T | None:
    """Run a service call as one transaction: commit and flash `done`, or roll back and flash the service's error
    (every problem of a ProblemsError). Returns the call's result, None when it was refused."""
    try:
        result = call()
        db.session.commit()
    except SpcnclError as exc:
        db.session.rollback()
        flash(refusal(exc), "danger")
        return None
    if done:
        flash(done, "success")
    return result


def back(default: str) -> Any:
    """Redirect to the page the form came from (same site only), else to `default`."""
    target = request.form.get("next") or ""
    return redirect(target if target.startswith("/") and not target.startswith("//") else default)


class _Guarded:
    roles: tuple[str, ...] = STAFF

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated and current_user.role in self.roles)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)


class StaffView(_Guarded, BaseView):
    """A custom screen for signed-in staff (admin, secretariat, viewer unless `roles` says otherwise)."""



class RoundScreenView(StaffView):
    """A screen of one round (`/<round_id>`), reached from the round's page: not in the menu, and its bare URL
    leads to the rounds."""

    def is_visible(self) -> bool:
        return False

    @expose("/")
    def index(self) -> Any:
        return redirect(url_for("rounds.index"))


def _date_formatter(_view: Any, value: Any, *args: Any) -> str:
    return fmt_date(value)


def _datetime_formatter(_view: Any, value: Any, *args: Any) -> str:
    return fmt_datetime(value)


class StaffModelView(_Guarded, ModelView):
    """A read-only list of records with filters, server-side paging and sorting, and accent-insensitive search.

    Records change only through the services: create, edit and delete are off; a screen offers service forms.
    """

    form_base_class = FlaskForm
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = False
    can_set_page_size = True
    page_size = 20
    column_display_pk = False

    def __init__(self, model: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(model, db, *args, **kwargs)
        from datetime import date, datetime

        self.column_type_formatters = {**self.column_type_formatters, date: _date_formatter,
                                       datetime: _datetime_formatter}

    filter_options_seconds = 60.0

    def _get_filter_groups(self) -> Any:
        # filter options come from the database (rounds, sectors, districts): Flask-Admin reads them once, when
        # the view is built; read them again at most once a minute per process (a DISTINCT over 100,000 rows)
        now = time.monotonic()
        if now - getattr(self, "_options_read_at", -1e9) > self.filter_options_seconds:
            self._refresh_filters_cache()
            self._options_read_at = now
        return super()._get_filter_groups()

    def search_placeholder(self) -> str | None:
        return _("Search (accents and case do not matter)")

    def _apply_search(self, query: Any, count_query: Any, joins: Any, count_joins: Any, search: str) -> Any:
        # searchable columns are folded keys (name_key) or plain codes: fold what was typed the same way
        return super()._apply_search(query, count_query, joins, count_joins, fold(search))
