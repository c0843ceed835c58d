"""What a technician sees: their own orders (never another technician's)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.errors import NotFound
from portal.accounts.models import Premise, WorkOrder, WorkOrderStatus
from portal.i18n import gettext as _


async def orders_for(session: AsyncSession, user_id: int, day: dt.date) -> list[tuple[WorkOrder, Premise]]:
    rows = await session.execute(
        select(WorkOrder, Premise)
        .join(Premise, Premise.id == WorkOrder.premise_id)
        .where(
            WorkOrder.assigned_to_id == user_id,
            WorkOrder.status.in_([WorkOrderStatus.ASSIGNED, WorkOrderStatus.OPEN]),
            WorkOrder.due_on <= day,
        )
        .order_by(WorkOrder.priority, Premise.route, Premise.address)
    )
    return [(order, premise) for order, premise in rows]


async def order_for(session: AsyncSession, user_id: int, order_id: int) -> tuple[WorkOrder, Premise]:
    order = await session.get(WorkOrder, order_id)
    if order is None or order.assigned_to_id != user_id:
        raise NotFound(_("This order is not assigned to you."))
    premise = await session.get(Premise, order.premise_id)
    assert premise is not None
    return order, premise
