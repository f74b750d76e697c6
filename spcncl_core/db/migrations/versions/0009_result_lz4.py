"""results' criteria compressed with lz4 on PostgreSQL: a national round stores 20,000 criteria lists of about 4 KB,
and the default pglz compression takes longer than parsing them (PostgreSQL built without lz4 keeps pglz)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 17:20:00
"""
from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0009"
down_revision = "0008"  # re-linked after the documents (0007) and trigram (0008) migrations
branch_labels = None
depends_on = None


def _lz4() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    methods = bind.execute(text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")).scalar()
    return bool(methods) and "lz4" in methods


def upgrade() -> None:
    if _lz4():  # values already stored keep their compression; new ones use lz4
        op.execute("ALTER TABLE result ALTER COLUMN criteria SET COMPRESSION lz4")


def downgrade() -> None:
    if _lz4():
        op.execute("ALTER TABLE result ALTER COLUMN criteria SET COMPRESSION pglz")
