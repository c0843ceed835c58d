"""The technician's offline day in Chromium at a phone size: save today's orders, lose signal (the service worker's
own fetches cut too), enter a read, a flagged read (typed twice, with a photo) and a disconnect with a photo, reload
while offline, come back and sync: exactly one row per action, and the photos' checksums match the phone's."""

from __future__ import annotations

import asyncio
import io
import re

import pytest
from PIL import Image
from playwright.async_api import BrowserContext, Page, Route, expect
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import MeterRead, Photo, SyncMutation, User, WorkOrder, WorkOrderKind, WorkOrderStatus
from tests.browser.conftest import PHONE, LiveServer
from tests.browser.flows import count_sync_phases, first_sync_over, sign_in_by_request
from tests.field_world import LAST_READ, make_field_order

pytestmark = pytest.mark.browser


class Signal:
    """Offline for the page (context.set_offline) and for the service worker (its requests aborted)."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.offline = False

    async def install(self) -> None:
        async def handle(route: Route) -> None:
            if self.offline:
                await route.abort("internetdisconnected")
            else:
                await route.continue_()

        await self.context.route("**/*", handle)

    async def set(self, offline: bool) -> None:
        self.offline = offline
        await self.context.set_offline(offline)


def photo_file(tmp_path, name: str) -> str:
    path = tmp_path / name
    image = Image.new("RGB", (2400, 1800), (90, 120, 160))
    image.paste((220, 200, 40), (300, 300, 900, 900))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    path.write_bytes(out.getvalue())
    return str(path)


async def phone_photos(page: Page) -> list[dict]:
    return await page.evaluate("""() => new Promise((resolve, reject) => {
        const req = indexedDB.open("field");
        req.onsuccess = () => {
            const tx = req.result.transaction("photos", "readonly");
            const all = tx.objectStore("photos").getAll();
            all.onsuccess = () => resolve(all.result.map((p) => ({id: p.id, sha256: p.sha256, size: p.size, width: p.width, height: p.height})));
            all.onerror = () => reject(all.error);
        };
        req.onerror = () => reject(req.error);
    })""")


async def test_a_day_offline_syncs_each_action_exactly_once(
    browser, live_server: LiveServer, session: AsyncSession, technician: User, tmp_path
) -> None:
    read_order = await make_field_order(session, technician)
    flagged_order = await make_field_order(session, technician)
    disconnect = await make_field_order(session, technician, WorkOrderKind.DISCONNECT)
    await session.commit()

    context = await browser.new_context(base_url=live_server.url, locale="en-US", service_workers="allow", **PHONE)
    context.set_default_timeout(15_000)
    try:
        signal = Signal(context)
        await signal.install()
        await sign_in_by_request(context, session, technician.email)
        page = await context.new_page()
        await page.goto("/field")
        await page.evaluate("() => navigator.serviceWorker.ready")
        if not await page.evaluate("() => navigator.serviceWorker.controller !== null"):
            await page.reload()  # the worker claims the page; a reload makes sure every request goes through it
        assert await page.evaluate("() => navigator.serviceWorker.controller !== null")
        await page.get_by_role("button", name="Save today's orders on this phone").click()
        await expect(page.locator("[data-sync-text]")).to_have_text("Orders saved on this phone: 3")

        await signal.set(True)

        # A read in range.
        await page.goto(f"/field/orders/{read_order.id}")
        await page.get_by_label("Read", exact=True).fill(str(LAST_READ + 6_000))
        await page.get_by_role("button", name="Save read").click()
        await expect(page.locator("main > [data-local-state]")).to_contain_text("Saved on this phone")

        # A flagged read: the phone asks for it again and for a photo.
        await page.goto(f"/field/orders/{flagged_order.id}")
        await page.get_by_label("Read", exact=True).fill(str(LAST_READ + 60_000))
        await page.get_by_role("button", name="Save read").click()
        await expect(page.locator("[data-read-warning]")).to_contain_text("Higher than expected")
        await page.get_by_label("Enter the read again to confirm").fill(str(LAST_READ + 60_000))
        await page.get_by_role("button", name="Save read").click()
        await expect(page.locator("[data-form-error]")).to_contain_text("photo")
        await page.get_by_label("Photo of the meter").set_input_files(photo_file(tmp_path, "flagged.jpg"))
        await page.get_by_role("button", name="Save read").click()
        await expect(page.locator("main > [data-local-state]")).to_contain_text("Saved on this phone")

        # A disconnect with its seal, final read and photo.
        await page.goto(f"/field/orders/{disconnect.id}")
        await page.get_by_label("Final read").fill(str(LAST_READ + 6_100))
        await page.get_by_label("Seal number").fill("S-40917")
        await page.get_by_label("Photo of the locked meter").set_input_files(photo_file(tmp_path, "seal.jpg"))
        await page.get_by_role("button", name="Record disconnect").click()
        await expect(page.locator("main > [data-local-state]")).to_contain_text("Saved on this phone")

        # Reload with no signal: the page comes from the phone, the actions are still waiting.
        await page.reload()
        await expect(page.locator("[data-sync-count]")).to_have_text("5")  # 3 actions + 2 photos
        await expect(page.locator("main > [data-local-state]")).to_contain_text("Saved on this phone")
        kept = await phone_photos(page)
        assert len(kept) == 2 and all(max(p["width"], p["height"]) <= 1600 for p in kept)
        await page.goto("/field")
        await expect(page.locator("[data-sync-text]")).to_contain_text("3 waiting to send")

        # Signal again: sync.
        await signal.set(False)
        await page.get_by_role("button", name="Sync now").click()
        await expect(page.locator("[data-sync-count]")).to_have_text("0", timeout=20_000)
        await expect(page.locator("[data-sync-text]")).to_have_text("Everything is sent.")
        assert await phone_photos(page) == []  # deleted only after the server confirmed each checksum
        await page.get_by_role("button", name="Sync now").click()  # a second round changes nothing
        await expect(page.locator("[data-sync-text]")).to_have_text("Everything is sent.")
    finally:
        await context.close()

    await session.commit()
    ids = [read_order.id, flagged_order.id, disconnect.id]
    reads = (
        await session.execute(
            select(MeterRead.work_order_id, MeterRead.value, MeterRead.flags)
            .where(MeterRead.work_order_id.in_(ids))
            .order_by(MeterRead.work_order_id)
        )
    ).all()
    assert [(r.work_order_id, r.value) for r in reads] == [
        (read_order.id, LAST_READ + 6_000),
        (flagged_order.id, LAST_READ + 60_000),
        (disconnect.id, LAST_READ + 6_100),
    ]
    assert reads[1].flags == ["high", "re_entered"]
    assert await session.scalar(select(func.count()).select_from(SyncMutation)) == 3
    statuses = (await session.scalars(select(WorkOrder.status).where(WorkOrder.id.in_(ids)))).all()
    assert set(statuses) == {WorkOrderStatus.COMPLETED}
    stored = {p.client_id: p for p in (await session.scalars(select(Photo))).all()}
    assert {p["id"]: p["sha256"] for p in kept} == {cid: p.sha256 for cid, p in stored.items()}
    assert {p.work_order_id for p in stored.values()} == {flagged_order.id, disconnect.id}
    done = await session.get(WorkOrder, disconnect.id, populate_existing=True)
    assert done.result["seal"] == "S-40917" and len(done.result["photo_ids"]) == 1


async def test_a_disconnect_after_the_customer_paid_offers_restore_now_on_the_order_page(
    browser, live_server: LiveServer, session: AsyncSession, technician: User, tmp_path
) -> None:
    from portal.accounts import workorders
    from portal.accounts.actor import Actor

    disconnect = await make_field_order(session, technician, WorkOrderKind.DISCONNECT)
    low = await make_field_order(session, technician, WorkOrderKind.DISCONNECT)
    await session.commit()
    context = await browser.new_context(base_url=live_server.url, locale="en-US", service_workers="allow", **PHONE)
    context.set_default_timeout(15_000)
    # The page syncs once as it opens. Acting while that sync runs races it (the action may go out with it and come
    # back answered before "Saved on this phone" is ever seen), so each step below waits for it and acts offline.
    await count_sync_phases(context)
    try:
        signal = Signal(context)
        await signal.install()
        await sign_in_by_request(context, session, technician.email)
        page = await context.new_page()
        await page.goto(f"/field/orders/{disconnect.id}")  # loaded before the customer paid
        await first_sync_over(page)
        await workorders.cancel(session, Actor.job("payments"), disconnect, "Cancelled: customer paid $120.00 by card.")
        await session.commit()
        await signal.set(True)  # in the basement, at the meter
        await page.get_by_label("Final read").fill(str(LAST_READ + 6_100))
        await page.get_by_label("Seal number").fill("S-40917")
        await page.get_by_label("Photo of the locked meter").set_input_files(photo_file(tmp_path, "seal.jpg"))
        await page.get_by_role("button", name="Record disconnect").click()
        await expect(page.locator("main > [data-local-state]")).to_contain_text("Saved on this phone")
        await signal.set(False)
        await page.get_by_role("button", name="Sync now").click()
        await expect(page.locator("[data-sync-count]")).to_have_text("0", timeout=20_000)
        await expect(page.get_by_role("button", name="Restore now")).to_have_count(1)  # the phone's answer, here
        await page.reload()
        restore_buttons = page.get_by_role("button", name="Restore now")
        await expect(restore_buttons).to_have_count(1)  # on the page that asks, once
        await expect(page.get_by_text(f"Order {disconnect.id} was cancelled")).to_have_count(1)
        await restore_buttons.click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Restore")
        await session.commit()
        restore = await session.scalar(select(WorkOrder).where(WorkOrder.kind == WorkOrderKind.RESTORE))
        assert restore.assigned_to_id == technician.id and restore.status == WorkOrderStatus.ASSIGNED

        # A disconnect's final read far below the expected range is asked again on the phone too.
        await page.goto(f"/field/orders/{low.id}")
        await first_sync_over(page)
        await signal.set(True)
        await page.get_by_label("Final read").fill(str(LAST_READ + 100))
        await page.get_by_label("Seal number").fill("S-40918")
        await page.get_by_label("Photo of the locked meter").set_input_files(photo_file(tmp_path, "low.jpg"))
        await page.get_by_role("button", name="Record disconnect").click()
        await expect(page.locator("[data-read-warning]")).to_contain_text("Lower than expected")
        await page.get_by_label("Enter the read again to confirm").fill(str(LAST_READ + 100))
        await page.get_by_role("button", name="Record disconnect").click()
        await expect(page.locator("main > [data-local-state]")).to_contain_text("Saved on this phone")
        await signal.set(False)
        await page.get_by_role("button", name="Sync now").click()
        await expect(page.locator("[data-sync-count]")).to_have_text("0", timeout=20_000)
        await session.commit()
        sent = await session.scalar(select(SyncMutation).where(SyncMutation.work_order_id == low.id))
        assert sent is not None and sent.status == "applied", sent and sent.result
        read = await session.scalar(select(MeterRead).where(MeterRead.work_order_id == low.id))
        assert read is not None and read.flags == ["low", "re_entered"]
    finally:
        await context.close()


async def test_a_read_saved_before_field_js_has_loaded_is_kept_on_the_phone_and_sent_once(
    browser, live_server: LiveServer, session: AsyncSession, technician: User
) -> None:
    """The field modules load after the first paint. A technician who taps Save in between used to post the plain
    form (with no signal, lost); the head's boot script now holds the tap until field.js listens."""
    order = await make_field_order(session, technician)
    await session.commit()
    context = await browser.new_context(base_url=live_server.url, locale="en-US", service_workers="block", **PHONE)
    context.set_default_timeout(15_000)

    async def late(route: Route) -> None:
        await asyncio.sleep(1.5)  # a slow phone on a weak signal
        await route.continue_()

    try:
        await sign_in_by_request(context, session, technician.email)
        page = await context.new_page()
        await page.route("**/js/field.*.js", late)
        posted: list[str] = []
        page.on("request", lambda r: posted.append(r.url) if r.method == "POST" and "/sync" not in r.url else None)
        await page.goto(f"/field/orders/{order.id}", wait_until="commit")
        await page.get_by_label("Read", exact=True).fill(str(LAST_READ + 6_000))
        await page.get_by_role("button", name="Save read").click()
        await page.get_by_role("button", name="Save read").click()  # tapped again: nothing seems to happen
        assert await page.evaluate("() => !window.portalFieldReady")  # tapped before field.js listened

        saved = re.compile("Saved on this phone|Done and sent")  # the phone's own notice: field.js took the tap
        await expect(page.locator("main > [data-local-state]")).to_contain_text(saved)
        await expect(page.locator("[data-sync-count]")).to_have_text("0", timeout=20_000)
        assert posted == []  # the plain form never went
    finally:
        await context.close()

    await session.commit()
    reads = (await session.scalars(select(MeterRead.value).where(MeterRead.work_order_id == order.id))).all()
    assert reads == [LAST_READ + 6_000]
    assert await session.scalar(select(func.count()).select_from(SyncMutation)) == 1


async def test_a_read_tapped_when_field_js_never_comes_goes_as_the_plain_form(
    browser, live_server: LiveServer, session: AsyncSession, technician: User
) -> None:
    """The held tap is not lost if field.js fails to load: 8 s later the plain form posts, as with no JavaScript."""
    order = await make_field_order(session, technician)
    await session.commit()
    context = await browser.new_context(base_url=live_server.url, locale="en-US", service_workers="block", **PHONE)
    try:
        await sign_in_by_request(context, session, technician.email)
        page = await context.new_page()
        await page.route("**/js/field.*.js", lambda route: route.abort())
        await page.goto(f"/field/orders/{order.id}")
        await page.get_by_label("Read", exact=True).fill(str(LAST_READ + 6_000))
        async with page.expect_response(lambda r: r.request.method == "POST", timeout=12_000) as posted:
            await page.get_by_role("button", name="Save read").click()
        answer = await posted.value
        assert f"/field/orders/{order.id}" in answer.url and answer.status in (302, 303), answer.status
        await expect(page.locator(".notice--success")).to_contain_text(f"Saved: order {order.id}.")
    finally:
        await context.close()

    await session.commit()
    reads = (await session.scalars(select(MeterRead.value).where(MeterRead.work_order_id == order.id))).all()
    assert reads == [LAST_READ + 6_000]


async def test_a_photo_the_server_refuses_is_told_on_the_phone_and_another_goes_with_a_note(
    browser, live_server: LiveServer, session: AsyncSession, technician: User, tmp_path
) -> None:
    """A refused photo (422: cut off) stayed "waiting", was sent again at every sync, and the bar said "Done and
    sent": the technician never learned the disconnect's photo was lost."""
    order = await make_field_order(session, technician, WorkOrderKind.DISCONNECT)
    await session.commit()
    context = await browser.new_context(base_url=live_server.url, locale="en-US", service_workers="allow", **PHONE)
    context.set_default_timeout(15_000)
    await count_sync_phases(context)
    refused: list[str] = []

    async def refuse(route: Route) -> None:
        refused.append(route.request.url)
        message = "Only part of this photo arrived (the file is cut off). Send it again, or take a new one."
        await route.fulfill(status=422, json={"code": "photo_incomplete", "message": message})

    try:
        signal = Signal(context)
        await signal.install()
        await sign_in_by_request(context, session, technician.email)
        page = await context.new_page()
        await page.goto(f"/field/orders/{order.id}")
        await first_sync_over(page)
        await signal.set(True)
        await page.get_by_label("Final read").fill(str(LAST_READ + 6_100))
        await page.get_by_label("Seal number").fill("S-40919")
        await page.get_by_label("Photo of the locked meter").set_input_files(photo_file(tmp_path, "seal.jpg"))
        await page.get_by_role("button", name="Record disconnect").click()
        await expect(page.locator("main > [data-local-state]")).to_contain_text("Saved on this phone")
        await context.route("**/field/photos/**", refuse)
        await signal.set(False)
        await page.get_by_role("button", name="Sync now").click()
        notice = page.locator("[data-photo-refusals] [role=alert]")
        await expect(notice).to_contain_text(f"A photo for order {order.id} was not accepted: Only part of this photo")
        await expect(page.locator("[data-sync-count]")).to_have_text("0")  # nothing left waiting to send
        await page.get_by_role("button", name="Sync now").click()
        await expect(page.locator("[data-sync-text]")).to_have_text("Everything is sent.")
        assert len(refused) == 1  # not sent again at every sync
        await context.unroute("**/field/photos/**")
        await notice.get_by_role("button", name="Got it").click()
        await expect(notice).to_have_count(0)
        # Another photo goes with a note on the same order.
        await page.get_by_label("Note", exact=True).fill("New photo of the seal")
        await page.get_by_label("Photo (optional)").set_input_files(photo_file(tmp_path, "again.jpg"))
        await page.get_by_role("button", name="Save note").click()
        await expect(page.get_by_text("Note saved.")).to_be_visible()
        photos: list[Photo] = []
        for _ in range(40):  # the note's sync and its photo's upload run on their own
            await session.commit()
            photos = list(await session.scalars(select(Photo).where(Photo.work_order_id == order.id)))
            if photos:
                break
            await asyncio.sleep(0.5)
        assert len(photos) == 1
    finally:
        await context.close()
