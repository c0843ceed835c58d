"""Routes have an owning technician: dispatch sets it (staff only, audited), a resident's move lands on the owner's
field list, and dispatch lists unassigned and overdue orders first."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from portal.accounts.models import AccountStatus, AuditEvent, Route, WorkOrder, WorkOrderKind
from tests import factories
from tests.http.helpers import local_today, post_form, sign_in
from tests.http.test_resident import earliest


async def test_the_move_journeys_orders_appear_on_the_route_owners_field_list(
    client, session, csr, technician, resident
) -> None:
    target = await factories.make_account(session, status=AccountStatus.CLOSED, address="4410 Bluebonnet Dr")
    await session.commit()
    await sign_in(client, session, csr)
    assert (
        await post_form(client, "/staff/dispatch/routes/owner", {"route": "R01", "technician_id": str(technician.id)})
    ).status_code == 303

    client.cookies.clear()
    await sign_in(client, session, resident.user)
    day = earliest().isoformat()
    assert (await post_form(client, "/my/move/address", {"premise_id": str(target.premise_id)})).status_code == 303
    assert (await post_form(client, "/my/move/date", {"stop_on": day, "start_on": day})).status_code == 303
    assert (
        await post_form(client, "/my/move/contact", {"phone": "254-555-0199", "email": "maria@example.com"})
    ).status_code == 303
    assert (await post_form(client, "/my/move/deposit", {"option": "pay"})).status_code == 303
    assert (await post_form(client, "/my/move/check")).status_code == 303

    client.cookies.clear()
    await sign_in(client, session, technician)
    page = (await client.get("/field")).text
    orders = {o.kind: o for o in await session.scalars(select(WorkOrder))}
    assert set(orders) == {WorkOrderKind.STOP, WorkOrderKind.START}
    for order in orders.values():
        assert order.assigned_to_id == technician.id
        assert f'data-upcoming-id="{order.id}"' in page and f'href="/field/orders/{order.id}"' in page
    assert "4410 Bluebonnet Dr" in page and "Coming up" in page
    assert (await client.get(f"/field/orders/{orders[WorkOrderKind.START].id}")).status_code == 200


async def test_only_staff_who_dispatch_can_set_a_routes_owner(client, session, csr, technician, resident) -> None:
    for who in (technician, resident.user):
        client.cookies.clear()
        await sign_in(client, session, who)
        refused = await post_form(
            client, "/staff/dispatch/routes/owner", {"route": "R01", "technician_id": str(technician.id)}
        )
        assert refused.status_code == 403
    client.cookies.clear()
    await sign_in(client, session, csr)
    for bad in (
        {"route": "R01", "technician_id": str(csr.id)},
        {"route": "R01", "technician_id": str(2**63)},
        {"route": "R99", "technician_id": str(technician.id)},
    ):
        assert (await post_form(client, "/staff/dispatch/routes/owner", bad)).status_code == 400
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(Route)) == 0
    assert not await session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "route.owner")
    )

    done = await post_form(
        client, "/staff/dispatch/routes/owner", {"route": "R01", "technician_id": str(technician.id)}
    )
    assert done.status_code == 303 and done.headers["location"].endswith("/staff/dispatch#routes")
    await session.commit()
    route = await session.scalar(select(Route))
    assert (route.code, route.technician_id) == ("R01", technician.id)
    event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "route.owner"))
    assert event.actor_id == csr.id and event.after == {"code": "R01", "technician_id": technician.id}
    page = (await client.get("/staff/dispatch")).text
    row = page.split('id="routes"')[1].split("</tr>", 2)[1]
    assert "R01" in row and f'<option value="{technician.id}" selected>' in row

    assert (
        await post_form(client, "/staff/dispatch/routes/owner", {"route": "R01", "technician_id": ""})
    ).status_code == 303
    await session.refresh(route)
    assert route.technician_id is None


async def test_dispatch_shows_unassigned_and_overdue_orders_first(client, session, csr, technician, resident) -> None:
    today = local_today()
    on_time = await factories.make_order(session, resident.account, assignee=technician, due_on=today)
    overdue = await factories.make_order(
        session, resident.account, assignee=technician, due_on=today - dt.timedelta(days=3)
    )
    unassigned = await factories.make_order(session, resident.account, due_on=today + dt.timedelta(days=2))
    await session.commit()
    await sign_in(client, session, csr)
    page = (await client.get("/staff/dispatch")).text
    positions = [page.index(f'data-order-row="{o.id}"') for o in (unassigned, overdue, on_time)]
    assert positions == sorted(positions)
    assert "Overdue" in page.split(f'data-order-row="{overdue.id}"')[1].split("</tr>")[0]
