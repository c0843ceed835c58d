"""The notice a page shows when the phone loses signal ("Offline: showing this page as of ...") is for a page kept on
the phone; the offline page itself says it is not saved, so it shows no such notice beside that."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.conftest import PHONE, LiveServer
from tests.browser.flows import sign_in_by_request

pytestmark = pytest.mark.browser


async def test_the_offline_page_does_not_also_claim_to_be_a_saved_copy(
    browser, live_server: LiveServer, session, technician
):
    context = await browser.new_context(base_url=live_server.url, locale="en-US", service_workers="block", **PHONE)
    try:
        await sign_in_by_request(context, session, technician.email)
        page = await context.new_page()
        await page.goto("/field", wait_until="networkidle")  # app.js comes after the first paint
        await context.set_offline(True)
        await expect(page.locator("#offline-notice")).to_contain_text("Offline: showing this page as of")
        await context.set_offline(False)
        await page.goto("/offline", wait_until="networkidle")
        await context.set_offline(True)
        await expect(page.get_by_text("This page is not saved on your phone.")).to_be_visible()
        await page.wait_for_timeout(300)  # the offline event has been handled
        await expect(page.locator("#offline-notice")).to_have_count(0)
        await expect(page.get_by_text("Save today's orders on this phone")).to_be_visible()
    finally:
        await context.close()
