"""resident service requests: start, stop, move and problem reports with the work orders they created

Revision ID: 0400
Revises: 0100
Create Date: 2026-11-26 08:55:15.252696
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0400'
down_revision = '0100'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('service_request',
    sa.Column('kind', sa.Enum('start', 'stop', 'move', 'problem', name='requestkind', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('pending', 'cancelled', name='requeststatus', native_enum=False, length=32), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('requested_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('from_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('to_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('stop_order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('start_order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('problem_order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('stop_on', sa.Date(), nullable=True),
    sa.Column('start_on', sa.Date(), nullable=True),
    sa.Column('forwarding_address', sa.Text(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('cancel_reason', sa.String(length=300), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_service_request_customer_id_customer')),
    sa.ForeignKeyConstraint(['from_account_id'], ['account.id'], name=op.f('fk_service_request_from_account_id_account')),
    sa.ForeignKeyConstraint(['problem_order_id'], ['work_order.id'], name=op.f('fk_service_request_problem_order_id_work_order')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['app_user.id'], name=op.f('fk_service_request_requested_by_id_app_user')),
    sa.ForeignKeyConstraint(['start_order_id'], ['work_order.id'], name=op.f('fk_service_request_start_order_id_work_order')),
    sa.ForeignKeyConstraint(['stop_order_id'], ['work_order.id'], name=op.f('fk_service_request_stop_order_id_work_order')),
    sa.ForeignKeyConstraint(['to_account_id'], ['account.id'], name=op.f('fk_service_request_to_account_id_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_request'))
    )
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_request_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_request_from_account_id'), ['from_account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_request_to_account_id'), ['to_account_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_request_to_account_id'))
        batch_op.drop_index(batch_op.f('ix_service_request_from_account_id'))
        batch_op.drop_index(batch_op.f('ix_service_request_customer_id'))

    op.drop_table('service_request')
