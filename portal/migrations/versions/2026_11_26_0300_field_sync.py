"""field sync: sync exceptions on applied mutations, an index for a phone's changes since its cursor

Revision ID: 0300
Revises: 0200
Create Date: 2026-11-26 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0300"
down_revision = "0200"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("sync_mutation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exception_code", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("exception_resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("exception_resolved_by_id", ID, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_sync_mutation_exception_resolved_by_id_app_user"), "app_user", ["exception_resolved_by_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_sync_mutation_exception_code"), ["exception_code"], unique=False)
    with op.batch_alter_table("work_order", schema=None) as batch_op:
        batch_op.create_index("ix_work_order_assignee_updated", ["assigned_to_id", "updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("work_order", schema=None) as batch_op:
        batch_op.drop_index("ix_work_order_assignee_updated")
    with op.batch_alter_table("sync_mutation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_mutation_exception_code"))
        batch_op.drop_constraint(batch_op.f("fk_sync_mutation_exception_resolved_by_id_app_user"), type_="foreignkey")
        batch_op.drop_column("exception_resolved_by_id")
        batch_op.drop_column("exception_resolved_at")
        batch_op.drop_column("exception_code")
