"""The outbox: every outgoing message (email, text message, printed letter) queued in the same transaction as the
change that causes it, then sent by the sender loop, with a status the staff and the resident can see.

    queued -> sent -> delivered          bounced / failed: it will not arrive (a notice then falls back to a letter)

Email goes through SMTP (Message-ID, Date, a plain-text part beside the HTML, List-Unsubscribe on notices); texts
through Twilio (portal/sms.py); letters wait for a print batch, which calls `mark_printed`. A failed attempt is
retried with exponential back-off up to MAX_ATTEMPTS. An idempotency key makes a replayed send queue nothing new.

The sender runs beside the job engine, not as one of its daily jobs: `portal worker` runs `run_sender` next to
procrastinate (PostgreSQL), and the app runs it in process on SQLite (the demo). Rows are claimed with a lease (and
SKIP LOCKED on PostgreSQL) so any number of senders share the table. `OUTBOX` is the Mailer
(portal/accounts/messages.py) that handlers, jobs and CLI commands hand to the domain.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import hashlib
import hmac
import logging
import smtplib
from collections.abc import Iterable, Sequence
from email.message import EmailMessage
from html import escape

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal import sms
from portal.accounts.messages import Once
from portal.accounts.models import Account, Customer, MailMessage, Premise, utcnow
from portal.db import copy_rows, insert_new
from portal.settings import Settings

log = logging.getLogger(__name__)

CHANNELS = ("email", "sms", "letter")
STATUSES = ("queued", "sent", "delivered", "bounced", "failed")
FINAL = frozenset({"delivered", "bounced", "failed"})
MAX_ATTEMPTS = 8  # 1 + 2 + 4 + ... minutes: about four hours of trying before a message is failed
FIRST_RETRY = dt.timedelta(minutes=1)
LONGEST_WAIT = dt.timedelta(hours=2)
LEASE = dt.timedelta(minutes=5)  # a sender killed mid-send gives its claim back after this
NOTICE_KINDS = frozenset({"cutoff_notice"})  # notices carry List-Unsubscribe and fall back to a letter


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the `attempts`-th failed attempt: 1, 2, 4, 8... minutes, at most two hours."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


def can_move(current: str, new: str) -> bool:
    """Statuses only move forward: a late "sent" callback never undoes "delivered", and nothing leaves a final
    status except a delivered or sent email that bounces afterwards (bounces come back later)."""
    if current == new:
        return False
    if current == "queued":
        return True
    if current == "sent":
        return new in FINAL
    return current == "delivered" and new == "bounced"


# ---- queueing ---------------------------------------------------------------------------------------------------


def queue(
    session: AsyncSession,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    *,
    channel: str = "email",
    kind: str | None = None,
    about: str | None = None,
    account_id: int | None = None,
    key: str | None = None,
) -> MailMessage:
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    message = MailMessage(
        to_addr=to[:254],
        subject=subject[:200],
        text_body=text,
        html_body=html,
        channel=channel,
        status="queued",
        attempts=0,
        kind=kind,
        about=about,
        account_id=account_id,
        idempotency_key=key,
        status_at=utcnow(),
    )
    session.add(message)
    return message


async def queue_once(
    session: AsyncSession,
    key: str,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    *,
    channel: str = "email",
    kind: str | None = None,
    about: str | None = None,
    account_id: int | None = None,
) -> MailMessage:
    """Queue a message under an idempotency key, or answer the one already queued under it (a replayed send, a
    job run again) unchanged. A concurrent insert of the same key loses to the unique constraint, not to a race."""
    found = await session.scalar(select(MailMessage).where(MailMessage.idempotency_key == key))
    if found is not None:
        return found
    try:
        async with session.begin_nested():
            message = queue(
                session,
                to,
                subject,
                text,
                html,
                channel=channel,
                kind=kind,
                about=about,
                account_id=account_id,
                key=key,
            )
            await session.flush()
    except IntegrityError:
        found = await session.scalar(select(MailMessage).where(MailMessage.idempotency_key == key))
        if found is None:
            raise
        return found
    return message


async def queue_once_many(session: AsyncSession, messages: Sequence[Once]) -> int:
    """Queue many messages each under its idempotency key, skipping a key already queued (`ON CONFLICT DO NOTHING` on
    the unique key, so a replay or a concurrent run queues nothing twice); answers how many were newly queued. What an
    outage's notices to thousands use: `queue_once` one by one costs a savepoint and a flush each, and `db.insert_new`
    sends them in one statement on PostgreSQL (docs/benchmarks.md, "Outage notices")."""
    now = utcnow()
    rows = []
    for m in messages:
        if m.channel not in CHANNELS:
            raise ValueError(f"unknown channel {m.channel!r}")
        rows.append(
            {
                "to_addr": m.to[:254],
                "subject": m.subject[:200],
                "text_body": m.text,
                "html_body": None,
                "channel": m.channel,
                "status": "queued",
                "attempts": 0,
                "kind": m.kind,
                "about": m.about,
                "account_id": m.account_id,
                "idempotency_key": m.key,
                "status_at": now,
                "created_at": now,
            }
        )
    return await insert_new(session, MailMessage.__table__, rows, unique="idempotency_key")


async def queue_many(session: AsyncSession, messages: Sequence[tuple[str, str, str, str | None]]) -> int:
    """Queue many emails (to, subject, text, html) with one statement: for jobs that notify thousands."""
    if not messages:
        return 0
    now = utcnow()
    rows = [
        {
            "to_addr": to,
            "subject": subject[:200],
            "text_body": text,
            "html_body": html,
            "created_at": now,
            "channel": "email",
            "status": "queued",
            "attempts": 0,
        }
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

    def queue_letter(
        self, session: AsyncSession, address: str, subject: str, text: str, account_id: int | None = None
    ) -> MailMessage:
        return queue(session, address, subject, text, channel="letter", account_id=account_id)


OUTBOX = Outbox()


# ---- status -----------------------------------------------------------------------------------------------------


async def set_status(
    session: AsyncSession,
    message: MailMessage,
    status: str,
    *,
    error: str | None = None,
    provider_id: str | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Move a message to `status` if the move is allowed (False when it is not: a replay or a late callback). A notice
    that bounces or fails falls back to a printed letter."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    if not can_move(message.status, status):
        return False
    now = now or utcnow()
    message.status, message.status_at = status, now
    if provider_id:
        message.provider_id = provider_id
    if error:
        message.error = error[:500]
    if status == "sent":
        message.sent_at = message.sent_at or now
        if message.channel in ("email", "letter"):
            message.reached_at = now  # accepted by the mail server, or printed: a text waits for "delivered"
    elif status == "delivered":
        message.reached_at = message.reached_at or now
    elif status in ("bounced", "failed"):
        message.reached_at = None
        message.next_attempt_at = None
        if message.kind in NOTICE_KINDS and message.channel != "letter":
            await fallback_letter(session, message)
    return True


async def record_provider_status(
    session: AsyncSession,
    provider_id: str,
    status: str,
    error: str | None = None,
    *,
    at: dt.datetime | None = None,
    channel: str | None = None,
) -> MailMessage | None:
    """A provider's report on a message it was given (a Twilio status callback, the mail relay's bounce webhook):
    None when unknown. `at` is when it happened, when the provider says so; `channel` keeps a provider to its own
    messages (the relay never reaches a text or a printed letter). The same report twice changes nothing (statuses
    only move forward)."""
    query = select(MailMessage).where(MailMessage.provider_id == provider_id)
    if channel is not None:
        query = query.where(MailMessage.channel == channel)
    message = await session.scalar(query.limit(1))
    if message is not None:
        await set_status(session, message, status, error=error, now=at)
    return message


async def fallback_letter(session: AsyncSession, message: MailMessage) -> MailMessage | None:
    """Queue the same words as a letter to the account's mailing address (once per message told on several
    channels: `about`), for the next print batch."""
    if message.account_id is None:
        return None
    key = f"{message.idempotency_key or message.id}:letter"
    if message.about is not None:
        # One letter per notice, and none when another channel already reached the resident.
        existing = await session.scalar(
            select(MailMessage.id).where(
                MailMessage.about == message.about,
                (MailMessage.channel == "letter") | MailMessage.reached_at.is_not(None),
            )
        )
        if existing is not None:
            return None
    row = (
        await session.execute(
            select(Customer, Premise)
            .join(Account, Account.customer_id == Customer.id)
            .join(Premise, Premise.id == Account.premise_id)
            .where(Account.id == message.account_id)
        )
    ).first()
    if row is None:
        return None
    customer, premise = row
    address = customer.mailing_address or f"{customer.display_name}, {premise.one_line}"
    return await queue_once(
        session,
        key,
        address,
        message.subject,
        message.text_body,
        channel="letter",
        kind=message.kind,
        about=message.about,
        account_id=message.account_id,
    )


async def mark_printed(session: AsyncSession, message_ids: Iterable[int], batch_id: str) -> int:
    """The print batch `batch_id` printed these letters: they are sent (and a notice among them counts from now).
    Letters already printed keep their first batch; answers how many were marked now."""
    ids = list(message_ids)
    if not ids:
        return 0
    marked = 0
    now = utcnow()
    for message in await session.scalars(
        select(MailMessage).where(MailMessage.id.in_(ids), MailMessage.channel == "letter")
    ):
        if await set_status(session, message, "sent", provider_id=batch_id, now=now):
            message.print_batch_id = batch_id
            message.attempts += 1
            marked += 1
    await session.flush()
    return marked


async def letters_to_print(session: AsyncSession) -> list[MailMessage]:
    """The letters waiting for a print batch, oldest first."""
    return list(
        await session.scalars(
            select(MailMessage)
            .where(MailMessage.channel == "letter", MailMessage.status == "queued")
            .order_by(MailMessage.id)
        )
    )


# ---- sending ----------------------------------------------------------------------------------------------------


class Refused(Exception):
    """The provider refused the message for good (a 5xx recipient refusal, an invalid number): no retry."""


def email_message(settings: Settings, message: MailMessage, now: dt.datetime) -> EmailMessage:
    """The email as it goes out: a plain-text part always, the HTML beside it, and for notices List-Unsubscribe
    with a one-click link under the resident's preferences page and the page itself."""
    domain = (email.utils.parseaddr(settings.mail_from)[1].rpartition("@")[2]) or settings.rp_id
    mail = EmailMessage()
    mail["From"] = settings.mail_from
    mail["To"] = message.to_addr
    mail["Subject"] = message.subject
    mail["Date"] = email.utils.format_datetime(now)
    mail["Message-ID"] = message.provider_id or email.utils.make_msgid(f"outbox.{message.id}", domain=domain)
    if message.kind in NOTICE_KINDS:
        # The one-click link (RFC 8058: a POST turns email notices off, no sign-in), then the preferences page.
        preferences = f"{settings.public_url.rstrip('/')}/my/preferences"
        mail["List-Unsubscribe"] = f"<{unsubscribe_url(settings, message.id)}>, <{preferences}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(message.text_body)
    html = message.html_body or "".join(
        f"<p>{escape(paragraph).replace(chr(10), '<br>')}</p>" for paragraph in message.text_body.split("\n\n")
    )
    mail.add_alternative(html, subtype="html")
    return mail


def unsubscribe_token(settings: Settings, message_id: int) -> str:
    """The one-click unsubscribe link's token for a message: its id and a MAC under SECRET_KEY (nobody can make one
    for another message)."""
    mac = hmac.new(settings.secret_key.encode(), f"unsubscribe:{message_id}".encode(), hashlib.sha256)
    return f"{message_id}.{mac.hexdigest()[:32]}"


def unsubscribe_message_id(settings: Settings, token: str) -> int | None:
    """The message a token was made for, or None when it is not one of ours."""
    head, _dot, _mac = token.partition(".")
    if not token.isascii() or not head.isdigit() or len(head) > 18:  # "²" is a digit to isdigit(), not to int()
        return None
    return int(head) if hmac.compare_digest(unsubscribe_token(settings, int(head)).encode(), token.encode()) else None


def unsubscribe_url(settings: Settings, message_id: int) -> str:
    return f"{settings.public_url.rstrip('/')}/my/preferences/unsubscribe/{unsubscribe_token(settings, message_id)}"


def _smtp_send(settings: Settings, mail: EmailMessage) -> None:
    try:
        with smtplib.SMTP(settings.smtp_host or "localhost", settings.smtp_port, timeout=20) as smtp:
            if settings.smtp_port == 587:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _text in exc.recipients.values()]
        if codes and all(500 <= code < 600 for code in codes):
            raise Refused(f"recipient refused ({codes[0]})") from exc
        raise
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600 and exc.smtp_code not in (530, 535):  # a login problem is ours to fix
            raise Refused(f"refused ({exc.smtp_code})") from exc
        raise


def status_callback_url(settings: Settings) -> str:
    return f"{settings.public_url.rstrip('/')}/sms/status"


async def _send(settings: Settings, message: MailMessage, now: dt.datetime) -> tuple[str, str]:
    """Hand one message to its provider: (new status, provider id). Raises Refused, or anything for a retry."""
    if message.channel == "email":
        mail = email_message(settings, message, now)
        if settings.smtp_host:
            await asyncio.to_thread(_smtp_send, settings, mail)
        # Without SMTP (the demo) the demo mailbox page is where the email arrives.
        return "sent", str(mail["Message-ID"])
    if message.channel == "sms":
        try:
            sid, first = await asyncio.to_thread(
                sms.send, settings, message.to_addr, message.text_body, status_callback_url(settings)
            )
        except sms.SendError as exc:
            if exc.permanent:
                raise Refused(exc.message) from exc
            raise RuntimeError(exc.message) from exc
        return sms.TWILIO_STATUS.get(first) or "sent", sid
    raise ValueError(f"the sender does not send {message.channel}")


def channels_on(settings: Settings) -> list[str]:
    """The channels this process can send: email with SMTP (or the demo's mailbox), texts with Twilio."""
    found = []
    if settings.smtp_host or settings.demo:
        found.append("email")
    if sms.configured(settings):
        found.append("sms")
    return found


async def _claim(
    maker: async_sessionmaker[AsyncSession], channels: list[str], now: dt.datetime, limit: int
) -> list[MailMessage]:
    """Take up to `limit` due messages: each gets an attempt and a lease (its next attempt time moves past the
    send), committed before anything is sent, so a second sender skips it and a killed one gives it back."""
    async with maker() as session, session.begin():
        query = (
            select(MailMessage)
            .where(
                MailMessage.status == "queued",
                MailMessage.channel.in_(channels),
                (MailMessage.next_attempt_at.is_(None)) | (MailMessage.next_attempt_at <= now),
            )
            .order_by(MailMessage.id)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        claimed = []
        for message in await session.scalars(query):
            # Conditional on what was read: where rows cannot be locked (SQLite), a second sender that read the same
            # row finds it changed and leaves it.
            taken = await session.execute(
                update(MailMessage)
                .where(
                    MailMessage.id == message.id,
                    MailMessage.status == "queued",
                    MailMessage.attempts == message.attempts,
                )
                .values(attempts=message.attempts + 1, next_attempt_at=now + LEASE)
                .execution_options(synchronize_session=False)
            )
            if getattr(taken, "rowcount", 0) == 1:
                claimed.append(message)
        session.expunge_all()  # plain copies for the send: the rows are read again to record the outcome
        for message in claimed:
            message.attempts += 1
    return claimed


async def _renew(maker: async_sessionmaker[AsyncSession], claimed: MailMessage) -> bool:
    """Just before its send, a claimed message's lease starts again from now, if the claim is still this sender's
    (same attempt, still queued): a slow batch never lets a message be retaken while it is being sent."""
    async with maker() as session, session.begin():
        renewed = await session.execute(
            update(MailMessage)
            .where(
                MailMessage.id == claimed.id,
                MailMessage.status == "queued",
                MailMessage.attempts == claimed.attempts,
            )
            .values(next_attempt_at=utcnow() + LEASE)
            .execution_options(synchronize_session=False)
        )
    return getattr(renewed, "rowcount", 0) == 1


async def deliver_pending(
    maker: async_sessionmaker[AsyncSession], settings: Settings, limit: int = 50, now: dt.datetime | None = None
) -> int:
    """Send what is due on the channels this process can send; answers how many went. Safe to run anywhere at once."""
    channels = channels_on(settings)
    if not channels:
        return 0
    now = now or utcnow()
    sent = 0
    for claimed in await _claim(maker, channels, now, limit):
        if not await _renew(maker, claimed):
            continue  # the batch's lease ran out before this message's turn and another sender took it
        try:
            status, provider_id = await _send(settings, claimed, now)
        except Refused as exc:
            outcome: tuple[str, str | None, str | None] = (
                "bounced" if claimed.channel == "email" else "failed",
                None,
                str(exc),
            )
        except Exception as exc:  # anything else is worth another try
            # The id and the kind of failure: never the address, which errors often quote (docs/security.md).
            log.warning(
                "outbox %s %s attempt %s failed: %s", claimed.channel, claimed.id, claimed.attempts, type(exc).__name__
            )
            outcome = ("retry", None, f"{type(exc).__name__}: {exc}")
        else:
            outcome = (status, provider_id, None)
            sent += 1
        async with maker() as session, session.begin():
            message = await session.get(MailMessage, claimed.id)
            if message is None or message.attempts != claimed.attempts:
                continue  # no longer ours to record (retaken after a lost lease): its new holder records it
            new_status, given_id, error = outcome
            if new_status == "retry":
                message.error = (error or "")[:500]
                if message.attempts >= MAX_ATTEMPTS:
                    await set_status(session, message, "failed", now=now)
                else:
                    message.next_attempt_at = now + backoff(message.attempts)
            else:
                message.next_attempt_at = None
                await set_status(session, message, new_status, provider_id=given_id, error=error, now=now)
    return sent


async def run_sender(maker: async_sessionmaker[AsyncSession], settings: Settings, interval: float = 5.0) -> None:
    """The sender loop (`portal worker`, or the app on SQLite): send what is due, sleep, again."""
    while True:
        try:
            while await deliver_pending(maker, settings) >= 50:
                pass  # a backlog: keep going without sleeping
        except Exception:  # a provider hiccup must not stop the loop
            log.exception("outbox delivery failed")
        await asyncio.sleep(interval)


# ---- the status check of texts ------------------------------------------------------------------------------------

# A text still "sent" this long after it went has probably lost its status callback (it can arrive before the sender
# saved the SID, or not at all): the daily `text-status-check` job asks Twilio. Texts older than the window are left
# alone: some carriers never report delivery, and asking about them every day would go on for ever.
STATUS_CHECK_AFTER = dt.timedelta(minutes=30)
STATUS_CHECK_WINDOW = dt.timedelta(days=7)


async def check_text_statuses(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: dt.datetime | None = None,
    *,
    after: dt.timedelta = STATUS_CHECK_AFTER,
    limit: int = 2000,
) -> dict[str, int]:
    """Ask Twilio for the status of each text sent at least `after` ago (within the window) and not final yet, and
    record what it says as its callback would have. Safe to run again: a status already recorded changes nothing."""
    now = now or utcnow()
    async with maker() as session:
        found = list(
            await session.execute(
                select(MailMessage.id, MailMessage.provider_id)
                .where(
                    MailMessage.channel == "sms",
                    MailMessage.status == "sent",
                    MailMessage.provider_id.is_not(None),
                    MailMessage.sent_at <= now - after,
                    MailMessage.sent_at > now - STATUS_CHECK_WINDOW,
                )
                .order_by(MailMessage.id)
                .limit(limit)
            )
        )
    counts = {"checked": 0, "recorded": 0, "unreachable": 0}
    for message_id, sid in found:
        try:
            answer, code = await asyncio.to_thread(sms.fetch_status, settings, str(sid))
        except sms.SendError as exc:
            log.warning("outbox sms %s status check failed: %s", message_id, exc.message)
            counts["unreachable"] += 1
            continue
        counts["checked"] += 1
        status = sms.TWILIO_STATUS.get(answer)
        if status is None:
            continue  # still on its way
        async with maker() as session, session.begin():
            message = await session.get(MailMessage, message_id)
            if message is not None and await set_status(
                session, message, status, error=f"twilio error {code}" if code else None
            ):
                counts["recorded"] += 1
    return counts


# ---- reading ----------------------------------------------------------------------------------------------------


async def for_accounts(
    session: AsyncSession, account_ids: Sequence[int], addresses: Sequence[str | None] = (), limit: int = 30
) -> list[MailMessage]:
    """The messages about these accounts, and those sent to these addresses without an account (bills, receipts),
    newest first: what the account page and the resident's preferences show with their status."""
    found = [address for address in addresses if address]
    where: ColumnElement[bool] = MailMessage.account_id.in_(list(account_ids))
    if found:
        where = where | (MailMessage.account_id.is_(None) & MailMessage.to_addr.in_(found))
    return list(
        await session.scalars(
            select(MailMessage).where(where).order_by(MailMessage.created_at.desc(), MailMessage.id.desc()).limit(limit)
        )
    )
