"""The money side: the append-only ledger, bills, deposits, extensions, bank drafts and the cash drawer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import (
    BankDraftStatus,
    Base,
    CreatedMixin,
    DepositStatus,
    ExtensionStatus,
    IdMixin,
    LedgerKind,
    Origin,
    ServiceKind,
    Tender,
    str_enum,
)


class LedgerEntry(IdMixin, CreatedMixin, Base):
    """One money movement on an account. Never updated or deleted: a mistake is corrected by a reversal.

    amount_cents is positive when the customer owes more (charges, fees) and negative when they owe less
    (payments, credits). An account's balance is the sum of its entries.
    """

    __tablename__ = "ledger_entry"
    __table_args__ = (Index("ix_ledger_entry_account_effective", "account_id", "effective_on"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    kind: Mapped[LedgerKind] = mapped_column(str_enum(LedgerKind))
    amount_cents: Mapped[int]
    effective_on: Mapped[dt.date] = mapped_column(Date)
    # The external event's identity (Stripe intent id, receipt number, bill id...): replaying it posts nothing.
    source_key: Mapped[str] = mapped_column(String(200), unique=True)
    memo: Mapped[str] = mapped_column(String(300), default="")
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bill.id"), index=True)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    origin: Mapped[Origin] = mapped_column(str_enum(Origin), default=Origin.WEB)


class Bill(IdMixin, CreatedMixin, Base):
    __tablename__ = "bill"
    # One bill in force per account and period: the bill run's idempotency key. A bill cancelled by a rebill
    # (portal/billing/rebill.py) steps aside for its replacement, which covers the same period.
    __table_args__ = (
        Index(
            "uq_bill_account_period_current",
            "account_id",
            "period_end",
            unique=True,
            sqlite_where=text("cancelled_on IS NULL"),
            postgresql_where=text("cancelled_on IS NULL"),
        ),
    )

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    cycle: Mapped[int] = mapped_column(Integer, default=1)
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    bill_date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date, index=True)  # late fees look bills up by due date
    prev_read_id: Mapped[int | None] = mapped_column(ForeignKey("meter_read.id"))
    curr_read_id: Mapped[int | None] = mapped_column(ForeignKey("meter_read.id"))
    usage: Mapped[int] = mapped_column(default=0)  # billing units (gallons for water)
    estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    previous_balance_cents: Mapped[int] = mapped_column(default=0)
    total_cents: Mapped[int] = mapped_column(default=0)
    # Everything the bill document shows, frozen at bill time (messages, comparison, read details).
    document: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Cancel and rebill: the day this bill was cancelled (its charge reversed), and on a replacement the bill it
    # replaces; the reason is in the replacement's document ("rebill") and its bill_correction row.
    cancelled_on: Mapped[dt.date | None] = mapped_column(Date)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("bill.id"), unique=True)


class BillLine(IdMixin, Base):
    __tablename__ = "bill_line"

    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"), index=True)
    service_kind: Mapped[ServiceKind] = mapped_column(str_enum(ServiceKind))
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    unit: Mapped[str | None] = mapped_column(String(16))
    rate: Mapped[Decimal | None] = mapped_column(Numeric(14, 5))
    amount_cents: Mapped[int]
    sort: Mapped[int] = mapped_column(Integer, default=0)


class Deposit(IdMixin, CreatedMixin, Base):
    __tablename__ = "deposit"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    required_cents: Mapped[int]
    rule: Mapped[str] = mapped_column(String(64))  # the rule that set the amount (e.g. "avg_12m", "new_premise")
    reason: Mapped[str] = mapped_column(String(300))  # the rule's reason in words, as the resident saw it
    status: Mapped[DepositStatus] = mapped_column(str_enum(DepositStatus), default=DepositStatus.REQUIRED)
    waiver_note: Mapped[str | None] = mapped_column(Text)  # letter of credit: which utility, what it showed
    paid_cents: Mapped[int] = mapped_column(default=0)
    interest_cents: Mapped[int] = mapped_column(default=0)
    settled_on: Mapped[dt.date | None] = mapped_column(Date)  # applied or refunded


class PaymentExtension(IdMixin, CreatedMixin, Base):
    __tablename__ = "payment_extension"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    amount_cents: Mapped[int]
    requested_on: Mapped[dt.date] = mapped_column(Date)
    promised_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[ExtensionStatus] = mapped_column(str_enum(ExtensionStatus), index=True)
    granted_by_rule: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    reason: Mapped[str | None] = mapped_column(String(300))  # why it went to a CSR, or why it was decided so
    closed_on: Mapped[dt.date | None] = mapped_column(Date)


class BankDraft(IdMixin, CreatedMixin, Base):
    """An autopay enrolment: the Stripe objects behind it and the NACHA WEB authorization as agreed."""

    __tablename__ = "bank_draft"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    status: Mapped[BankDraftStatus] = mapped_column(str_enum(BankDraftStatus), default=BankDraftStatus.PENDING)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64))
    stripe_payment_method_id: Mapped[str | None] = mapped_column(String(64))
    stripe_setup_intent_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    stripe_mandate_id: Mapped[str | None] = mapped_column(String(64))
    bank_name: Mapped[str | None] = mapped_column(String(80))
    last4: Mapped[str | None] = mapped_column(String(4))
    authorization_text: Mapped[str] = mapped_column(Text)
    authorized_at: Mapped[dt.datetime]
    authorized_ip: Mapped[str] = mapped_column(String(64))
    returns_count: Mapped[int] = mapped_column(default=0)
    cancelled_at: Mapped[dt.datetime | None]
    # How it was given: "web" (the resident online, NACHA WEB), "paper" (a signed form, PPD), "phone" (a recorded
    # call, TEL). For paper and phone: who took it and the record of the authorization (signer or caller, date
    # signed or time of the call, the wording version, the call recording's reference, the scanned form's store key,
    # checksum and type, the written confirmation sent).
    channel: Mapped[str] = mapped_column(String(8), default="web", server_default="web")
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    authorization_record: Mapped[dict[str, Any] | None] = mapped_column()


class Counter(Base):
    """Gap-free numbering (receipt numbers): the row is locked, incremented and used in the same transaction."""

    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class CashDrawer(IdMixin, Base):
    __tablename__ = "cash_drawer"

    opened_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    opened_at: Mapped[dt.datetime]
    opening_float_cents: Mapped[int] = mapped_column(default=0)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    closed_at: Mapped[dt.datetime | None]
    counted: Mapped[dict[str, Any] | None] = mapped_column()  # cents by tender, as counted
    expected: Mapped[dict[str, Any] | None] = mapped_column()  # cents by tender, from receipts
    over_short_cents: Mapped[int | None]
    over_short_reason: Mapped[str | None] = mapped_column(String(300))
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)


class Receipt(IdMixin, CreatedMixin, Base):
    __tablename__ = "receipt"

    number: Mapped[int] = mapped_column(unique=True)
    drawer_id: Mapped[int] = mapped_column(ForeignKey("cash_drawer.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    tender: Mapped[Tender] = mapped_column(str_enum(Tender))
    amount_cents: Mapped[int]
    tendered_cents: Mapped[int | None]  # cash handed over; the change given is tendered_cents - amount_cents
    check_number: Mapped[str | None] = mapped_column(String(32))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    voided_at: Mapped[dt.datetime | None]
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    void_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    void_reason: Mapped[str | None] = mapped_column(String(300))
