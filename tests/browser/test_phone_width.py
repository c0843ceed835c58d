"""Every page of each role's menu fits a 390 px phone: nothing widens the page past the screen (a wide table scrolls in
its own region). Found by hand once: dispatch's visually hidden row labels escaped their scrolling table and made the
whole page 563 px wide, so the test fills the lists (orders on a route, an unassigned one) before measuring."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator

import pytest

from portal.accounts.models import WorkOrderKind
from tests import factories
from tests.browser.conftest import PHONE
from tests.browser.flows import sign_in_by_request
from tests.field_world import make_field_order

WIDTH = PHONE["viewport"]["width"]
MENU_LINKS = "nav.site-nav a[href^='/']"

MEASURE = """() => ({width: document.documentElement.scrollWidth,
  wide: [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1
    && !e.closest('.table-wrap')).slice(0, 5).map(e => e.tagName + '.' + e.className)})"""


@pytest.mark.parametrize("who", ["resident", "technician", "supervisor"])
async def test_every_menu_page_fits_a_phone(browser, live_server, session, resident, technician, supervisor, who):
    await make_field_order(session, technician, account=resident.account)
    await make_field_order(session, technician, WorkOrderKind.DISCONNECT)
    await factories.make_order(session, resident.account, kind=WorkOrderKind.LEAK_CHECK)  # unassigned
    await session.commit()
    email = {"resident": resident.user.email, "technician": technician.email, "supervisor": supervisor.email}[who]
    home = {"resident": "/my", "technician": "/field", "supervisor": "/staff"}[who]
    context = await browser.new_context(base_url=live_server.url, locale="en-US", **PHONE)
    try:
        await sign_in_by_request(context, session, email)
        page = await context.new_page()
        await page.goto(home)
        paths = [home]
        for href in await page.locator(MENU_LINKS).evaluate_all("links => links.map(a => a.getAttribute('href'))"):
            if href not in paths and not re.match(r"^/(lang|signout)", href):
                paths.append(href)
        if who == "supervisor":
            paths.append("/staff/dispatch")
        assert len(paths) >= 2, paths  # the home and at least one menu page
        for path in paths:
            answer = await page.goto(path)
            assert answer is not None and answer.status == 200, path
            measured = await page.evaluate(MEASURE)
            assert measured["width"] <= WIDTH, (path, measured)
        # Every item of the menu, Sign out too, is on the screen: the row once scrolled them out of sight.
        items = await page.locator("nav.site-nav li").evaluate_all(
            "items => items.map(li => [li.textContent.trim(), li.getBoundingClientRect().right])"
        )
        assert items and all(right <= WIDTH for _text, right in items), items
        assert "Sign out" in [text for text, _right in items]
    finally:
        await context.close()


async def test_a_long_email_in_a_list_of_facts_breaks_instead_of_widening_the_page(
    browser, live_server, session, resident
) -> None:
    """The move's review page listed maria.resident@example.com in its facts and the page grew to 417 px."""
    context = await browser.new_context(base_url=live_server.url, locale="en-US", **PHONE)
    try:
        await sign_in_by_request(context, session, resident.user.email)
        page = await context.new_page()
        await page.goto("/my")
        await page.evaluate("""() => document.querySelector('main').insertAdjacentHTML('beforeend',
          '<dl class="facts"><dt>Email</dt><dd>maria.resident.with.a.long.name@riverton-utilities.example.com ' +
          '<a href="#">Change</a></dd></dl>')""")
        measured = await page.evaluate(MEASURE)
        assert measured["width"] <= WIDTH, measured
    finally:
        await context.close()


@contextlib.asynccontextmanager
async def _resident_with_bills(browser, live_server, session, resident) -> AsyncIterator:
    """A signed-in resident with a year of bills, on a phone."""
    from tests.resident_data import bills_for

    await bills_for(session, resident.account)
    await session.commit()
    context = await browser.new_context(base_url=live_server.url, locale="en-US", **PHONE)
    try:
        await sign_in_by_request(context, session, resident.user.email)
        yield await context.new_page()
    finally:
        await context.close()


async def _no_sideways_scroll(region) -> None:
    assert await region.evaluate("r => r.scrollWidth <= r.clientWidth"), await region.evaluate(
        "r => [r.scrollWidth, r.clientWidth]"
    )


async def test_the_bills_list_fits_a_phone_without_scrolling_sideways(browser, live_server, session, resident) -> None:
    """A resident's bills at 390 px: the date (linking to the bill, with its period and PDF), use, amount and due date
    fit; the period and PDF columns showed only after a sideways scroll nobody was told about."""
    async with _resident_with_bills(browser, live_server, session, resident) as page:
        await page.goto("/my/bills")
        await _no_sideways_scroll(page.locator(".table-wrap"))
        await page.set_viewport_size({"width": 1024, "height": 768})  # a tablet shows every column
        assert await page.get_by_role("columnheader", name="Download").is_visible()


@pytest.mark.parametrize("language", ["en", "es"])
async def test_the_usage_table_fits_a_phone_in_either_language(browser, live_server, session, resident, language):
    """At 390 px the Spanish heading "Mismo mes del año pasado" would not wrap: the last two columns were out of
    sight in a region that scrolled sideways."""
    async with _resident_with_bills(browser, live_server, session, resident) as page:
        await page.goto(f"/lang/{language}?next=/my/usage")
        heading = "Same month last year" if language == "en" else "Mismo mes del año pasado"
        await page.get_by_role("columnheader", name=heading).wait_for()
        await _no_sideways_scroll(page.locator(".table-wrap", has=page.get_by_role("columnheader", name=heading)))
        # the chart's own table too, opened ("Un año antes (galones)" beside "6,400 galones" was 393 px in 358)
        await page.locator("details.chart__table summary").first.click()
        await _no_sideways_scroll(page.locator("details.chart__table .table-wrap").first)
