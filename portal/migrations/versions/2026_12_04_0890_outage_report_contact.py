"""outage report contact: the visitor's email and language, so the report's contact is told of a new estimate and
of service back

Revision ID: 0890
Revises: 0850
Create Date: 2026-12-04 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0890'
down_revision = '0880'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outage_report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outage_report', schema=None) as batch_op:
        batch_op.drop_column('language')
        batch_op.drop_column('email')
