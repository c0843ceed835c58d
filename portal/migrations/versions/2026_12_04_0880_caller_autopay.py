"""bank draft by a signed paper form (PPD) or a recorded phone call (TEL): the channel, who took it, the record

Revision ID: 0880
Revises: 0850
Create Date: 2026-12-04 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0880'
down_revision = '0870'
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('bank_draft', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=8), server_default='web', nullable=False))
        batch_op.add_column(sa.Column('taken_by_id', BIG, nullable=True))
        batch_op.add_column(sa.Column('authorization_record', sa.JSON(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_bank_draft_taken_by_id_app_user'), 'app_user', ['taken_by_id'], ['id']
        )


def downgrade() -> None:
    with op.batch_alter_table('bank_draft', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_bank_draft_taken_by_id_app_user'), type_='foreignkey')
        batch_op.drop_column('authorization_record')
        batch_op.drop_column('taken_by_id')
        batch_op.drop_column('channel')
