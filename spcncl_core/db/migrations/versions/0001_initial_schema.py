"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 02:41:52.503450
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import spcncl_core.db.base

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_entry',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('entity', sa.String(length=60), nullable=False),
    sa.Column('entity_id', sa.String(length=120), nullable=False),
    sa.Column('before', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('after', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('reason', sa.String(length=2000), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_entry')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_entry_hash'))
    )
    op.create_table('enterprise',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('ownership', sa.String(length=60), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('district', sa.String(length=100), nullable=True),
    sa.Column('sector', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enterprise')),
    sa.UniqueConstraint('code', name=op.f('uq_enterprise_code'))
    )
    op.create_table('jurisdiction',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jurisdiction'))
    )
    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('username', name=op.f('uq_user_account_username'))
    )
    op.create_table('product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('sector', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_product_enterprise_id_enterprise')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product')),
    sa.UniqueConstraint('enterprise_id', 'name', name=op.f('uq_product_enterprise_id_name'))
    )
    op.create_table('round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('jurisdiction_id', sa.String(length=40), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('plan_ref', sa.String(length=100), nullable=True),
    sa.Column('council_decision_ref', sa.String(length=100), nullable=True),
    sa.Column('comment_days', sa.Integer(), nullable=True),
    sa.Column('scoring_started_at', sa.DateTime(), nullable=True),
    sa.Column('scoring_closed_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['jurisdiction.id'], name=op.f('fk_round_jurisdiction_id_jurisdiction')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round')),
    sa.UniqueConstraint('jurisdiction_id', 'year', name=op.f('uq_round_jurisdiction_id_year'))
    )
    op.create_table('council_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('agency', sa.String(length=200), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('voting', sa.Boolean(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_council_member_round_id_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_council_member')),
    sa.UniqueConstraint('round_id', 'code', name=op.f('uq_council_member_round_id_code'))
    )
    op.create_table('dossier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=30), nullable=False),
    sa.Column('product_group', sa.String(length=40), nullable=True),
    sa.Column('inputs', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('self_assessment', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_dossier_product_id_product')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_dossier_round_id_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossier')),
    sa.UniqueConstraint('round_id', 'number', name=op.f('uq_dossier_round_id_number')),
    sa.UniqueConstraint('round_id', 'product_id', name=op.f('uq_dossier_round_id_product_id'))
    )
    op.create_table('publication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('comments_until', sa.DateTime(), nullable=False),
    sa.Column('snapshot', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_publication_round_id_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publication')),
    sa.UniqueConstraint('round_id', name=op.f('uq_publication_round_id'))
    )
    op.create_table('recognition_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('signed_by', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_recognition_decision_round_id_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recognition_decision')),
    sa.UniqueConstraint('number', name=op.f('uq_recognition_decision_number'))
    )
    op.create_table('round_criteria_set',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('product_group', sa.String(length=40), nullable=False),
    sa.Column('criteria_set_id', sa.String(length=80), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.Column('chosen_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_round_criteria_set_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'product_group', name=op.f('pk_round_criteria_set'))
    )
    op.create_table('assignment',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('criteria_set_id', sa.String(length=80), nullable=False),
    sa.Column('criterion_id', sa.String(length=40), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['council_member.id'], name=op.f('fk_assignment_member_id_council_member')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_assignment_round_id_round')),
    sa.PrimaryKeyConstraint('round_id', 'criteria_set_id', 'criterion_id', 'member_id', name=op.f('pk_assignment'))
    )
    op.create_table('certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revocation_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['decision_id'], ['recognition_decision.id'], name=op.f('fk_certificate_decision_id_recognition_decision')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_certificate_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate')),
    sa.UniqueConstraint('dossier_id', name=op.f('uq_certificate_dossier_id')),
    sa.UniqueConstraint('number', name=op.f('uq_certificate_number'))
    )
    op.create_table('comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('contact', sa.String(length=200), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('state', sa.String(length=30), nullable=False),
    sa.Column('resolution', sa.String(length=20), nullable=True),
    sa.Column('resolution_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_comment_dossier_id_dossier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment'))
    )
    op.create_table('conflict',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('declared_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_conflict_dossier_id_dossier')),
    sa.ForeignKeyConstraint(['member_id'], ['council_member.id'], name=op.f('fk_conflict_member_id_council_member')),
    sa.PrimaryKeyConstraint('member_id', 'dossier_id', name=op.f('pk_conflict'))
    )
    op.create_table('preliminary_score',
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.String(length=40), nullable=False),
    sa.Column('points', spcncl_core.db.base.ExactDecimal(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_preliminary_score_dossier_id_dossier'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dossier_id', 'criterion_id', name=op.f('pk_preliminary_score'))
    )
    op.create_table('prerequisite_check',
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('prerequisite_id', sa.String(length=40), nullable=False),
    sa.Column('computed', sa.Boolean(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('override', sa.Boolean(), nullable=True),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('overridden_by', sa.String(length=80), nullable=True),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_prerequisite_check_dossier_id_dossier'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dossier_id', 'prerequisite_id', name=op.f('pk_prerequisite_check'))
    )
    op.create_table('result',
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('criteria_set_id', sa.String(length=80), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('eligible', sa.Boolean(), nullable=False),
    sa.Column('total', spcncl_core.db.base.ExactDecimal(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('top', sa.Boolean(), nullable=False),
    sa.Column('tie_break', sa.Text(), nullable=True),
    sa.Column('subtotals', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('criteria', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_result_dossier_id_dossier'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dossier_id', name=op.f('pk_result'))
    )
    op.create_table('scoring_form',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_scoring_form_dossier_id_dossier')),
    sa.ForeignKeyConstraint(['member_id'], ['council_member.id'], name=op.f('fk_scoring_form_member_id_council_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scoring_form')),
    sa.UniqueConstraint('member_id', 'dossier_id', name=op.f('uq_scoring_form_member_id_dossier_id'))
    )
    op.create_table('explanation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_explanation_comment_id_comment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_explanation'))
    )
    op.create_table('scoring_entry',
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.String(length=40), nullable=False),
    sa.Column('points', spcncl_core.db.base.ExactDecimal(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['form_id'], ['scoring_form.id'], name=op.f('fk_scoring_entry_form_id_scoring_form'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('form_id', 'criterion_id', name=op.f('pk_scoring_entry'))
    )


def downgrade() -> None:
    op.drop_table('scoring_entry')
    op.drop_table('explanation')
    op.drop_table('scoring_form')
    op.drop_table('result')
    op.drop_table('prerequisite_check')
    op.drop_table('preliminary_score')
    op.drop_table('conflict')
    op.drop_table('comment')
    op.drop_table('certificate')
    op.drop_table('assignment')
    op.drop_table('round_criteria_set')
    op.drop_table('recognition_decision')
    op.drop_table('publication')
    op.drop_table('dossier')
    op.drop_table('council_member')
    op.drop_table('round')
    op.drop_table('product')
    op.drop_table('user_account')
    op.drop_table('jurisdiction')
    op.drop_table('enterprise')
    op.drop_table('audit_entry')
