"""What a technician sees: their own orders (never another technician's), and a read checked before it is
saved."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import reads, workorders
from portal.accounts.errors import NotFound
from portal.accounts.models import (
    Account,
    Customer,
    Meter,
    Premise,
    SyncMutation,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
)
from portal.accounts.policy import Policy
from portal.i18n import gettext as _

OPEN = (WorkOrderStatus.ASSIGNED, WorkOrderStatus.OPEN)


@dataclass(frozen=True)
class Stop:
    """One line of the technician's day: the order, where, and whether the customer has a medical alert on file
    (said on the list too, so it is seen before the drive rather than at the door)."""

    order: WorkOrder
    premise: Premise
    medical_alert: bool


@dataclass(frozen=True)
class Day:
    to_do: list[Stop]
    done: list[Stop]  # completed since the start of the day, newest first: what was done, and proof it went in


async def day_for(session: AsyncSession, user_id: int, day: dt.date, since: dt.datetime) -> Day:
    """Today's list in one statement: open orders due by `day`, and orders completed since `since` (the local
    midnight, in UTC)."""
    rows = await session.execute(
        select(WorkOrder, Premise, Customer.medical_alert_until)
        .join(Premise, Premise.id == WorkOrder.premise_id)
        .outerjoin(Account, Account.id == WorkOrder.account_id)
        .outerjoin(Customer, Customer.id == Account.customer_id)
        .where(
            WorkOrder.assigned_to_id == user_id,
            or_(
                and_(WorkOrder.status.in_(OPEN), WorkOrder.due_on <= day),
                and_(WorkOrder.status == WorkOrderStatus.COMPLETED, WorkOrder.completed_at >= since),
            ),
        )
        .order_by(WorkOrder.priority, Premise.route, Premise.address)
    )
    to_do: list[Stop] = []
    done: list[Stop] = []
    for order, premise, alert_until in rows:
        stop = Stop(order, premise, alert_until is not None and alert_until >= day)
        (done if order.status == WorkOrderStatus.COMPLETED else to_do).append(stop)
    done.sort(key=lambda s: s.order.completed_at or since, reverse=True)
    return Day(to_do, done)


async def upcoming_for(
    session: AsyncSession, user_id: int, day: dt.date, days: int = 14
) -> list[tuple[WorkOrder, Premise]]:
    """Orders assigned to this technician due after today (a move's stop and start): seen ahead, worked on the day."""
    rows = await session.execute(
        select(WorkOrder, Premise)
        .join(Premise, Premise.id == WorkOrder.premise_id)
        .where(
            WorkOrder.assigned_to_id == user_id,
            WorkOrder.status.in_(OPEN),
            WorkOrder.due_on > day,
            WorkOrder.due_on <= day + dt.timedelta(days=days),
        )
        .order_by(WorkOrder.due_on, WorkOrder.priority, Premise.route, Premise.address)
    )
    return [(order, premise) for order, premise in rows]


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
