"""What a phone keeps for working offline: a technician's orders with premise, meter, the expected read range, safety
flags (medical alert, dog, hazards) and the account's state at download time. Only the technician's own orders.

`changes` answers `GET /field/sync?cursor=...`: the orders that changed since the cursor (cancelled and completed
ones included, so the phone learns about them) and the ids of every order still open for this technician (so an
order reassigned to someone else leaves the phone).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import reads
from portal.accounts.arrears import arrears_many
from portal.accounts.models import Account, Customer, Meter, Premise, WorkOrder, WorkOrderStatus
from portal.accounts.policy import Policy
from portal.web.labels import label

from .sync import SCHEMA

OPEN = (WorkOrderStatus.OPEN, WorkOrderStatus.ASSIGNED)
# Transactions that were in flight when the last pull read the table commit with an older updated_at: look back
# this far (the phone merges by version, so an order sent twice does no harm).
OVERLAP = dt.timedelta(seconds=30)


def make_cursor(when: dt.datetime) -> str:
    """Opaque to the phone: microseconds since the epoch (no "+" or ":" to mangle in a query string)."""
    return str(int(when.timestamp() * 1_000_000))


def parse_cursor(cursor: str | None) -> dt.datetime | None:
    if not cursor or not cursor.isascii() or not cursor.isdigit() or len(cursor) > 18:
        return None  # no cursor or a mangled one (18 digits of microseconds reach past 2100): a full download is always safe
    return dt.datetime.fromtimestamp(int(cursor) / 1_000_000, dt.UTC)


def _has_dog(hazards: str | None) -> bool:
    return hazards is not None and "dog" in hazards.lower()


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value else None


async def serialize(
    session: AsyncSession, policy: Policy, orders: list[WorkOrder], now: dt.datetime, today: dt.date
) -> list[dict[str, Any]]:
    if not orders:
        return []
    # each order's premise, meter, account and customer in one statement (joined through the orders), not three
    premises: dict[int, Premise] = {}
    meters: dict[int, Meter] = {}
    accounts: dict[int, tuple[Account, Customer]] = {}
    for premise_row, meter_row, account_row, customer_row in await session.execute(
        select(Premise, Meter, Account, Customer)
        .select_from(WorkOrder)
        .join(Premise, Premise.id == WorkOrder.premise_id)
        .outerjoin(Meter, Meter.id == WorkOrder.meter_id)
        .outerjoin(Account, Account.id == WorkOrder.account_id)
        .outerjoin(Customer, Customer.id == Account.customer_id)
        .where(WorkOrder.id.in_({o.id for o in orders}))
    ):
        premises[premise_row.id] = premise_row
        if meter_row is not None:
            meters[meter_row.id] = meter_row
        if account_row is not None:
            accounts[account_row.id] = (account_row, customer_row)
    histories = await reads.histories(session, policy, meters.values(), now)
    owed = await arrears_many(session, list(accounts), today)
    out = []
    for order in orders:
        premise = premises[order.premise_id]
        item: dict[str, Any] = {
            "id": order.id,
            "kind": str(order.kind),
            "kind_label": label(order.kind),  # in the technician's language, for a card the phone draws itself
            "status": str(order.status),
            "version": order.version,
            "due_on": _iso(order.due_on),
            "priority": order.priority,
            "instructions": order.instructions,
            "cancelled_at": _iso(order.cancelled_at),
            "cancel_reason": order.cancel_reason,
            "completed_at": _iso(order.completed_at),
            "premise": {
                "address": premise.address,
                "unit": premise.unit,
                "city": premise.city,
                "zip": premise.zip,
                "lat": premise.lat,
                "lon": premise.lon,
                "route": premise.route,
            },
            "safety": {"medical_alert": False, "dog": _has_dog(premise.hazards), "hazards": premise.hazards},
            "as_of": now.isoformat(timespec="seconds"),
        }
        meter = meters.get(order.meter_id) if order.meter_id else None
        if meter is not None:
            history = histories[meter.id]
            low, high = reads.expected_range(policy, reads.facts_of(meter), history, now)
            item["meter"] = {
                "id": meter.id,
                "serial": meter.serial,
                "size": meter.size,
                "dials": meter.dials,
                "multiplier": meter.multiplier,
                "unit": meter.unit,
                "kind": str(meter.kind.value if hasattr(meter.kind, "value") else meter.kind),
                "location": meter.location_note,
            }
            item["reads"] = {
                "previous": history.previous_value,
                "previous_at": _iso(history.previous_at),
                "average_daily": round(history.average_daily, 1) if history.average_daily is not None else None,
                "ceiling_daily": reads.ceiling_per_day(policy, reads.facts_of(meter)),
                "low": low,
                "high": high,
                "high_factor": policy.high_read_factor,
                "low_factor": policy.low_read_factor,
            }
        if order.account_id in accounts:
            account, customer = accounts[order.account_id]
            arrears = owed[account.id]
            item["safety"]["medical_alert"] = bool(
                customer.medical_alert_until and customer.medical_alert_until >= today
            )
            item["account"] = {
                "number": account.number,
                "name": customer.display_name,
                "status": str(account.status),
                "balance_cents": arrears.balance_cents,
                "past_due_cents": arrears.past_due_cents,
            }
        out.append(item)
    return out


async def changes(
    session: AsyncSession,
    policy: Policy,
    user_id: int,
    cursor: str | None,
    today: dt.date,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    now = now or dt.datetime.now(dt.UTC)
    since = parse_cursor(cursor)
    mine = WorkOrder.assigned_to_id == user_id
    open_today = (WorkOrder.status.in_(OPEN)) & (WorkOrder.due_on <= today)
    query = select(WorkOrder).where(mine)
    query = query.where(open_today if since is None else WorkOrder.updated_at > since - OVERLAP)
    orders = list(await session.scalars(query.order_by(WorkOrder.priority, WorkOrder.due_on, WorkOrder.id)))
    active = list(await session.scalars(select(WorkOrder.id).where(mine, open_today).order_by(WorkOrder.id)))
    return {
        "schema": SCHEMA,
        "cursor": make_cursor(now),
        "server_time": now.isoformat(),
        "full": since is None,
        "policy": {"high_read_factor": policy.high_read_factor, "low_read_factor": policy.low_read_factor},
        "orders": await serialize(session, policy, orders, now, today),
        "active_ids": active,
    }
