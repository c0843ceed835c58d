"""Every order reaches a technician: whoever creates it (a resident's move, a CSR, the cut-off job, a payment), it
is assigned to its route's owner at creation, and shows on that technician's list."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.accounts import ledger, payments, routes, tenancy
from portal.accounts.actor import Actor
from portal.accounts.errors import DomainError
from portal.accounts.models import (
    AccountStatus,
    AuditEvent,
    LedgerKind,
    Premise,
    Role,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
)
from portal.accounts.policy import Policy, current_policy, us_holidays
from portal.field import services as field_services
from portal.staff import cutoff, dispatch
from tests import factories
from tests.http.test_staff_cutoff import DAY as CUTOFF_DAY
from tests.http.test_staff_cutoff import _delinquent

JOB = Actor.job("test")
OFFICE = Actor.cli("test")
POLICY = Policy(holidays=us_holidays(range(2026, 2028)))
WEDNESDAY = dt.date(2026, 11, 25)
MONDAY = dt.date(2026, 11, 30)


async def _tech(session, name: str):
    return await factories.make_user(session, Role.FIELD, name=name)


async def _on_list(session, tech, order: WorkOrder) -> bool:
    """On the technician's page: today's list on the due day, or coming up before it."""
    day = await field_services.day_for(session, tech.id, order.due_on, since=dt.datetime.now(dt.UTC))
    ahead = await field_services.upcoming_for(session, tech.id, order.due_on - dt.timedelta(days=3))
    return order.id in {s.order.id for s in day.to_do} and order.id in {o.id for o, _p in ahead}


async def test_a_move_assigns_the_stop_and_the_start_to_each_routes_owner(session, resident) -> None:
    luis, dana = await _tech(session, "Luis"), await _tech(session, "Dana")
    target = await factories.make_account(session, status=AccountStatus.CLOSED, address="15 Willow Bend")
    (await session.get(Premise, target.premise_id)).route = "R02"
    await routes.set_owner(session, OFFICE, "R01", luis.id)
    await routes.set_owner(session, OFFICE, "R02", dana.id)
    result = await tenancy.move_service(
        session,
        JOB,
        POLICY,
        resident.account,
        stop_on=MONDAY,
        premise_id=target.premise_id,
        start_on=MONDAY,
        today=WEDNESDAY,
        link_user_id=resident.user.id,
    )
    stop = await session.get(WorkOrder, result.request.stop_order_id)
    start = await session.get(WorkOrder, result.request.start_order_id)
    assert (stop.kind, stop.assigned_to_id, stop.status) == (WorkOrderKind.STOP, luis.id, WorkOrderStatus.ASSIGNED)
    assert (start.kind, start.assigned_to_id, start.status) == (WorkOrderKind.START, dana.id, WorkOrderStatus.ASSIGNED)
    assert await _on_list(session, luis, stop) and await _on_list(session, dana, start)
    assert not await _on_list(session, luis, start)
    created = await session.scalar(
        select(AuditEvent).where(AuditEvent.action == "work_order.create", AuditEvent.entity_id == str(start.id))
    )
    assert created.after["assigned_to_id"] == dana.id


async def test_an_order_a_csr_creates_goes_to_the_routes_owner(session, resident) -> None:
    luis = await _tech(session, "Luis")
    await routes.set_owner(session, OFFICE, "R01", luis.id)
    csr = await factories.make_user(session, Role.CSR)
    order = await dispatch.create(
        session,
        Actor(csr.id, csr.email, JOB.origin, Role.CSR),
        resident.account,
        WorkOrderKind.CHECK_READ,
        WEDNESDAY,
        "Customer disputes read",
        WEDNESDAY,
    )
    assert order.assigned_to_id == luis.id and order.status == WorkOrderStatus.ASSIGNED
    assert await _on_list(session, luis, order)


async def test_the_cutoff_job_assigns_disconnects_to_the_routes_owner(session) -> None:
    luis = await _tech(session, "Luis")
    account = await _delinquent(session, "Able")
    await routes.set_owner(session, OFFICE, "R01", luis.id)
    created = await cutoff.create_orders(
        session, Actor.job("cutoff-list"), current_policy(), CUTOFF_DAY, "America/Chicago"
    )
    order = await session.get(WorkOrder, created[0])
    assert order.account_id == account.id and order.kind == WorkOrderKind.DISCONNECT
    assert order.assigned_to_id == luis.id and await _on_list(session, luis, order)


async def test_a_restore_after_a_payment_goes_to_the_routes_owner(session) -> None:
    luis = await _tech(session, "Luis")
    account = await factories.make_account(session, status=AccountStatus.DISCONNECTED)
    await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=12_000,
        source_key=f"test-charge:{account.id}",
        effective_on=dt.date(2026, 10, 1),
    )
    await routes.set_owner(session, OFFICE, "R01", luis.id)
    paid = await payments.post_payment(
        session,
        Actor.webhook(),
        account_id=account.id,
        amount_cents=12_000,
        source_key="pi_x",
        method="card",
        paid_at=dt.datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("America/Chicago")),
        timezone="America/Chicago",
        policy=POLICY,
    )
    restore = await session.get(WorkOrder, paid.restore_order_id)
    assert restore.kind == WorkOrderKind.RESTORE and restore.assigned_to_id == luis.id
    assert await _on_list(session, luis, restore)


async def test_a_new_owner_gets_new_orders_and_existing_ones_keep_their_technician(session, resident) -> None:
    luis, dana = await _tech(session, "Luis"), await _tech(session, "Dana")
    await routes.set_owner(session, OFFICE, "R01", luis.id)
    first = await dispatch.create(session, JOB, resident.account, WorkOrderKind.READ, WEDNESDAY, "", WEDNESDAY)
    await routes.set_owner(session, OFFICE, "R01", dana.id)
    second = await dispatch.create(session, JOB, resident.account, WorkOrderKind.READ, WEDNESDAY, "", WEDNESDAY)
    assert (first.assigned_to_id, second.assigned_to_id) == (luis.id, dana.id)
    changes = list(
        await session.scalars(select(AuditEvent).where(AuditEvent.action == "route.owner").order_by(AuditEvent.id))
    )
    assert [(c.before["technician_id"], c.after["technician_id"]) for c in changes] == [
        (None, luis.id),
        (luis.id, dana.id),
    ]


async def test_an_owner_who_left_gets_nothing_and_the_order_waits_unassigned(session, resident) -> None:
    luis = await _tech(session, "Luis")
    await routes.set_owner(session, OFFICE, "R01", luis.id)
    luis.active = False
    order = await dispatch.create(session, JOB, resident.account, WorkOrderKind.READ, WEDNESDAY, "", WEDNESDAY)
    assert order.assigned_to_id is None and order.status == WorkOrderStatus.OPEN


async def test_dispatch_lists_unassigned_and_overdue_orders_first(session, resident) -> None:
    luis = await _tech(session, "Luis")
    today = WEDNESDAY
    later = await factories.make_order(session, resident.account, assignee=luis, due_on=today)
    overdue = await factories.make_order(session, resident.account, assignee=luis, due_on=today - dt.timedelta(days=2))
    unassigned = await factories.make_order(session, resident.account, due_on=today + dt.timedelta(days=1))
    both = await factories.make_order(session, resident.account, due_on=today - dt.timedelta(days=1))
    rows = await dispatch.orders(session, dispatch.Filters(), today=today)
    assert [r.order.id for r in rows] == [both.id, unassigned.id, overdue.id, later.id]


async def test_only_an_active_technician_can_own_a_route_and_only_a_known_route(session, resident) -> None:
    csr = await factories.make_user(session, Role.CSR)
    with pytest.raises(DomainError):
        await routes.set_owner(session, OFFICE, "R01", csr.id)
    with pytest.raises(DomainError):
        await routes.set_owner(session, OFFICE, "NOPE", None)
    assert await routes.owners(session) == {}
