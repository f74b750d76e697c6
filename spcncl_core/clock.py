"""The one clock of the library: `now()` (aware, UTC) and `today(jurisdiction)` (the date where the programme runs).

Every service, command and model default asks this module for the time, never `datetime.now()` or
`date.today()`, so that "today" is the same everywhere and tests can set the time (`frozen`).
Times are stored in UTC and shown in the jurisdiction's zone (`local`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"
ZONE_ENV = "SPCNCL_TIMEZONE"  # overrides the zone of every jurisdiction (a deployment outside Vietnam)
# jurisdictions whose zone is not DEFAULT_ZONE; every Vietnamese province shares one zone
ZONES: dict[str, str] = {}

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731 - swapped by `frozen`


def now() -> datetime:
    """Now, as an aware datetime in UTC."""
    return _source().astimezone(UTC)


def zone(jurisdiction: str | None = None) -> ZoneInfo:
    """The time zone a jurisdiction's officials live in (Asia/Ho_Chi_Minh unless configured otherwise)."""
    name = os.environ.get(ZONE_ENV) or ZONES.get(jurisdiction or "", DEFAULT_ZONE)
    return ZoneInfo(name)


def today(jurisdiction: str | None = None) -> date:
    """Today's date in the jurisdiction's zone (a certificate valid until the 26th is valid all of the 26th)."""
    return now().astimezone(zone(jurisdiction)).date()


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def local(moment: datetime, jurisdiction: str | None = None) -> datetime:
    """A stored (UTC) time in the jurisdiction's zone, for display."""
    return as_utc(moment).astimezone(zone(jurisdiction))


def show(moment: datetime | None, jurisdiction: str | None = None) -> str:
    """A time as officials read it: 14/11/2023 09:00 (local time, zone abbreviation omitted)."""
    return "" if moment is None else f"{local(moment, jurisdiction):%d/%m/%Y %H:%M}"


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Within the block, `now()` is `at` (aware; a naive value is taken as UTC). For tests and replays."""
    global _source
    previous, fixed = _source, as_utc(at)
    _source = lambda: fixed  # noqa: E731
    try:
        yield
    finally:
        _source = previous
