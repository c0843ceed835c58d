"""Work orders: created, assigned, cancelled with a reason, completed; each change audited."""

import datetime as dt

import pytest
from sqlalchemy import select

from portal.accounts import ledger, workorders
from portal.accounts.actor import Actor
from portal.accounts.errors import Conflict
from portal.accounts.models import AuditEvent, LedgerKind, Role, WorkOrderKind, WorkOrderStatus
from tests import factories

JOB = Actor.job("test")
DAY = dt.date(2026, 11, 2)


async def test_an_order_goes_from_open_to_assigned_to_completed_and_each_step_is_audited(session) -> None:
    account = await factories.make_account(session)
    tech = await factories.make_user(session, Role.FIELD, email="tech@example.test")
    order = await workorders.create(
        session, JOB, kind=WorkOrderKind.READ, premise_id=account.premise_id, account_id=account.id, due_on=DAY
    )
    assert order.status == WorkOrderStatus.OPEN
    await workorders.assign(session, JOB, order, tech)
    assert order.status == WorkOrderStatus.ASSIGNED and order.assigned_to_id == tech.id
    await workorders.complete(session, JOB, order, {"read": 1234})
    assert order.status == WorkOrderStatus.COMPLETED and order.result == {"read": 1234}
    with pytest.raises(Conflict):
        await workorders.complete(session, JOB, order, {"read": 1234})
    actions = (
        await session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity_id == str(order.id)).order_by(AuditEvent.id)
        )
    ).all()
    assert actions == ["work_order.create", "work_order.assign", "work_order.complete"]


async def overdue(session, cents: int = 12_000):
    """An account past due by `cents` since 45 days before DAY: the cut-off rule lets a disconnect order stand."""
    account = await factories.make_account(session)
    await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=cents,
        source_key=f"test-charge:{account.id}",
        effective_on=DAY - dt.timedelta(days=45),
    )
    return account


async def test_cancelling_keeps_the_reason_and_a_closed_order_is_not_cancelled_again(session) -> None:
    account = await overdue(session)
    order = await workorders.create(
        session, JOB, kind=WorkOrderKind.DISCONNECT, premise_id=account.premise_id, account_id=account.id, due_on=DAY
    )
    assert await workorders.open_for(session, account, WorkOrderKind.DISCONNECT) is order
    assert await workorders.cancel(session, JOB, order, "Paid in full at 10:42")
    assert order.cancel_reason == "Paid in full at 10:42" and order.status == WorkOrderStatus.CANCELLED
    assert not await workorders.cancel(session, JOB, order, "again")
    assert await workorders.open_for(session, account, WorkOrderKind.DISCONNECT) is None
    with pytest.raises(Conflict):
        await workorders.assign(session, JOB, order, None)
