"""trigram search: on PostgreSQL, pg_trgm GIN indexes for the back office's `LIKE '%…%'` searches on the folded
names, the enterprise codes and the dossier numbers (100,000 dossiers); SQLite unchanged

Where the pg_trgm extension cannot be created (no privilege, not installed), the migration still succeeds without
these indexes and logs a warning: search then reads every row, as before, and gives the same answers.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 16:50:00
"""
from __future__ import annotations

import logging

from alembic import op
from sqlalchemy.exc import DBAPIError

revision = "0008"
down_revision = "0007"  # re-linked after the documents migration (both were made from 0006)
branch_labels = None
depends_on = None

log = logging.getLogger("spcncl.migrations")

# index name → (table, indexed expression): what views/records.py DossierView._apply_search matches with LIKE
INDEXES = {
    "ix_product_name_key_trgm": ("product", "name_key"),
    "ix_enterprise_name_key_trgm": ("enterprise", "name_key"),
    "ix_enterprise_code_trgm": ("enterprise", "code"),
    "ix_dossier_number_trgm": ("dossier", "lower(number)"),
}


def _trigrams_available() -> bool:
    """Create pg_trgm if it is missing; False (and a warning) when this database cannot have it. A savepoint keeps
    the failure from aborting the migration's transaction."""
    bind = op.get_bind()
    if bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").first():
        return True
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DBAPIError as exc:
        log.warning("PostgreSQL extension pg_trgm could not be created (%s); the back office's name search works "
                    "without its trigram indexes but reads every row. A superuser can run CREATE EXTENSION pg_trgm "
                    "and create the indexes of migration 0008 (docs/backoffice.md).",
                    str(exc.orig).strip().splitlines()[0] if exc.orig else exc)
        return False
    return True


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql" or not _trigrams_available():
        return
    for name, (table, expression) in INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression} gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
