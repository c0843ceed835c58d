"""The bill page in Chromium at a phone viewport: it passes axe (WCAG 2.2 AA), the chart's table opens from the
keyboard, and the supervisor's rates form with errors is accessible too."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import User
from tests.browser.axe import assert_accessible
from tests.browser.flows import sign_in_by_request
from tests.http.test_bills import billed
from tests.integration.billing_helpers import with_rates
from tests.personas import Resident

pytestmark = pytest.mark.browser


async def test_a_resident_reads_a_bill_on_a_phone(
    page: Page, session: AsyncSession, engine, resident: Resident, tmp_path
) -> None:
    bill = await billed(session, engine, resident.account)
    await sign_in_by_request(page.context, session, resident.user.email)
    await page.goto(f"/my/bills/{bill.id}")
    await expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Your bill of"))
    chart = page.get_by_role("img", name=re.compile("Water use by bill"))
    await expect(chart).to_be_visible()
    table_toggle = page.get_by_text("Show these figures as a table")
    await table_toggle.focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("row", name=re.compile("July 2026 \\(current period\\)"))).to_be_visible()
    await assert_accessible(page)
    await page.screenshot(path=str(tmp_path / "bill.png"), full_page=True)


async def test_the_rates_form_with_errors_is_accessible(page: Page, session: AsyncSession, supervisor: User) -> None:
    await with_rates(session)
    await session.commit()
    await sign_in_by_request(page.context, session, supervisor.email)
    await page.goto("/staff/rates")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Rate schedules")
    await assert_accessible(page)
    await page.get_by_role("link", name="New S-RES rates").click()
    await page.get_by_label("Base charge a month (dollars)").fill("twelve")
    await page.get_by_role("button", name="Save the new rates").click()
    await expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    await expect(page.get_by_label("Base charge a month (dollars)")).to_have_attribute("aria-invalid", "true")
    await assert_accessible(page)
