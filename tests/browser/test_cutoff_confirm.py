"""A bulk action at the counter tablet (1024x768): "Send cut-off notices" shows how many go and to whom, by email
or by letter, and sends only when confirmed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.async_api import expect
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import ledger, numbers
from portal.accounts.actor import Actor
from portal.accounts.models import LedgerKind, User
from tests.browser.axe import assert_accessible
from tests.browser.flows import sign_in_with_code
from tests.personas import Resident

pytestmark = pytest.mark.browser


async def test_cutoff_notices_are_previewed_then_sent_on_confirm(
    browser, live_server, session: AsyncSession, csr: User, resident: Resident
) -> None:
    await ledger.post(
        session,
        Actor.job("browser-test"),
        account_id=resident.account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=9_000,
        source_key="bill:cutoff-confirm",
        effective_on=dt.date.today() - dt.timedelta(days=60),
    )
    await session.commit()
    context = await browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1024, "height": 768}
    )
    context.set_default_timeout(10_000)
    try:
        page = await context.new_page()
        await sign_in_with_code(page, session, csr.email)
        await page.goto("/staff/cutoff")
        await page.get_by_role("button", name=re.compile("Send cut-off notices")).click()

        # The preview: how many, by which channel, and the list; nothing is sent yet.
        await expect(page.get_by_role("heading", level=1)).to_contain_text("check before you confirm")
        await expect(page.locator("#plan-summary")).to_have_text(
            "1 cut-off notice will be sent: 1 by email, 0 by text message, 0 by letter to print and mail."
        )
        row = page.get_by_role("row").filter(has_text=numbers.display(resident.account.number))
        await expect(row).to_contain_text("By email")
        await assert_accessible(page)

        await page.get_by_role("button", name="Confirm: 1 account").click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Cut-off list")
        await expect(page.get_by_role("status").filter(has_text="1 cut-off notice sent.")).to_be_visible()

        # Confirmed once: a second preview has nothing left to send.
        await page.get_by_role("button", name=re.compile("Send cut-off notices")).click()
        await expect(page.get_by_text("Nothing to do: no account is affected.")).to_be_visible()
    finally:
        await context.close()
