"""route owners: each field route (premise.route) has an owning technician, to whom new orders on it are assigned

Revision ID: 0700
Revises: 0600
Create Date: 2026-12-04 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0700'
down_revision = '0600'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('route',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('technician_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['technician_id'], ['app_user.id'], name=op.f('fk_route_technician_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_route')),
    sa.UniqueConstraint('code', name=op.f('uq_route_code'))
    )


def downgrade() -> None:
    op.drop_table('route')
