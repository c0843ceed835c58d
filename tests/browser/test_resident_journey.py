"""A resident on a phone: sign in, link a second account, switch back, request a move and see the deposit, ask for
a payment extension and see it granted; axe-core finds no WCAG 2.2 AA violation on any page of the way."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import numbers, tenancy
from portal.accounts.models import AccountStatus
from portal.accounts.policy import current_policy
from tests import factories
from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer
from tests.browser.flows import sign_in_with_code
from tests.personas import Resident
from tests.resident_data import bills_for, local_today

pytestmark = pytest.mark.browser


async def test_sign_in_link_move_with_deposit_and_extension_granted(
    page: Page, live_server: LiveServer, session: AsyncSession, resident: Resident
) -> None:
    await bills_for(session, resident.account)
    second = await factories.make_account(session, last_name="Lopez", zip_code="76504", address="9 Mill Creek Dr")
    await factories.make_account(session, status=AccountStatus.CLOSED, address="4410 Bluebonnet Dr", meter_size="1")
    await session.commit()
    day = tenancy.earliest_date(current_policy(), local_today()).isoformat()

    await sign_in_with_code(page, session, resident.user.email)
    await page.goto("/my")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Hello, María Lopez")
    await expect(page.locator('[data-alert="past_due"]')).to_be_visible()
    await assert_accessible(page)

    # link a second account
    await page.get_by_role("link", name=re.compile("Link another account")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Link another account")
    await page.get_by_label("Account number").fill(numbers.display(second.number))
    await page.get_by_label("ZIP code of the service address").fill("76504")
    await page.get_by_label("Last name on the account (or business name)").fill("Lopez")
    await page.get_by_role("button", name="Link account").click()
    await expect(page).to_have_url(re.compile(r"/my$"))
    await expect(page.get_by_text("Account linked.")).to_be_visible()
    await expect(page.get_by_role("heading", name=re.compile("9 Mill Creek Dr"))).to_be_visible()
    await assert_accessible(page)

    # switch back to the account with the past-due balance
    await page.get_by_label("Account in view").select_option(resident.account.number)
    await page.get_by_role("button", name="Switch").click()
    await expect(page.locator('[data-alert="past_due"]')).to_be_visible()

    # request a move and see the deposit
    await page.get_by_role("link", name=re.compile(r"^Move")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Where are you moving to?")
    await page.get_by_label("Street address").fill("4410 bluebonnet")
    await page.get_by_role("button", name="Find the address").click()
    await page.get_by_label(re.compile("4410 Bluebonnet Dr")).check()
    await assert_accessible(page)
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("When are you moving?")
    await page.get_by_label("Last day at your current address").fill(day)
    await page.get_by_label("First day at your new address").fill(day)
    await assert_accessible(page)
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("How can we reach you?")
    await page.get_by_label("Phone number").fill("254-555-0199")
    await assert_accessible(page)
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Deposit")
    await expect(page.locator("[data-deposit]")).to_have_text("$200.00")
    await expect(page.get_by_text("larger than 3/4 inch")).to_be_visible()
    await assert_accessible(page)
    await page.get_by_label("I will pay the deposit").check()
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Check your request")
    await expect(page.locator("[data-deposit]")).to_have_text("$200.00")
    await assert_accessible(page)
    await page.get_by_role("button", name="Send the request").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("My requests")
    await expect(page.get_by_text("A deposit of $200.00 is due")).to_be_visible()
    await expect(page.locator('[data-state="pending"]').first).to_be_visible()
    await assert_accessible(page)

    # ask for more time to pay and see it granted
    await page.goto("/my/extension")
    await expect(page.get_by_role("heading", level=1)).to_have_text("More time to pay")
    await expect(page.get_by_text("You qualify:")).to_be_visible()
    await assert_accessible(page)
    await page.get_by_role("button", name="Ask for the extension").click()
    await expect(page.locator('[data-extension="active"]')).to_be_visible()
    await expect(page.get_by_text("Extension granted").first).to_be_visible()
    await assert_accessible(page)


async def test_resident_pages_with_errors_and_in_spanish_pass_axe(
    page: Page, live_server: LiveServer, session: AsyncSession, resident: Resident
) -> None:
    await bills_for(session, resident.account)
    await sign_in_with_code(page, session, resident.user.email)
    for path, heading in [
        ("/my/usage", "Water use"),
        ("/my/bills", "Bills"),
        ("/my/report", "Report a problem"),
        ("/my/preferences", "Preferences"),
        ("/my/stop", "Stop service"),
        ("/my/start", "Where do you want service?"),
    ]:
        await page.goto(path)
        await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        await assert_accessible(page)
    await page.goto("/my/stop")
    await page.get_by_role("button", name="Request the stop").click()
    await expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    await assert_accessible(page)
    await page.goto("/lang/es?next=/my/extension")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Más tiempo para pagar")
    await assert_accessible(page)
