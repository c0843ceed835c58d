"""the outbox: every message's channel, status, attempts and back-off, provider id and idempotency key

Revision ID: 0810
Revises: 0800
Create Date: 2026-12-04 15:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0810'
down_revision = '0800'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=8), server_default='email', nullable=False))
        batch_op.add_column(sa.Column('status', sa.String(length=12), server_default='queued', nullable=False))
        batch_op.add_column(
            sa.Column('attempts', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), server_default='0', nullable=False)
        )
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('status_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reached_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('provider_id', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column('kind', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('about', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('print_batch_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_mail_message_about'), ['about'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_message_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_message_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index('ix_mail_message_status_next', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_mail_message_idempotency_key'), ['idempotency_key'])
        batch_op.create_foreign_key(
            batch_op.f('fk_mail_message_account_id_account'), 'account', ['account_id'], ['id']
        )
    # What was sent before the outbox kept a status: sent (and reached) when sent_at is set, failed on an error.
    op.execute("UPDATE mail_message SET status = 'sent', status_at = sent_at, reached_at = sent_at WHERE sent_at IS NOT NULL")
    op.execute("UPDATE mail_message SET status = 'failed' WHERE sent_at IS NULL AND error IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_mail_message_account_id_account'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_mail_message_idempotency_key'), type_='unique')
        batch_op.drop_index('ix_mail_message_status_next')
        batch_op.drop_index(batch_op.f('ix_mail_message_provider_id'))
        batch_op.drop_index(batch_op.f('ix_mail_message_account_id'))
        batch_op.drop_index(batch_op.f('ix_mail_message_about'))
        for column in (
            'print_batch_id', 'account_id', 'about', 'kind', 'idempotency_key', 'provider_id', 'reached_at',
            'status_at', 'next_attempt_at', 'attempts', 'status', 'channel',
        ):
            batch_op.drop_column(column)
