"""What customer-service staff record on an account: adjustments (with their approval), notes, payment
arrangements, collection contacts (cut-off notices, courtesy calls) and imported lockbox files."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, CreatedMixin, IdMixin, str_enum


class AdjustmentKind(enum.StrEnum):
    LEAK = "leak"
    POOL_FILL = "pool_fill"
    VACATION_GARBAGE = "vacation_garbage"
    BILLING_ERROR = "billing_error"
    FEE_WAIVER = "fee_waiver"
    METER_ACCURACY = "meter_accuracy"


class AdjustmentStatus(enum.StrEnum):
    PENDING_APPROVAL = "pending_approval"
    POSTED = "posted"
    REJECTED = "rejected"


class ArrangementStatus(enum.StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    BROKEN = "broken"
    CANCELLED = "cancelled"


class RefundStatus(enum.StrEnum):
    PENDING_APPROVAL = "pending_approval"
    SENT = "sent"  # refunded through Stripe, or a check posted to the ledger
    REJECTED = "rejected"


class ContactKind(enum.StrEnum):
    CUTOFF_NOTICE = "cutoff_notice"
    COURTESY_CALL = "courtesy_call"


class Adjustment(IdMixin, CreatedMixin, Base):
    """A correction to an account computed by a rule (portal.staff.rules) and explained in words. Over the
    supervisor threshold it waits for a supervisor who is not the requester; once posted it points at its entry."""

    __tablename__ = "adjustment"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    kind: Mapped[AdjustmentKind] = mapped_column(str_enum(AdjustmentKind))
    status: Mapped[AdjustmentStatus] = mapped_column(str_enum(AdjustmentStatus), index=True)
    amount_cents: Mapped[int]  # ledger sign: negative is a credit to the customer
    reason: Mapped[str] = mapped_column(String(500))  # the CSR's words
    explanation: Mapped[str] = mapped_column(String(500))  # the rule's working, in words
    inputs: Mapped[dict[str, Any]] = mapped_column(default=dict)  # what the calculator was given
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bill.id"))
    effective_on: Mapped[dt.date] = mapped_column(Date)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[dt.datetime | None]
    decision_note: Mapped[str | None] = mapped_column(String(300))
    ledger_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"))


class AccountNote(IdMixin, CreatedMixin, Base):
    __tablename__ = "account_note"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    body: Mapped[str] = mapped_column(Text)


class PaymentArrangement(IdMixin, CreatedMixin, Base):
    """A CSR-granted plan for a larger balance: a down payment, then instalments with the current bills."""

    __tablename__ = "payment_arrangement"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    status: Mapped[ArrangementStatus] = mapped_column(str_enum(ArrangementStatus), index=True)
    total_cents: Mapped[int]
    down_payment_cents: Mapped[int]
    # [{"due_on": "2026-12-15", "amount_cents": 12345}, ...]
    instalments: Mapped[list[Any]] = mapped_column(default=list)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    down_payment_due_on: Mapped[dt.date | None] = mapped_column(Date)  # None: due on the start date
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(300))
    # Why it ended (completed or broken), in words: "The instalment of $50.00 due 2027-01-15 was not paid."
    outcome_note: Mapped[str | None] = mapped_column(String(300))


class CollectionContact(IdMixin, CreatedMixin, Base):
    """A cut-off notice sent or a courtesy call made: the cut-off rule needs both, at the right distance."""

    __tablename__ = "collection_contact"
    __table_args__ = (Index("ix_collection_contact_account_kind", "account_id", "kind", "contacted_at"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    kind: Mapped[ContactKind] = mapped_column(str_enum(ContactKind))
    contacted_at: Mapped[dt.datetime]
    outcome: Mapped[str] = mapped_column(
        String(32)
    )  # emailed, letter; reached, voicemail, no_answer, wrong_number, promised
    note: Mapped[str | None] = mapped_column(String(300))
    amount_cents: Mapped[int | None]  # a notice: the past-due amount it told the customer about
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    mail_message_id: Mapped[int | None] = mapped_column(ForeignKey("mail_message.id"))


class MedicalCertification(IdMixin, CreatedMixin, Base):
    """A doctor's certificate that disconnection would endanger someone in the home. It holds off disconnection for
    the policy's days; for the same arrears (the same oldest past-due date) it may be renewed only the policy's
    number of times."""

    __tablename__ = "medical_certification"
    __table_args__ = (Index("ix_medical_certification_account_arrears", "account_id", "arrears_since"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    certified_on: Mapped[dt.date] = mapped_column(Date)  # the date on the certificate
    holds_until: Mapped[dt.date] = mapped_column(Date)
    arrears_since: Mapped[dt.date | None] = mapped_column(Date)  # the oldest past-due date when it was recorded
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class LockboxBatch(IdMixin, CreatedMixin, Base):
    """One imported bank/lockbox payment file. Each line posts under its own key, so a file imported twice posts
    each payment once; this row keeps what the import did, line by line."""

    __tablename__ = "lockbox_batch"

    file_name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    lines: Mapped[int] = mapped_column(Integer, default=0)
    posted: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    posted_cents: Mapped[int] = mapped_column(default=0)
    report: Mapped[list[Any]] = mapped_column(default=list)  # [{"line": 2, "key": ..., "outcome": ..., "message": ...}]


class RefundRequest(IdMixin, CreatedMixin, Base):
    """A credit balance sent back to the customer from the console (what is left after a deposit is applied, an
    overpayment): to the card or bank account they paid with (portal.payments.refunds) or by check. Over the policy's
    limit it waits for a supervisor who is not the requester. `claim_key` is the form's one-time key: a double
    submit finds the first request."""

    __tablename__ = "refund_request"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    claim_key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # deposit | credit (which ledger kind the refund posts)
    method: Mapped[str] = mapped_column(String(16))  # online | check
    amount_cents: Mapped[int]
    reason: Mapped[str] = mapped_column(String(300))
    status: Mapped[RefundStatus] = mapped_column(str_enum(RefundStatus), index=True)
    mail_to: Mapped[str | None] = mapped_column(Text)  # a check: where it is mailed
    check_number: Mapped[str | None] = mapped_column(String(32))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[dt.datetime | None]
    decision_note: Mapped[str | None] = mapped_column(String(300))
