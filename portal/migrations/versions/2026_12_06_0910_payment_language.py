"""payment language: the language the payer paid in, so the emailed receipt, often sent later by the processor's
webhook, is in that language and not the background job's

Revision ID: 0910
Revises: 0900
Create Date: 2026-12-06 02:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0910'
down_revision = '0900'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('online_payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('online_payment', schema=None) as batch_op:
        batch_op.drop_column('language')
