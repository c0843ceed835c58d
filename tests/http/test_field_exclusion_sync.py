"""The technician's phone is told when an exclusion cancels a disconnect: the next pull brings the order as cancelled
with the reason in words, and a disconnect the phone did anyway becomes a sync exception for dispatch, not a
disconnect."""

from __future__ import annotations

import uuid

from portal.accounts import holds, sync_exceptions
from portal.accounts.actor import Actor
from portal.accounts.models import Account, AccountStatus, Origin, WorkOrderKind, WorkOrderStatus
from portal.accounts.policy import Policy
from portal.staff import services
from tests.field_world import LAST_READ, Phone, local_today, make_field_order
from tests.http.helpers import post_json, sign_in


async def test_a_certificate_recorded_at_the_counter_reaches_the_phone_and_its_disconnect_becomes_an_exception(
    client, session, technician, csr
) -> None:
    order = await make_field_order(session, technician, WorkOrderKind.DISCONNECT)
    await session.commit()
    await sign_in(client, session, technician)
    cursor = (await client.get("/field/sync")).json()["cursor"]

    account = await session.get(Account, order.account_id)
    counter = Actor(user_id=csr.id, label=csr.email, origin=Origin.WEB)
    until = await services.certify_medical(session, counter, account, Policy(), local_today(), local_today())
    await session.commit()
    reason = holds.medical_reason(until)

    pulled = {o["id"]: o for o in (await client.get(f"/field/sync?cursor={cursor}")).json()["orders"]}
    assert pulled[order.id]["status"] == "cancelled" and pulled[order.id]["cancel_reason"] == reason

    phone = Phone()
    done = phone.action(
        "disconnect_done",
        order.id,
        {"value": LAST_READ + 6_000, "seal": "S-77", "at": "2026-11-26T16:50:00Z"},
        photo_ids=[str(uuid.uuid4())],
    )
    answer = (await post_json(client, "/field/sync", phone.batch(done))).json()["answers"][0]
    assert answer["status"] == "rejected" and answer["code"] == "order_cancelled"
    assert reason in answer["message"]
    await session.refresh(order)
    await session.refresh(account)
    assert order.status == WorkOrderStatus.CANCELLED and account.status == AccountStatus.ACTIVE
    exceptions = await sync_exceptions.open_exceptions(session)
    assert [(e.work_order_id, e.exception_code) for e in exceptions] == [(order.id, "order_cancelled")]
