"""back office: users' language, folded name keys for accent-insensitive search, indexes for its lists

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from spcncl_core.search import fold

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# what the back office filters, joins and sorts its lists by (100,000 dossiers: benchmarks/web_bench.py)
INDEXES = [('dossier', 'number'), ('dossier', 'state'), ('product', 'enterprise_id'),
           ('enterprise', 'name'), ('enterprise', 'district'), ('product', 'name')]


def upgrade() -> None:
    op.add_column('user_account', sa.Column('language', sa.String(length=10), nullable=True))
    for table in ('enterprise', 'product'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('name_key', sa.String(length=300), nullable=False, server_default=''))
            batch.create_index(f'ix_{table}_name_key', ['name_key'])
        connection = op.get_bind()
        rows = connection.execute(sa.text(f'SELECT id, name FROM {table}')).all()
        for row_id, name in rows:
            connection.execute(sa.text(f'UPDATE {table} SET name_key = :key WHERE id = :id'),
                               {'key': fold(name), 'id': row_id})
    for table, column in INDEXES:
        op.create_index(f'ix_{table}_{column}', table, [column])


def downgrade() -> None:
    for table, column in INDEXES:
        op.drop_index(f'ix_{table}_{column}', table_name=table)
    for table in ('product', 'enterprise'):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f'ix_{table}_name_key')
            batch.drop_column('name_key')
    with op.batch_alter_table('user_account') as batch:
        batch.drop_column('language')
