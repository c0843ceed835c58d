"""The conflict a technician meets when their disconnect arrives after the customer paid: the message gives the
payment's whole confirmation and one time format for the reader's language, and the order page that tells it offers
Restore now, as today's list does."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal.accounts import ledger, payments
from portal.accounts.actor import Actor
from portal.accounts.models import LedgerKind, WorkOrder, WorkOrderKind, WorkOrderStatus
from portal.accounts.policy import Policy, us_holidays
from tests.field_world import LAST_READ, Phone, make_field_order
from tests.http.helpers import csrf, post_json, sign_in

TZ = "America/Chicago"
PAID_AT = dt.datetime(2026, 12, 1, 0, 22, tzinfo=ZoneInfo(TZ))  # 22 minutes past midnight: "12:22 AM", not "00:22"


async def _paid_while_on_the_way(session, technician) -> WorkOrder:
    order = await make_field_order(session, technician, WorkOrderKind.DISCONNECT)
    await ledger.post(
        session,
        Actor.job("test"),
        account_id=order.account_id,
        kind=LedgerKind.CHARGE,
        amount_cents=12_000,
        source_key=f"charge:{order.account_id}",
        effective_on=dt.date(2026, 10, 1),
    )
    posted = await payments.post_payment(
        session,
        Actor.webhook(),
        account_id=order.account_id,
        amount_cents=12_000,
        source_key="pi_conflict",
        method="card",
        paid_at=PAID_AT,
        timezone=TZ,
        reference="RDDJ38AT",
        policy=Policy(holidays=us_holidays(range(2026, 2028))),
    )
    assert posted.cancelled_order_ids == (order.id,)
    order.cancelled_at = PAID_AT.astimezone(dt.UTC)  # cancelled when paid, as it would be live
    await session.commit()
    return order


async def _disconnect(client, phone: Phone, order: WorkOrder) -> dict:
    done = phone.action(
        "disconnect_done",
        order.id,
        {"value": LAST_READ + 6_000, "seal": "S-1", "at": (PAID_AT + dt.timedelta(minutes=18)).isoformat()},
        photo_ids=[str(uuid.uuid4())],
    )
    return (await post_json(client, "/field/sync", phone.batch(done))).json()["answers"][0]


async def test_the_conflict_gives_the_whole_confirmation_and_one_time_format(client, session, technician) -> None:
    order = await _paid_while_on_the_way(session, technician)
    await sign_in(client, session, technician)
    answer = await _disconnect(client, Phone(), order)
    message = answer["message"].replace("\u202f", " ")  # CLDR puts a narrow space before AM
    assert answer["code"] == "order_cancelled"
    assert "Confirmation RDDJ38AT. Your disconnect" in message and ".." not in message
    assert "at 12:22 AM;" in message and "12:40 AM" in message and "00:22" not in message and "00:40" not in message


async def test_the_conflict_reads_the_same_way_in_spanish(client, session, technician) -> None:
    order = await _paid_while_on_the_way(session, technician)
    technician.locale = "es"
    session.add(technician)
    await session.commit()
    await sign_in(client, session, technician)
    message = (await _disconnect(client, Phone(), order))["message"].replace("\u202f", " ")
    assert "Confirmación RDDJ38AT. Su desconexión" in message and ".." not in message
    assert "a las 12:22 a.m.;" in message and "AM" not in message and "00:22" not in message


async def test_the_order_page_offers_restore_now_for_a_conflict_the_phone_sent(client, session, technician) -> None:
    order = await _paid_while_on_the_way(session, technician)
    await sign_in(client, session, technician)
    answer = await _disconnect(client, Phone(), order)
    page = (await client.get(f"/field/orders/{order.id}")).text
    assert answer["message"].split(" Restore now?")[0] in page.replace("&#39;", "'")
    assert f'action="/field/orders/{order.id}/actions/request_restore"' in page and "Restore now" in page
    assert f'data-conflict-for="{answer["mutation_id"]}"' in page  # the phone does not show it a second time
    assert f'data-conflicts-order="{order.id}"' in page  # where the phone shows conflicts it has not sent yet

    token = await csrf(client)
    asked = await client.post(
        f"/field/orders/{order.id}/actions/request_restore",
        data={"_csrf_token": token, "mutation_id": str(uuid.uuid4())},
        follow_redirects=False,
    )
    assert asked.status_code == 303
    await session.commit()
    restore = await session.scalar(select(WorkOrder).where(WorkOrder.kind == WorkOrderKind.RESTORE))
    assert restore.assigned_to_id == technician.id and restore.status == WorkOrderStatus.ASSIGNED
    assert asked.headers["location"] == f"/field/orders/{restore.id}"
    again = (await client.get(f"/field/orders/{order.id}")).text
    assert "actions/request_restore" not in again  # one restore is enough
