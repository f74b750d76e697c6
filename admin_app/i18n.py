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
from flask import Flask, current_app, request, session
from flask_babel import Domain, get_locale
from flask_login import current_user

from . import texts_vi

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
    try:
        number = Decimal(str(value))
    except ArithmeticError:  # not a number after all: shown as it is
        return str(value)
    pattern = None if places is None else "#,##0." + "0" * places if places else "#,##0"
    return format_decimal(number, format=pattern, locale=str(get_locale() or "vi"))


def fmt_plain(value: Any) -> Any:
    """A stored decimal as an HTML number field wants it: 7.5, not 7.5000 (no grouping, a dot)."""
    return format(value.normalize(), "f") if isinstance(value, Decimal) else value


def fmt_brief(value: Any, limit: int = 160) -> str:
    """An audit entry's value in one short line: a mapping as `key: value; …`."""
    if value is None:
        return ""
    if isinstance(value, dict):
        text = "; ".join(f"{k}: {fmt_brief(v, limit)}" for k, v in value.items())
    elif isinstance(value, (list, tuple)):
        text = ", ".join(fmt_brief(v, limit) for v in value)
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# the engine's texts are English and neutral; for a Vietnamese page the web layer says them in Vietnamese by their
# known shapes (texts_vi), with the criteria set's labels for input ids and options, and writes their numbers the
# Vietnamese way (the engine's texts themselves never change)
_WORDS: dict[int, tuple[Any, dict[str, str], dict[str, str]]] = {}


def words_of(sets: Any) -> tuple[dict[str, str], dict[str, str]]:
    """Vietnamese labels of the inputs and derived indicators of `sets` (a criteria set, or a catalog: every set,
    the first label of an id winning), and of their options."""
    from .views.labels import option_label

    key = id(sets)
    if key not in _WORDS:
        labels: dict[str, str] = {}
        options: dict[str, str] = {}
        every = sets.criteria_sets.values() if hasattr(sets, "criteria_sets") else [sets] if sets is not None else []
        for cset in every:
            for spec in (*cset.inputs, *cset.derived):
                labels.setdefault(spec.id, spec.label.get("vi") or spec.id)
                for code in getattr(spec, "options", ()):
                    options.setdefault(code, option_label(spec, code))
            for group in cset.all_groups():  # tie-breaks name a group by its id
                labels.setdefault(group.id, group.title.get("vi") or group.id)
        _WORDS[key] = (sets, labels, options)  # the object is kept so that its id is not reused
    return _WORDS[key][1], _WORDS[key][2]


def _vietnamese() -> bool:
    return str(get_locale() or "vi") == "vi"


def fmt_engine(text: Any, cset: Any = None) -> str:
    """An explanation or rule description of the engine ("product_revenue 560.5 ≥ 500 → 8 of 10") for the page:
    in Vietnamese, "Doanh thu sản phẩm năm N-1: 560,5 ≥ 500 → 8 trên 10" (the labels of `cset`, else of any
    installed set); unchanged in English."""
    if text is None:
        return ""
    text = str(text)
    if not _vietnamese():
        return text
    labels, options = words_of(cset)
    if cset is None or not labels:
        labels, options = words_of(current_app.extensions.get("spcncl_catalog"))
    else:
        every, every_option = words_of(current_app.extensions.get("spcncl_catalog"))
        labels, options = {**every, **labels}, {**every_option, **options}
    return texts_vi.engine(text, labels, options, fmt_number)


def fmt_reason(text: Any) -> str:
    """An audit entry's reason: one a service wrote ("results computed") in the page's language; one a person wrote
    as written."""
    if text is None:
        return ""
    text = str(text)
    if not _vietnamese():
        return text
    from .views.labels import group_label

    return texts_vi.reason(text, group=group_label, when=fmt_datetime, day=lambda iso: fmt_date(
        date.fromisoformat(iso)), explain=fmt_engine, number=fmt_number)


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
    app.jinja_env.filters.update(dt=fmt_datetime, d=fmt_date, num=fmt_number, vnd=fmt_vnd, brief=fmt_brief,
                                 engine=fmt_engine, plain=fmt_plain, reason=fmt_reason)
    Locale.parse("vi")  # fail at start-up, not on the first request, if Babel lacks the locale data
