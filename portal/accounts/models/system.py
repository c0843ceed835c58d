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
    """Every email the portal sends, kept as sent (the demo mailbox page reads this table)."""

    __tablename__ = "mail_message"

    to_addr: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None]
    error: Mapped[str | None] = mapped_column(String(500))


class ThrottleHit(IdMixin, Base):
    """One counted attempt (a failed sign-in, a failed guest look-up) in a rate-limit bucket."""

    __tablename__ = "throttle_hit"
    __table_args__ = (Index("ix_throttle_hit_bucket_key_at", "bucket", "key", "at"),)

    bucket: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
