"""A button that asks first (data-confirm: writing off balances, removing a passkey) asks from the page's first
moment. The page's modules load after the first paint, so on a slow phone a click can come before any of them has
run: the boot script in the page's head asks then (portal/web/assets.py)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

BUTTON = """() => { const form = document.createElement('form'); form.method = 'post'; form.action = '/signout';
  form.innerHTML = '<button type="submit" data-confirm="Write off 3 balances?">Make the file</button>';
  document.querySelector('main').append(form); }"""


@pytest.mark.parametrize("modules", ["never arrive", "have run"])
async def test_a_click_asks_once_whether_or_not_the_modules_have_run_and_a_no_posts_nothing(page, modules) -> None:
    if modules == "never arrive":
        await page.route("**/static/js/**", lambda route: route.abort())
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    asked: list[str] = []

    async def answer(dialog) -> None:
        asked.append(dialog.message)
        await (dialog.dismiss() if len(asked) == 1 else dialog.accept())

    page.on("dialog", answer)
    await page.goto("/signin")
    if modules == "have run":
        await page.wait_for_function("() => document.querySelector('script[src*=\"/js/app.\"]')")
        await page.wait_for_load_state("load")
    await page.evaluate(BUTTON)

    await page.get_by_role("button", name="Make the file").click()
    assert asked == ["Write off 3 balances?"]
    await page.wait_for_timeout(300)
    assert posts == []  # "Cancel": nothing was sent

    async with page.expect_request(lambda request: request.method == "POST"):
        await page.get_by_role("button", name="Make the file").click()
    assert asked == ["Write off 3 balances?", "Write off 3 balances?"]  # asked once each time, not twice
