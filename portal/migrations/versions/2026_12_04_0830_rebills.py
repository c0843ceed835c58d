"""cancel and rebill: a bill can be cancelled and replaced for the same period; corrections wait for a supervisor;
a customer's second phone

Revision ID: 0830
Revises: 0820
Create Date: 2026-12-04 17:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0830'
down_revision = '0820'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alt_phone', sa.String(length=32), nullable=True))
    with op.batch_alter_table('bill', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('replaces_id', ID, nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_bill_replaces_id_bill'), 'bill', ['replaces_id'], ['id'])
        batch_op.create_unique_constraint(batch_op.f('uq_bill_replaces_id'), ['replaces_id'])
        batch_op.drop_constraint('uq_bill_account_id_period_end', type_='unique')
    # One bill in force per account and period; a cancelled bill steps aside for its replacement.
    op.create_index(
        'uq_bill_account_period_current',
        'bill',
        ['account_id', 'period_end'],
        unique=True,
        sqlite_where=sa.text('cancelled_on IS NULL'),
        postgresql_where=sa.text('cancelled_on IS NULL'),
    )
    op.create_table('bill_correction',
    sa.Column('account_id', ID, nullable=False),
    sa.Column('kind', sa.Enum('read_corrected', 'read_entered', 'records', name='correctionkind', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('pending_approval', 'done', 'rejected', name='correctionstatus', native_enum=False, length=32), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('change', sa.JSON(), nullable=False),
    sa.Column('bill_ids', sa.JSON(), nullable=False),
    sa.Column('old_total_cents', ID, nullable=False),
    sa.Column('new_total_cents', ID, nullable=False),
    sa.Column('amount_cents', ID, nullable=False),
    sa.Column('requested_by_id', ID, nullable=False),
    sa.Column('decided_by_id', ID, nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.String(length=300), nullable=True),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('id', ID, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_bill_correction_account_id_account')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['app_user.id'], name=op.f('fk_bill_correction_decided_by_id_app_user')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['app_user.id'], name=op.f('fk_bill_correction_requested_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bill_correction'))
    )
    with op.batch_alter_table('bill_correction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bill_correction_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bill_correction_status'), ['status'], unique=False)


def downgrade() -> None:
    op.drop_table('bill_correction')
    op.drop_index('uq_bill_account_period_current', table_name='bill')
    with op.batch_alter_table('bill', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_bill_account_id_period_end', ['account_id', 'period_end'])
        batch_op.drop_constraint(batch_op.f('uq_bill_replaces_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_bill_replaces_id_bill'), type_='foreignkey')
        batch_op.drop_column('replaces_id')
        batch_op.drop_column('cancelled_on')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_column('alt_phone')
