"""Field pages as plain HTML forms (no JavaScript): today's list, an order, each action posting and redirecting;
a flagged read asks to be typed again with a photo; another technician's order is not found."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from portal.accounts import tenancy, workorders
from portal.accounts.actor import Actor
from portal.accounts.models import (
    Account,
    AccountStatus,
    MeterRead,
    Photo,
    Role,
    Service,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
)
from portal.accounts.policy import Policy
from tests import factories
from tests.field_world import LAST_READ, local_today, make_field_order
from tests.http.helpers import csrf, sign_in
from tests.unit.test_photos import jpeg


async def _post(client, url: str, data: dict, files: dict | None = None):
    token = await csrf(client)
    return await client.post(url, data={**data, "_csrf_token": token}, files=files, follow_redirects=False)


async def test_today_lists_my_orders_with_safety_notes_and_the_order_page_shows_the_expected_range(
    client, session, technician
) -> None:
    order = await make_field_order(session, technician, WorkOrderKind.DISCONNECT, medical=True)
    plain = await make_field_order(session, technician)
    other = await make_field_order(session, await factories.make_user(session, Role.FIELD))
    # Completed: one this morning (listed as done, with its time), one last night before midnight (not today's).
    now = dt.datetime.now(dt.UTC)
    zone = ZoneInfo("America/Chicago")
    midnight = dt.datetime.combine(local_today(), dt.time(0), zone).astimezone(dt.UTC)
    done = await make_field_order(session, technician)
    yesterday = await make_field_order(session, technician)
    this_morning = max(midnight + dt.timedelta(minutes=1), now - dt.timedelta(minutes=5))
    for finished, at in ((done, this_morning), (yesterday, midnight - dt.timedelta(minutes=1))):
        finished.status, finished.completed_at, finished.completed_by_id = WorkOrderStatus.COMPLETED, at, technician.id
    await session.commit()
    await sign_in(client, session, technician)
    today = await client.get("/field")
    assert f"/field/orders/{order.id}" in today.text and f"/field/orders/{other.id}" not in today.text
    # The medical alert is on the list, before the drive, and only on that customer's order.
    items = dict(re.findall(r'data-order-id="(\d+)">(.*?)</li>', today.text, re.S))
    assert "Medical alert on file: do not disconnect" in items[str(order.id)]
    assert "data-medical-alert" not in items[str(plain.id)]
    assert set(items) == {str(order.id), str(plain.id)}  # completed orders are not to do
    done_list = today.text.split("data-done-list", 1)[1].split("</ol>", 1)[0]
    assert "Done today" in today.text and "2 orders · 1 done" in today.text
    assert f'data-done-id="{done.id}"' in done_list and f"/field/orders/{yesterday.id}" not in done_list
    assert re.search(r"Done at \d{1,2}:\d{2}\s?[AP]M", done_list), done_list
    page = await client.get(f"/field/orders/{order.id}")
    assert page.status_code == 200
    assert "Medical alert on file" in page.text and "Seal number" not in page.text and 'id="order-data"' in page.text
    assert (await client.get(f"/field/orders/{other.id}")).status_code == 404


async def test_a_read_posts_and_redirects_and_sending_the_form_twice_records_one_read(
    client, session, technician
) -> None:
    order = await make_field_order(session, technician)
    await session.commit()
    await sign_in(client, session, technician)
    form = {"mutation_id": str(uuid.uuid4()), "value": str(LAST_READ + 6_000)}
    first = await _post(client, f"/field/orders/{order.id}/actions/record_read", form)
    assert first.status_code == 303 and first.headers["location"] == "/field"
    second = await _post(client, f"/field/orders/{order.id}/actions/record_read", form)
    assert second.status_code == 303
    await session.commit()
    assert (
        await session.scalar(select(func.count()).select_from(MeterRead).where(MeterRead.work_order_id == order.id))
        == 1
    )


async def test_a_flagged_read_must_be_typed_again_with_a_photo(client, session, technician, app, tmp_path) -> None:
    from portal.accounts.photos import LocalPhotoStore

    app.state.photo_store = LocalPhotoStore(tmp_path)
    order = await make_field_order(session, technician)
    await session.commit()
    await sign_in(client, session, technician)
    url = f"/field/orders/{order.id}/actions/record_read"
    page_id = str(uuid.uuid4())
    high = str(LAST_READ + 60_000)
    asked = await _post(client, url, {"mutation_id": page_id, "value": high})
    assert asked.status_code == 400 and "Higher than expected" in asked.text and "Take a photo" in asked.text
    done = await _post(
        client,
        url,
        {"mutation_id": page_id, "value": high, "confirm_value": high},
        files={"photo": ("meter.jpg", jpeg(), "image/jpeg")},
    )
    assert done.status_code == 303, done.text
    await session.commit()
    read = await session.scalar(select(MeterRead).where(MeterRead.work_order_id == order.id))
    assert read.flags == ["high", "re_entered"]
    assert await session.scalar(select(func.count()).select_from(Photo).where(Photo.work_order_id == order.id)) == 1


async def test_a_disconnect_on_a_cancelled_order_shows_the_reason_and_a_restore_button(
    client, session, technician, app, tmp_path
) -> None:
    from portal.accounts.photos import LocalPhotoStore

    app.state.photo_store = LocalPhotoStore(tmp_path)
    order = await make_field_order(session, technician, WorkOrderKind.DISCONNECT)
    await session.commit()
    await sign_in(client, session, technician)
    page = await client.get(f"/field/orders/{order.id}")  # loaded before the customer paid
    assert "Record disconnect" in page.text
    await workorders.cancel(session, Actor.job("payments"), order, "Customer paid at 10:42")
    await session.commit()
    answer = await _post(
        client,
        f"/field/orders/{order.id}/actions/disconnect_done",
        {"mutation_id": str(uuid.uuid4()), "value": str(LAST_READ + 6_000), "seal": "S-77"},
        files={"photo": ("meter.jpg", jpeg(), "image/jpeg")},
    )
    assert answer.status_code == 409 and "was cancelled" in answer.text and "Restore now" in answer.text
    restore = await _post(
        client, f"/field/orders/{order.id}/actions/request_restore", {"mutation_id": str(uuid.uuid4())}
    )
    assert restore.status_code == 303 and restore.headers["location"].startswith("/field/orders/")
    await session.commit()
    new = await session.scalar(select(WorkOrder).where(WorkOrder.kind == WorkOrderKind.RESTORE))
    assert new.assigned_to_id == technician.id and new.status == WorkOrderStatus.ASSIGNED


async def test_skip_note_and_leak_check_forms_work_without_javascript(client, session, technician) -> None:
    read_order = await make_field_order(session, technician)
    leak = await make_field_order(session, technician, WorkOrderKind.LEAK_CHECK)
    await session.commit()
    await sign_in(client, session, technician)
    note = await _post(
        client,
        f"/field/orders/{read_order.id}/actions/add_note",
        {"mutation_id": str(uuid.uuid4()), "note": "Dog loose"},
    )
    assert note.status_code == 303
    # The note is read where the next person looks: the order's page (it was stored and shown nowhere).
    assert "Dog loose" in (await client.get(f"/field/orders/{read_order.id}")).text
    skip = await _post(
        client, f"/field/orders/{read_order.id}/actions/skip_read", {"mutation_id": str(uuid.uuid4()), "code": "dog"}
    )
    assert skip.status_code == 303
    done = await _post(
        client,
        f"/field/orders/{leak.id}/actions/complete_order",
        {"mutation_id": str(uuid.uuid4()), "leak_found": "no"},
    )
    assert done.status_code == 303
    await session.commit()
    read_order = await session.get(WorkOrder, read_order.id, populate_existing=True)
    assert read_order.result["code"] == "dog" and read_order.result["notes"][0]["text"] == "Dog loose"
    leak = await session.get(WorkOrder, leak.id, populate_existing=True)
    assert leak.status == WorkOrderStatus.COMPLETED and leak.result["leak_found"] is False


async def test_staff_and_residents_cannot_open_field_pages(client, session, csr, technician) -> None:
    order = await make_field_order(session, technician)
    await session.commit()
    await sign_in(client, session, csr)
    assert (await client.get("/field")).status_code == 403
    assert (await _post(client, f"/field/orders/{order.id}/actions/add_note", {"note": "x"})).status_code == 403


async def test_a_start_read_from_the_plain_form_turns_the_pending_account_on_the_reads_day(
    client, session, technician
) -> None:
    before = await factories.make_account(session, status=AccountStatus.CLOSED)
    asked_on = local_today() - dt.timedelta(days=10)
    started = await tenancy.start_service(
        session,
        Actor.job("test"),
        Policy(),
        premise_id=before.premise_id,
        start_on=tenancy.earliest_date(Policy(), asked_on),
        today=asked_on,
        identity=tenancy.Identity(first_name="Ana", last_name="Reyes", email=None, phone=None),
    )
    await workorders.assign(session, Actor.job("test"), started.order, technician)
    await session.commit()
    await sign_in(client, session, technician)
    page = await client.get(f"/field/orders/{started.order.id}")
    assert page.status_code == 200 and 'name="value"' in page.text
    answer = await _post(
        client,
        f"/field/orders/{started.order.id}/actions/record_read",
        {"mutation_id": str(uuid.uuid4()), "value": "20000"},
    )
    assert answer.status_code == 303
    await session.commit()
    account = await session.get(Account, started.account.id, populate_existing=True)
    services = list(await session.scalars(select(Service).where(Service.account_id == account.id)))
    read_at = await session.scalar(select(MeterRead.read_at).where(MeterRead.work_order_id == started.order.id))
    read_day = read_at.astimezone(ZoneInfo("America/Chicago")).date()  # the utility's day, as it bills
    assert account.status == AccountStatus.ACTIVE and account.opened_on == read_day
    assert services and {s.started_on for s in services} == {read_day}
