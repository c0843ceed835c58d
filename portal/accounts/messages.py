"""The mail service as the domain sees it: what accounts, billing and payments need to tell a resident something.

The domain is given a Mailer by its caller (a handler, a CLI command, a job) and never imports the outbox itself;
portal/mail.py implements it by queueing in the caller's transaction, so a message goes out only if the change does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NamedTuple, Protocol

from sqlalchemy.ext.asyncio import AsyncSession


class Mailer(Protocol):
    def queue(self, session: AsyncSession, to: str, subject: str, text: str, html: str | None = None) -> Any:
        """Queue one message in the session's transaction."""

    async def queue_many(self, session: AsyncSession, messages: Sequence[tuple[str, str, str, str | None]]) -> int:
        """Queue many messages (to, subject, text, html) at once; answers how many."""

    def queue_letter(
        self, session: AsyncSession, address: str, subject: str, text: str, account_id: int | None = None
    ) -> Any:
        """Queue a printed letter to a postal address, for the next print batch."""


class Once(NamedTuple):
    """One message to queue under its idempotency key (a replay of the same key queues nothing)."""

    key: str
    to: str
    subject: str
    text: str
    channel: str = "email"
    kind: str | None = None
    about: str | None = None
    account_id: int | None = None


# mail.queue_once_many: queue the messages whose keys are new, in one statement a few hundred; answers how many were
QueueOnceMany = Callable[[AsyncSession, Sequence[Once]], Awaitable[int]]


def notice_channels(*, email: str | None, phone: str | None, notify_email: bool, notify_sms: bool) -> list[str]:
    """How a notice reaches a resident, from their preferences: email and/or a text message (`phone` already
    normalized, None when it is no valid number); a printed letter when neither is chosen or possible. A notice that
    bounces or fails on every electronic channel falls back to a letter too (portal/mail.py)."""
    channels = []
    if email and notify_email:
        channels.append("email")
    if phone and notify_sms:
        channels.append("sms")
    return channels or ["letter"]
