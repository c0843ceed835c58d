"""Outgoing email: queued in the same transaction as the change that causes it, delivered by SMTP afterwards.

Without SMTP settings (the demo) messages stay in the table and the dev mailbox page shows them. `OUTBOX` is the
Mailer (portal/accounts/messages.py) that handlers, jobs and CLI commands hand to the domain.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from collections.abc import Sequence
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.accounts.models import MailMessage, utcnow
from portal.db import copy_rows
from portal.settings import Settings

log = logging.getLogger(__name__)


def queue(session: AsyncSession, to: str, subject: str, text: str, html: str | None = None) -> MailMessage:
    message = MailMessage(to_addr=to, subject=subject[:200], text_body=text, html_body=html)
    session.add(message)
    return message


async def queue_many(session: AsyncSession, messages: Sequence[tuple[str, str, str, str | None]]) -> int:
    """Queue many messages (to, subject, text, html) with one statement: for jobs that notify thousands."""
    if not messages:
        return 0
    now = utcnow()
    rows = [
        {"to_addr": to, "subject": subject[:200], "text_body": text, "html_body": html, "created_at": now}
        for to, subject, text, html in messages
    ]
    await copy_rows(session, MailMessage.__table__, rows)
    return len(rows)


class Outbox:
    """The outbox as the domain's Mailer. An instance, not this module, so a bill-run worker process can be given it."""

    def queue(self, session: AsyncSession, to: str, subject: str, text: str, html: str | None = None) -> MailMessage:
        return queue(session, to, subject, text, html)

    async def queue_many(self, session: AsyncSession, messages: Sequence[tuple[str, str, str, str | None]]) -> int:
        return await queue_many(session, messages)


OUTBOX = Outbox()


def _send_one(settings: Settings, message: MailMessage) -> None:
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = message.to_addr
    email["Subject"] = message.subject
    email.set_content(message.text_body)
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html")
    with smtplib.SMTP(settings.smtp_host or "localhost", settings.smtp_port, timeout=20) as smtp:
        if settings.smtp_port == 587:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(email)


async def deliver_pending(maker: async_sessionmaker[AsyncSession], settings: Settings, limit: int = 50) -> int:
    """Send what is queued; several instances may run this at once (rows are claimed with SKIP LOCKED)."""
    if not settings.smtp_host:
        return 0
    sent = 0
    async with maker() as session, session.begin():
        query = select(MailMessage).where(MailMessage.sent_at.is_(None), MailMessage.error.is_(None)).limit(limit)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        for message in await session.scalars(query):
            try:
                await asyncio.to_thread(_send_one, settings, message)
            except (OSError, smtplib.SMTPException) as exc:
                # The id and the kind of failure: never the address, which SMTP errors often quote (docs/security.md).
                log.warning("mail %s failed: %s", message.id, type(exc).__name__)
                message.error = str(exc)[:500]
            else:
                message.sent_at = utcnow()
                sent += 1
    return sent
