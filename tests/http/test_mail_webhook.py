"""The mail relay's signed webhook: a bounce reported after the relay took an email bounces it (a notice falls back to
a letter), the same event twice changes nothing, and a forged, stale or unreadable report is refused and changes
nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time

import pytest
from sqlalchemy import func, select

from portal import mail, mail_routes
from portal.accounts.models import MailMessage
from tests import factories

SECRET = "relay-secret-" + "x" * 24
MESSAGE_ID = "<outbox.7.abc@utility.example>"


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, mail_webhook_secret=SECRET)


async def _post(client, event: object, *, secret: str = SECRET, at: float | None = None, raw: bytes | None = None):
    body = raw if raw is not None else json.dumps(event).encode()
    stamp = str(int(at if at is not None else time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Mail-Timestamp": stamp,
        "X-Mail-Signature": mail_routes.signature(secret, stamp, body),
    }
    return await client.post("/mail/events", content=body, headers=headers)


async def _sent_notice(session) -> MailMessage:
    account = await factories.make_account(session)
    message = mail.queue(
        session, "maria@example.com", "Notice", "Notice.", kind="cutoff_notice", account_id=account.id,
        about="collection_contact:9",
    )  # fmt: skip
    await session.flush()
    await mail.set_status(session, message, "sent", provider_id=MESSAGE_ID)
    await session.commit()
    return message


async def _rows(session) -> dict[str, MailMessage]:
    session.expunge_all()
    return {m.channel: m for m in await session.scalars(select(MailMessage).where(MailMessage.about.is_not(None)))}


async def test_a_bounce_after_the_relay_took_the_email_bounces_it_once_and_a_letter_follows(client, session) -> None:
    await _sent_notice(session)
    event = {"message_id": MESSAGE_ID, "event": "bounced", "time": "2026-12-04T17:02:11Z", "reason": "550 5.1.1"}
    answer = await _post(client, event)
    assert answer.status_code == 200 and answer.json() == {"received": True, "known": True, "status": "bounced"}
    rows = await _rows(session)
    assert rows["email"].status == "bounced" and rows["email"].error == "550 5.1.1"
    assert rows["email"].reached_at is None
    assert rows["letter"].status == "queued" and rows["letter"].text_body == "Notice."
    first = rows["email"].status_at

    again = await _post(client, event)  # the relay sends it again: nothing changes
    assert again.status_code == 200
    rows = await _rows(session)
    assert rows["email"].status_at == first
    assert await session.scalar(select(func.count()).select_from(MailMessage)) == 2


async def test_a_delivery_report_without_angle_brackets_counts_from_the_relays_time(client, session) -> None:
    await _sent_notice(session)
    event = {"message_id": MESSAGE_ID.strip("<>"), "event": "delivered", "time": "2026-12-04T11:02:11-06:00"}
    assert (await _post(client, event)).json()["status"] == "delivered"
    email = (await _rows(session))["email"]
    assert email.status == "delivered" and email.status_at.replace(tzinfo=dt.UTC) == dt.datetime(
        2026, 12, 4, 17, 2, 11, tzinfo=dt.UTC
    )
    unknown = await _post(
        client, {"message_id": "<nobody@example.com>", "event": "bounced", "time": "2026-12-04T17:00Z"}
    )
    assert unknown.status_code == 200 and unknown.json() == {"received": True, "known": False}
    # The relay reaches emails only: not a text (its SID) nor a printed letter (its batch id).
    text = mail.queue(session, "+15128675309", "", "Hi.", channel="sms")
    await session.flush()
    await mail.set_status(session, text, "sent", provider_id="SMtext")
    await session.commit()
    wrong = await _post(client, {"message_id": "SMtext", "event": "bounced", "time": "2026-12-04T17:00Z"})
    assert wrong.json()["known"] is False
    session.expunge_all()
    assert (await session.get(MailMessage, text.id)).status == "sent"


async def test_forged_stale_and_unreadable_reports_are_refused_and_change_nothing(client, session) -> None:
    await _sent_notice(session)
    event = {"message_id": MESSAGE_ID, "event": "bounced", "time": "2026-12-04T17:02:11Z"}
    assert (await _post(client, event, secret="not-the-secret")).status_code == 403
    assert (await _post(client, event, at=time.time() - 6 * 60)).status_code == 403  # a replay of an old one
    assert (await _post(client, event, at=time.time() + 6 * 60)).status_code == 403
    unsigned = await client.post("/mail/events", json=event)
    assert unsigned.status_code == 403 and unsigned.json() == {"error": "bad signature or stale timestamp"}
    stamp = str(int(time.time()))
    body = json.dumps(event).encode()
    tampered = await client.post(
        "/mail/events",
        content=body.replace(b"bounced", b"delivered"),
        headers={"X-Mail-Timestamp": stamp, "X-Mail-Signature": mail_routes.signature(SECRET, stamp, body)},
    )
    assert tampered.status_code == 403
    for bad in (
        b"not json",
        b"[1, 2]",
        json.dumps({**event, "event": "opened"}).encode(),
        json.dumps({**event, "time": "yesterday"}).encode(),
        json.dumps({**event, "time": "2026-12-04T17:02:11"}).encode(),
        json.dumps({**event, "message_id": ""}).encode(),
        json.dumps({**event, "reason": 550}).encode(),
    ):
        answer = await _post(client, None, raw=bad)
        assert answer.status_code == 400 and "error" in answer.json(), bad
    rows = await _rows(session)
    assert rows["email"].status == "sent" and set(rows) == {"email"}


async def test_without_a_shared_secret_the_webhook_is_not_there(client, session, settings, app) -> None:
    from litestar.testing import AsyncTestClient

    from portal.app import create_app

    async with AsyncTestClient(
        app=create_app(dataclasses.replace(settings, mail_webhook_secret=None)), base_url="http://portal.test"
    ) as other:
        answer = await _post(other, {"message_id": MESSAGE_ID, "event": "bounced", "time": "2026-12-04T17:00Z"})
    assert answer.status_code == 404


def test_the_signature_check_is_bound_to_the_timestamp() -> None:
    body, now = b'{"a": 1}', 1_796_403_600.0
    good = mail_routes.signature(SECRET, "1796403600", body)
    assert mail_routes.signature_ok(SECRET, "1796403600", good, body, now)
    assert mail_routes.signature_ok(SECRET, "1796403600", good, body, now + 299)
    assert not mail_routes.signature_ok(SECRET, "1796403600", good, body, now + 301)
    assert not mail_routes.signature_ok(SECRET, "1796403601", good, body, now)  # the time was changed
    assert not mail_routes.signature_ok(SECRET, "１７９６４０３６００", good, body, now)  # not ASCII digits
    assert not mail_routes.signature_ok(SECRET, None, good, body, now)
