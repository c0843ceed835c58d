"""print batches: a cycle's paper (PDF and manifest) per bill-run date, and the documents in each

Revision ID: 0820
Revises: 0810
Create Date: 2026-12-04 15:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0820'
down_revision = '0810'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('print_batch',
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('bills', sa.Integer(), nullable=False),
    sa.Column('letters', sa.Integer(), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('amount_due_cents', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf_size', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('manifest_csv', sa.Text(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_print_batch')),
    sa.UniqueConstraint('cycle', 'business_date', name=op.f('uq_print_batch_cycle_business_date'))
    )
    with op.batch_alter_table('print_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_print_batch_business_date'), ['business_date'], unique=False)

    op.create_table('print_item',
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('ref_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_print_item_account_id_account')),
    sa.ForeignKeyConstraint(['batch_id'], ['print_batch.id'], name=op.f('fk_print_item_batch_id_print_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_print_item')),
    sa.UniqueConstraint('kind', 'ref_id', name=op.f('uq_print_item_kind_ref_id'))
    )
    with op.batch_alter_table('print_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_print_item_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_print_item_batch_id'), ['batch_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('print_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_print_item_batch_id'))
        batch_op.drop_index(batch_op.f('ix_print_item_account_id'))

    op.drop_table('print_item')
    with op.batch_alter_table('print_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_print_batch_business_date'))

    op.drop_table('print_batch')
