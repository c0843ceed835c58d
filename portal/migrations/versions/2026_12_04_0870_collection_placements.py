"""collection placements: placement files for the collection agency, the accounts placed, the agency's recoveries

Revision ID: 0870
Revises: 0850
Create Date: 2026-12-04 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0870'
down_revision = '0860'
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('placement_batch',
    sa.Column('made_on', sa.Date(), nullable=False),
    sa.Column('agency', sa.String(length=120), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('total_cents', BIG, nullable=False),
    sa.Column('made_by_id', BIG, nullable=True),
    sa.Column('made_by_label', sa.String(length=120), nullable=False),
    sa.Column('csv_text', sa.Text(), nullable=False),
    sa.Column('id', BIG, nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.ForeignKeyConstraint(['made_by_id'], ['app_user.id'], name=op.f('fk_placement_batch_made_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placement_batch')),
    sa.UniqueConstraint('made_on', name=op.f('uq_placement_batch_made_on'))
    )

    op.create_table('collection_placement',
    sa.Column('account_id', BIG, nullable=False),
    sa.Column('batch_id', BIG, nullable=False),
    sa.Column('agency', sa.String(length=120), nullable=False),
    sa.Column('placed_on', sa.Date(), nullable=False),
    sa.Column('amount_cents', BIG, nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('status_before', sa.String(length=32), nullable=False),
    sa.Column('write_off_entry_id', BIG, nullable=False),
    sa.Column('recalled_on', sa.Date(), nullable=True),
    sa.Column('recall_reason', sa.String(length=300), nullable=True),
    sa.Column('id', BIG, nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_collection_placement_account_id_account')),
    sa.ForeignKeyConstraint(['batch_id'], ['placement_batch.id'], name=op.f('fk_collection_placement_batch_id_placement_batch')),
    sa.ForeignKeyConstraint(['write_off_entry_id'], ['ledger_entry.id'], name=op.f('fk_collection_placement_write_off_entry_id_ledger_entry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collection_placement')),
    sa.UniqueConstraint('account_id', name=op.f('uq_collection_placement_account_id'))
    )
    with op.batch_alter_table('collection_placement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collection_placement_batch_id'), ['batch_id'], unique=False)

    op.create_table('collection_recovery',
    sa.Column('placement_id', BIG, nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('gross_cents', BIG, nullable=False),
    sa.Column('fee_cents', BIG, nullable=False),
    sa.Column('recorded_by_id', BIG, nullable=True),
    sa.Column('id', BIG, nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.ForeignKeyConstraint(['placement_id'], ['collection_placement.id'], name=op.f('fk_collection_recovery_placement_id_collection_placement')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['app_user.id'], name=op.f('fk_collection_recovery_recorded_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collection_recovery')),
    sa.UniqueConstraint('placement_id', 'reference', name=op.f('uq_collection_recovery_placement_id_reference'))
    )
    with op.batch_alter_table('collection_recovery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collection_recovery_placement_id'), ['placement_id'], unique=False)


def downgrade() -> None:
    op.drop_table('collection_recovery')
    op.drop_table('collection_placement')
    op.drop_table('placement_batch')
