"""Each message and its status: on the staff account page (a collapsed section) and, for notices, on the
resident's preferences page (without addresses or errors)."""

from __future__ import annotations

from sqlalchemy import select

from portal import mail
from portal.accounts.models import AuditEvent, Customer, utcnow
from tests.http.helpers import sign_in


async def _messages(session, account) -> None:
    customer = await session.get(Customer, account.customer_id)
    notice = mail.queue(
        session, customer.email, "Service disconnection notice", "Words.", kind="cutoff_notice", account_id=account.id,
        about="collection_contact:1",
    )  # fmt: skip
    await session.flush()
    await mail.set_status(session, notice, "bounced", error="550 no such mailbox")  # falls back to a letter
    bill = mail.queue(session, customer.email, "Your bill is ready", "Your bill.")  # no account: by address
    await session.flush()
    await mail.set_status(session, bill, "sent")
    mail.queue(session, "someone-else@example.com", "Not theirs", "x")
    await session.commit()


async def test_the_staff_account_page_lists_each_message_with_its_status(client, session, resident, csr) -> None:
    await _messages(session, resident.account)
    await sign_in(client, session, csr)
    page = await client.get(f"/staff/accounts/{resident.account.number}")
    assert page.status_code == 200
    section = page.text.split('id="messages"', 1)[1].split("</details>", 1)[0]
    assert '<h2 id="messages-title">Messages sent <span class="count">(3)</span></h2>' in section
    assert "Bounced" in section and "550 no such mailbox" in section
    assert "Letter" in section and "Waiting to be printed" in section
    assert "Your bill is ready" in section and "<strong>Sent</strong>" in section
    assert "Not theirs" not in section


async def test_the_resident_sees_their_notices_status_without_addresses(client, session, resident) -> None:
    await _messages(session, resident.account)
    await sign_in(client, session, resident.user)
    page = await client.get("/my/preferences")
    assert page.status_code == 200 and "Notices we sent you" in page.text
    listed = page.text.split("Notices we sent you", 1)[1]
    assert "Service disconnection notice" in listed and "Bounced" in listed and "Waiting to be printed" in listed
    assert "550" not in listed and "@example.com" not in listed and "Your bill is ready" not in listed


async def test_one_click_unsubscribe_turns_email_notices_off_and_a_forged_token_does_nothing(
    client, session, resident, settings
) -> None:
    customer = await session.get(Customer, resident.account.customer_id)
    notice = mail.queue(
        session, customer.email, "Notice", "Words.", kind="cutoff_notice", account_id=resident.account.id
    )
    await session.commit()
    email = mail.email_message(settings, notice, utcnow())
    token = mail.unsubscribe_token(settings, notice.id)
    link = f"/my/preferences/unsubscribe/{token}"
    assert email["List-Unsubscribe"] == f"<http://portal.test{link}>, <http://portal.test/my/preferences>"
    asked = await client.get(link)  # a link scanner's GET changes nothing
    assert asked.status_code == 200 and "Stop email notices" in asked.text
    session.expunge_all()
    assert (await session.get(Customer, customer.id)).notify_email is True
    for forged in (f"{notice.id}.{'0' * 32}", f"{notice.id + 1}.{token.split('.')[1]}", "x.y"):
        assert (await client.post(f"/my/preferences/unsubscribe/{forged}", data={})).status_code == 404
    done = await client.post(link, data={"List-Unsubscribe": "One-Click"})  # what the mail provider posts
    assert done.status_code == 200 and "no more notices by email" in done.text
    session.expunge_all()
    assert (await session.get(Customer, customer.id)).notify_email is False
    audit = await session.scalar(select(AuditEvent).where(AuditEvent.action == "customer.preferences"))
    assert audit.actor_label == "webhook:list-unsubscribe" and audit.after == {"notify_email": False}


async def test_the_demo_mailbox_shows_each_message_channel_and_status(session, settings) -> None:
    import dataclasses

    from litestar.testing import AsyncTestClient

    from portal.app import create_app

    text = mail.queue(session, "+15128675309", "", "Your service is scheduled.", channel="sms")
    await session.flush()
    await mail.set_status(session, text, "delivered")
    await session.commit()
    demo = create_app(dataclasses.replace(settings, demo=True))
    async with AsyncTestClient(app=demo, base_url="http://portal.test") as client:
        page = await client.get("/demo/mailbox")
    assert page.status_code == 200 and "Text message · Delivered" in page.text
