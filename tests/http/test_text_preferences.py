"""Text messages are offered only when Twilio is configured: the preferences page shows the box and saves it then;
without Twilio the box is not there, and a posted one changes nothing (notices go by email or letter)."""

from __future__ import annotations

import dataclasses

from litestar.testing import AsyncTestClient

from portal.accounts.models import Customer
from portal.app import create_app
from tests.http.helpers import post_form, sign_in
from tests.http.test_resident import error_summary_links
from tests.outbox_harness import TWILIO_TOKEN

BOX = 'name="notify_sms"'


async def test_with_twilio_the_box_is_offered_checked_and_saved(session, settings, resident) -> None:
    texting = dataclasses.replace(settings, twilio_account_sid="AC1", twilio_auth_token=TWILIO_TOKEN, twilio_from="+1")
    async with AsyncTestClient(app=create_app(texting), base_url="http://portal.test") as client:
        await sign_in(client, session, resident.user)
        assert BOX in (await client.get("/my/preferences")).text
        no_phone = await post_form(client, "/my/preferences", {"notify_sms": "y", "phone": "", "language": "en"})
        # the customer has a phone on file, but the form field is what counts here
        assert no_phone.status_code == 400 and error_summary_links(no_phone.text) == ["phone"]
        saved = await post_form(
            client, "/my/preferences", {"notify_sms": "y", "phone": "254-555-0177", "language": "en"}
        )
        assert saved.status_code == 303
    customer = await session.get(Customer, resident.account.customer_id)
    await session.refresh(customer)
    assert customer.notify_sms is True and customer.phone == "254-555-0177"


async def test_without_twilio_there_is_no_box_and_a_posted_one_changes_nothing(client, session, resident) -> None:
    await sign_in(client, session, resident.user)
    page = (await client.get("/my/preferences")).text
    assert BOX not in page and "Mobile number" in page
    saved = await post_form(client, "/my/preferences", {"notify_sms": "y", "phone": "", "language": "en"})
    assert saved.status_code == 303  # no text messages, so no mobile number is demanded for them
    customer = await session.get(Customer, resident.account.customer_id)
    await session.refresh(customer)
    assert customer.notify_sms is False
    customer.notify_sms = True  # chosen while texts were on: kept as it is for when they are on again
    await session.commit()
    assert (await post_form(client, "/my/preferences", {"language": "en"})).status_code == 303
    await session.refresh(customer)
    assert customer.notify_sms is True
