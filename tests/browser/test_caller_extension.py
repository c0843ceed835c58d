"""A CSR on the phone with a customer, at the counter tablet: from the account page to "For the customer", the
extension the resident would ask for online, filed through the same rule; the page says what was granted, the
account's plans show it, and the audit says who filed it for whom."""

from __future__ import annotations

import datetime as dt

from playwright.async_api import expect
from sqlalchemy import select

from portal.accounts.models import AuditEvent, PaymentExtension
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.flows import sign_in_with_code
from tests.http.helpers import local_today


async def test_a_csr_files_an_extension_for_a_caller(tablet_page, session, resident, csr) -> None:
    today = local_today()
    csr_email = csr.email
    await factories.make_past_due_bill(session, resident.account, cents=8_400, due_on=today - dt.timedelta(days=10))
    await session.commit()
    page = tablet_page
    await sign_in_with_code(page, session, csr_email)
    number = resident.account.number
    await page.goto(f"/staff/accounts/{number}")
    await page.get_by_role("link", name="Extension or problem for the customer").click()
    await page.wait_for_url(f"**/staff/accounts/{number}/for-customer**")
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
    await expect(page.locator("main")).to_contain_text("$84.00")
    await assert_accessible(page)
    # Without saying how the customer asked: the page says so and nothing is filed.
    await page.get_by_role("button", name="Ask for the extension").click()
    await expect(page.locator("main")).to_contain_text("Say how the customer asked.")
    await page.get_by_label("On the phone").first.check()
    await page.get_by_role("button", name="Ask for the extension").click()
    await expect(page.locator("[role=status], .flash, .notice").first).to_contain_text("Extension granted")
    assert page.url.endswith(f"/staff/accounts/{number}#plans")
    session.expire_all()
    extension = await session.scalar(select(PaymentExtension))
    assert extension is not None and extension.amount_cents == 8_400
    labels = list(await session.scalars(select(AuditEvent.actor_label).where(AuditEvent.action.like("extension.%"))))
    assert labels == [f"{csr_email} for the customer, by phone"]
