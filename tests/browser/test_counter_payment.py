"""A counter payment at a 1024x768 tablet: "Take a payment" from the account page, the account card before posting,
change for cash, and the receipt as it prints (print media emulated): cashier and the utility's address, no menu."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import User
from tests.browser.flows import sign_in_with_code
from tests.personas import Resident

pytestmark = pytest.mark.browser


async def test_a_cash_payment_from_the_account_page_prints_a_receipt(
    page: Page, session: AsyncSession, csr: User, resident: Resident
) -> None:
    await page.set_viewport_size({"width": 1024, "height": 768})
    await sign_in_with_code(page, session, csr.email)
    await page.goto("/staff/drawer")
    await page.get_by_label("Opening float ($)").fill("100.00")
    await page.get_by_role("button", name="Open drawer").click()

    await page.goto(f"/staff/accounts/{resident.account.number}")
    await page.get_by_role("link", name="Take a payment").click()
    card = page.locator("#account-card")
    await expect(card).to_contain_text("María Lopez")
    await expect(card).to_contain_text("Balance")
    # Each tender shows only its own box: cash what was handed over, a check its number, a card neither.
    await page.get_by_label("Card (present)").check()
    await expect(page.get_by_label("Check number")).to_be_hidden()
    await expect(page.get_by_label("Cash handed over ($)")).to_be_hidden()
    await page.get_by_label("Check", exact=True).check()
    await expect(page.get_by_label("Check number")).to_be_visible()
    await page.get_by_label("Cash", exact=True).check()
    await expect(page.get_by_label("Check number")).to_be_hidden()
    await page.get_by_label("Amount ($)").fill("$1,234.50")
    await page.get_by_label("Cash handed over ($)").fill("1,300")
    await expect(page.locator("#change-due")).to_have_text("Change due: $65.50")
    await page.get_by_role("button", name="Post payment").click()
    # Far more than the balance: asked first, with what was typed kept.
    await expect(page.get_by_text("more than the balance of")).to_have_count(2)  # the summary and the field
    await page.get_by_label("The customer pays more than the balance on purpose").check()
    await expect(page.get_by_label("Cash handed over ($)")).to_have_value("1,300")
    await page.get_by_role("button", name="Post payment").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("Receipt 1")
    await expect(page.get_by_role("button", name="Print receipt")).to_be_visible()
    await page.emulate_media(media="print")
    receipt = page.locator(".receipt")
    await expect(receipt).to_contain_text(csr.display_name)
    await expect(receipt).to_contain_text("200 Main St, Riverton, TX 76501")
    await expect(receipt).to_contain_text("$65.50")
    await expect(page.locator(".site-nav")).to_be_hidden()
    await expect(page.locator(".flashes")).to_be_hidden()
    await expect(page.get_by_text("Void this receipt")).to_be_hidden()
    await expect(page.get_by_role("button", name="Print receipt")).to_be_hidden()
