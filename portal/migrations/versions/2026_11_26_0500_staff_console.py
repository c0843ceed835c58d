"""staff console: adjustments, notes, arrangements, collection contacts, lockbox files; account search indexes

Account search (portal/staff/search.py) matches substrings of names, addresses, phone digits, meter serials and
account numbers. On PostgreSQL trigram GIN indexes (pg_trgm) answer those LIKE '%...%' look-ups from an index;
the expressions below must stay identical to the ones the search builds. SQLite has no such index and scans,
which is fine for an embedded demo city.

Revision ID: 0500
Revises: 0001
Create Date: 2026-11-26 08:32:08.383074
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0500'
down_revision = '0001'
branch_labels = None
depends_on = None


SEARCH_INDEXES = [  # (name, table, method, indexed expression with its operator class)
    ("ix_customer_name_search", "customer", "gin", "(first_name || ' ' || last_name) gin_trgm_ops"),
    ("ix_customer_business_search", "customer", "gin", "business_name gin_trgm_ops"),
    ("ix_customer_phone_search", "customer", "gin",
     "(replace(replace(replace(replace(replace(phone, '-', ''), ' ', ''), '(', ''), ')', ''), '.', '')) gin_trgm_ops"),
    ("ix_premise_address_search", "premise", "gin", "address gin_trgm_ops"),
    # Serials and account numbers are looked up by prefix: a pattern-ops btree answers LIKE 'abc%' directly.
    ("ix_meter_serial_search", "meter", "btree", "serial varchar_pattern_ops"),
    ("ix_account_number_search", "account", "btree", "number varchar_pattern_ops"),
]


def _search_indexes_up() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, method, expression in SEARCH_INDEXES:
        op.execute(f"CREATE INDEX {name} ON {table} USING {method} ({expression})")


def _search_indexes_down() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, *_rest in SEARCH_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")


def upgrade() -> None:
    _search_indexes_up()
    op.create_table('account_note',
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('author_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_account_note_account_id_account')),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id'], name=op.f('fk_account_note_author_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_note'))
    )
    with op.batch_alter_table('account_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_note_account_id'), ['account_id'], unique=False)

    op.create_table('collection_contact',
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.Enum('cutoff_notice', 'courtesy_call', name='contactkind', native_enum=False, length=32), nullable=False),
    sa.Column('contacted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('created_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('mail_message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_collection_contact_account_id_account')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_collection_contact_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['mail_message_id'], ['mail_message.id'], name=op.f('fk_collection_contact_mail_message_id_mail_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collection_contact'))
    )
    with op.batch_alter_table('collection_contact', schema=None) as batch_op:
        batch_op.create_index('ix_collection_contact_account_kind', ['account_id', 'kind', 'contacted_at'], unique=False)

    op.create_table('lockbox_batch',
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('imported_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('posted', sa.Integer(), nullable=False),
    sa.Column('duplicates', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('posted_cents', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['imported_by_id'], ['app_user.id'], name=op.f('fk_lockbox_batch_imported_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lockbox_batch'))
    )
    with op.batch_alter_table('lockbox_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lockbox_batch_sha256'), ['sha256'], unique=False)

    op.create_table('payment_arrangement',
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.Enum('active', 'completed', 'broken', 'cancelled', name='arrangementstatus', native_enum=False, length=32), nullable=False),
    sa.Column('total_cents', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('down_payment_cents', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('instalments', sa.JSON(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('granted_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('reason', sa.String(length=300), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_payment_arrangement_account_id_account')),
    sa.ForeignKeyConstraint(['granted_by_id'], ['app_user.id'], name=op.f('fk_payment_arrangement_granted_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_arrangement'))
    )
    with op.batch_alter_table('payment_arrangement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_arrangement_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_arrangement_status'), ['status'], unique=False)

    op.create_table('adjustment',
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.Enum('leak', 'pool_fill', 'vacation_garbage', 'billing_error', 'fee_waiver', name='adjustmentkind', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('pending_approval', 'posted', 'rejected', name='adjustmentstatus', native_enum=False, length=32), nullable=False),
    sa.Column('amount_cents', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('explanation', sa.String(length=500), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('bill_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('requested_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('decided_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.String(length=300), nullable=True),
    sa.Column('ledger_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_adjustment_account_id_account')),
    sa.ForeignKeyConstraint(['bill_id'], ['bill.id'], name=op.f('fk_adjustment_bill_id_bill')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['app_user.id'], name=op.f('fk_adjustment_decided_by_id_app_user')),
    sa.ForeignKeyConstraint(['ledger_entry_id'], ['ledger_entry.id'], name=op.f('fk_adjustment_ledger_entry_id_ledger_entry')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['app_user.id'], name=op.f('fk_adjustment_requested_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adjustment'))
    )
    with op.batch_alter_table('adjustment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adjustment_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_adjustment_status'), ['status'], unique=False)



def downgrade() -> None:
    _search_indexes_down()
    with op.batch_alter_table('adjustment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adjustment_status'))
        batch_op.drop_index(batch_op.f('ix_adjustment_account_id'))

    op.drop_table('adjustment')
    with op.batch_alter_table('payment_arrangement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_arrangement_status'))
        batch_op.drop_index(batch_op.f('ix_payment_arrangement_account_id'))

    op.drop_table('payment_arrangement')
    with op.batch_alter_table('lockbox_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lockbox_batch_sha256'))

    op.drop_table('lockbox_batch')
    with op.batch_alter_table('collection_contact', schema=None) as batch_op:
        batch_op.drop_index('ix_collection_contact_account_kind')

    op.drop_table('collection_contact')
    with op.batch_alter_table('account_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_note_account_id'))

    op.drop_table('account_note')
