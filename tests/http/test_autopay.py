"""Bank draft pages: only the account's resident, the authorization shown and stored verbatim with time and IP,
the bank page with Stripe.js, activation on return, cancel at any time."""

import re

import pytest
from sqlalchemy import select

from portal.accounts import numbers
from portal.accounts.models import BankDraft, BankDraftStatus, MailMessage
from portal.settings import Settings
from tests.http.helpers import post_form, sign_in
from tests.stripe_harness import confirm_bank_setup, stripe_settings_for


@pytest.fixture
def settings(database_url: str, stripe_clean: str) -> Settings:
    base = Settings(
        database_url=database_url,
        secret_key="test-secret-key-0123456789abcdef0123456789",
        public_url="http://portal.test",
        demo=False,
        utility_name="City of Riverton Utilities",
    )
    return stripe_settings_for(base, stripe_clean)


async def test_autopay_needs_a_signed_in_resident_of_that_account(
    client, session, resident, other_resident, csr
) -> None:
    response = await client.get(f"/autopay/{resident.account.number}", follow_redirects=False)
    assert response.status_code in (302, 303) and "/signin" in response.headers["location"]
    await sign_in(client, session, other_resident.user)
    assert (await client.get(f"/autopay/{resident.account.number}")).status_code == 404
    assert (await post_form(client, f"/autopay/{resident.account.number}", {"agree": "y"})).status_code == 404
    client.cookies.clear()
    await sign_in(client, session, csr)
    assert (await client.get(f"/autopay/{resident.account.number}")).status_code == 403


async def test_enrolling_stores_the_authorization_verbatim_and_cancelling_works(
    client, session, resident, payments_ctx
) -> None:
    await sign_in(client, session, resident.user)
    page = await client.get(f"/autopay/{resident.account.number}")
    assert page.status_code == 200 and "NACHA" in page.text
    shown = re.search(r'<blockquote class="card" id="authorization-text">(.*?)</blockquote>', page.text, re.S).group(1)
    refused = await post_form(client, f"/autopay/{resident.account.number}", {})
    assert refused.status_code == 400 and "Tick the box" in refused.text
    assert await session.scalar(select(BankDraft)) is None
    response = await post_form(client, f"/autopay/{resident.account.number}", {"agree": "y"})
    assert response.status_code == 303
    await session.commit()
    draft = await session.scalar(select(BankDraft))
    assert draft.status == BankDraftStatus.PENDING and draft.authorization_text == shown.replace("&#39;", "'")
    assert draft.authorized_ip and draft.authorized_at
    bank_page = await client.get(response.headers["location"])
    assert bank_page.status_code == 200 and "/js.stripe.com/v3/" in bank_page.text and "bank-routing" in bank_page.text
    await confirm_bank_setup(payments_ctx, draft.stripe_setup_intent_id)
    done = await client.get(f"/autopay/{resident.account.number}/return/{draft.id}")
    assert "Automatic bank draft is on" in done.text
    await session.refresh(draft)
    assert draft.status == BankDraftStatus.ACTIVE
    # A copy of what was agreed to, for the resident to keep (nothing was sent after enrolling online).
    copy = await session.scalar(
        select(MailMessage).where(MailMessage.subject == "Your automatic bank draft authorization")
    )
    assert copy is not None and "Keep this copy." in copy.text_body and draft.authorization_text in copy.text_body
    assert numbers.display(resident.account.number) in copy.text_body and draft.last4 in copy.text_body
    cancelled = await post_form(client, f"/autopay/{resident.account.number}/cancel")
    assert cancelled.status_code == 303
    await session.refresh(draft)
    assert draft.status == BankDraftStatus.CANCELLED and draft.cancelled_at is not None
    told = await session.scalar(select(MailMessage).where(MailMessage.subject == "Automatic bank draft is cancelled"))
    assert told is not None and f"ending in {draft.last4}" in told.text_body and "by its due date" in told.text_body
    # The home says autopay is off and offers it again; in Spanish it said "Cancelada" (the wrong gender).
    home = (await client.get("/my")).text
    assert "Off · <a" in home and "Set up autopay" in home
    await client.get("/lang/es")
    assert "Cancelada" not in (await client.get("/my")).text


async def test_cancel_needs_the_csrf_token(client, session, resident) -> None:
    await sign_in(client, session, resident.user)
    response = await client.post(f"/autopay/{resident.account.number}/cancel", data={}, follow_redirects=False)
    assert response.status_code == 403
