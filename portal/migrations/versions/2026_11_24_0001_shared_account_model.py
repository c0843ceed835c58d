"""shared account model

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 08:30:13.260449
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


LEDGER_GUARD_PG = [
    """CREATE FUNCTION ledger_entry_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'ledger entries are append-only: post a reversal instead';
    END;
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE OR DELETE ON ledger_entry
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_append_only()""",
]

LEDGER_GUARD_SQLITE = [
    """CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE ON ledger_entry
    BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only: post a reversal instead'); END""",
    """CREATE TRIGGER ledger_entry_no_delete BEFORE DELETE ON ledger_entry
    BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only: post a reversal instead'); END""",
]


def _guard_ledger() -> None:
    """The database itself refuses to change or remove a ledger entry, whatever code asks."""
    statements = LEDGER_GUARD_PG if op.get_bind().dialect.name == "postgresql" else LEDGER_GUARD_SQLITE
    for statement in statements:
        op.execute(statement)


def _unguard_ledger() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_entry_no_update ON ledger_entry")
        op.execute("DROP FUNCTION IF EXISTS ledger_entry_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS ledger_entry_no_update")
        op.execute("DROP TRIGGER IF EXISTS ledger_entry_no_delete")


def upgrade() -> None:
    op.create_table('counter',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('value', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_counter'))
    )
    op.create_table('customer',
    sa.Column('first_name', sa.String(length=80), nullable=False),
    sa.Column('last_name', sa.String(length=80), nullable=False),
    sa.Column('business_name', sa.String(length=160), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('paperless', sa.Boolean(), nullable=False),
    sa.Column('notify_email', sa.Boolean(), nullable=False),
    sa.Column('notify_sms', sa.Boolean(), nullable=False),
    sa.Column('mailing_address', sa.Text(), nullable=True),
    sa.Column('medical_alert_until', sa.Date(), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer'))
    )
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_last_name'), ['last_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_phone'), ['phone'], unique=False)

    op.create_table('mail_message',
    sa.Column('to_addr', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('text_body', sa.Text(), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_message'))
    )
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_message_to_addr'), ['to_addr'], unique=False)

    op.create_table('premise',
    sa.Column('address', sa.String(length=160), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=True),
    sa.Column('city', sa.String(length=80), nullable=False),
    sa.Column('state', sa.String(length=2), nullable=False),
    sa.Column('zip', sa.String(length=10), nullable=False),
    sa.Column('parent_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('route', sa.String(length=16), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('hazards', sa.Text(), nullable=True),
    sa.Column('solid_waste_carts', sa.Integer(), nullable=False),
    sa.Column('stormwater_erus', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['premise.id'], name=op.f('fk_premise_parent_id_premise')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_premise'))
    )
    with op.batch_alter_table('premise', schema=None) as batch_op:
        batch_op.create_index('ix_premise_address', ['address', 'unit'], unique=False)
        batch_op.create_index(batch_op.f('ix_premise_cycle'), ['cycle'], unique=False)
        batch_op.create_index(batch_op.f('ix_premise_zip'), ['zip'], unique=False)

    op.create_table('sign_in_code',
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('code_hash', sa.String(length=128), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_code'))
    )
    with op.batch_alter_table('sign_in_code', schema=None) as batch_op:
        batch_op.create_index('ix_sign_in_code_email_created', ['email', 'created_at'], unique=False)

    op.create_table('throttle_hit',
    sa.Column('bucket', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_throttle_hit'))
    )
    with op.batch_alter_table('throttle_hit', schema=None) as batch_op:
        batch_op.create_index('ix_throttle_hit_bucket_key_at', ['bucket', 'key', 'at'], unique=False)

    op.create_table('account',
    sa.Column('number', sa.String(length=12), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('premise_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_class', sa.Enum('residential', 'commercial', name='accountclass', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('pending', 'active', 'final', 'closed', 'collections', name='accountstatus', native_enum=False, length=32), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('dispute_pending', sa.Boolean(), nullable=False),
    sa.Column('bankruptcy_hold', sa.Boolean(), nullable=False),
    sa.Column('consecutive_estimates', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_account_customer_id_customer')),
    sa.ForeignKeyConstraint(['premise_id'], ['premise.id'], name=op.f('fk_account_premise_id_premise')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account')),
    sa.UniqueConstraint('number', name=op.f('uq_account_number'))
    )
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_premise_id'), ['premise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_status'), ['status'], unique=False)

    op.create_table('app_user',
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=160), nullable=False),
    sa.Column('role', sa.Enum('customer', 'field', 'csr', 'supervisor', 'admin', name='role', native_enum=False, length=32), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=True),
    sa.Column('webauthn_handle', sa.LargeBinary(length=64), nullable=False),
    sa.Column('last_sign_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('session_version', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_app_user_customer_id_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('email', name=op.f('uq_app_user_email')),
    sa.UniqueConstraint('webauthn_handle', name=op.f('uq_app_user_webauthn_handle'))
    )
    op.create_table('meter',
    sa.Column('serial', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.Enum('water', 'electric', 'gas', name='meterkind', native_enum=False, length=32), nullable=False),
    sa.Column('size', sa.String(length=8), nullable=False),
    sa.Column('dials', sa.Integer(), nullable=False),
    sa.Column('multiplier', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=8), nullable=False),
    sa.Column('premise_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('installed_on', sa.Date(), nullable=True),
    sa.Column('removed_on', sa.Date(), nullable=True),
    sa.Column('location_note', sa.String(length=200), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['premise_id'], ['premise.id'], name=op.f('fk_meter_premise_id_premise')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meter')),
    sa.UniqueConstraint('serial', name=op.f('uq_meter_serial'))
    )
    with op.batch_alter_table('meter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meter_premise_id'), ['premise_id'], unique=False)

    op.create_table('audit_event',
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('actor_label', sa.String(length=160), nullable=False),
    sa.Column('origin', sa.Enum('web', 'sync', 'webhook', 'job', 'cli', name='origin', native_enum=False, length=32), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('entity_type', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_audit_event_account_id_account')),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], name=op.f('fk_audit_event_actor_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_audit_event_entity', ['entity_type', 'entity_id'], unique=False)

    op.create_table('bank_draft',
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.Enum('pending', 'active', 'suspended', 'cancelled', name='bankdraftstatus', native_enum=False, length=32), nullable=False),
    sa.Column('stripe_customer_id', sa.String(length=64), nullable=True),
    sa.Column('stripe_payment_method_id', sa.String(length=64), nullable=True),
    sa.Column('stripe_setup_intent_id', sa.String(length=64), nullable=True),
    sa.Column('stripe_mandate_id', sa.String(length=64), nullable=True),
    sa.Column('bank_name', sa.String(length=80), nullable=True),
    sa.Column('last4', sa.String(length=4), nullable=True),
    sa.Column('authorization_text', sa.Text(), nullable=False),
    sa.Column('authorized_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('authorized_ip', sa.String(length=64), nullable=False),
    sa.Column('returns_count', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_bank_draft_account_id_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_draft')),
    sa.UniqueConstraint('stripe_setup_intent_id', name=op.f('uq_bank_draft_stripe_setup_intent_id'))
    )
    with op.batch_alter_table('bank_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_draft_account_id'), ['account_id'], unique=False)

    op.create_table('cash_drawer',
    sa.Column('opened_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opening_float_cents', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('closed_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('counted', sa.JSON(), nullable=True),
    sa.Column('expected', sa.JSON(), nullable=True),
    sa.Column('over_short_cents', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('over_short_reason', sa.String(length=300), nullable=True),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['closed_by_id'], ['app_user.id'], name=op.f('fk_cash_drawer_closed_by_id_app_user')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['app_user.id'], name=op.f('fk_cash_drawer_opened_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cash_drawer'))
    )
    op.create_table('deposit',
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('required_cents', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('status', sa.Enum('required', 'held', 'waived', 'applied', 'refunded', name='depositstatus', native_enum=False, length=32), nullable=False),
    sa.Column('waiver_note', sa.Text(), nullable=True),
    sa.Column('paid_cents', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('interest_cents', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('settled_on', sa.Date(), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_deposit_account_id_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deposit'))
    )
    with op.batch_alter_table('deposit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deposit_account_id'), ['account_id'], unique=False)

    op.create_table('passkey',
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('credential_id', sa.LargeBinary(length=1024), nullable=False),
    sa.Column('public_key', sa.LargeBinary(length=2048), nullable=False),
    sa.Column('sign_count', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('transports', sa.JSON(), nullable=False),
    sa.Column('aaguid', sa.String(length=36), nullable=True),
    sa.Column('backed_up', sa.Boolean(), nullable=False),
    sa.Column('nickname', sa.String(length=80), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_passkey_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_passkey')),
    sa.UniqueConstraint('credential_id', name=op.f('uq_passkey_credential_id'))
    )
    with op.batch_alter_table('passkey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_passkey_user_id'), ['user_id'], unique=False)

    op.create_table('payment_extension',
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount_cents', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('requested_on', sa.Date(), nullable=False),
    sa.Column('promised_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('pending_review', 'active', 'kept', 'broken', 'cancelled', 'denied', name='extensionstatus', native_enum=False, length=32), nullable=False),
    sa.Column('granted_by_rule', sa.Boolean(), nullable=False),
    sa.Column('decided_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reason', sa.String(length=300), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_payment_extension_account_id_account')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['app_user.id'], name=op.f('fk_payment_extension_decided_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_extension'))
    )
    with op.batch_alter_table('payment_extension', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_extension_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_extension_status'), ['status'], unique=False)

    op.create_table('service',
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.Enum('water', 'sewer', 'solid_waste', 'stormwater', 'electric', 'gas', name='servicekind', native_enum=False, length=32), nullable=False),
    sa.Column('rate_code', sa.String(length=32), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_service_account_id_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service'))
    )
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_account_id'), ['account_id'], unique=False)

    op.create_table('user_account',
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_user_account_account_id_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_user_account_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'account_id', name=op.f('pk_user_account'))
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_account_account_id'), ['account_id'], unique=False)

    op.create_table('work_order',
    sa.Column('kind', sa.Enum('start', 'stop', 'transfer_read', 'disconnect', 'restore', 'read', 'check_read', 'meter_test', 'leak_check', 'meter_change', 'investigate', name='workorderkind', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('open', 'assigned', 'completed', 'cancelled', name='workorderstatus', native_enum=False, length=32), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('premise_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('meter_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('assigned_to_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.String(length=300), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_work_order_account_id_account')),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['app_user.id'], name=op.f('fk_work_order_assigned_to_id_app_user')),
    sa.ForeignKeyConstraint(['completed_by_id'], ['app_user.id'], name=op.f('fk_work_order_completed_by_id_app_user')),
    sa.ForeignKeyConstraint(['meter_id'], ['meter.id'], name=op.f('fk_work_order_meter_id_meter')),
    sa.ForeignKeyConstraint(['premise_id'], ['premise.id'], name=op.f('fk_work_order_premise_id_premise')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order'))
    )
    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_order_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_work_order_assignee_status', ['assigned_to_id', 'status', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_premise_id'), ['premise_id'], unique=False)

    op.create_table('meter_read',
    sa.Column('meter_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('value', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.Enum('field', 'customer', 'check', 'estimated', 'office', name='readsource', native_enum=False, length=32), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('reader_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('work_order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meter_id'], ['meter.id'], name=op.f('fk_meter_read_meter_id_meter')),
    sa.ForeignKeyConstraint(['reader_id'], ['app_user.id'], name=op.f('fk_meter_read_reader_id_app_user')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_order.id'], name=op.f('fk_meter_read_work_order_id_work_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meter_read'))
    )
    with op.batch_alter_table('meter_read', schema=None) as batch_op:
        batch_op.create_index('ix_meter_read_meter_at', ['meter_id', 'read_at'], unique=False)

    op.create_table('photo',
    sa.Column('work_order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('size_bytes', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('uploaded_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['app_user.id'], name=op.f('fk_photo_uploaded_by_id_app_user')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_order.id'], name=op.f('fk_photo_work_order_id_work_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photo')),
    sa.UniqueConstraint('client_id', name=op.f('uq_photo_client_id'))
    )
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_photo_work_order_id'), ['work_order_id'], unique=False)

    op.create_table('receipt',
    sa.Column('number', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('drawer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tender', sa.Enum('cash', 'check', 'card', name='tender', native_enum=False, length=32), nullable=False),
    sa.Column('amount_cents', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('check_number', sa.String(length=32), nullable=True),
    sa.Column('created_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('voided_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('void_approved_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('void_reason', sa.String(length=300), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_receipt_account_id_account')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_receipt_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['drawer_id'], ['cash_drawer.id'], name=op.f('fk_receipt_drawer_id_cash_drawer')),
    sa.ForeignKeyConstraint(['void_approved_by_id'], ['app_user.id'], name=op.f('fk_receipt_void_approved_by_id_app_user')),
    sa.ForeignKeyConstraint(['voided_by_id'], ['app_user.id'], name=op.f('fk_receipt_voided_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt')),
    sa.UniqueConstraint('number', name=op.f('uq_receipt_number'))
    )
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipt_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_receipt_drawer_id'), ['drawer_id'], unique=False)

    op.create_table('sync_mutation',
    sa.Column('mutation_id', sa.String(length=36), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('work_order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('payload_sha256', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_sync_mutation_user_id_app_user')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_order.id'], name=op.f('fk_sync_mutation_work_order_id_work_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_mutation')),
    sa.UniqueConstraint('mutation_id', name=op.f('uq_sync_mutation_mutation_id'))
    )
    with op.batch_alter_table('sync_mutation', schema=None) as batch_op:
        batch_op.create_index('ix_sync_mutation_device_seq', ['device_id', 'seq'], unique=False)

    op.create_table('bill',
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('bill_date', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('prev_read_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('curr_read_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('usage', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('estimated', sa.Boolean(), nullable=False),
    sa.Column('final', sa.Boolean(), nullable=False),
    sa.Column('previous_balance_cents', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('total_cents', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_bill_account_id_account')),
    sa.ForeignKeyConstraint(['curr_read_id'], ['meter_read.id'], name=op.f('fk_bill_curr_read_id_meter_read')),
    sa.ForeignKeyConstraint(['prev_read_id'], ['meter_read.id'], name=op.f('fk_bill_prev_read_id_meter_read')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bill')),
    sa.UniqueConstraint('account_id', 'period_end', name=op.f('uq_bill_account_id_period_end'))
    )
    with op.batch_alter_table('bill', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bill_account_id'), ['account_id'], unique=False)

    op.create_table('bill_line',
    sa.Column('bill_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('service_kind', sa.Enum('water', 'sewer', 'solid_waste', 'stormwater', 'electric', 'gas', name='servicekind', native_enum=False, length=32), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=14, scale=3), nullable=True),
    sa.Column('unit', sa.String(length=16), nullable=True),
    sa.Column('rate', sa.Numeric(precision=14, scale=5), nullable=True),
    sa.Column('amount_cents', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sort', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['bill_id'], ['bill.id'], name=op.f('fk_bill_line_bill_id_bill'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bill_line'))
    )
    with op.batch_alter_table('bill_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bill_line_bill_id'), ['bill_id'], unique=False)

    op.create_table('ledger_entry',
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.Enum('charge', 'payment', 'adjustment', 'late_fee', 'deposit_billed', 'deposit_paid', 'deposit_applied', 'deposit_refunded', 'refund', 'fee', 'reversal', 'transfer', name='ledgerkind', native_enum=False, length=32), nullable=False),
    sa.Column('amount_cents', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('source_key', sa.String(length=200), nullable=False),
    sa.Column('memo', sa.String(length=300), nullable=False),
    sa.Column('bill_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reverses_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('origin', sa.Enum('web', 'sync', 'webhook', 'job', 'cli', name='origin', native_enum=False, length=32), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_ledger_entry_account_id_account')),
    sa.ForeignKeyConstraint(['bill_id'], ['bill.id'], name=op.f('fk_ledger_entry_bill_id_bill')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_ledger_entry_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['reverses_id'], ['ledger_entry.id'], name=op.f('fk_ledger_entry_reverses_id_ledger_entry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entry')),
    sa.UniqueConstraint('reverses_id', name=op.f('uq_ledger_entry_reverses_id')),
    sa.UniqueConstraint('source_key', name=op.f('uq_ledger_entry_source_key'))
    )
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entry_account_effective', ['account_id', 'effective_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entry_bill_id'), ['bill_id'], unique=False)
    _guard_ledger()


def downgrade() -> None:
    _unguard_ledger()
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entry_bill_id'))
        batch_op.drop_index('ix_ledger_entry_account_effective')

    op.drop_table('ledger_entry')
    with op.batch_alter_table('bill_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bill_line_bill_id'))

    op.drop_table('bill_line')
    with op.batch_alter_table('bill', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bill_account_id'))

    op.drop_table('bill')
    with op.batch_alter_table('sync_mutation', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_mutation_device_seq')

    op.drop_table('sync_mutation')
    with op.batch_alter_table('receipt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipt_drawer_id'))
        batch_op.drop_index(batch_op.f('ix_receipt_account_id'))

    op.drop_table('receipt')
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photo_work_order_id'))

    op.drop_table('photo')
    with op.batch_alter_table('meter_read', schema=None) as batch_op:
        batch_op.drop_index('ix_meter_read_meter_at')

    op.drop_table('meter_read')
    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_order_premise_id'))
        batch_op.drop_index('ix_work_order_assignee_status')
        batch_op.drop_index(batch_op.f('ix_work_order_account_id'))

    op.drop_table('work_order')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_account_account_id'))

    op.drop_table('user_account')
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_account_id'))

    op.drop_table('service')
    with op.batch_alter_table('payment_extension', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_extension_status'))
        batch_op.drop_index(batch_op.f('ix_payment_extension_account_id'))

    op.drop_table('payment_extension')
    with op.batch_alter_table('passkey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_passkey_user_id'))

    op.drop_table('passkey')
    with op.batch_alter_table('deposit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deposit_account_id'))

    op.drop_table('deposit')
    op.drop_table('cash_drawer')
    with op.batch_alter_table('bank_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_draft_account_id'))

    op.drop_table('bank_draft')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_entity')
        batch_op.drop_index(batch_op.f('ix_audit_event_account_id'))

    op.drop_table('audit_event')
    with op.batch_alter_table('meter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meter_premise_id'))

    op.drop_table('meter')
    op.drop_table('app_user')
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_status'))
        batch_op.drop_index(batch_op.f('ix_account_premise_id'))
        batch_op.drop_index(batch_op.f('ix_account_customer_id'))

    op.drop_table('account')
    with op.batch_alter_table('throttle_hit', schema=None) as batch_op:
        batch_op.drop_index('ix_throttle_hit_bucket_key_at')

    op.drop_table('throttle_hit')
    with op.batch_alter_table('sign_in_code', schema=None) as batch_op:
        batch_op.drop_index('ix_sign_in_code_email_created')

    op.drop_table('sign_in_code')
    with op.batch_alter_table('premise', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_premise_zip'))
        batch_op.drop_index(batch_op.f('ix_premise_cycle'))
        batch_op.drop_index('ix_premise_address')

    op.drop_table('premise')
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_message_to_addr'))

    op.drop_table('mail_message')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_phone'))
        batch_op.drop_index(batch_op.f('ix_customer_last_name'))
        batch_op.drop_index(batch_op.f('ix_customer_email'))

    op.drop_table('customer')
    op.drop_table('counter')
