"""scheduled jobs: the run ledger (job_run), and on PostgreSQL procrastinate's queue schema

Revision ID: 0800
Revises: 0760
Create Date: 2026-12-04 14:30:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.util import await_only

revision = '0800'
down_revision = '0760'
branch_labels = None
depends_on = None


def _run_script(sql: str) -> None:
    """A multi-statement script through asyncpg's simple protocol (SQLAlchemy's asyncpg path prepares, which refuses
    several statements in one)."""
    raw: Any = op.get_bind().connection.dbapi_connection
    await_only(raw.driver_connection.execute(sql))


def upgrade() -> None:
    op.create_table('job_run',
    sa.Column('job', sa.String(length=40), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('counts', sa.JSON(), nullable=True),
    sa.Column('progress', sa.String(length=300), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('requested_by', sa.String(length=160), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_run')),
    sa.UniqueConstraint('job', 'business_date', name=op.f('uq_job_run_job_business_date'))
    )
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_run_outcome'), ['outcome'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        # procrastinate's own tables, types and functions, from the installed (locked) version, so `portal migrate`
        # sets up the queue too. A procrastinate upgrade that changes its schema needs a migration here that runs
        # the files of procrastinate/sql/migrations between the two versions.
        from procrastinate.schema import SchemaManager

        _run_script(SchemaManager.get_schema())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _run_script(
            """
            DO $$
            DECLARE item record;
            BEGIN
              FOR item IN SELECT tablename FROM pg_tables
                          WHERE schemaname = current_schema() AND tablename LIKE 'procrastinate\\_%' LOOP
                EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', item.tablename);
              END LOOP;
              FOR item IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
                          JOIN pg_namespace n ON n.oid = p.pronamespace
                          WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%' LOOP
                EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', item.signature);
              END LOOP;
              FOR item IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                          WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate\\_%'
                          AND t.typtype IN ('e', 'c') LOOP
                EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', item.typname);
              END LOOP;
            END $$;
            """
        )
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_run_outcome'))

    op.drop_table('job_run')
