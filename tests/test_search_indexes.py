"""Trigram indexes for the back office's `LIKE '%…%'` search on PostgreSQL (migration 0008): present and used by
the search's queries; a database where pg_trgm cannot be created still migrates, with a warning; SQLite unchanged.
The speed itself is measured by benchmarks/web_bench.py, not here."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from sqlalchemy import inspect, text

from spcncl_core.db.base import make_engine
from spcncl_core.db.migrate import current, upgrade

TRIGRAM_INDEXES = {"ix_product_name_key_trgm", "ix_enterprise_name_key_trgm", "ix_enterprise_code_trgm",
                   "ix_dossier_number_trgm"}


def _postgresql(engine: Any) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("pg_trgm is PostgreSQL's; SQLite's search is unchanged (see the SQLite test)")


def _indexes(engine: Any) -> set[str]:
    found = inspect(engine)
    return {i["name"] for table in ("product", "enterprise", "dossier") for i in found.get_indexes(table)}


def test_sqlite_has_no_trigram_index(engine: Any) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the SQLite side of migration 0008")
    assert current(engine) is not None and not TRIGRAM_INDEXES & _indexes(engine)


def test_the_search_reads_the_trigram_indexes_on_postgresql(engine: Any) -> None:
    _postgresql(engine)
    assert TRIGRAM_INDEXES <= _indexes(engine)
    with engine.connect() as connection, connection.begin():
        # a handful of test rows would be read whole anyway: forbid that to see which index the planner can use
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        for sql, index in (
                ("SELECT id FROM product WHERE name_key LIKE '%rang dong%'", "ix_product_name_key_trgm"),
                ("SELECT id FROM enterprise WHERE name_key LIKE '%rang%' OR code LIKE '%rang%'",
                 "ix_enterprise_name_key_trgm"),
                ("SELECT id FROM dossier WHERE lower(number) LIKE '%hn-2030-001%'", "ix_dossier_number_trgm")):
            plan = "\n".join(row[0] for row in connection.execute(text(f"EXPLAIN {sql}")))
            assert index in plan, plan


def test_a_database_without_pg_trgm_still_migrates_with_a_warning(engine: Any,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    """An account that may create tables but not extensions (no CREATE on the database), on a fresh database
    without pg_trgm: every migration runs, the trigram indexes are left out, and the log says why."""
    _postgresql(engine)
    suffix = uuid.uuid4().hex[:8]
    name, role = f"{engine.url.database}_notrgm_{suffix}", f"spcncl_notrgm_{suffix}"
    admin = engine.execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
            connection.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
    except Exception as exc:  # noqa: BLE001 - an account that may not create databases cannot run this test
        pytest.skip(f"cannot create a scratch database and role here: {exc}")
    owner = limited = None
    try:
        owner = make_engine(engine.url.set(database=name).render_as_string(hide_password=False))
        limited = make_engine(engine.url.set(database=name, username=role, password=None).render_as_string())
        with owner.begin() as connection:
            connection.exec_driver_sql(f'GRANT CREATE ON SCHEMA public TO "{role}"')
        with caplog.at_level(logging.WARNING, logger="spcncl.migrations"):
            upgrade(limited)
        assert current(limited) == _head(limited)  # every migration ran, this one without its indexes
        assert "pg_trgm could not be created" in caplog.text and "permission denied" in caplog.text
        assert not TRIGRAM_INDEXES & _indexes(limited)
        assert "ix_product_name_key" in _indexes(limited)  # the earlier migrations' indexes are all there
    finally:
        for made in (limited, owner):
            if made is not None:
                made.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')


def _head(engine: Any) -> str:
    from alembic.script import ScriptDirectory

    from spcncl_core.db.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()  # type: ignore[return-value]
