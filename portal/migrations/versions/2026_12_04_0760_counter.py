"""counter payments: the cash a customer handed over, so the receipt can print the change given

Revision ID: 0760
Revises: 0720
Create Date: 2026-12-04 14:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0760"
down_revision = "0720"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tendered_cents", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("receipt", schema=None) as batch_op:
        batch_op.drop_column("tendered_cents")
