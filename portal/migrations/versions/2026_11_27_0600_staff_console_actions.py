"""staff console actions: arrangement outcomes (down-payment due date, why it ended)

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


def downgrade() -> None:
    with op.batch_alter_table('payment_arrangement', schema=None) as batch_op:
        batch_op.drop_column('outcome_note')
        batch_op.drop_column('down_payment_due_on')
