"""cases: disputes, complaints and bankruptcies as cases with owner, due date, notes and resolution

The account's old flags (dispute_pending, bankruptcy_hold) stay as columns but are no longer read: an account with
a flag set gets an open case instead (a dispute of its whole balance, a bankruptcy filed today holding its balance).

Revision ID: 0860
Revises: 0850
Create Date: 2026-12-04 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0860'
down_revision = '0850'
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('case',
    sa.Column('account_id', BIG, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('owner_id', BIG, nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('disputed_cents', sa.Integer(), nullable=True),
    sa.Column('chapter', sa.Integer(), nullable=True),
    sa.Column('case_number', sa.String(length=40), nullable=True),
    sa.Column('filed_on', sa.Date(), nullable=True),
    sa.Column('held_cents', sa.Integer(), nullable=True),
    sa.Column('discharged_on', sa.Date(), nullable=True),
    sa.Column('write_off_entry_id', BIG, nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('created_by_id', BIG, nullable=True),
    sa.Column('resolved_by_id', BIG, nullable=True),
    sa.Column('resolved_at', TS, nullable=True),
    sa.Column('id', BIG, nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_case_account_id_account')),
    sa.ForeignKeyConstraint(['owner_id'], ['app_user.id'], name=op.f('fk_case_owner_id_app_user')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_case_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['app_user.id'], name=op.f('fk_case_resolved_by_id_app_user')),
    sa.ForeignKeyConstraint(['write_off_entry_id'], ['ledger_entry.id'], name=op.f('fk_case_write_off_entry_id_ledger_entry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case'))
    )
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_status'), ['status'], unique=False)

    op.create_table('case_note',
    sa.Column('case_id', BIG, nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author_id', BIG, nullable=True),
    sa.Column('id', BIG, nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id'], name=op.f('fk_case_note_author_id_app_user')),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_case_note_case_id_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_note'))
    )
    with op.batch_alter_table('case_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_note_case_id'), ['case_id'], unique=False)

    # The flags become open cases (the columns stay, no longer read).
    balance = "(SELECT COALESCE(SUM(l.amount_cents), 0) FROM ledger_entry l WHERE l.account_id = account.id)"
    op.execute(
        'INSERT INTO "case" (account_id, kind, status, reason, disputed_cents, created_at) '
        f"SELECT id, 'dispute', 'open', 'Dispute pending (the account flag before cases)', "
        f"CASE WHEN {balance} > 0 THEN {balance} ELSE 0 END, CURRENT_TIMESTAMP FROM account WHERE dispute_pending"
    )
    op.execute(
        'INSERT INTO "case" (account_id, kind, status, reason, filed_on, held_cents, created_at) '
        f"SELECT id, 'bankruptcy', 'open', 'Bankruptcy hold (the account flag before cases)', CURRENT_DATE, "
        f"CASE WHEN {balance} > 0 THEN {balance} ELSE 0 END, CURRENT_TIMESTAMP FROM account WHERE bankruptcy_hold"
    )


def downgrade() -> None:
    op.drop_table('case_note')
    op.drop_table('case')
