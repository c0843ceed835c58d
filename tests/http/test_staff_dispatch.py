"""Dispatch: filter orders, assign a technician, create a check read, resolve a sync exception."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal.accounts.models import AuditEvent, SyncMutation, WorkOrder, WorkOrderKind, WorkOrderStatus
from tests import factories
from tests.http.helpers import post_form, sign_in


async def test_orders_are_filtered_and_assigned(client, session, csr, technician, resident) -> None:
    read = await factories.make_order(session, resident.account, kind=WorkOrderKind.READ, due_on=dt.date.today())
    await factories.make_order(
        session, resident.account, kind=WorkOrderKind.METER_TEST, due_on=dt.date.today() + dt.timedelta(days=9)
    )
    await session.commit()
    await sign_in(client, session, csr)
    page = await client.get("/staff/dispatch", params={"kind": "read"})
    assert page.status_code == 200 and f"tech-{read.id}" in page.text and "Meter test</td>" not in page.text
    assert (
        await post_form(client, f"/staff/dispatch/orders/{read.id}/assign", {"technician_id": str(technician.id)})
    ).status_code == 303
    await session.refresh(read)
    assert read.assigned_to_id == technician.id and read.status == WorkOrderStatus.ASSIGNED
    refused = await post_form(client, f"/staff/dispatch/orders/{read.id}/assign", {"technician_id": str(csr.id)})
    assert refused.status_code == 400


async def test_a_check_read_is_created_for_an_account(client, session, csr, resident) -> None:
    await sign_in(client, session, csr)
    response = await post_form(
        client,
        "/staff/dispatch/orders",
        {
            "account_number": resident.account.number,
            "kind": "check_read",
            "due_on": dt.date.today().isoformat(),
            "instructions": "Customer disputes read",
        },
    )
    assert response.status_code == 303
    await session.commit()
    order = await session.scalar(select(WorkOrder).where(WorkOrder.kind == WorkOrderKind.CHECK_READ))
    assert order.account_id == resident.account.id and order.instructions == "Customer disputes read"
    past = await post_form(
        client,
        "/staff/dispatch/orders",
        {"account_number": resident.account.number, "kind": "check_read", "due_on": "2020-01-01"},
    )
    assert past.status_code == 400


async def test_a_sync_exception_is_resolved_with_a_note(client, session, csr, technician, resident) -> None:
    order = await factories.make_order(session, resident.account, kind=WorkOrderKind.DISCONNECT, assignee=technician)
    row = SyncMutation(
        mutation_id="0b7c1e1e-0000-4000-8000-000000000001",
        device_id="phone-1",
        seq=1,
        user_id=technician.id,
        kind="disconnect_done",
        work_order_id=order.id,
        payload={},
        payload_sha256="0" * 64,
        status="rejected",
        result={"message": "Order cancelled at 10:42: customer paid."},
        exception_code="order_cancelled",
    )
    session.add(row)
    await session.commit()
    await sign_in(client, session, csr)
    page = await client.get("/staff/dispatch")
    assert "customer paid" in page.text
    assert (
        await post_form(client, f"/staff/dispatch/exceptions/{row.id}/resolve", {"note": "Restore order sent"})
    ).status_code == 303
    await session.refresh(row)
    assert row.exception_resolved_at is not None and row.note == "Restore order sent"
    assert await session.scalar(select(AuditEvent).where(AuditEvent.action == "sync_exception.resolve"))


async def test_a_technician_cannot_open_dispatch(client, session, technician) -> None:
    await sign_in(client, session, technician)
    assert (await client.get("/staff/dispatch")).status_code == 403
