"""The life of a work order, shared by every side: residents and staff create them, payments cancel disconnects and
ask for restores, staff dispatch them, technicians complete them. Each change writes its audit row."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, Select, bindparam, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key

from portal.db import fetch_prepared, is_postgresql, member_of_param
from portal.i18n import gettext as _

from . import holds, routes
from .actor import Actor
from .audit import AuditLater, record
from .errors import Conflict
from .models import Account, Meter, User, WorkOrder, WorkOrderKind, WorkOrderStatus
from .models.base import utcnow
from .policy import Policy, current_policy

OPEN_STATUSES = (WorkOrderStatus.OPEN, WorkOrderStatus.ASSIGNED)


def _state(order: AnyOrder) -> dict[str, Any]:
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
    policy: Policy | None = None,
) -> WorkOrder:
    """Every order is made here, whoever asks (a resident's move, a CSR, a job, a payment, the field), so every order
    goes to its route's owner unless the creator chose someone (routes.assignee_for). A disconnect order for an
    account the cut-off rule keeps off disconnection on its due day is refused with the reasons (holds.py)."""
    if kind == WorkOrderKind.DISCONNECT and account_id is not None:
        await holds.refuse_disconnect(session, policy or current_policy(), account_id, due_on)
    if assignee_id is None:
        assignee_id = routes.assignee_for(None, await routes.owner_of_premise(session, premise_id))
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
    await record(
        session,
        actor,
        "work_order.create",
        "work_order",
        order.id,
        account_id=account_id,
        after={"kind": kind, **_state(order), "instructions": instructions},
    )
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
    await record(
        session,
        actor,
        "work_order.assign",
        "work_order",
        order.id,
        account_id=order.account_id,
        before=before,
        after=_state(order),
    )
    return order


async def cancel(
    session: AsyncSession, actor: Actor, order: WorkOrder, reason: str, *, paid: dict[str, Any] | None = None
) -> bool:
    """Cancel an open order with a reason the technician will read. False when it was already closed. `paid`: the
    payment that cancelled it, kept on the order so the reason can be told again in the reader's own language."""
    if order.status not in OPEN_STATUSES:
        return False
    before = _state(order)
    order.status = WorkOrderStatus.CANCELLED
    order.cancelled_at = utcnow()
    order.cancel_reason = reason[:300]
    if paid is not None:
        order.result = {**order.result, "paid": paid}
    await session.flush()
    await record(
        session,
        actor,
        "work_order.cancel",
        "work_order",
        order.id,
        account_id=order.account_id,
        before=before,
        after={**_state(order), "cancel_reason": order.cancel_reason},
    )
    return True


async def exclusion_started(
    session: AsyncSession,
    actor: Actor,
    account_ids: Iterable[int],
    reason: str,
    *,
    paid: dict[str, Any] | None = None,
) -> list[int]:
    """An exclusion from cut-off has just started on these accounts (a medical certificate, an extension, an
    arrangement, a payment, a dispute, a bankruptcy hold): each open disconnect order is cancelled with the reason in
    words, audited per order. Every such point calls this, after its change and in the same transaction; the
    technician's phone learns of the cancellation, with its reason, at its next sync. The ids of the orders cancelled."""
    ids = sorted(set(account_ids))
    if not ids:
        return []
    cancelled = []
    for order in await session.scalars(
        select(WorkOrder)
        .where(
            WorkOrder.account_id.in_(ids),
            WorkOrder.kind == WorkOrderKind.DISCONNECT,
            WorkOrder.status.in_(OPEN_STATUSES),
        )
        .order_by(WorkOrder.due_on, WorkOrder.id)
    ):
        if await cancel(session, actor, order, reason, paid=paid):
            cancelled.append(order.id)
    return cancelled


async def cancel_if_excluded(
    session: AsyncSession, actor: Actor, account_ids: Iterable[int], day: dt.date, policy: Policy | None = None
) -> list[int]:
    """After a change that may take accounts out of cut-off without being an exclusion of its own (an adjustment
    credit, a deposit applied to the balance): the accounts the rule now excludes on `day` have their open
    disconnect orders cancelled with the rule's reasons. The ids of the orders cancelled."""
    found = await holds.excluded(session, policy or current_policy(), sorted(set(account_ids)), day)
    cancelled: list[int] = []
    for account_id, reasons in found.items():
        cancelled += await exclusion_started(session, actor, [account_id], "; ".join(e.reason for e in reasons))
    return cancelled


async def override_hold(session: AsyncSession, actor: Actor, order: WorkOrder, reason: str) -> WorkOrder:
    """Dispatch lets a held disconnect go ahead (the hold is wrong or has lapsed), with its reason audited: the one
    way past a hold, which the technician's phone cannot take."""
    if order.kind != WorkOrderKind.DISCONNECT or order.status not in OPEN_STATUSES:
        raise Conflict(_("Only an open disconnect order can have its hold overridden."))
    order.result = {
        **order.result,
        "hold_override": {"by": actor.user_id, "reason": reason[:300], "at": utcnow().isoformat(timespec="seconds")},
    }
    await session.flush()
    await record(
        session,
        actor,
        "work_order.hold_override",
        "work_order",
        order.id,
        account_id=order.account_id,
        after={"reason": reason[:300]},
    )
    return order


def hold_overridden(order: AnyOrder) -> bool:
    return bool((order.result or {}).get("hold_override"))


class OrderChanges:
    """Changes to orders made in memory and written together: one UPDATE for all of them that changes each row only if
    it still has the version it was read with (anything else raises StaleDataError and the caller's transaction rolls
    back); their audit rows go to `audit`, which the caller writes. The ORM objects are kept as the database will have
    them, so the session does not write them again; a batch's plain orders (`FieldOrder`) are changed in place, and an
    ORM copy of one that the session holds is expired when they are written. Used for a field sync batch; `complete` is
    the same for one order."""

    def __init__(self, audit: AuditLater) -> None:
        self.audit = audit
        self._read_version: dict[int, int] = {}
        self._orders: dict[int, AnyOrder] = {}

    def _change(self, order: AnyOrder, **values: Any) -> None:
        self._read_version.setdefault(order.id, order.version)
        self._orders[order.id] = order
        put = set_committed_value if isinstance(order, WorkOrder) else setattr
        for name, value in {**values, "version": order.version + 1, "updated_at": utcnow()}.items():
            put(order, name, value)

    def note(self, order: AnyOrder, note: dict[str, Any]) -> None:
        notes = [*order.result.get("notes", []), note]
        self._change(order, result={**order.result, "notes": notes})
        self.audit.add(
            "work_order.note",
            "work_order",
            order.id,
            account_id=order.account_id,
            before={"notes": len(notes) - 1},
            after={"note": note["text"]},
        )

    def complete(self, order: AnyOrder, result: dict[str, Any], *, completed_at: dt.datetime | None = None) -> None:
        if order.status == WorkOrderStatus.COMPLETED:
            raise Conflict(_("This order was already completed."))
        before = _state(order)
        self._change(
            order,
            status=WorkOrderStatus.COMPLETED,
            result=dict(result),
            completed_at=completed_at or utcnow(),
            completed_by_id=self.audit.actor.user_id,
        )
        # The audit row refers to the order's own result dict: a caller may still fill in a value it learns before
        # the rows are written (a new read's id).
        self.audit.add(
            "work_order.complete",
            "work_order",
            order.id,
            account_id=order.account_id,
            before=before,
            after={**_state(order), "result": order.result},
        )

    def conflict(self, order: AnyOrder, fact: dict[str, Any]) -> None:
        """A field fact that met the order already closed: logged on the order for dispatch, the order unchanged."""
        self.audit.add("work_order.field_conflict", "work_order", order.id, account_id=order.account_id, after=fact)

    async def write(self, session: AsyncSession) -> None:
        if not self._orders:
            return
        rows = [
            {
                "id": o.id,
                "read_version": self._read_version[o.id],
                "version": o.version,
                "status": o.status.value,
                "result": o.result,
                "completed_at": o.completed_at,
                "completed_by_id": o.completed_by_id,
                "updated_at": o.updated_at,
            }
            for o in self._orders.values()
        ]
        if session.get_bind().dialect.name == "postgresql":
            # One statement whatever the number of rows (one prepared statement), the rows as one JSON parameter.
            changed = len(await fetch_prepared(session, _UPDATE_FROM_JSON, rows=json.dumps(rows, default=_json_value)))
        else:
            # SQLite: one executemany; its row count is the sum over the rows, and each row can match at most one.
            table = WorkOrder.__table__
            statement = (
                update(table)
                .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_read_version"))
                .values(
                    {
                        name: bindparam(f"b_{name}")
                        for name in ("version", "status", "result", "completed_at", "completed_by_id", "updated_at")
                    }
                )
            )
            result = await session.execute(statement, [{f"b_{k}": v for k, v in row.items()} for row in rows])
            changed = cast(CursorResult[Any], result).rowcount  # an UPDATE's result is a cursor result
        if changed != len(rows):
            raise StaleDataError(f"{len(rows) - changed} of {len(rows)} work orders changed since they were read")
        for order in self._orders.values():
            held = session.identity_map.get(identity_key(WorkOrder, order.id)) if type(order) is FieldOrder else None
            if held is not None:
                session.expire(held)  # the session's ORM copy of a plain order is stale now
        self._orders.clear()
        self._read_version.clear()


_UPDATE_FROM_JSON = text("""
UPDATE work_order AS w
SET version = v.version, status = v.status, result = v.result, completed_at = v.completed_at,
    completed_by_id = v.completed_by_id, updated_at = v.updated_at
FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS v(id bigint, read_version integer, version integer, status text,
                                                   result json, completed_at timestamptz, completed_by_id bigint,
                                                   updated_at timestamptz)
WHERE w.id = v.id AND w.version = v.read_version
RETURNING w.id
""")


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} in a work order change")


async def complete(
    session: AsyncSession,
    actor: Actor,
    order: WorkOrder,
    result: dict[str, Any],
    *,
    completed_at: dt.datetime | None = None,
) -> WorkOrder:
    await session.flush()  # the order's pending changes first, so the version checked is the row's
    audit = AuditLater(actor)
    changes = OrderChanges(audit)
    changes.complete(order, result, completed_at=completed_at)
    await changes.write(session)
    await audit.write(session)
    return order


@dataclass(frozen=True)
class OrderMeter:
    """What a field action needs of its order's meter: the read check's facts and the register's size."""

    id: int
    size: str
    dials: int
    multiplier: int
    serial: str = ""
    kind: str = "water"  # the read check's ceiling is water's only (reads.ceiling_per_day)


@dataclass(slots=True)
class FieldOrder:
    """A work order as a field sync batch reads and changes it: its columns as plain values, without the ORM (a phone
    syncing action by action reads one order a request, and an ORM object cost more than the query). Changes go
    through `OrderChanges`, like an ORM order's."""

    id: int
    kind: WorkOrderKind
    status: WorkOrderStatus
    account_id: int | None
    premise_id: int
    meter_id: int | None
    assigned_to_id: int | None
    due_on: dt.date
    result: dict[str, Any]
    completed_at: dt.datetime | None
    completed_by_id: int | None
    cancelled_at: dt.datetime | None
    cancel_reason: str | None
    updated_at: dt.datetime
    version: int


AnyOrder = WorkOrder | FieldOrder

_FIELD_ORDER_COLUMNS = tuple(WorkOrder.__table__.c[name] for name in FieldOrder.__slots__)


@functools.cache
def _with_meters_query(postgresql: bool) -> Select[Any]:
    """Orders (`order_ids`) with their meters, in id order; locked on PostgreSQL. Built once per dialect and run
    through `fetch_prepared` (every field sync request runs it)."""
    query = (
        select(*_FIELD_ORDER_COLUMNS, Meter.id, Meter.size, Meter.dials, Meter.multiplier, Meter.serial, Meter.kind)
        .outerjoin(Meter, Meter.id == WorkOrder.meter_id)
        .where(member_of_param(WorkOrder.id, "order_ids", postgresql=postgresql))
        .order_by(WorkOrder.id)
    )
    return query.with_for_update(of=WorkOrder) if postgresql else query


async def orders_with_meters(
    session: AsyncSession, order_ids: Iterable[int]
) -> dict[int, tuple[FieldOrder, OrderMeter | None]]:
    """Many orders with their meters in one query; locked on PostgreSQL, in id order, so two phones acting on one
    order take turns (changes to them go through `OrderChanges`)."""
    ids = sorted(set(order_ids))
    if not ids:
        return {}
    if session.new or session.dirty or session.deleted:
        await session.flush()  # the raw query would not see pending changes
    width = len(_FIELD_ORDER_COLUMNS)
    found = {}
    for row in await fetch_prepared(session, _with_meters_query(is_postgresql(session)), order_ids=ids):
        order = FieldOrder(*row[:width])
        # The driver gives enums as their values (PostgreSQL) where SQLAlchemy gives members (SQLite).
        order.kind, order.status = WorkOrderKind(order.kind), WorkOrderStatus(order.status)
        meter_id, size, dials, multiplier, serial, kind = row[width:]
        meter = (
            OrderMeter(meter_id, size, dials, multiplier, serial, str(kind or "water"))
            if meter_id is not None
            else None
        )
        found[order.id] = (order, meter)
    return found


@dataclass(frozen=True)
class RestoreRequest:
    """A technician asking for service back after a disconnect (`disconnect`): the restore order they would get."""

    disconnect: AnyOrder
    assignee_id: int | None
    due_on: dt.date
    instructions: str


async def request_restores(session: AsyncSession, actor: Actor, requests: list[RestoreRequest]) -> list[int]:
    """The open restore order of each request's account, made when it has none (one per account however many ask,
    assigned to the one who asked first); their ids, in the requests' order."""
    if not requests:
        return []
    account_ids = sorted({r.disconnect.account_id for r in requests if r.disconnect.account_id is not None})
    open_restores: dict[int, int] = {}
    if account_ids:
        for account_id, order_id in await session.execute(
            select(WorkOrder.account_id, WorkOrder.id)
            .where(
                WorkOrder.account_id.in_(account_ids),
                WorkOrder.kind == WorkOrderKind.RESTORE,
                WorkOrder.status.in_(OPEN_STATUSES),
            )
            .order_by(WorkOrder.due_on, WorkOrder.id)
        ):
            if account_id is not None:  # the query asked for these accounts only
                open_restores.setdefault(account_id, order_id)
    ids = []
    for request in requests:
        disconnect = request.disconnect
        if disconnect.account_id is None or disconnect.account_id not in open_restores:
            restore = await create(
                session,
                actor,
                kind=WorkOrderKind.RESTORE,
                premise_id=disconnect.premise_id,
                account_id=disconnect.account_id,
                meter_id=disconnect.meter_id,
                assignee_id=request.assignee_id,
                due_on=request.due_on,
                priority=1,
                instructions=request.instructions,
            )
            if disconnect.account_id is None:
                ids.append(restore.id)
                continue
            open_restores[disconnect.account_id] = restore.id
        ids.append(open_restores[disconnect.account_id])
    return ids


async def open_for(session: AsyncSession, account: Account, kind: WorkOrderKind) -> WorkOrder | None:
    orders = await for_account(session, account.id, kinds=[kind])
    return orders[0] if orders else None
