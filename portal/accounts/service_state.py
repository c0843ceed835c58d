"""What a completed field order does to its account (docs/architecture.md): a start turns service on (pending ->
active, services started on the day of the start read), a stop ends it (services end on the day of the final read,
the account becomes final, and the next bill run sends the final bill with the held deposit applied), a disconnect
turns it off and a restore back on. A transfer read is the read at a change of customers: it starts a pending account
and stops an active one.

The field sync calls `apply_service_outcomes` in the transaction that completes a batch's orders (the seeded history
calls `order_completed` for one); the decision is the pure `change_for`, which the tests check case by case. After the final bill, a final account closes once it owes nothing
and is owed nothing (`close_settled`, called wherever money moves on a final account, and by `portal close-settled`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from . import ledger
from .actor import Actor
from .audit import AuditLater, record
from .models import Account, AccountStatus, Bill, Service, WorkOrder, WorkOrderKind

if TYPE_CHECKING:  # a type only (workorders is not needed here at run time)
    from .workorders import AnyOrder

A = AccountStatus
# The kinds of order whose completion can change the account (the others never look it up).
KINDS = frozenset(
    {
        WorkOrderKind.START,
        WorkOrderKind.STOP,
        WorkOrderKind.TRANSFER_READ,
        WorkOrderKind.DISCONNECT,
        WorkOrderKind.RESTORE,
    }
)
# Actions that mean the work was done: a skipped read ("locked gate") completes the order but turns nothing on or off.
DONE = frozenset({"record_read", "complete_order", "disconnect_done", "restore_done"})


@dataclass(frozen=True)
class Change:
    status: AccountStatus  # the account's new status
    starts_on: dt.date | None = None  # service (and the account) start on this day
    ends_on: dt.date | None = None  # service ends on this day (the account's closed_on)


def change_for(kind: WorkOrderKind, action: str, status: AccountStatus, day: dt.date) -> Change | None:
    """How completing an order of this kind with this action changes an account in this status (None: it does not).
    `day` is the date of the technician's read, as billing dates reads."""
    if action not in DONE:
        return None
    starting = kind == WorkOrderKind.START or (kind == WorkOrderKind.TRANSFER_READ and status == A.PENDING)
    stopping = kind == WorkOrderKind.STOP or (kind == WorkOrderKind.TRANSFER_READ and status != A.PENDING)
    if starting:
        return Change(A.ACTIVE, starts_on=day) if status == A.PENDING else None
    if stopping:
        return Change(A.FINAL, ends_on=day) if status in (A.ACTIVE, A.DISCONNECTED) else None
    if kind == WorkOrderKind.DISCONNECT:
        return Change(A.DISCONNECTED) if status in (A.ACTIVE, A.COLLECTIONS) else None
    if kind == WorkOrderKind.RESTORE:
        return Change(A.ACTIVE) if status == A.DISCONNECTED else None
    return None


def service_dates(change: Change, started_on: dt.date, ended_on: dt.date | None) -> tuple[dt.date, dt.date | None]:
    """A service's (started_on, ended_on) after the change: a start moves the start to the day service was turned on;
    a stop ends a running service that day, never before it began. A service that already ended is left alone."""
    if ended_on is not None:
        return started_on, ended_on
    if change.starts_on is not None:
        return change.starts_on, None
    if change.ends_on is not None:
        return started_on, max(change.ends_on, started_on)
    return started_on, None


def _apply_change(
    account: Account, services: list[Service], change: Change, order: AnyOrder
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Change the account and its services in memory; the audit row's before and after."""
    before: dict[str, Any] = {"status": account.status}
    after: dict[str, Any] = {"status": change.status, "work_order_id": order.id}
    if change.starts_on is not None or change.ends_on is not None:
        moved = []
        for service in services:
            started, ended = service_dates(change, service.started_on, service.ended_on)
            if (started, ended) != (service.started_on, service.ended_on):
                moved.append(
                    {
                        "service_id": service.id,
                        "kind": service.kind,
                        "started_on": started,
                        "ended_on": ended,
                        "was": {"started_on": service.started_on, "ended_on": service.ended_on},
                    }
                )
                service.started_on, service.ended_on = started, ended
        after["services"] = moved
    if change.starts_on is not None and account.opened_on != change.starts_on:
        before["opened_on"], after["opened_on"] = account.opened_on, change.starts_on
        account.opened_on = change.starts_on
    if change.ends_on is not None:
        before["closed_on"], after["closed_on"] = account.closed_on, change.ends_on
        account.closed_on = change.ends_on
    account.status = change.status
    return before, after


async def _services_of(session: AsyncSession, account_ids: list[int]) -> dict[int, list[Service]]:
    found: dict[int, list[Service]] = {i: [] for i in account_ids}
    for service in await session.scalars(
        select(Service).where(Service.account_id.in_(account_ids)).order_by(Service.id)
    ):
        found[service.account_id].append(service)
    return found


async def order_completed(
    session: AsyncSession, actor: Actor, order: WorkOrder, *, action: str, day: dt.date
) -> Change | None:
    """Apply what completing `order` with `action` on `day` does to its account, with an `account.status` audit row
    (services' dates included), in the caller's transaction."""
    if order.account_id is None:
        return None
    account = await session.get(Account, order.account_id)
    if account is None:
        return None
    change = change_for(order.kind, action, account.status, day)
    if change is None:
        return None
    dated = change.starts_on is not None or change.ends_on is not None
    services = (await _services_of(session, [account.id]))[account.id] if dated else []
    before, after = _apply_change(account, services, change, order)
    await session.flush()
    await record(
        session, actor, "account.status", "account", account.id, account_id=account.id, before=before, after=after
    )
    return change


@dataclass(frozen=True)
class ServiceOutcome:
    """A field order completed with `action`, its read taken on `day` (the utility's date, as billing dates reads)."""

    order: AnyOrder
    action: str
    day: dt.date


async def apply_service_outcomes(
    session: AsyncSession, audit: AuditLater, outcomes: list[ServiceOutcome]
) -> list[Change | None]:
    """What many completed orders do to their accounts (starts, stops, disconnects, restores), as `order_completed`
    does for one, in the caller's transaction: one query for the accounts and one for their services, applied in the
    outcomes' order (a disconnect and a restore of one account end with it on), the `account.status` audit rows added
    to `audit` (which the caller writes). What each changed, in order (None: nothing)."""
    counted = [o for o in outcomes if o.order.kind in KINDS and o.order.account_id is not None and o.action in DONE]
    if not counted:
        return [None] * len(outcomes)
    ids = sorted({o.order.account_id for o in counted if o.order.account_id is not None})
    accounts = {a.id: a for a in await session.scalars(select(Account).where(Account.id.in_(ids)))}
    services = await _services_of(session, ids)
    changes: list[Change | None] = []
    for outcome in outcomes:
        order = outcome.order
        account = accounts.get(order.account_id) if order.kind in KINDS and order.account_id is not None else None
        change = change_for(order.kind, outcome.action, account.status, outcome.day) if account else None
        changes.append(change)
        if account is None or change is None:
            continue
        before, after = _apply_change(account, services[account.id], change, order)
        audit.add("account.status", "account", account.id, account_id=account.id, before=before, after=after)
    await session.flush()
    return changes


def settles(status: AccountStatus, *, final_billed: bool, balance_cents: int) -> bool:
    """A final account closes when its final bill has gone out and its balance is exactly zero (a credit is refunded
    first, a debt paid or moved first)."""
    return status == AccountStatus.FINAL and final_billed and balance_cents == 0


async def close_settled(
    session: AsyncSession, actor: Actor, account_ids: list[int] | None = None, *, today: dt.date
) -> list[int]:
    """Close the final accounts among `account_ids` (None: every final account) that `settles`; returns their ids.
    Safe to call again: a closed account is not final any more."""
    query = select(Account).where(Account.status == AccountStatus.FINAL)
    if account_ids is not None:
        if not account_ids:
            return []
        query = query.where(Account.id.in_(account_ids))
    accounts = list(
        await session.scalars(
            query.order_by(Account.id).with_for_update()
            if session.get_bind().dialect.name == "postgresql"
            else query.order_by(Account.id)
        )
    )
    if not accounts:
        return []
    ids = [a.id for a in accounts]
    billed = set(await session.scalars(select(Bill.account_id).where(Bill.account_id.in_(ids), Bill.final)))
    balances = await ledger.balances(session, ids)
    closed = []
    for account in accounts:
        if not settles(account.status, final_billed=account.id in billed, balance_cents=balances[account.id]):
            continue
        account.status = AccountStatus.CLOSED
        await session.flush()
        await record(
            session,
            actor,
            "account.status",
            "account",
            account.id,
            account_id=account.id,
            before={"status": AccountStatus.FINAL},
            after={"status": AccountStatus.CLOSED, "on": today, "reason": "final bill settled"},
        )
        closed.append(account.id)
    return closed
