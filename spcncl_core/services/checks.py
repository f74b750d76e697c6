"""Checks every service makes before it writes: texts against their columns, JSON values, and the translation of
the database's own errors (duplicates, stale edits, bad data) into the project's."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, String, select
from sqlalchemy.exc import DataError, IntegrityError, StatementError
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.orm.exc import StaleDataError

from spcncl_core.db.models import Round
from spcncl_core.errors import DuplicateError, RecordError, StaleEditError


def text(value: Any, column: InstrumentedAttribute[Any] | Column[Any], label: str, *, required: bool = True,
         strip: bool = True) -> str | None:
    """`value` as text fit for `column`: a str, without NUL bytes, no longer than the column (SQLite does not
    enforce VARCHAR lengths), and not blank when `required`. Raises RecordError naming `label`."""
    if value is None:
        if required:
            raise RecordError(f"{label} is required")
        return None
    if not isinstance(value, str):
        raise RecordError(f"{label} must be text, not {type(value).__name__} {value!r}")
    if "\x00" in value:
        raise RecordError(f"{label} holds a NUL character (\\x00), which cannot be stored")
    if strip:
        value = value.strip()
    if required and not value:
        raise RecordError(f"{label} is required (it is blank)")
    column_type = (column.property.columns[0] if isinstance(column, InstrumentedAttribute) else column).type
    limit = getattr(column_type, "length", None) if isinstance(column_type, String) else None
    if limit is not None and len(value) > limit:
        raise RecordError(f"{label} is {len(value)} characters long; at most {limit} are allowed")
    return value if value or required else None


def reason(value: Any, label: str, *, required: bool = True) -> str | None:
    """A written reason, checked as text against the audit log's reason column (it is recorded there)."""
    from spcncl_core.db.models import AuditEntry

    return text(value, AuditEntry.reason, label, required=required)


def cut(value: str | None, limit: int = 2000) -> str | None:
    """A reason the services compose themselves, shortened to fit the audit log's reason column."""
    return value if value is None or len(value) <= limit else value[:limit - 1] + "…"


def json_value(value: Any, label: str) -> Any:
    """Check that `value` is plain JSON (dict with text keys, list, text, int, finite float, bool, None) without NUL
    bytes; raises RecordError naming the first bad place (`label.key[2]`)."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RecordError(f"{label}: {value} is not a number that can be stored (NaN or infinite)")
        return value
    if isinstance(value, str):
        if "\x00" in value:
            raise RecordError(f"{label}: holds a NUL character (\\x00)")
        return value
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise RecordError(f"{label}: keys must be text, not {type(key).__name__} {key!r}")
            json_value(key, f"{label} key")
            json_value(item, f"{label}.{key}")
        return value
    if isinstance(value, list | tuple):
        for n, item in enumerate(value):
            json_value(item, f"{label}[{n}]")
        return value
    if isinstance(value, Decimal | datetime | date):
        raise RecordError(f"{label}: {type(value).__name__} {value} is not accepted here; give a number as int, "
                          "float or text, a date as ISO text")
    raise RecordError(f"{label}: {type(value).__name__} is not a JSON value")


def when(value: Any, label: str) -> datetime | None:
    """A datetime given to a service as aware UTC (a naive one is taken as UTC), or None; anything else is
    refused."""
    if value is None:
        return None
    if isinstance(value, datetime):
        from spcncl_core import clock

        return clock.as_utc(value)
    raise RecordError(f"{label} must be a datetime, not {_shown(value)}")


def day(value: Any, label: str) -> date:
    """A date given to a service (a datetime is refused: it is ambiguous)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    raise RecordError(f"{label} must be a date, not {_shown(value)}")


def _shown(value: Any) -> str:
    return f"{type(value).__name__} {value!r}" if isinstance(value, str) else f"{type(value).__name__} {value}"


@contextmanager
def translated(what: str) -> Iterator[None]:
    """Turn the database's errors during `what` into the project's: a duplicate, a stale edit, bad data."""
    try:
        yield
    except IntegrityError as exc:
        raise DuplicateError(f"{what}: refused by the database, it exists already or clashes with another record "
                             f"({_first_line(exc)}); roll back, reload and try again") from None
    except StaleDataError:
        raise StaleEditError(f"{what}: someone else changed the record at the same time; roll back, reload it and "
                             "apply your change again") from None
    except (DataError, StatementError) as exc:
        raise RecordError(f"{what}: the database refused a value ({_first_line(exc)})") from None


def flush(session: Session, what: str, savepoint: bool = False) -> None:
    """Flush, translating database errors; with `savepoint`, a refused flush leaves the transaction usable."""
    with translated(what):
        if not savepoint:
            session.flush()
            return
        try:
            with session.begin_nested():
                session.flush()
        except Exception:
            for pending in list(session.new):  # the refused records: the transaction stays usable without them
                session.expunge(pending)
            raise


def _first_line(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).strip().splitlines()[0][:200]


def lock_round(session: Session, round_: Round) -> Round:
    """Lock the round's row until the transaction ends (SELECT … FOR UPDATE; SQLite serialises writers anyway) and
    re-read it, so that a phase change committed by another session is seen before acting."""
    locked = session.scalar(select(Round).where(Round.id == round_.id).with_for_update()
                            .execution_options(populate_existing=True))
    if locked is None:
        raise RecordError(f"the {round_.year} round no longer exists")
    return locked
