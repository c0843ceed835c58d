"""Dispatch: the field's work orders by status, kind, route and due date; assigning technicians (one order, a
selection, or every unassigned order on a route); creating check reads, meter tests and meter changes; setting each
route's owning technician; flagging a disconnect the cut-off rule no longer allows; and resolving the sync exceptions
the field side raises."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, and_, case, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from portal.accounts import holds, sync_exceptions, workorders
from portal.accounts import routes as field_routes
from portal.accounts.actor import Actor
from portal.accounts.errors import DomainError, NotFound
from portal.accounts.models import (
    Account,
    Meter,
    MeterKind,
    Premise,
    Role,
    SyncMutation,
    User,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
)
from portal.accounts.policy import Policy
from portal.i18n import gettext as _

# What dispatch may create by hand; starts, stops and disconnects come from their own flows.
CREATABLE = (
    WorkOrderKind.CHECK_READ,
    WorkOrderKind.METER_TEST,
    WorkOrderKind.METER_CHANGE,
    WorkOrderKind.LEAK_CHECK,
    WorkOrderKind.READ,
    WorkOrderKind.INVESTIGATE,
)


@dataclass(frozen=True)
class Filters:
    status: str = "active"  # active (open + assigned), or one status
    kind: str = ""
    route: str = ""
    due_by: dt.date | None = None
    technician_id: int | None = None


@dataclass(frozen=True)
class OrderRow:
    order: WorkOrder
    premise: Premise
    account_number: str | None
    technician: str | None
    conflict: str | None = None  # an open disconnect the cut-off rule now excludes: why, in words


async def technicians(session: AsyncSession) -> list[User]:
    return list(
        await session.scalars(
            select(User).where(User.role == Role.FIELD, User.active.is_(True)).order_by(User.display_name)
        )
    )


async def routes(session: AsyncSession) -> list[str]:
    return await field_routes.codes(session)


@dataclass(frozen=True)
class RouteRow:
    code: str
    technician_id: int | None


async def route_owners(session: AsyncSession) -> list[RouteRow]:
    return [RouteRow(code, owner) for code, owner in await field_routes.codes_with_owners(session)]


def urgency(unassigned: bool, overdue: bool) -> int:
    """Dispatch's list, most urgent first: unassigned and overdue, unassigned, overdue, the rest (then by due date).
    An unassigned order reaches nobody's phone, so it comes before an overdue one someone already has."""
    return (0 if unassigned else 2) + (0 if overdue else 1)


def _urgency_column(today: dt.date) -> ColumnElement[int]:
    unassigned = WorkOrder.assigned_to_id.is_(None)
    overdue = WorkOrder.due_on < today
    return case(
        *[
            (and_(unassigned if u else ~unassigned, overdue if o else ~overdue), urgency(u, o))
            for u in (True, False)
            for o in (True, False)
        ],
        else_=urgency(False, False),
    )


async def orders(
    session: AsyncSession, filters: Filters, limit: int = 200, *, today: dt.date | None = None
) -> list[OrderRow]:
    tech = aliased(User)
    query = (
        select(WorkOrder, Premise, Account.number, tech.display_name)
        .join(Premise, Premise.id == WorkOrder.premise_id)
        .outerjoin(Account, Account.id == WorkOrder.account_id)
        .outerjoin(tech, tech.id == WorkOrder.assigned_to_id)
    )
    if filters.status == "active" or not filters.status:
        query = query.where(WorkOrder.status.in_(workorders.OPEN_STATUSES))
    elif filters.status in {s.value for s in WorkOrderStatus}:
        query = query.where(WorkOrder.status == WorkOrderStatus(filters.status))
    if filters.kind in {k.value for k in WorkOrderKind}:
        query = query.where(WorkOrder.kind == WorkOrderKind(filters.kind))
    if filters.route:
        query = query.where(Premise.route == filters.route)
    if filters.due_by:
        query = query.where(WorkOrder.due_on <= filters.due_by)
    if filters.technician_id:
        query = query.where(WorkOrder.assigned_to_id == filters.technician_id)
    still_open = filters.status in ("active", "", WorkOrderStatus.OPEN.value, WorkOrderStatus.ASSIGNED.value)
    first = [_urgency_column(today)] if today is not None and still_open else []
    query = query.order_by(*first, WorkOrder.due_on, WorkOrder.priority, Premise.route, Premise.address).limit(limit)
    return [OrderRow(*row) for row in await session.execute(query)]


@dataclass(frozen=True)
class Board:
    """Everything the dispatch page lists: the orders the filters select, who can take them, who owns each route,
    and the sync exceptions waiting for an office decision."""

    rows: list[OrderRow]
    technicians: list[User]
    route_owners: list[RouteRow]
    exceptions: list[SyncMutation]

    @property
    def conflicts(self) -> int:
        return sum(1 for row in self.rows if row.conflict)


async def flag_conflicts(session: AsyncSession, policy: Policy, rows: list[OrderRow], today: dt.date) -> list[OrderRow]:
    """Mark each open disconnect the cut-off rule excludes today (an order that escaped every cancellation, or whose
    hold began some way the rule cannot see coming) with its reasons. One dispatch has overridden is left alone."""
    open_disconnects = [
        row
        for row in rows
        if row.order.kind == WorkOrderKind.DISCONNECT
        and row.order.status in workorders.OPEN_STATUSES
        and row.order.account_id is not None
        and not workorders.hold_overridden(row.order)
    ]
    if not open_disconnects:
        return rows
    found = await holds.excluded(
        session, policy, [row.order.account_id for row in open_disconnects if row.order.account_id], today
    )
    flagged = {row.order.id: found[row.order.account_id] for row in open_disconnects if row.order.account_id in found}
    return [
        replace(row, conflict="; ".join(e.reason for e in flagged[row.order.id])) if row.order.id in flagged else row
        for row in rows
    ]


async def board(session: AsyncSession, filters: Filters, today: dt.date, policy: Policy) -> Board:
    owners = await route_owners(session)
    return Board(
        await flag_conflicts(session, policy, await orders(session, filters, today=today), today),
        await technicians(session),
        owners,
        await sync_exceptions.open_exceptions(session),
    )


async def assign(session: AsyncSession, actor: Actor, order_id: int, technician_id: int | None) -> WorkOrder:
    order = await session.get(WorkOrder, order_id)
    if order is None:
        raise NotFound(_("No such order."))
    technician = None
    if technician_id:
        technician = await session.get(User, technician_id)
        if technician is None or technician.role != Role.FIELD or not technician.active:
            raise DomainError(_("Choose a field technician."), field="technician_id")
    return await workorders.assign(session, actor, order, technician)


async def _technician(session: AsyncSession, technician_id: int | None) -> User:
    technician = await session.get(User, technician_id) if technician_id else None
    if technician is None or technician.role != Role.FIELD or not technician.active:
        raise DomainError(_("Choose a field technician."), field="technician_id")
    return technician


@dataclass(frozen=True)
class Assigned:
    orders: list[WorkOrder]
    held: list[tuple[WorkOrder, str]]  # disconnect orders left unassigned: the rule excludes their account (why)


async def _assign_all(
    session: AsyncSession, actor: Actor, policy: Policy, today: dt.date, found: list[WorkOrder], technician: User
) -> Assigned:
    """Assign each order, except an open disconnect the cut-off rule excludes today (and dispatch has not
    overridden): no bulk action sends a technician to cut off a held account."""
    disconnects = [
        o
        for o in found
        if o.kind == WorkOrderKind.DISCONNECT and o.account_id is not None and not workorders.hold_overridden(o)
    ]
    excluded = await holds.excluded(session, policy, [o.account_id for o in disconnects if o.account_id], today)
    done, held = [], []
    for order in sorted(found, key=lambda o: o.id):
        if order in disconnects and order.account_id in excluded:
            held.append((order, "; ".join(e.reason for e in excluded[order.account_id])))
            continue
        await workorders.assign(session, actor, order, technician)
        done.append(order)
    return Assigned(done, held)


async def assign_many(
    session: AsyncSession,
    actor: Actor,
    order_ids: list[int],
    technician_id: int | None,
    policy: Policy,
    today: dt.date,
) -> Assigned:
    """Assign every selected open order to one technician, each audited; any order that is not an open order
    (unknown, closed) refuses the whole selection, so nothing changes."""
    technician = await _technician(session, technician_id)
    ids = sorted(set(order_ids))
    if not ids:
        raise DomainError(_("Select at least one order to assign."), field="order_id")
    found = list(
        await session.scalars(
            select(WorkOrder).where(WorkOrder.id.in_(ids), WorkOrder.status.in_(workorders.OPEN_STATUSES))
        )
    )
    if len(found) != len(ids):
        raise DomainError(
            _("Some of the selected orders are not open orders any more: reload the page and select again."),
            field="order_id",
        )
    return await _assign_all(session, actor, policy, today, found, technician)


async def assign_route(
    session: AsyncSession, actor: Actor, route: str, technician_id: int | None, policy: Policy, today: dt.date
) -> Assigned:
    """Assign every open, unassigned order on the route to one technician, each audited."""
    technician = await _technician(session, technician_id)
    if route not in await field_routes.codes(session):
        raise DomainError(_("Choose a route."), field="route")
    found = list(
        await session.scalars(
            select(WorkOrder)
            .join(Premise, Premise.id == WorkOrder.premise_id)
            .where(
                Premise.route == route,
                WorkOrder.status.in_(workorders.OPEN_STATUSES),
                WorkOrder.assigned_to_id.is_(None),
            )
            .order_by(WorkOrder.id)
        )
    )
    return await _assign_all(session, actor, policy, today, found, technician)


async def set_route_owner(session: AsyncSession, actor: Actor, code: str, technician_id: int | None) -> RouteRow:
    route = await field_routes.set_owner(session, actor, code, technician_id)
    return RouteRow(route.code, route.technician_id)


async def create(
    session: AsyncSession,
    actor: Actor,
    account: Account,
    kind: WorkOrderKind,
    due_on: dt.date,
    instructions: str,
    today: dt.date,
) -> WorkOrder:
    if kind not in CREATABLE:
        raise DomainError(_("Choose a kind of order dispatch can create."), field="kind")
    if due_on < today:
        raise DomainError(_("The due date cannot be in the past."), field="due_on")
    meter_id = await session.scalar(
        select(Meter.id)
        .where(Meter.premise_id == account.premise_id, Meter.kind == MeterKind.WATER, Meter.removed_on.is_(None))
        .order_by(Meter.id.desc())
        .limit(1)
    )
    return await workorders.create(
        session,
        actor,
        kind=kind,
        premise_id=account.premise_id,
        account_id=account.id,
        meter_id=meter_id,
        due_on=due_on,
        instructions=instructions.strip()[:2000] or None,
    )
