"""outages: power and water outages and the reports grouped into them

Revision ID: 0850
Revises: 0840
Create Date: 2026-12-04 18:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0850'
down_revision = '0840'
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('outage',
    sa.Column('utility', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('cause', sa.String(length=200), nullable=True),
    sa.Column('streets', sa.JSON(), nullable=False),
    sa.Column('routes', sa.JSON(), nullable=False),
    sa.Column('polygon', sa.JSON(), nullable=False),
    sa.Column('started_at', TS, nullable=False),
    sa.Column('last_report_at', TS, nullable=False),
    sa.Column('estimated_restore_at', TS, nullable=True),
    sa.Column('restored_at', TS, nullable=True),
    sa.Column('closed_at', TS, nullable=True),
    sa.Column('work_order_id', BIG, nullable=True),
    sa.Column('updates', sa.JSON(), nullable=False),
    sa.Column('id', BIG, nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_order.id'], name=op.f('fk_outage_work_order_id_work_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outage'))
    )
    with op.batch_alter_table('outage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outage_status'), ['status'], unique=False)

    op.create_table('outage_report',
    sa.Column('outage_id', BIG, nullable=False),
    sa.Column('utility', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('account_id', BIG, nullable=True),
    sa.Column('premise_id', BIG, nullable=True),
    sa.Column('reported_by_id', BIG, nullable=True),
    sa.Column('address', sa.String(length=160), nullable=False),
    sa.Column('street', sa.String(length=120), nullable=False),
    sa.Column('route', sa.String(length=16), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('reported_at', TS, nullable=False),
    sa.Column('id', BIG, nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_outage_report_account_id_account')),
    sa.ForeignKeyConstraint(['outage_id'], ['outage.id'], name=op.f('fk_outage_report_outage_id_outage')),
    sa.ForeignKeyConstraint(['premise_id'], ['premise.id'], name=op.f('fk_outage_report_premise_id_premise')),
    sa.ForeignKeyConstraint(['reported_by_id'], ['app_user.id'], name=op.f('fk_outage_report_reported_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outage_report'))
    )
    with op.batch_alter_table('outage_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outage_report_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outage_report_outage_id'), ['outage_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outage_report_street'), ['street'], unique=False)


def downgrade() -> None:
    op.drop_table('outage_report')
    op.drop_table('outage')
