"""Bulk writes for imports of thousands of rows: COPY on PostgreSQL, one executemany on SQLite.

Values go through each column's type first (exact decimals, UTC times, JSON), exactly as an ORM insert would
send them, so what is stored does not depend on the path. Used inside the caller's transaction; never commits.
"""

from __future__ import annotations

import gc
import json
import sqlite3
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, MetaData, Table, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from spcncl_core.db.base import ExactDecimal


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk operation. With hundreds of thousands of live objects
    (a national round's scores and results) each full collection rescans all of them, again and again; the
    objects made here are freed by reference counting, and the collector runs as usual afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def _driver_errors(dialect: Any, statement: str) -> Iterator[None]:
    """The driver's errors as SQLAlchemy's (IntegrityError, DataError, …), as an ORM statement would raise them."""
    try:
        yield
    except dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(statement, None, exc, dialect.loaded_dbapi.Error) from exc


def _processors(table: Table, columns: Sequence[str], dialect: Any,
                json_text: Collection[str] = ()) -> list[Callable[[Any], Any] | None]:
    processors: list[Callable[[Any], Any] | None] = []
    for name in columns:
        type_ = table.c[name].type
        if name in json_text:
            processors.append(None)  # given as JSON text already (json.dumps' own form), stored as it is
        elif dialect.name == "postgresql" and isinstance(type_, JSON):
            processors.append(json.dumps)  # COPY reads JSON as text; the driver's JSON adapter is not used there
        elif isinstance(type_, ExactDecimal):
            process = type_.dialect_impl(dialect).bind_processor(dialect)
            processors.append(None if process is None else _decimal_memo(process))
        else:
            # the type as the dialect stores it, as the ORM converts (an exact decimal's generic NUMERIC would make
            # it a float on SQLite, which stores its text)
            processors.append(type_.dialect_impl(dialect).bind_processor(dialect))
    return processors


def _sqlite_adapted(value: Any) -> Any:
    adapt = sqlite3.adapters.get((type(value), sqlite3.PrepareProtocol))
    return value if adapt is None else adapt(value)


def _decimal_memo(process: Callable[[Any], Any], limit: int = 4096) -> Callable[[Any], Any]:
    """`process` (an exact decimal's check and conversion) run once per distinct Decimal text: a round's scores
    take a few dozen values. Keyed by text, not value: -0 and 0, equal as Decimals, are stored differently."""
    seen: dict[str, Any] = {}

    def run(value: Any) -> Any:
        if type(value) is not Decimal:
            return process(value)
        key = str(value)
        out = seen.get(key)
        if out is None:
            out = process(value)  # a refused value raises here, every time
            if len(seen) < limit:
                seen[key] = out
        return out

    return run


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]],
                constants: Mapping[str, Any] | None = None, json_text: Collection[str] = ()) -> int:
    """Insert `rows` (dicts keyed by column name, all with the same keys) into `table`, each with the values of
    `constants` too (the same for every row, converted once); returns how many. The JSON columns named in
    `json_text` are given as the text `json.dumps` makes of their value (what the column would store)."""
    if not rows:
        return 0
    columns = list(rows[0])
    return insert_stream(session, table, columns, ([row[c] for c in columns] for row in rows), constants, json_text)


def insert_stream(session: Session, table: Table, columns: Sequence[str], rows: Iterable[list[Any]],
                  constants: Mapping[str, Any] | None = None, json_text: Collection[str] = ()) -> int:
    """`insert_rows` for rows given as lists of values in the order of `columns`, and made while they are written:
    on PostgreSQL the database takes each row as the caller makes the next. Returns how many."""
    connection = session.connection()
    dialect = connection.dialect
    fixed = dict(constants or {})
    fixed_columns = list(fixed)
    fixed_values = [v if process is None or v is None else process(v)
                    for process, v in zip(_processors(table, fixed_columns, dialect), fixed.values())]
    if dialect.name == "sqlite":  # adapted once here as the driver would adapt it on every row (a time: its text)
        fixed_values = [_sqlite_adapted(v) for v in fixed_values]
    processors = _processors(table, columns, dialect, json_text)
    converted = [(i, process) for i, process in enumerate(processors) if process is not None]
    count = 0

    def values() -> Iterator[list[Any]]:
        nonlocal count
        for out in rows:
            for i, process in converted:
                if out[i] is not None:
                    out[i] = process(out[i])
            count += 1
            yield out + fixed_values

    quoted = ", ".join(dialect.identifier_preparer.quote(c) for c in [*columns, *fixed_columns])
    name = dialect.identifier_preparer.format_table(table)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    if dialect.name == "postgresql":
        statement = f"COPY {name} ({quoted}) FROM STDIN"
        with _driver_errors(dialect, statement), cursor.copy(statement) as copy:
            for row in values():
                copy.write_row(row)
    else:  # SQLite: the driver's executemany, without per-row statement processing
        width = len(columns) + len(fixed_columns)
        statement = f"INSERT INTO {name} ({quoted}) VALUES ({', '.join('?' * width)})"
        with _driver_errors(dialect, statement):
            cursor.executemany(statement, values())
        cursor.close()
    return count


def insert_rows_returning_ids(session: Session, table: Table, rows: Sequence[Mapping[str, Any]],
                              natural_key: tuple[str, ...], constants: Mapping[str, Any] | None = None
                              ) -> list[int]:
    """Insert `rows` into a table whose integer key the database makes; returns the new keys in row order.

    `natural_key` names columns unique in the table (with the rows' values), by which SQLite's new keys are read
    back (its RETURNING would cost one statement per row); PostgreSQL takes keys from the table's sequence first.
    """
    if not rows:
        return []
    connection = session.connection()
    key = list(table.primary_key.columns)[0]
    if connection.dialect.name == "postgresql":
        # the sequence's name looked up once: inside nextval() it would be looked up again for every key
        sequence = connection.execute(text("SELECT pg_get_serial_sequence(:table, :column)"),
                                      {"table": table.name, "column": key.name}).scalar_one()
        ids = list(connection.execute(
            text("SELECT nextval(CAST(:sequence AS regclass)) FROM generate_series(1, :count)"),
            {"sequence": sequence, "count": len(rows)}).scalars())
        insert_rows(session, table, [{key.name: id_, **row} for id_, row in zip(ids, rows)], constants)
        return ids
    insert_rows(session, table, rows, constants)
    fixed = dict(constants or {})
    varying = [c for c in natural_key if c not in fixed]
    first = varying[0]
    found: dict[tuple[Any, ...], int] = {}
    values = sorted({row[first] for row in rows})
    for start in range(0, len(values), 500):
        query = select(key, *(table.c[c] for c in varying)).where(table.c[first].in_(values[start:start + 500]),
                                                                  *(table.c[c] == fixed[c] for c in natural_key
                                                                    if c in fixed))
        for id_, *natural in connection.execute(query):
            found[tuple(natural)] = id_
    return [found[tuple(row[c] for c in varying)] for row in rows]


def update_rows(session: Session, table: Table, key: str, rows: Sequence[Mapping[str, Any]]) -> int:
    """Update rows of `table` found by column `key` (each row: the key and the columns to set, all rows with the
    same keys); returns how many rows were given. PostgreSQL: COPY into a temporary table, then one UPDATE."""
    if not rows:
        return 0
    connection = session.connection()
    dialect = connection.dialect
    columns = list(rows[0])
    quote = dialect.identifier_preparer.quote
    name = dialect.identifier_preparer.format_table(table)
    changed = [c for c in columns if c != key]
    if dialect.name != "postgresql":
        processors = _processors(table, [*changed, key], dialect)
        values = ([v if process is None or v is None else process(v)
                   for process, v in zip(processors, [*(row[c] for c in changed), row[key]])] for row in rows)
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        statement = f"UPDATE {name} SET {', '.join(f'{quote(c)} = ?' for c in changed)} WHERE {quote(key)} = ?"
        with _driver_errors(dialect, statement):
            cursor.executemany(statement, values)
        cursor.close()
        return len(rows)
    temporary = Table(f"spcncl_update_{table.name}", MetaData(), *(Column(c, table.c[c].type) for c in columns))
    listed = ", ".join(quote(c) for c in columns)
    connection.execute(text(f"CREATE TEMPORARY TABLE {quote(temporary.name)} ON COMMIT DROP AS "
                            f"SELECT {listed} FROM {name} WITH NO DATA"))
    insert_rows(session, temporary, rows)
    connection.execute(text(f"UPDATE {name} SET {', '.join(f'{quote(c)} = t.{quote(c)}' for c in changed)} "
                            f"FROM {quote(temporary.name)} AS t WHERE {name}.{quote(key)} = t.{quote(key)}"))
    connection.execute(text(f"DROP TABLE {quote(temporary.name)}"))
    return len(rows)
