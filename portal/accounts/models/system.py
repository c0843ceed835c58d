"""The audit trail and the plumbing tables: mail outbox and rate-limit counters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, CreatedMixin, IdMixin, Origin, str_enum, utcnow


class AuditEvent(IdMixin, Base):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity_type", "entity_id"),)

    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_label: Mapped[str] = mapped_column(String(160))  # "jane.csr@...", "job:bill-run", "stripe"
    origin: Mapped[Origin] = mapped_column(str_enum(Origin))
    action: Mapped[str] = mapped_column(String(64))  # "ledger.post", "account.status", "order.complete"
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column()
    after: Mapped[dict[str, Any] | None] = mapped_column()
    ip: Mapped[str | None] = mapped_column(String(64))


class MailMessage(IdMixin, CreatedMixin, Base):
    """The outbox: every message the portal sends (email, text message, printed letter), with where it stands.

    queued -> sent -> delivered; bounced or failed when it will not arrive. A row is retried with back-off
    (`attempts`, `next_attempt_at`) up to a limit (portal/mail.py); `idempotency_key` makes a replayed send queue
    nothing new. `about` groups the messages of one thing told on several channels ("collection_contact:12")."""

    __tablename__ = "mail_message"
    __table_args__ = (Index("ix_mail_message_status_next", "status", "next_attempt_at"),)

    to_addr: Mapped[str] = mapped_column(String(254), index=True)  # an email, an E.164 number, a postal address
    subject: Mapped[str] = mapped_column(String(200))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None]
    error: Mapped[str | None] = mapped_column(String(500))  # the last error, kept after a successful retry
    channel: Mapped[str] = mapped_column(String(8), default="email", server_default="email")  # email, sms, letter
    # queued, sent, delivered, bounced, failed
    status: Mapped[str] = mapped_column(String(12), default="queued", server_default="queued")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime | None]
    status_at: Mapped[dt.datetime | None]  # when the status last changed
    # When it reached the resident as far as we can know: an email accepted by the mail server (cleared by a
    # bounce), a text delivered, a letter printed in a mailing batch. A cut-off notice counts from here.
    reached_at: Mapped[dt.datetime | None]
    provider_id: Mapped[str | None] = mapped_column(String(100), index=True)  # Message-ID, Twilio's SM..., batch
    idempotency_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    kind: Mapped[str | None] = mapped_column(String(32))  # "cutoff_notice" ...: notices carry List-Unsubscribe
    about: Mapped[str | None] = mapped_column(String(64), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    print_batch_id: Mapped[str | None] = mapped_column(String(64))


class ThrottleHit(IdMixin, Base):
    """One counted attempt (a failed sign-in, a failed guest look-up) in a rate-limit bucket."""

    __tablename__ = "throttle_hit"
    __table_args__ = (Index("ix_throttle_hit_bucket_key_at", "bucket", "key", "at"),)

    bucket: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
