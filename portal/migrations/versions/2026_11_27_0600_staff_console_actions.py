"""staff console actions: arrangement outcomes (down-payment due date, why it ended), medical certifications, the amount a cut-off notice named, refund requests

Revision ID: 0600
Revises: 0400
Create Date: 2026-11-27 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0600'
down_revision = '0400'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('payment_arrangement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('down_payment_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('outcome_note', sa.String(length=300), nullable=True))

    with op.batch_alter_table('collection_contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('amount_cents', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))

    op.create_table('medical_certification',
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('certified_on', sa.Date(), nullable=False),
    sa.Column('holds_until', sa.Date(), nullable=False),
    sa.Column('arrears_since', sa.Date(), nullable=True),
    sa.Column('recorded_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_medical_certification_account_id_account')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_medical_certification_customer_id_customer')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['app_user.id'], name=op.f('fk_medical_certification_recorded_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medical_certification'))
    )
    with op.batch_alter_table('medical_certification', schema=None) as batch_op:
        batch_op.create_index('ix_medical_certification_account_arrears', ['account_id', 'arrears_since'], unique=False)
        batch_op.create_index(batch_op.f('ix_medical_certification_customer_id'), ['customer_id'], unique=False)


    op.create_table('refund_request',
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('claim_key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('amount_cents', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('status', sa.Enum('pending_approval', 'sent', 'rejected', name='refundstatus', native_enum=False, length=32), nullable=False),
    sa.Column('mail_to', sa.Text(), nullable=True),
    sa.Column('check_number', sa.String(length=32), nullable=True),
    sa.Column('requested_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('decided_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.String(length=300), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_refund_request_account_id_account')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['app_user.id'], name=op.f('fk_refund_request_decided_by_id_app_user')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['app_user.id'], name=op.f('fk_refund_request_requested_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refund_request')),
    sa.UniqueConstraint('claim_key', name=op.f('uq_refund_request_claim_key'))
    )
    with op.batch_alter_table('refund_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_request_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refund_request_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('refund_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refund_request_status'))
        batch_op.drop_index(batch_op.f('ix_refund_request_account_id'))
    op.drop_table('refund_request')
    with op.batch_alter_table('medical_certification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_medical_certification_customer_id'))
        batch_op.drop_index('ix_medical_certification_account_arrears')
    op.drop_table('medical_certification')
    with op.batch_alter_table('collection_contact', schema=None) as batch_op:
        batch_op.drop_column('amount_cents')
    with op.batch_alter_table('payment_arrangement', schema=None) as batch_op:
        batch_op.drop_column('outcome_note')
        batch_op.drop_column('down_payment_due_on')
