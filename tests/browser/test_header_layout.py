"""The site header on the narrowest common phone (360 px), for each role's home in English and Spanish: the menu wraps
rather than scrolls (a row that scrolled hid Settings and Sign out past the edge, and two people walking the demo
did not find them), so every link is on the screen as the page opens, the topmost thing under a finger at its
centre; the header stays within four rows (the brand's, three of menu)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE
from tests.browser.flows import sign_in_by_request

NARROW = {**PHONE, "viewport": {"width": 360, "height": 740}}
ROW_TOLERANCE = 8  # px: items whose vertical middles differ by less sit on the same row
MAX_HEADER = 4 * 48  # px: four rows of 44 px touch targets with their spacing

MEASURE = """header => {
  const box = header.getBoundingClientRect();
  const items = [header.querySelector('.brand'), ...header.querySelectorAll('a, button')];
  return {height: box.height, middles: items.map(e => { const b = e.getBoundingClientRect(); return b.top + b.height / 2; })};
}"""

REACHABLE = """element => {
  const box = element.getBoundingClientRect();
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return {left: box.left, right: box.right, hit: hit !== null && (hit === element || element.contains(hit))};
}"""


def rows(middles: list[float]) -> int:
    found: list[float] = []
    for middle in sorted(middles):
        if not found or middle - found[-1] >= ROW_TOLERANCE:
            found.append(middle)
    return len(found)


@pytest.mark.parametrize("who, home", [("resident", "/my"), ("technician", "/field"), ("csr", "/staff")])
@pytest.mark.parametrize("language", ["en", "es"])
async def test_the_header_fits_in_two_rows_at_360_px_with_every_link_reachable(
    browser,
    live_server,
    session,
    resident,
    technician,
    csr,
    who,
    home,
    language,
) -> None:
    email = {"resident": resident.user.email, "technician": technician.email, "csr": csr.email}[who]
    context = await browser.new_context(base_url=live_server.url, locale="en-US", **NARROW)
    try:
        await sign_in_by_request(context, session, email)
        page = await context.new_page()
        if language == "es":
            await page.goto(f"/lang/es?next={home}")
        else:
            await page.goto(home)
        await page.wait_for_url(f"**{home}")
        header = page.locator("header.site-header")
        measured = await header.evaluate(MEASURE)
        assert rows(measured["middles"]) <= 4, measured
        assert measured["height"] <= MAX_HEADER, measured
        targets = header.locator("a, button")
        names = []
        for index in range(await targets.count()):
            target = targets.nth(index)
            names.append((await target.inner_text()).strip())
            reached = await target.evaluate(REACHABLE)
            assert reached["hit"] and reached["left"] >= -1 and reached["right"] <= 361, (names[-1], reached)
        assert len(names) >= 3, names  # the brand, the language switch and at least the menu's first link
        assert ("English" if language == "es" else "Español") in names
    finally:
        await context.close()
