"""Time and numbers on a real database: aware datetimes stored as UTC, shown in the jurisdiction's zone; one clock
with a jurisdiction-aware "today"; decimals with one declared scale on SQLite and PostgreSQL, never exponents."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from spcncl_core import Catalog, clock
from spcncl_core.cli import main
from spcncl_core.db.base import DECIMAL_PLACES
from spcncl_core.db.models import Comment, Dossier, Result, Round, ScoringEntry
from spcncl_core.demo import build_round
from spcncl_core.services import audit, recognition

HANOI = timezone(timedelta(hours=7))
SMALL = dict(enterprises=6, eligible=8, recognised=6, ineligible=2, members=5, high_tech=2)


def test_aware_datetimes_are_stored_as_utc_on_both_databases(session: Any, catalog: Catalog) -> None:
    built = build_round(session, catalog, stop_after="published", **SMALL)
    dossier = built.dossiers[0]
    dossier.submitted_at = datetime(2023, 9, 1, 10, 0, tzinfo=HANOI)
    session.commit()
    raw = session.execute(text("SELECT submitted_at FROM dossier WHERE id = :id"), {"id": dossier.id}).scalar_one()
    if isinstance(raw, str):  # SQLite keeps the text
        raw = datetime.fromisoformat(raw)
    assert raw.replace(tzinfo=None) == datetime(2023, 9, 1, 3, 0)
    session.expire_all()
    again = session.get(Dossier, dossier.id)
    assert again.submitted_at == datetime(2023, 9, 1, 3, 0, tzinfo=UTC)
    assert again.submitted_at.utcoffset() == timedelta(0)
    assert clock.show(again.submitted_at, "hanoi") == "01/09/2023 10:00"


def test_every_stored_time_reads_back_aware(session: Any, catalog: Catalog) -> None:
    built = build_round(session, catalog, stop_after="published", **SMALL)
    session.commit()
    session.expire_all()
    round_ = session.get(Round, built.round.id)
    assert round_.created_at.tzinfo is not None and round_.scoring_started_at.tzinfo is not None
    comment = session.scalar(select(Comment))
    # the demo's comment came 2 days after publishing at 09:00 Hanoi time: 02:00 UTC
    assert comment.received_at == datetime(2023, 11, 16, 2, 0, tzinfo=UTC)


def test_one_clock_and_the_jurisdictions_today(session: Any, catalog: Catalog) -> None:
    # 20:00 UTC on the 25th is already the 26th in Hanoi
    with clock.frozen(datetime(2023, 11, 25, 20, 0, tzinfo=UTC)):
        assert clock.now() == datetime(2023, 11, 25, 20, 0, tzinfo=UTC)
        assert clock.today("hanoi") == date(2023, 11, 26)
        audit.record(session, "tester", "test.clock", "thing", 1)
        session.commit()
    entry = audit.entries_for(session, "thing", 1)[0]
    assert entry.at == datetime(2023, 11, 25, 20, 0, tzinfo=UTC)


def test_certificate_validity_is_judged_by_the_jurisdictions_date(session: Any, catalog: Catalog) -> None:
    build_round(session, catalog, **SMALL)
    session.commit()
    # valid until 26/11/2026: on 26/11/2026 at 23:30 Hanoi time (16:30 UTC) still valid; on the 27th in Hanoi
    # (18:00 UTC on the 26th) it has expired, although the UTC date is still the 26th
    with clock.frozen(datetime(2026, 11, 26, 16, 30, tzinfo=UTC)):
        assert recognition.check_certificate(session, "HANOI-2023-001").status == "valid"
    with clock.frozen(datetime(2026, 11, 26, 18, 0, tzinfo=UTC)):
        assert recognition.check_certificate(session, "HANOI-2023-001").status == "expired"


def test_decimals_have_one_scale_on_both_databases_and_no_exponent(session: Any, catalog: Catalog) -> None:
    build_round(session, catalog, stop_after="results", **SMALL)
    session.commit()
    result = session.scalar(select(Result).where(Result.total.is_not(None)).limit(1))
    result.total = Decimal("70.00")
    session.commit()
    session.expire_all()
    again = session.get(Result, result.dossier_id)
    assert str(again.total) == "70.0000" and "E" not in str(again.total)
    assert again.total.as_tuple().exponent == -DECIMAL_PLACES
    again.total = Decimal("52.8751")
    session.commit()
    session.expire_all()
    assert str(session.get(Result, result.dossier_id).total) == "52.8751"
    entry = session.scalar(select(ScoringEntry).limit(1))
    assert entry.points.as_tuple().exponent == -DECIMAL_PLACES


@pytest.mark.parametrize("value", [Decimal("1.23456"), Decimal("NaN"), Decimal("1E+12")])
def test_decimals_that_cannot_be_stored_exactly_are_refused(session: Any, catalog: Catalog, value: Decimal) -> None:
    build_round(session, catalog, stop_after="results", **SMALL)
    session.commit()
    result = session.scalar(select(Result).where(Result.total.is_not(None)).limit(1))
    result.total = value
    with pytest.raises(StatementError, match="cannot be stored|too large|not a finite"):
        session.flush()
    session.rollback()


def test_commands_show_times_in_the_jurisdictions_zone(session: Any, catalog: Catalog, capsys: Any) -> None:
    with clock.frozen(datetime(2023, 11, 14, 2, 0, tzinfo=UTC)):  # 09:00 in Hanoi
        built = build_round(session, catalog, stop_after="registered", **SMALL)
        session.commit()
    url = session.get_bind().url.render_as_string(hide_password=False)
    number = built.dossiers[0].number
    assert main(["audit", "show", "--dossier", number, "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert "14/11/2023 09:00" in out and "02:00" not in out
    assert main(["audit", "show", "--dossier", number, "--database-url", url, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["time_zone"] == "Asia/Ho_Chi_Minh"
    assert data["entries"][0]["at"] == "2023-11-14T02:00:00+00:00"


def test_round_report_shows_totals_without_exponents(session: Any, catalog: Catalog, capsys: Any) -> None:
    built = build_round(session, catalog, stop_after="results", **SMALL)
    session.commit()
    session.execute(text("UPDATE result SET total = 70 WHERE dossier_id = :id"), {"id": built.dossiers[0].id})
    session.commit()
    url = session.get_bind().url.render_as_string(hide_password=False)
    assert main(["round", "report", "--year", "2023", "--database-url", url]) == 0
    out = capsys.readouterr().out
    assert "E+" not in out and " 70.00 " in out


def _show_by_quantizing(value: Decimal) -> str:
    """What `show` gives, written the plain way (quantize, then strip): the reference for its shortcut."""
    from decimal import ROUND_HALF_UP

    text = format(value, "f")
    if "." not in text:
        return "0" if text == "-0" else text
    stripped = text.rstrip("0").rstrip(".")
    if len(text.rstrip("0")) - text.index(".") <= 5:
        return "0" if stripped == "-0" else stripped
    shown = format(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP), "f").rstrip("0").rstrip(".")
    return "≈" + ("0" if shown == "-0" else shown)


@settings(max_examples=2000)
@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-10**12, max_value=10**12, places=12)
       | st.decimals(allow_nan=False, allow_infinity=False, min_value=-1000, max_value=1000))
def test_numbers_in_explanations_are_cut_to_four_decimals_half_up(value: Decimal) -> None:
    from spcncl_core.numbers import show

    assert show(value) == _show_by_quantizing(value)
