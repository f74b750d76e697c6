"""dossier documents: each document received with a dossier (kind from the jurisdiction's checklist, title or note,
day received, who recorded it)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 17:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dossier_document",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dossier_id", sa.Integer(), sa.ForeignKey("dossier.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("title", sa.String(300), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(80), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_dossier_document_dossier_id", "dossier_document", ["dossier_id"])


def downgrade() -> None:
    op.drop_index("ix_dossier_document_dossier_id", table_name="dossier_document")
    op.drop_table("dossier_document")
