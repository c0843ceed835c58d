"""A refused form: the page says why and "Go back and correct it" returns to the form with what was typed still in
it (the browser's history keeps it), not a dead end that loses the work."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import User
from tests.browser.flows import sign_in_with_code
from tests.personas import Resident

pytestmark = pytest.mark.browser


async def test_a_refused_case_goes_back_to_the_form_with_what_was_typed(
    page: Page, session: AsyncSession, csr: User, resident: Resident
) -> None:
    await sign_in_with_code(page, session, csr.email)
    account_page = f"/staff/accounts/{resident.account.number}"
    await page.goto(account_page)
    await page.locator("#action-case > summary").click()
    await page.get_by_label("Reason").last.fill("Says the October read was too high.")
    await page.get_by_label("Disputed amount (a dispute)").fill("abc")
    await page.get_by_role("button", name="Open the case").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("We could not do that")
    await expect(page.get_by_text("Give the amount in dollars and cents")).to_be_visible()
    await page.get_by_role("link", name="Go back and correct it").click()

    await expect(page).to_have_url(f"http://{page.url.split('/')[2]}{account_page}")
    await expect(page.locator("#case-reason")).to_have_value("Says the October read was too high.")
    await expect(page.locator("#case-disputed")).to_have_value("abc")
