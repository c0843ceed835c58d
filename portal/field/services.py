"""What a technician sees: their own orders (never another technician's), and a read checked before it is
saved."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import reads, workorders
from portal.accounts.errors import NotFound
from portal.accounts.models import Meter, Premise, SyncMutation, WorkOrder, WorkOrderKind, WorkOrderStatus
from portal.accounts.policy import Policy
from portal.i18n import gettext as _


async def _open_orders_of(
    session: AsyncSession, user_id: int, *when: Any, order_by: tuple[Any, ...]
) -> list[tuple[WorkOrder, Premise]]:
    rows = await session.execute(
        select(WorkOrder, Premise)
        .join(Premise, Premise.id == WorkOrder.premise_id)
        .where(
            WorkOrder.assigned_to_id == user_id,
            WorkOrder.status.in_([WorkOrderStatus.ASSIGNED, WorkOrderStatus.OPEN]),
            *when,
        )
        .order_by(*order_by)
    )
    return [(order, premise) for order, premise in rows]


async def orders_for(session: AsyncSession, user_id: int, day: dt.date) -> list[tuple[WorkOrder, Premise]]:
    return await _open_orders_of(
        session, user_id, WorkOrder.due_on <= day, order_by=(WorkOrder.priority, Premise.route, Premise.address)
    )


async def upcoming_for(
    session: AsyncSession, user_id: int, day: dt.date, days: int = 14
) -> list[tuple[WorkOrder, Premise]]:
    """Orders assigned to this technician due after today (a move's stop and start): seen ahead, worked on the day."""
    return await _open_orders_of(
        session,
        user_id,
        WorkOrder.due_on > day,
        WorkOrder.due_on <= day + dt.timedelta(days=days),
        order_by=(WorkOrder.due_on, WorkOrder.priority, Premise.route, Premise.address),
    )


async def order_for(
    session: AsyncSession, user_id: int, order_id: int, *, any_status: bool = True
) -> tuple[WorkOrder, Premise]:
    """The order if it is assigned to this technician; anyone else's answers exactly like a missing one."""
    row = (
        await session.execute(
            select(WorkOrder, Premise)
            .join(Premise, Premise.id == WorkOrder.premise_id)
            .where(WorkOrder.id == order_id)
            .execution_options(populate_existing=True)  # the order as stored, even if this session holds it already
        )
    ).first()
    if row is None or row[0].assigned_to_id != user_id:
        raise NotFound(_("This order is not assigned to you."))
    return row[0], row[1]


async def restore_offer(session: AsyncSession, user_id: int, order: WorkOrder) -> dict[str, Any] | None:
    """The answer this technician got when their disconnect met the order already cancelled (customer paid), while
    it still offers a restore: none is open for the account yet. The order page shows it with its Restore now."""
    if order.kind != WorkOrderKind.DISCONNECT or order.status != WorkOrderStatus.CANCELLED or order.account_id is None:
        return None
    if await workorders.for_account(session, order.account_id, kinds=[WorkOrderKind.RESTORE]):
        return None
    stored = await session.scalar(
        select(SyncMutation)
        .where(
            SyncMutation.work_order_id == order.id,
            SyncMutation.user_id == user_id,
            SyncMutation.status == "rejected",
            SyncMutation.exception_code == "order_cancelled",
        )
        .order_by(SyncMutation.id.desc())
        .limit(1)
    )
    if stored is None or not (stored.result.get("server_state") or {}).get("restore_offer"):
        return None
    return stored.result


async def preview_read(session: AsyncSession, policy: Policy, order: WorkOrder, raw: str) -> reads.ReadCheck | None:
    """The read check for a value typed on the page, before anything is saved (None when it is not a number)."""
    meter = await session.get(Meter, order.meter_id) if order.meter_id else None
    if meter is None or not (raw.strip().isascii() and raw.strip().isdigit() and len(raw.strip()) <= 10):
        return None
    now = dt.datetime.now(dt.UTC)
    history = await reads.history(session, policy, meter, now)
    return reads.check_read(policy, reads.facts_of(meter), history, int(raw.strip()), now)
