"""result class: the class a result reached (e.g. "sao-4"), for criteria sets that declare result classes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 14:15:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("result") as batch:
        batch.add_column(sa.Column("result_class", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("result") as batch:
        batch.drop_column("result_class")
