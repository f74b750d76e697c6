"""round phases, council members linked to user accounts, versioned publications, database settings

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('round') as batch:
        batch.add_column(sa.Column('phase', sa.String(length=20), server_default='registration', nullable=False))
    # rounds that exist already: their phase follows from what happened
    op.execute("UPDATE round SET phase = 'scoring' WHERE scoring_started_at IS NOT NULL")
    op.execute("UPDATE round SET phase = 'results' WHERE scoring_closed_at IS NOT NULL")
    op.execute("UPDATE round SET phase = 'publication' WHERE id IN (SELECT round_id FROM publication)")
    op.execute("UPDATE round SET phase = 'closed' WHERE id IN (SELECT round_id FROM recognition_decision)")
    with op.batch_alter_table('council_member') as batch:
        batch.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_council_member_user_id_user_account'), 'user_account', ['user_id'], ['id'])
    op.execute("UPDATE council_member SET user_id = (SELECT u.id FROM user_account u "
               "WHERE u.username = council_member.username)")
    with op.batch_alter_table('council_member') as batch:
        batch.drop_column('username')
    with op.batch_alter_table('publication') as batch:
        batch.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch.drop_constraint(op.f('uq_publication_round_id'), type_='unique')
        batch.create_unique_constraint(op.f('uq_publication_round_id_version'), ['round_id', 'version'])
    op.create_table('setting',
                    sa.Column('key', sa.String(length=40), nullable=False),
                    sa.Column('value', sa.String(length=200), nullable=False),
                    sa.PrimaryKeyConstraint('key', name=op.f('pk_setting')))


def downgrade() -> None:
    op.drop_table('setting')
    op.execute("DELETE FROM publication WHERE version > 1")
    with op.batch_alter_table('publication') as batch:
        batch.drop_constraint(op.f('uq_publication_round_id_version'), type_='unique')
        batch.create_unique_constraint(op.f('uq_publication_round_id'), ['round_id'])
        batch.drop_column('version')
    with op.batch_alter_table('council_member') as batch:
        batch.add_column(sa.Column('username', sa.String(length=80), nullable=True))
    op.execute("UPDATE council_member SET username = (SELECT u.username FROM user_account u "
               "WHERE u.id = council_member.user_id)")
    with op.batch_alter_table('council_member') as batch:
        batch.drop_constraint(op.f('fk_council_member_user_id_user_account'), type_='foreignkey')
        batch.drop_column('user_id')
    with op.batch_alter_table('round') as batch:
        batch.drop_column('phase')
