"""billing: rate schedules as effective-dated data; bills found by due date

Revision ID: 0100
Revises: 0300
Create Date: 2026-11-26 08:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0100"
down_revision = "0300"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_schedule",
        sa.Column("rate_code", sa.String(length=32), nullable=False),
        sa.Column("service_kind", sa.Enum("water", "sewer", "solid_waste", "stormwater", "electric", "gas",
                                          name="servicekind", native_enum=False, create_constraint=False, length=32),
                  nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["app_user.id"], name=op.f("fk_rate_schedule_created_by_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_schedule")),
        sa.UniqueConstraint("rate_code", "effective_on", name=op.f("uq_rate_schedule_rate_code_effective_on")),
    )
    with op.batch_alter_table("bill") as batch:
        batch.create_index(batch.f("ix_bill_due_date"), ["due_date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bill") as batch:
        batch.drop_index(batch.f("ix_bill_due_date"))
    op.drop_table("rate_schedule")
