"""The technician's list when the phone learns of an order after the page was drawn (a problem a CSR just filed,
synced with "Sync now"): the phone draws its card as the server does (the kind in words, bold, the unit), and an
order due later stays under "Coming up" rather than appearing twice."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.async_api import expect
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import Premise, User, WorkOrderKind
from portal.web.labels import label
from tests.browser.conftest import PHONE, LiveServer
from tests.browser.flows import count_sync_phases, first_sync_over, sign_in_by_request
from tests.field_world import local_today, make_field_order

pytestmark = pytest.mark.browser


async def test_an_order_synced_after_the_page_was_drawn_looks_like_the_rest(
    browser, live_server: LiveServer, session: AsyncSession, technician: User
) -> None:
    await make_field_order(session, technician)
    await session.commit()
    context = await browser.new_context(base_url=live_server.url, locale="en-US", service_workers="block", **PHONE)
    context.set_default_timeout(15_000)
    await count_sync_phases(context)
    try:
        await sign_in_by_request(context, session, technician.email)
        page = await context.new_page()
        await page.goto("/field")
        await first_sync_over(page)  # it holds the sync lock: "Sync now" during it would do nothing

        # Filed meanwhile: one for today at a flat (its unit), one for next week (a move's start).
        now = await make_field_order(session, technician, WorkOrderKind.INVESTIGATE)
        premise = await session.get(Premise, now.premise_id)
        premise.unit = "Apt 4"
        later = await make_field_order(session, technician, WorkOrderKind.START)
        later.due_on = local_today() + dt.timedelta(days=7)
        await session.commit()

        await page.get_by_role("button", name="Sync now").click()
        card = page.locator(f'[data-order-list] [data-order-id="{now.id}"]')
        await expect(card.locator("strong")).to_have_text(label(WorkOrderKind.INVESTIGATE))
        await expect(card.locator("a")).to_contain_text("Apt 4")
        assert await page.locator(f'[data-order-list] [data-order-id="{later.id}"]').count() == 0
    finally:
        await context.close()
