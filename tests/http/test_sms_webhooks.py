"""Twilio's webhooks: STOP and START from the inbound webhook with a good signature, a forged one refused, HELP
answered, and a delivery callback that delivers the text."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from portal import mail, sms
from portal.accounts.models import AuditEvent, Customer, MailMessage
from tests import factories
from tests.outbox_harness import TWILIO_TOKEN


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, twilio_auth_token=TWILIO_TOKEN, twilio_account_sid="AC1", twilio_from="+1")


async def _post(client, path: str, form: dict[str, str], token: str = TWILIO_TOKEN):
    signature = sms.sign(token, f"http://portal.test{path}", form)
    return await client.post(path, data=form, headers={"X-Twilio-Signature": signature})


async def test_stop_turns_texts_off_and_start_turns_them_on(client, session) -> None:
    account = await factories.make_account(session)
    customer = await session.get(Customer, account.customer_id)
    customer.phone, customer.notify_sms = "(512) 867-5309", True
    await session.commit()
    answer = await _post(client, "/sms/inbound", {"From": "+15128675309", "To": "+15005550006", "Body": "Stop"})
    assert answer.status_code == 200 and "<Response" in answer.text and "<Message>" not in answer.text
    session.expunge_all()
    assert (await session.get(Customer, customer.id)).notify_sms is False
    audit = await session.scalar(select(AuditEvent).where(AuditEvent.action == "customer.texts"))
    assert audit.actor_label == "webhook:twilio" and audit.after == {"notify_sms": False}
    await _post(client, "/sms/inbound", {"From": "+15128675309", "To": "+15005550006", "Body": "START"})
    session.expunge_all()
    assert (await session.get(Customer, customer.id)).notify_sms is True
    helped = await _post(client, "/sms/inbound", {"From": "+15128675309", "Body": "help"})
    assert "<Message>" in helped.text and "STOP" in helped.text


async def test_a_bad_signature_is_refused_and_changes_nothing(client, session) -> None:
    account = await factories.make_account(session)
    customer = await session.get(Customer, account.customer_id)
    customer.phone, customer.notify_sms = "512-867-5309", True
    await session.commit()
    form = {"From": "+15128675309", "Body": "STOP"}
    forged = await _post(client, "/sms/inbound", form, token="not-the-token")
    missing = await client.post("/sms/inbound", data=form)
    assert forged.status_code == 403 and missing.status_code == 403
    session.expunge_all()
    assert (await session.get(Customer, customer.id)).notify_sms is True
    status = await _post(client, "/sms/status", {"MessageSid": "SMx", "MessageStatus": "delivered"}, token="nope")
    assert status.status_code == 403


async def test_a_delivery_callback_delivers_the_text(client, session) -> None:
    message = mail.queue(session, "+15128675309", "", "Hi.", channel="sms")
    await session.flush()
    await mail.set_status(session, message, "sent", provider_id="SMabc")
    await session.commit()
    answer = await _post(client, "/sms/status", {"MessageSid": "SMabc", "MessageStatus": "delivered"})
    assert answer.status_code == 200
    session.expunge_all()
    row = await session.scalar(select(MailMessage).where(MailMessage.provider_id == "SMabc"))
    assert row.status == "delivered" and row.reached_at is not None


async def test_an_undelivered_text_notice_falls_back_to_a_letter(client, session) -> None:
    account = await factories.make_account(session)
    message = mail.queue(
        session, "+15128675309", "", "Notice.", channel="sms", kind="cutoff_notice", account_id=account.id,
        about="collection_contact:5",
    )  # fmt: skip
    await session.flush()
    await mail.set_status(session, message, "sent", provider_id="SMund")
    await session.commit()
    form = {"MessageSid": "SMund", "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert (await _post(client, "/sms/status", form)).status_code == 200
    session.expunge_all()
    rows = {m.channel: m for m in await session.scalars(select(MailMessage).where(MailMessage.about.is_not(None)))}
    assert rows["sms"].status == "failed" and rows["sms"].error == "twilio error 30003"
    assert rows["letter"].status == "queued" and rows["letter"].text_body == "Notice."
