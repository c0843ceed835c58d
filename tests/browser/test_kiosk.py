"""Kiosk mode on a counter tablet (1024x768): no staff menu, a typed staff address lands back on the practice, and
the way out asks the CSR to prove who they are again (a wrong code is refused, their passkey opens it)."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import User
from tests.browser.axe import assert_accessible
from tests.browser.flows import add_virtual_authenticator, sign_in_with_code
from tests.http.helpers import latest_code

pytestmark = pytest.mark.browser

TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}


async def test_kiosk_mode_locks_the_counter_tablet_until_the_csr_signs_back_in(
    browser, live_server, session: AsyncSession, csr: User
) -> None:
    context = await browser.new_context(base_url=live_server.url, locale="en-US", **TABLET)
    context.set_default_timeout(10_000)
    try:
        page = await context.new_page()
        await add_virtual_authenticator(page)  # the tablet's own passkey provider
        await sign_in_with_code(page, session, csr.email)  # lands on settings: add a passkey
        await page.get_by_label("Name for this passkey").fill("Counter tablet")
        await page.get_by_role("button", name="Add a passkey").click()
        await expect(page.get_by_role("status")).to_contain_text("Passkey added.")
        await page.goto("/staff/walkin")
        await page.get_by_role("button", name="Start kiosk mode").click()
        await expect(page.get_by_role("status").filter(has_text="Kiosk mode is on")).to_be_visible()

        menu = page.get_by_role("navigation", name="Main")
        await expect(menu.get_by_role("link", name="Accounts")).to_have_count(0)
        await expect(menu.get_by_role("link", name="Console")).to_have_count(0)
        await expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
        await assert_accessible(page)

        await page.goto("/staff/accounts")  # typed into the address bar
        await expect(page).to_have_url(re.compile(r"/staff/walkin$"))
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Hello, Alex Example")

        await menu.get_by_role("link", name="Staff: end practice mode").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("End kiosk mode")
        await expect(page.get_by_role("button", name="Confirm with my passkey")).to_be_visible()
        await page.get_by_role("button", name="Email me a code").click()
        code = await latest_code(session, csr.email)
        await page.get_by_label("6-digit code").fill("000000" if code != "000000" else "111111")  # a wrong code
        await page.get_by_role("button", name="End kiosk mode").click()
        await expect(page.get_by_role("alert")).to_contain_text("not right")
        await assert_accessible(page)
        await page.get_by_role("button", name="Confirm with my passkey").click()  # the CSR's fingerprint
        await expect(page).to_have_url(re.compile(r"/staff$"))
        await expect(page.get_by_role("status").filter(has_text="Kiosk mode is off")).to_be_visible()
        await expect(menu.get_by_role("link", name="Accounts")).to_be_visible()
    finally:
        await context.close()
