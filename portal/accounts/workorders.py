"""The life of a work order, shared by every side: residents and staff create them, payments cancel disconnects and
ask for restores, staff dispatch them, technicians complete them. Each change writes its audit row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import gettext as _

from .actor import Actor
from .audit import record
from .errors import Conflict
from .models import Account, User, WorkOrder, WorkOrderKind, WorkOrderStatus
from .models.base import utcnow

OPEN_STATUSES = (WorkOrderStatus.OPEN, WorkOrderStatus.ASSIGNED)


def _state(order: WorkOrder) -> dict[str, Any]:
    return {"status": order.status, "assigned_to_id": order.assigned_to_id, "due_on": order.due_on}


async def create(
    session: AsyncSession,
    actor: Actor,
    *,
    kind: WorkOrderKind,
    premise_id: int,
    due_on: dt.date,
    account_id: int | None = None,
    meter_id: int | None = None,
    assignee_id: int | None = None,
    priority: int = 3,
    instructions: str | None = None,
) -> WorkOrder:
    order = WorkOrder(
        kind=kind,
        status=WorkOrderStatus.ASSIGNED if assignee_id else WorkOrderStatus.OPEN,
        premise_id=premise_id,
        account_id=account_id,
        meter_id=meter_id,
        assigned_to_id=assignee_id,
        due_on=due_on,
        priority=priority,
        instructions=instructions,
        result={},
    )
    session.add(order)
    await session.flush()
    await record(session, actor, "work_order.create", "work_order", order.id, account_id=account_id,
                 after={"kind": kind, **_state(order), "instructions": instructions})
    return order


async def for_account(
    session: AsyncSession, account_id: int, *, kinds: Iterable[WorkOrderKind] | None = None, open_only: bool = True
) -> list[WorkOrder]:
    query = select(WorkOrder).where(WorkOrder.account_id == account_id)
    if kinds is not None:
        query = query.where(WorkOrder.kind.in_(list(kinds)))
    if open_only:
        query = query.where(WorkOrder.status.in_(OPEN_STATUSES))
    return list((await session.scalars(query.order_by(WorkOrder.due_on, WorkOrder.id))).all())


async def assign(session: AsyncSession, actor: Actor, order: WorkOrder, technician: User | None) -> WorkOrder:
    if order.status not in OPEN_STATUSES:
        raise Conflict(_("This order is already closed."))
    before = _state(order)
    order.assigned_to_id = technician.id if technician else None
    order.status = WorkOrderStatus.ASSIGNED if technician else WorkOrderStatus.OPEN
    await session.flush()
    await record(session, actor, "work_order.assign", "work_order", order.id, account_id=order.account_id,
                 before=before, after=_state(order))
    return order


async def cancel(session: AsyncSession, actor: Actor, order: WorkOrder, reason: str) -> bool:
    """Cancel an open order with a reason the technician will read. False when it was already closed."""
    if order.status not in OPEN_STATUSES:
        return False
    before = _state(order)
    order.status = WorkOrderStatus.CANCELLED
    order.cancelled_at = utcnow()
    order.cancel_reason = reason[:300]
    await session.flush()
    await record(session, actor, "work_order.cancel", "work_order", order.id, account_id=order.account_id,
                 before=before, after={**_state(order), "cancel_reason": order.cancel_reason})
    return True


async def complete(
    session: AsyncSession, actor: Actor, order: WorkOrder, result: dict[str, Any], *, completed_at: dt.datetime | None = None
) -> WorkOrder:
    if order.status == WorkOrderStatus.COMPLETED:
        raise Conflict(_("This order was already completed."))
    before = _state(order)
    order.status = WorkOrderStatus.COMPLETED
    order.result = dict(result)
    order.completed_at = completed_at or utcnow()
    order.completed_by_id = actor.user_id
    await session.flush()
    await record(session, actor, "work_order.complete", "work_order", order.id, account_id=order.account_id,
                 before=before, after={**_state(order), "result": order.result})
    return order


async def open_for(session: AsyncSession, account: Account, kind: WorkOrderKind) -> WorkOrder | None:
    orders = await for_account(session, account.id, kinds=[kind])
    return orders[0] if orders else None
