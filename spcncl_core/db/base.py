"""The declarative base, column types shared by the models, and engine/session set-up for SQLite and PostgreSQL."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, Numeric, String, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

DATABASE_ENV = "SPCNCL_DATABASE_URL"
DEFAULT_URL = "sqlite:///spcncl.sqlite"

# Stable constraint names, so that Alembic migrations can refer to them on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every spcncl model (the back office wraps it with Flask-SQLAlchemy)."""

    metadata = MetaData(naming_convention=NAMING)


DECIMAL_PLACES = 4  # the one declared scale of every stored decimal, on SQLite and PostgreSQL alike
DECIMAL_DIGITS = 14  # digits in all, as NUMERIC(14, 4): up to 9,999,999,999.9999
_QUANTUM = Decimal(1).scaleb(-DECIMAL_PLACES)
_LIMIT = Decimal(10) ** (DECIMAL_DIGITS - DECIMAL_PLACES)


class ExactDecimal(TypeDecorator[Decimal]):
    """A Decimal kept exactly with one declared scale (DECIMAL_PLACES) on both databases: NUMERIC(14, 4) on
    PostgreSQL, the same digits as text on SQLite (which has no decimal type).

    A value that does not fit that scale is refused, never rounded silently; values read back carry the declared
    scale (70 reads as 70.0000, never 7E+1), the same on both databases.
    """

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(DECIMAL_DIGITS, DECIMAL_PLACES))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        stored = fit_decimal(value)
        return format(stored, "f") if dialect.name == "sqlite" else stored

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value).quantize(_QUANTUM)


def fit_decimal(value: Any) -> Decimal:
    """`value` as stored: a finite Decimal with DECIMAL_PLACES decimals; ValueError (saying why) if it cannot be
    stored exactly."""
    number = value if isinstance(value, Decimal) else Decimal(str(value) if isinstance(value, float) else value)
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number and cannot be stored")
    stored = number.quantize(_QUANTUM)
    if stored != number:
        raise ValueError(f"{value} has more than {DECIMAL_PLACES} decimals and cannot be stored exactly")
    if abs(stored) >= _LIMIT:
        raise ValueError(f"{value} is too large to store (at most {DECIMAL_DIGITS - DECIMAL_PLACES} digits before "
                         "the decimal point)")
    return stored


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC (a timestamp without zone, the same on SQLite and PostgreSQL) and read back
    aware, in UTC. 10:00+07:00 is stored and read back as 03:00 UTC; a naive value is taken to be UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"{value!r} is not a datetime")
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONData = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """Now, aware, in UTC: the library's one clock (spcncl_core.clock.now)."""
    from spcncl_core import clock

    return clock.now()


def database_url(url: str | None = None) -> str:
    """The database URL: the one given, else SPCNCL_DATABASE_URL, else an SQLite file in the working directory.

    `postgresql://` means psycopg 3.
    """
    url = url or os.environ.get(DATABASE_ENV) or DEFAULT_URL
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for `url`; on SQLite, foreign keys are switched on for every connection."""
    engine = create_engine(database_url(url), **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _foreign_keys(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA cache_size=-65536")  # 64 MB: a national round's indexes stay in memory
            cursor.close()

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep their objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
