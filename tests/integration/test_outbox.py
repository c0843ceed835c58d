"""The outbox against the SMTP and Twilio stand-ins: headers, retries with back-off, the idempotency key, bounces
that fall back to a letter, texts and their delivery callbacks, letters printed in a batch."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

from sqlalchemy import func, select

from portal import mail
from portal.accounts.models import MailMessage
from portal.db import make_sessionmaker
from tests import factories
from tests.outbox_harness import outbox_settings, twilio_control

NOW = dt.datetime(2026, 12, 4, 15, 0, tzinfo=dt.UTC)


async def _reload(session, message_id: int) -> MailMessage:
    session.expunge_all()
    found = await session.get(MailMessage, message_id)
    assert found is not None
    return found


async def test_an_email_goes_out_with_its_headers_and_a_plain_text_part(session, engine, settings, smtp) -> None:
    account = await factories.make_account(session)
    message = await mail.queue_once(
        session, "notice:1", "lopez@example.com", "Notice", "Pay by Friday.\n\nThank you.",
        kind="cutoff_notice", account_id=account.id,
    )  # fmt: skip
    await session.commit()
    sent = await mail.deliver_pending(make_sessionmaker(engine), outbox_settings(settings, smtp), now=NOW)
    assert sent == 1 and len(smtp.received) == 1
    email = smtp.received[0]
    assert (
        f".outbox.{message.id}@utility.example>" in email["Message-ID"]
        and email["Date"]
        and email["To"] == "lopez@example.com"
    )
    assert email["List-Unsubscribe"] == (
        f"<http://portal.test/my/preferences/unsubscribe/{mail.unsubscribe_token(settings, message.id)}>, "
        "<http://portal.test/my/preferences>"
    )
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    parts = {part.get_content_type(): part.get_content() for part in email.walk() if not part.is_multipart()}
    assert "Pay by Friday." in parts["text/plain"] and "<p>Pay by Friday.</p>" in parts["text/html"]
    row = await _reload(session, message.id)
    assert (row.status, row.attempts, row.provider_id) == ("sent", 1, email["Message-ID"])
    assert row.reached_at is not None
    # A second round sends nothing; a replay of the same queueing queues nothing.
    assert await mail.deliver_pending(make_sessionmaker(engine), outbox_settings(settings, smtp), now=NOW) == 0
    again = await mail.queue_once(session, "notice:1", "lopez@example.com", "Notice", "Pay by Friday.")
    assert again.id == message.id and await session.scalar(select(func.count()).select_from(MailMessage)) == 1


async def test_a_bill_email_has_no_unsubscribe_header(session, engine, settings, smtp) -> None:
    mail.queue(session, "a@example.com", "Your bill", "Your bill is ready.", "<p>Your bill is ready.</p>")
    await session.commit()
    await mail.deliver_pending(make_sessionmaker(engine), outbox_settings(settings, smtp), now=NOW)
    assert "List-Unsubscribe" not in smtp.received[0]


async def test_a_temporary_refusal_is_retried_with_back_off_then_failed(session, engine, settings, smtp) -> None:
    message = mail.queue(session, "busy@example.com", "Hello", "Hello.")
    await session.commit()
    maker, on = make_sessionmaker(engine), outbox_settings(settings, smtp)
    now = NOW
    for attempt in range(1, mail.MAX_ATTEMPTS + 1):
        assert await mail.deliver_pending(maker, on, now=now) == 0
        row = await _reload(session, message.id)
        assert row.attempts == attempt and "451" in (row.error or "")
        if attempt < mail.MAX_ATTEMPTS:
            assert row.status == "queued" and row.next_attempt_at == now + mail.backoff(attempt)
            assert await mail.deliver_pending(maker, on, now=now + dt.timedelta(seconds=1)) == 0  # not due yet
            assert (await _reload(session, message.id)).attempts == attempt
            now = row.next_attempt_at
    assert row.status == "failed" and row.next_attempt_at is None


async def test_a_bounced_notice_falls_back_to_a_letter_that_a_print_batch_marks(
    session, engine, settings, smtp
) -> None:
    account = await factories.make_account(session)
    message = await mail.queue_once(
        session, "n:2", "bounce@example.com", "Notice", "Words.", kind="cutoff_notice", about="collection_contact:9",
        account_id=account.id,
    )  # fmt: skip
    await session.commit()
    await mail.deliver_pending(make_sessionmaker(engine), outbox_settings(settings, smtp), now=NOW)
    row = await _reload(session, message.id)
    assert (row.status, row.attempts, row.reached_at) == ("bounced", 1, None) and "550" in (row.error or "")
    letters = await mail.letters_to_print(session)
    assert [(m.channel, m.about, m.text_body) for m in letters] == [("letter", "collection_contact:9", "Words.")]
    assert "Oak St" in letters[0].to_addr
    assert await mail.mark_printed(session, [letters[0].id], "batch-7") == 1
    assert await mail.mark_printed(session, [letters[0].id], "batch-8") == 0  # printed once: the first batch stays
    await session.commit()
    printed = await _reload(session, letters[0].id)
    assert (printed.status, printed.print_batch_id, printed.reached_at is not None) == ("sent", "batch-7", True)


async def test_a_text_goes_through_the_twilio_sdk_and_its_callback_delivers_it(
    session, engine, settings, twilio
) -> None:
    account = await factories.make_account(session)
    ok = mail.queue(session, "+15128675309", "", "Your service is scheduled.", channel="sms", account_id=account.id)
    invalid = mail.queue(session, "+15005550001", "", "x", channel="sms")
    await session.commit()
    on = outbox_settings(settings, twilio_url=twilio)
    assert await mail.deliver_pending(make_sessionmaker(engine), on, now=NOW) == 1
    sent = await _reload(session, ok.id)
    assert sent.status == "sent" and sent.provider_id.startswith("SM") and sent.reached_at is None
    assert (await _reload(session, invalid.id)).status == "failed"  # 21211: no retry can help
    listed = twilio_control(twilio, "/_test/messages", "GET")["messages"]
    assert [(m["to"], m["from"], m["body"]) for m in listed] == [("+15128675309", "+15005550006", sent.text_body)]
    await mail.record_provider_status(session, sent.provider_id, "delivered")
    await mail.record_provider_status(session, sent.provider_id, "sent")  # late and out of order: ignored
    await session.commit()
    row = await _reload(session, ok.id)
    assert row.status == "delivered" and row.reached_at is not None


async def test_twilio_unavailable_is_retried(session, engine, settings, twilio) -> None:
    message = mail.queue(session, "+15128675309", "", "Hello.", channel="sms")
    await session.commit()
    twilio_control(twilio, "/_test/fail?times=1")
    maker, on = make_sessionmaker(engine), outbox_settings(settings, twilio_url=twilio)
    assert await mail.deliver_pending(maker, on, now=NOW) == 0
    row = await _reload(session, message.id)
    assert row.status == "queued" and row.attempts == 1 and "503" in (row.error or "")
    assert await mail.deliver_pending(maker, on, now=NOW + mail.backoff(1)) == 1
    assert (await _reload(session, message.id)).status == "sent"


async def test_three_senders_at_once_send_each_message_once(session, engine, settings, smtp) -> None:
    for n in range(30):
        mail.queue(session, f"r{n}@example.com", "Hi", "Hi.")
    await session.commit()
    maker, on = make_sessionmaker(engine), outbox_settings(settings, smtp)
    sent = 0
    for _round in range(10):  # on SQLite the three read the same rows and one takes them: rounds until done
        sent += sum(await asyncio.gather(*(mail.deliver_pending(maker, on, limit=10, now=NOW) for _ in range(3))))
    assert sent == 30
    assert sorted(str(m["To"]) for m in smtp.received) == sorted(f"r{n}@example.com" for n in range(30))


async def test_without_a_channel_configured_nothing_is_sent(session, engine, settings) -> None:
    mail.queue(session, "a@example.com", "Hi", "Hi.")
    await session.commit()
    assert await mail.deliver_pending(make_sessionmaker(engine), dataclasses.replace(settings, demo=False)) == 0


async def test_the_sender_loop_sends_in_the_demo_into_its_mailbox(session, engine, settings) -> None:
    """The loop the app runs in process on SQLite (and `portal worker` beside the queue): in the demo, without SMTP,
    an email arrives in the demo mailbox, so it is sent."""
    message = mail.queue(session, "a@example.com", "Hi", "Hi.")
    await session.commit()
    task = asyncio.create_task(
        mail.run_sender(make_sessionmaker(engine), dataclasses.replace(settings, demo=True), 0.05)
    )
    try:
        for _ in range(100):
            if (await _reload(session, message.id)).status == "sent":
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
    assert (await _reload(session, message.id)).status == "sent"


async def test_two_queueings_of_one_key_at_once_make_one_message(engine) -> None:
    """The second insert of a key waits on the unique index, then loses to it and answers the first's row."""
    maker = make_sessionmaker(engine)
    async with maker() as first, maker() as second:
        one = await mail.queue_once(first, "race:1", "a@example.com", "Hi", "Hi.")

        async def later() -> MailMessage:
            return await mail.queue_once(second, "race:1", "a@example.com", "Hi", "Hi.")

        racing = asyncio.create_task(later())
        await asyncio.sleep(0.2)
        await first.commit()
        two = await racing
        await second.commit()
        assert two.id == one.id
        assert await second.scalar(select(func.count()).select_from(MailMessage)) == 1


async def test_a_message_retaken_after_its_lease_ran_out_is_sent_by_its_new_holder_only(session, engine) -> None:
    """A slow batch: the first sender's lease on a message ran out before that message's turn and a second sender
    took it. Just before sending, the first finds the claim is no longer its own and leaves the message."""
    mail.queue(session, "late@example.com", "Hi", "Hi.")
    await session.commit()
    maker, start = make_sessionmaker(engine), mail.utcnow()
    (first,) = await mail._claim(maker, ["email"], start, 50)
    (second,) = await mail._claim(maker, ["email"], start + mail.LEASE + dt.timedelta(seconds=1), 50)
    assert (first.attempts, second.attempts) == (1, 2)
    assert not await mail._renew(maker, first)
    assert await mail._renew(maker, second)
    # and the renewed lease keeps a third sender away while the second one sends
    assert await mail._claim(maker, ["email"], mail.utcnow() + dt.timedelta(seconds=1), 50) == []


async def test_many_messages_queue_once_each_a_few_hundred_to_a_statement(session) -> None:
    """queue_once_many (an outage's notices to thousands): each key once, across calls and within one; a key
    queued one by one before is skipped too; the count answered is what was newly queued."""
    account = await factories.make_account(session)
    await mail.queue_once(session, "outage:1:started:0:email", "first@example.com", "Outage", "Water is off.")
    many = [
        mail.Once(f"outage:1:started:{n}:email", f"r{n}@example.com", "Outage", "Water is off.", account_id=account.id)
        for n in range(1201)  # three statements' worth
    ]
    assert await mail.queue_once_many(session, many + many[:3]) == 1200
    assert await mail.queue_once_many(session, many) == 0
    sms = mail.Once("outage:1:started:5:sms", "+15125550100", "Outage", "Outage\n\nWater is off.", "sms", "outage")
    assert await mail.queue_once_many(session, [sms]) == 1
    rows = (await session.execute(select(MailMessage.channel, func.count()).group_by(MailMessage.channel))).all()
    assert dict(rows) == {"email": 1201, "sms": 1}
    row = await session.scalar(select(MailMessage).where(MailMessage.idempotency_key == "outage:1:started:7:email"))
    assert row is not None and (row.to_addr, row.status, row.account_id) == ("r7@example.com", "queued", account.id)
    assert row.created_at is not None and row.status_at is not None
