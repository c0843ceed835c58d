"""The staff account page at a counter tablet (1024x768): the summary strip of an account with every alert sits
whole on the first screen under the staff header. UPDATE_DOCS_SCREENSHOT=1 also writes the screenshot the docs show
(docs/images/account-first-screen-1024x768.png), so a normal run leaves the tree clean."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.async_api import expect

from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.flows import sign_in_by_request
from tests.http.helpers import local_today

TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}
SCREENSHOT = Path(__file__).parents[2] / "docs" / "images" / "account-first-screen-1024x768.png"


async def test_the_strip_with_every_alert_fits_the_first_screen_of_a_tablet(browser, live_server, session, csr) -> None:
    account = await factories.make_alerted_account(session, csr, local_today())
    await session.commit()
    context = await browser.new_context(base_url=live_server.url, locale="en-US", **TABLET)
    try:
        await sign_in_by_request(context, session, csr.email)
        page = await context.new_page()
        await page.goto(f"/staff/accounts/{account.number}")
        alerts = page.locator(".strip [data-alert]")
        await expect(alerts).to_have_count(13)
        boxes = [await page.locator(".strip").bounding_box()]
        boxes += [await alerts.nth(i).bounding_box() for i in range(13)]
        boxes.append(await page.get_by_role("link", name="Adjustment").bounding_box())
        for box in boxes:
            assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 768, box
        await assert_accessible(page)  # the alerts' colours and marks too
        # An action opens its form in place; a redirect to a section's anchor opens that section.
        await page.locator("#action-note > summary").click()
        await expect(page.get_by_label("Add a note")).to_be_visible()
        await page.goto(f"/staff/accounts/{account.number}#orders")
        await expect(page.locator("#orders")).to_have_attribute("open", "")
        await expect(page.locator("#ledger")).not_to_have_attribute("open", "")
        if os.environ.get("UPDATE_DOCS_SCREENSHOT") == "1":
            await page.goto(f"/staff/accounts/{account.number}")
            await page.screenshot(path=str(SCREENSHOT))
    finally:
        await context.close()
