"""Vietnamese by default, English per user: the message catalogues (compiled from .po in memory, so no build step),
the fix of Flask-Admin's badly worded Vietnamese strings (STYLE.md trap 9), Hanoi time and Vietnamese numbers."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib.resources import files
from typing import Any

from babel import Locale, support
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from flask import Flask, request, session
from flask_babel import Domain, get_locale
from flask_login import current_user

LANGUAGES = ("vi", "en")
TIMEZONE = "Asia/Ho_Chi_Minh"


def _compiled(name: str, locale: str) -> support.Translations | None:
    """Our catalogue `name` for `locale`, compiled from its .po file, or None when there is none."""
    po = files("spcncl_admin") / "translations" / locale / "LC_MESSAGES" / f"{name}.po"
    if not po.is_file():
        return None
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=locale, domain=name)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return support.Translations(buffer, domain=name)


class PoDomain(Domain):  # type: ignore[misc]
    """The application's strings (English message ids), translated from our .po files."""

    def get_translations(self) -> Any:
        locale = str(get_locale() or "vi")
        key = (locale, "messages")
        if key not in self.cache:
            self.cache[key] = _compiled("messages", locale) or support.NullTranslations()
        return self.cache[key]


def _patch_flask_admin() -> None:
    """Flask-Admin's Vietnamese catalogue reads badly in places ("Kỷ lục" for a record, "hồ sơ", which means a
    dossier here); its `translations_path` cannot override built-in strings, so merge ours over its own."""
    from flask_admin import babel as admin_babel

    domain = admin_babel.domain
    if getattr(domain, "_spcncl_patched", False):
        return
    original = domain.get_translations

    def get_translations() -> Any:
        translations = original()
        if not getattr(translations, "_spcncl_fixed", False) and str(get_locale()) == "vi":
            fixes = _compiled("admin", "vi")
            if fixes is not None and isinstance(translations, support.Translations):
                translations.merge(fixes)
            translations._spcncl_fixed = True
        return translations

    domain.get_translations = get_translations
    domain._spcncl_patched = True


def select_locale() -> str:
    """The signed-in user's language, else the one chosen in this browser, else Vietnamese."""
    language = getattr(current_user, "language", None) if current_user and current_user.is_authenticated else None
    language = language or session.get("language") or request.args.get("lang")
    return language if language in LANGUAGES else "vi"


def _local(value: datetime) -> datetime:
    # stored times are naive UTC (spcncl_core.db.base.utcnow)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def fmt_datetime(value: datetime | None) -> str:
    """A stored UTC time shown in Hanoi time, dd/mm/yyyy HH:MM."""
    if value is None:
        return ""
    return format_datetime(_local(value), "dd/MM/yyyy HH:mm", tzinfo=TIMEZONE, locale=str(get_locale() or "vi"))


def fmt_date(value: date | None) -> str:
    """A date as dd/mm/yyyy."""
    return "" if value is None else format_date(value, "dd/MM/yyyy", locale=str(get_locale() or "vi"))


def fmt_number(value: Any, places: int | None = None) -> str:
    """A number in the page's locale: 1.234,5 in Vietnamese."""
    if value is None or value == "":
        return ""
    number = Decimal(str(value))
    pattern = None if places is None else "#,##0." + "0" * places if places else "#,##0"
    return format_decimal(number, format=pattern, locale=str(get_locale() or "vi"))


def fmt_vnd(value: Any) -> str:
    """An amount of đồng: 17.000.000.000 ₫."""
    return format_currency(Decimal(str(value)), "VND", locale=str(get_locale() or "vi"))


def init_app(app: Flask) -> None:
    """Locale and time-zone selection, the catalogues, Jinja filters."""
    from .extensions import babel

    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: TIMEZONE,
                   default_locale="vi", default_timezone=TIMEZONE)
    if not isinstance(babel.__dict__.get("domain_instance"), PoDomain):
        babel.__dict__["domain_instance"] = PoDomain()
    _patch_flask_admin()
    app.jinja_env.filters.update(dt=fmt_datetime, d=fmt_date, num=fmt_number, vnd=fmt_vnd)
    Locale.parse("vi")  # fail at start-up, not on the first request, if Babel lacks the locale data
