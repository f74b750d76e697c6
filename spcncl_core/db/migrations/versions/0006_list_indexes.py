"""list indexes: the back office's dossier filters (round, state, then product) answered from one covering index,
and the "submitted on" sort from an index (100,000 dossiers)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 15:20:00
"""
from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_dossier_round_state_product", "dossier", ["round_id", "state", "product_id"])
    op.create_index("ix_dossier_submitted_at", "dossier", ["submitted_at"])


def downgrade() -> None:
    op.drop_index("ix_dossier_submitted_at", table_name="dossier")
    op.drop_index("ix_dossier_round_state_product", table_name="dossier")
