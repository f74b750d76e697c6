"""audit entries hashed over their stored JSON text; append-only audit table on PostgreSQL

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 14:00:00

- audit_entry.before / .after become TEXT holding canonical JSON: the hash is computed over the text exactly as
  stored, so it is the same on SQLite and PostgreSQL (JSONB re-writes numbers: 1e16 came back as 10000000000000000).
  Entries written before this revision keep their old hashes and are reported by `spcncl audit verify`.
- On PostgreSQL, triggers refuse UPDATE, DELETE and TRUNCATE on audit_entry: the log is append-only for every
  database user who is not allowed to disable triggers.
- audit_entry.hash loses its unique index: the chain guards the hashes, and a national round's import appends
  hundreds of thousands of entries, each a random key in that index.
- dossier(product_id) gets its own index: registration's duplicate check no longer reads the whole round;
  scoring_form(dossier_id) too: a round's results read the scores dossier by dossier.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

GUARD = (
    """CREATE OR REPLACE FUNCTION spcncl_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_entry is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$""",
    """CREATE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION spcncl_audit_append_only()""",
    """CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry
    FOR EACH STATEMENT EXECUTE FUNCTION spcncl_audit_append_only()""",
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("audit_entry") as batch:
        for column in ("before", "after"):
            batch.alter_column(column, type_=sa.Text(), existing_nullable=True,
                               **({"postgresql_using": f'"{column}"::text'} if postgres else {}))
        batch.drop_constraint("uq_audit_entry_hash", type_="unique")
    op.create_index("ix_dossier_product_id", "dossier", ["product_id"])
    op.create_index("ix_scoring_form_dossier_id", "scoring_form", ["dossier_id"])
    if postgres:
        for statement in GUARD:
            op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_entry")
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_change ON audit_entry")
        op.execute("DROP FUNCTION IF EXISTS spcncl_audit_append_only()")
    op.drop_index("ix_scoring_form_dossier_id", table_name="scoring_form")
    op.drop_index("ix_dossier_product_id", table_name="dossier")
    json_type = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
    with op.batch_alter_table("audit_entry") as batch:
        for column in ("before", "after"):
            batch.alter_column(column, type_=json_type, existing_nullable=True,
                               **({"postgresql_using": f'"{column}"::jsonb'} if postgres else {}))
        batch.create_unique_constraint("uq_audit_entry_hash", ["hash"])
