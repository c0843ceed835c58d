"""Payments made through Stripe (card, bank account, bank draft), the Stripe events received, and refunds."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, CreatedMixin, IdMixin, utcnow


class OnlinePayment(IdMixin, CreatedMixin, Base):
    """One attempt to pay through Stripe, from the moment we ask Stripe for a PaymentIntent.

    `claim_key` is unique and is also the Stripe idempotency key: a retried request, a second draft run or a second
    machine running the same draft finds the row and charges nobody twice. The ledger entry is keyed by the intent id.
    """

    __tablename__ = "online_payment"
    __table_args__ = (Index("ix_online_payment_status_updated", "status", "updated_at"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    claim_key: Mapped[str] = mapped_column(String(120), unique=True)
    intent_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    charge_id: Mapped[str | None] = mapped_column(String(64), index=True)
    confirmation: Mapped[str] = mapped_column(String(16), unique=True)  # shown to the resident: "P7K2M9QX"
    method: Mapped[str] = mapped_column(String(32))  # card | us_bank_account
    channel: Mapped[str] = mapped_column(String(16))  # signed_in | guest | draft
    amount_cents: Mapped[int]
    # created | requires_payment_method | processing | succeeded | failed | canceled | returned
    status: Mapped[str] = mapped_column(String(32), default="created")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    receipt_email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str | None] = mapped_column(String(8))  # the payer's page; None: the customer's (a draft)
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bill.id"))
    bank_draft_id: Mapped[int | None] = mapped_column(ForeignKey("bank_draft.id"), index=True)
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"))
    failure_message: Mapped[str | None] = mapped_column(String(300))
    succeeded_at: Mapped[dt.datetime | None]
    returned_at: Mapped[dt.datetime | None]
    disputed_at: Mapped[dt.datetime | None]
    refunded_cents: Mapped[int] = mapped_column(default=0)
    receipt_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class StripeEvent(Base):
    """Every Stripe event received, stored by its id before it is handled: a replay finds it and changes nothing."""

    __tablename__ = "stripe_event"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64), index=True)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str | None] = mapped_column(String(200))


class PaymentRefund(IdMixin, CreatedMixin, Base):
    """Money sent back through Stripe (a deposit or a credit balance), posted to the ledger once."""

    __tablename__ = "payment_refund"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    claim_key: Mapped[str] = mapped_column(String(120), unique=True)  # also the Stripe idempotency key
    kind: Mapped[str] = mapped_column(String(16))  # deposit | credit
    amount_cents: Mapped[int]
    payment_id: Mapped[int] = mapped_column(ForeignKey("online_payment.id"), index=True)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | succeeded | failed
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    reason: Mapped[str] = mapped_column(String(300), default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
