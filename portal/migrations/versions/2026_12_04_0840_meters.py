"""meters: premises' available services, meter sets (installs and changes) and meter tests

Revision ID: 0840
Revises: 0830
Create Date: 2026-12-04 17:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0840'
down_revision = '0830'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('premise', schema=None) as batch_op:
        batch_op.add_column(sa.Column('services_available', sa.JSON(), nullable=True))

    op.create_table('meter_set',
    sa.Column('work_order_id', ID, nullable=False),
    sa.Column('premise_id', ID, nullable=False),
    sa.Column('new_meter_id', ID, nullable=False),
    sa.Column('new_first_read_id', ID, nullable=False),
    sa.Column('old_meter_id', ID, nullable=True),
    sa.Column('old_final_read_id', ID, nullable=True),
    sa.Column('set_on', sa.Date(), nullable=False),
    sa.Column('id', ID, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_order.id'], name=op.f('fk_meter_set_work_order_id_work_order')),
    sa.ForeignKeyConstraint(['premise_id'], ['premise.id'], name=op.f('fk_meter_set_premise_id_premise')),
    sa.ForeignKeyConstraint(['new_meter_id'], ['meter.id'], name=op.f('fk_meter_set_new_meter_id_meter')),
    sa.ForeignKeyConstraint(['new_first_read_id'], ['meter_read.id'], name=op.f('fk_meter_set_new_first_read_id_meter_read')),
    sa.ForeignKeyConstraint(['old_meter_id'], ['meter.id'], name=op.f('fk_meter_set_old_meter_id_meter')),
    sa.ForeignKeyConstraint(['old_final_read_id'], ['meter_read.id'], name=op.f('fk_meter_set_old_final_read_id_meter_read')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meter_set')),
    sa.UniqueConstraint('work_order_id', name=op.f('uq_meter_set_work_order_id'))
    )
    with op.batch_alter_table('meter_set', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meter_set_premise_id'), ['premise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meter_set_new_meter_id'), ['new_meter_id'], unique=False)

    op.create_table('meter_test',
    sa.Column('meter_id', ID, nullable=False),
    sa.Column('work_order_id', ID, nullable=True),
    sa.Column('tested_on', sa.Date(), nullable=False),
    sa.Column('low_tenths', sa.Integer(), nullable=False),
    sa.Column('mid_tenths', sa.Integer(), nullable=False),
    sa.Column('high_tenths', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('over_registering', sa.Boolean(), nullable=False),
    sa.Column('adjustment_id', ID, nullable=True),
    sa.Column('recorded_by_id', ID, nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('id', ID, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meter_id'], ['meter.id'], name=op.f('fk_meter_test_meter_id_meter')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_order.id'], name=op.f('fk_meter_test_work_order_id_work_order')),
    sa.ForeignKeyConstraint(['adjustment_id'], ['adjustment.id'], name=op.f('fk_meter_test_adjustment_id_adjustment')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['app_user.id'], name=op.f('fk_meter_test_recorded_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meter_test'))
    )
    with op.batch_alter_table('meter_test', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meter_test_meter_id'), ['meter_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('meter_test', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meter_test_meter_id'))
    op.drop_table('meter_test')
    with op.batch_alter_table('meter_set', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meter_set_new_meter_id'))
        batch_op.drop_index(batch_op.f('ix_meter_set_premise_id'))
    op.drop_table('meter_set')
    with op.batch_alter_table('premise', schema=None) as batch_op:
        batch_op.drop_column('services_available')
