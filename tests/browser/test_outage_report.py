"""On a 390 px phone: a visitor goes from the outage list to the report form, types an address that matches two,
picks theirs and is thanked; the form and the console's outage page fit the screen and pass axe."""

from __future__ import annotations

from sqlalchemy import select

from portal.accounts.models import OutageReport
from tests import factories
from tests.browser import axe
from tests.browser.conftest import PHONE
from tests.browser.flows import sign_in_by_request
from tests.browser.test_phone_width import MEASURE

WIDTH = PHONE["viewport"]["width"]


async def _fits(page) -> None:
    measured = await page.evaluate(MEASURE)
    assert measured["width"] <= WIDTH, (page.url, measured)
    found = await axe.violations(page)
    assert not found, axe.report(found)


async def test_a_visitor_reports_an_outage_on_a_phone(page, session) -> None:
    for n in (12, 120):
        await factories.make_account(session, address=f"{n} Elm St")
    await session.commit()
    answer = await page.goto("/outages")
    assert answer is not None and answer.headers.get("cache-control") == "public, max-age=60"
    await page.get_by_role("link", name="Report an outage").click()
    await page.wait_for_url("**/outages/report")
    await _fits(page)
    await page.get_by_label("Power").check()
    await page.get_by_label("Street address").fill("12 Elm")
    await page.get_by_role("button", name="Send the report").click()
    await page.get_by_text("We found these addresses. Which is yours?").wait_for()
    await _fits(page)
    await page.get_by_label("120 Elm St, Riverton, TX 76501").check()
    await page.get_by_label("Phone or email for updates (optional)").fill("(254) 555-0142")
    await page.get_by_role("button", name="Send the report").click()
    await page.get_by_text("Thank you. Your report is in").wait_for()
    session.expire_all()
    rows = (await session.scalars(select(OutageReport))).all()
    assert [(r.address, r.utility, r.phone) for r in rows] == [("120 Elm St", "power", "+12545550142")]


async def test_the_console_outage_page_fits_a_phone(browser, live_server, session, supervisor) -> None:
    await factories.make_account(session, address="10 Oak St")
    await session.commit()
    context = await browser.new_context(base_url=live_server.url, locale="en-US", **PHONE)
    try:
        await sign_in_by_request(context, session, supervisor.email)
        page = await context.new_page()
        await page.goto("/outages/report")
        await page.get_by_label("Water").check()
        await page.get_by_label("Street address").fill("10 Oak St")
        await page.get_by_role("button", name="Send the report").click()
        await page.get_by_text("Thank you. Your report is in").wait_for()
        await page.goto("/staff/outages")
        await page.get_by_role("link", name="Water").first.click()
        await page.get_by_role("heading", name="Area, cause and estimate").wait_for()
        await page.get_by_label("Cause", exact=True).select_option("main_break")
        await page.get_by_role("button", name="Save and tell residents").click()
        await page.get_by_text("Outage updated").wait_for()
        await _fits(page)
    finally:
        await context.close()
