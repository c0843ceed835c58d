"""No layout shift (CLS 0) on the pages where script adds something: sign-in (the passkey button) and the field list
(the sync bar, the download button). Each takes its place from the first paint (portal/web/assets.py BOOT_SCRIPT and
`.needs-js` in app.css); the shifts are read from the browser's own layout-shift entries, as Lighthouse reads them."""

from __future__ import annotations

import asyncio

import pytest

from tests.browser.conftest import PHONE
from tests.browser.flows import sign_in_by_request
from tests.field_world import make_field_order

pytestmark = pytest.mark.browser

OBSERVE = """() => { window.__shifts = []; window.__src = []; new PerformanceObserver(list => {
  for (const e of list.getEntries()) { if (e.hadRecentInput) continue; window.__shifts.push(e.value);
    for (const x of e.sources || []) window.__src.push(x.node ? x.node.nodeName + '.' + (x.node.className || '') + ' '
      + (x.node.textContent || '').trim().slice(0, 40) + ' ' + x.previousRect.height + '->' + x.currentRect.height
      + ' y ' + x.previousRect.y + '->' + x.currentRect.y : 'null'); } }).observe({type: 'layout-shift', buffered: true}); }"""


async def _slow_scripts(route) -> None:
    await asyncio.sleep(0.6)  # a slow phone network: the page paints before its modules run, as Lighthouse sees it
    await route.continue_()


async def _shift(context, path: str) -> tuple[float, list[object]]:
    await context.route("**/static/js/**", _slow_scripts)
    page = await context.new_page()
    await page.goto(path)
    await page.wait_for_load_state("networkidle")
    await page.evaluate(OBSERVE)
    await asyncio.sleep(0.5)  # buffered entries arrive on the observer's next task
    shifts = await page.evaluate("window.__shifts")
    return sum(shifts), [*shifts, *await page.evaluate("window.__src")]  # the sources say what moved


async def test_sign_in_does_not_shift_when_the_passkey_button_appears(browser, live_server) -> None:
    context = await browser.new_context(base_url=live_server.url, locale="en-US", **PHONE)
    try:
        total, shifts = await _shift(context, "/signin")
        page = context.pages[0]
        assert await page.get_by_role("button", name="Sign in with a passkey").is_visible()
    finally:
        await context.close()
    assert total == 0, shifts


async def test_the_field_list_does_not_shift_when_the_sync_bar_appears(
    browser, live_server, session, technician
) -> None:
    await make_field_order(session, technician)
    await session.commit()
    context = await browser.new_context(base_url=live_server.url, locale="en-US", **PHONE)
    try:
        await sign_in_by_request(context, session, technician.email)
        total, shifts = await _shift(context, "/field")
        page = context.pages[0]
        assert await page.locator("[data-sync-bar]").is_visible()
        assert await page.locator("[data-download-section]").is_visible()
    finally:
        await context.close()
    assert total == 0, shifts
