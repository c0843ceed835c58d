"""Dispatch assigns many orders in one post (a selection, or every unassigned order on a route), refuses bad input
whole, and flags an open disconnect the cut-off rule now excludes, with the reason in words."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from portal.accounts.models import AuditEvent, Customer, Premise, WorkOrder, WorkOrderKind, WorkOrderStatus
from tests import factories
from tests.http.helpers import post_form, sign_in

TODAY = dt.date.today()


async def _orders(session, count: int, route: str = "R01") -> list[WorkOrder]:
    orders = []
    for n in range(count):
        account = await factories.make_account(session, last_name=f"Route{route}{n}")
        (await session.get(Premise, account.premise_id)).route = route
        orders.append(await factories.make_order(session, account, kind=WorkOrderKind.READ, due_on=TODAY))
    await session.flush()
    return orders


async def _assigned(session, orders: list[WorkOrder]) -> list[int | None]:
    await session.commit()
    return [(await session.get(WorkOrder, o.id, populate_existing=True)).assigned_to_id for o in orders]


async def test_the_selected_orders_go_to_one_technician_in_one_post(client, session, csr, technician) -> None:
    first, second, left = await _orders(session, 3)
    await session.commit()
    await sign_in(client, session, csr)
    page = (await client.get("/staff/dispatch")).text
    assert f'id="pick-{first.id}"' in page and 'form="bulk-assign"' in page
    response = await post_form(
        client,
        "/staff/dispatch/orders/assign",
        {"order_id": [str(first.id), str(second.id)], "technician_id": str(technician.id), "back_route": "R01"},
    )
    assert response.status_code == 303 and response.headers["location"].endswith("/staff/dispatch?route=R01")
    assert await _assigned(session, [first, second, left]) == [technician.id, technician.id, None]
    audits = await session.scalar(select(func.count()).where(AuditEvent.action == "work_order.assign"))
    assert audits == 2
    assert "2 orders assigned." in (await client.get("/staff/dispatch")).text


async def test_every_unassigned_order_on_a_route_goes_to_one_technician(client, session, csr, technician) -> None:
    on_route = await _orders(session, 2, route="R07")
    elsewhere = await _orders(session, 1, route="R08")
    await session.commit()
    await sign_in(client, session, csr)
    response = await post_form(
        client, "/staff/dispatch/routes/assign", {"route": "R07", "technician_id": str(technician.id)}
    )
    assert response.status_code == 303
    assert await _assigned(session, on_route + elsewhere) == [technician.id, technician.id, None]
    assert "2 orders on route R07 assigned." in (await client.get("/staff/dispatch")).text
    again = await post_form(
        client, "/staff/dispatch/routes/assign", {"route": "R07", "technician_id": str(technician.id)}
    )
    assert again.status_code == 303
    assert "Route R07 has no unassigned open orders." in (await client.get("/staff/dispatch")).text


async def test_bad_input_says_why_and_changes_nothing(client, session, csr, technician) -> None:
    first, second = await _orders(session, 2)
    closed = (await _orders(session, 1))[0]
    closed.status = WorkOrderStatus.COMPLETED
    await session.commit()
    await sign_in(client, session, csr)
    cases = [
        ({"order_id": [str(first.id)], "technician_id": str(csr.id)}, "Choose a field technician."),
        ({"order_id": [str(first.id)], "technician_id": ""}, "Choose a field technician."),
        ({"technician_id": str(technician.id)}, "Select at least one order to assign."),
        ({"order_id": [str(first.id), "999999"], "technician_id": str(technician.id)}, "not open orders any more"),
        (
            {"order_id": [str(second.id), str(closed.id)], "technician_id": str(technician.id)},
            "not open orders any more",
        ),
        ({"order_id": ["abc"], "technician_id": str(technician.id)}, "Select orders from the list."),
    ]
    for data, message in cases:
        response = await post_form(client, "/staff/dispatch/orders/assign", data)
        assert response.status_code == 303, data
        assert message in (await client.get("/staff/dispatch")).text, data
    route = await post_form(
        client, "/staff/dispatch/routes/assign", {"route": "NOPE", "technician_id": str(technician.id)}
    )
    assert route.status_code == 303 and "Choose a route." in (await client.get("/staff/dispatch")).text
    assert await _assigned(session, [first, second]) == [None, None]
    assert not await session.scalar(select(func.count()).where(AuditEvent.action == "work_order.assign"))


async def test_a_technician_cannot_assign_in_bulk(client, session, technician) -> None:
    (order,) = await _orders(session, 1)
    await session.commit()
    await sign_in(client, session, technician)
    response = await post_form(
        client, "/staff/dispatch/orders/assign", {"order_id": [str(order.id)], "technician_id": str(technician.id)}
    )
    assert response.status_code in (302, 303, 403) and "/staff/dispatch" not in response.headers.get("location", "")
    assert await _assigned(session, [order]) == [None]


async def test_an_open_disconnect_against_a_held_account_is_flagged_and_counted(client, session, csr) -> None:
    account = await factories.make_account(session)
    customer = await session.get(Customer, account.customer_id)
    customer.medical_alert_until = TODAY + dt.timedelta(days=20)
    held = await factories.make_order(session, account, kind=WorkOrderKind.DISCONNECT, due_on=TODAY)
    await session.commit()
    await sign_in(client, session, csr)
    page = (await client.get("/staff/dispatch")).text
    assert "1 disconnect order conflicts with the cut-off rule" in page
    row = page.split(f'data-order-row="{held.id}"')[1].split("</tr>")[0]
    assert "Conflict:" in row and "Medical certificate until" in row


async def test_bulk_assignment_leaves_a_disconnect_against_a_held_account_alone(
    client, session, csr, technician
) -> None:
    (read,) = await _orders(session, 1, route="R05")
    account = await factories.make_account(session, last_name="Held")
    (await session.get(Premise, account.premise_id)).route = "R05"
    (await session.get(Customer, account.customer_id)).medical_alert_until = TODAY + dt.timedelta(days=20)
    held = await factories.make_order(session, account, kind=WorkOrderKind.DISCONNECT, due_on=TODAY)
    await session.commit()
    await sign_in(client, session, csr)
    response = await post_form(
        client,
        "/staff/dispatch/orders/assign",
        {"order_id": [str(read.id), str(held.id)], "technician_id": str(technician.id)},
    )
    assert response.status_code == 303
    assert await _assigned(session, [read, held]) == [technician.id, None]
    page = (await client.get("/staff/dispatch")).text
    assert "1 order assigned." in page
    assert f"Disconnect order {held.id} was not assigned: the account is excluded (Medical certificate until" in page
    by_route = await post_form(
        client, "/staff/dispatch/routes/assign", {"route": "R05", "technician_id": str(technician.id)}
    )
    assert by_route.status_code == 303 and await _assigned(session, [held]) == [None]
