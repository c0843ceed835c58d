"""What the phone says about a read that cannot be right, before it is saved: an empty or non-digit read and one with
more digits than the meter's dials each get their own message (they showed only the field's label, "Read", or were
saved and refused at the sync), and a warning follows the read as it is corrected instead of describing the old one."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import MeterRead, User
from tests.browser.conftest import PHONE, LiveServer
from tests.browser.flows import sign_in_by_request
from tests.field_world import LAST_READ, make_field_order

pytestmark = pytest.mark.browser


async def test_a_read_that_cannot_be_right_is_explained_and_the_warning_follows_the_correction(
    browser, live_server: LiveServer, session: AsyncSession, technician: User
) -> None:
    order = await make_field_order(session, technician)
    await session.commit()
    context = await browser.new_context(base_url=live_server.url, locale="en-US", service_workers="block", **PHONE)
    context.set_default_timeout(15_000)
    try:
        await sign_in_by_request(context, session, technician.email)
        page = await context.new_page()
        await page.goto(f"/field/orders/{order.id}")
        await page.wait_for_function("() => window.portalFieldReady")
        read = page.get_by_label("Read", exact=True)
        save = page.get_by_role("button", name="Save read")
        error = page.locator("[data-form-error]")

        await save.click()
        await expect(error).to_have_text("Enter the read: the numbers the dials show.")
        await read.fill("106000abc")
        await save.click()
        await expect(error).to_have_text("Enter the read in digits only, as the dials show it.")
        await read.fill("9999999")  # seven digits on a six-dial meter
        await save.click()
        await expect(error).to_have_text("This meter has 6 dials: check the read.")

        warning = page.locator("[data-read-warning]")
        await read.fill(str(LAST_READ - 10))
        await save.click()
        await expect(warning).to_contain_text("Lower than the last read")
        await read.fill(str(LAST_READ + 60_000))  # corrected, but still flagged: now too high
        await save.click()
        await expect(warning).to_contain_text("Higher than expected")
        await expect(page.get_by_label("Enter the read again to confirm")).to_have_value("")
        await read.fill(str(LAST_READ + 6_000))  # a believable read: no warning stands, nothing is asked again
        await save.click()
        await expect(page.locator("main > [data-local-state]")).to_contain_text(
            re.compile("Saved on this phone|Done and sent")
        )
        await expect(warning).to_be_hidden()
        await expect(page.locator("[data-sync-count]")).to_have_text("0", timeout=20_000)
    finally:
        await context.close()
    await session.commit()
    assert (await session.scalars(select(MeterRead.value).where(MeterRead.work_order_id == order.id))).all() == [
        LAST_READ + 6_000
    ]
    assert await session.scalar(select(func.count()).select_from(MeterRead).where(MeterRead.value > 10**6)) == 0
