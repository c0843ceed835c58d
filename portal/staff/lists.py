"""Work lists every CSR may read (shown with the reports, page and CSV): the medical-alert list and the turnaround of
completed work orders by technician and kind. The aggregations are plain functions; the builders only load rows."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import (
    Account,
    AccountStatus,
    Customer,
    Premise,
    User,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
)
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext
from portal.web.labels import label

from .reports import DATE, NUMBER, Builder, Column, Period, Report

EXPIRING_DAYS = 30  # the medical-alert list marks certifications that lapse within this many days


# ---- medical alerts -------------------------------------------------------------------------------------------


def alert_state(until: dt.date, today: dt.date, expiring_days: int = EXPIRING_DAYS) -> str | None:
    """'expiring' when the certification lapses within the next `expiring_days` days (counting today), 'active'
    when later, None when it has lapsed."""
    if until < today:
        return None
    return "expiring" if until <= today + dt.timedelta(days=expiring_days) else "active"


async def medical_alerts(session: AsyncSession, period: Period, today: dt.date, timezone: str) -> Report:
    """Customers with a medical certification in force today, soonest to lapse first, each open account once."""
    rows: list[dict[str, Any]] = []
    for until, number, first, last, business, phone, address, status in await session.execute(
        select(
            Customer.medical_alert_until,
            Account.number,
            Customer.first_name,
            Customer.last_name,
            Customer.business_name,
            Customer.phone,
            Premise.address,
            Account.status,
        )
        .join(Account, Account.customer_id == Customer.id)
        .join(Premise, Premise.id == Account.premise_id)
        .where(
            Customer.medical_alert_until >= today,
            Account.status.notin_((AccountStatus.CLOSED, AccountStatus.PENDING)),
        )
        .order_by(Customer.medical_alert_until, Account.number)
    ):
        if until is None:
            continue  # the query asks for a date: never here
        state = alert_state(until, today)
        rows.append(
            {
                "account": number,
                "name": business or f"{last}, {first}",
                "address": address,
                "phone": phone or "",
                "status": label(status),
                "until": until,
                "days_left": (until - today).days,
                "state": _("Expires within 30 days") if state == "expiring" else _("Active"),
            }
        )
    expiring = sum(1 for r in rows if r["days_left"] <= EXPIRING_DAYS)
    columns = [
        Column("account", _("Account")),
        Column("name", _("Name")),
        Column("address", _("Service address")),
        Column("phone", _("Phone")),
        Column("status", _("Account status")),
        Column("until", _("Certified until"), DATE),
        Column("days_left", _("Days left"), NUMBER),
        Column("state", _("Alert")),
    ]
    note = _(
        "%(active)d accounts with a medical alert, %(expiring)d expiring within 30 days.",
        active=len(rows),
        expiring=expiring,
    )
    return Report("medical", _("Medical alerts"), columns, rows, note=note, as_of=today, today_only=True)


# ---- turnaround ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Done:
    """A completed work order, as the turnaround counts it."""

    technician: str
    kind: WorkOrderKind
    created_at: dt.datetime
    completed_at: dt.datetime
    due_on: dt.date


def turnaround(orders: Iterable[Done], zone: ZoneInfo) -> list[dict[str, Any]]:
    """By technician and kind: completed, on time (completed on or before the due day, by the utility's clock), late,
    and the median hours from the order's creation to its completion."""
    groups: dict[tuple[str, WorkOrderKind], list[Done]] = defaultdict(list)
    for order in orders:
        groups[(order.technician, order.kind)].append(order)
    rows = []
    for (technician, kind), found in sorted(groups.items(), key=lambda item: (item[0][0], item[0][1].value)):
        on_time = sum(1 for o in found if o.completed_at.astimezone(zone).date() <= o.due_on)
        hours = statistics.median((o.completed_at - o.created_at).total_seconds() / 3600 for o in found)
        rows.append(
            {
                "technician": technician,
                "kind": kind,
                "completed": len(found),
                "on_time": on_time,
                "late": len(found) - on_time,
                "median_hours": round(hours, 1),
            }
        )
    return rows


async def orders_turnaround(session: AsyncSession, period: Period, today: dt.date, timezone: str) -> Report:
    start, end = period.bounds(timezone)
    who = select(User.display_name).where(User.id == WorkOrder.completed_by_id).scalar_subquery()
    assigned = select(User.display_name).where(User.id == WorkOrder.assigned_to_id).scalar_subquery()
    done = [
        Done(by or to or _("Nobody recorded"), kind, _aware(created), _aware(completed), due)
        for kind, created, completed, due, by, to in await session.execute(
            select(WorkOrder.kind, WorkOrder.created_at, WorkOrder.completed_at, WorkOrder.due_on, who, assigned).where(
                WorkOrder.status == WorkOrderStatus.COMPLETED,
                WorkOrder.completed_at >= start,
                WorkOrder.completed_at < end,
            )
        )
    ]
    rows = turnaround(done, ZoneInfo(timezone))
    for row in rows:
        row["kind"] = label(row["kind"])
    completed = sum(r["completed"] for r in rows)
    on_time = sum(r["on_time"] for r in rows)
    totals = {
        "technician": _("Total"),
        "completed": completed,
        "on_time": on_time,
        "late": completed - on_time,
        "median_hours": (
            round(statistics.median((o.completed_at - o.created_at).total_seconds() / 3600 for o in done), 1)
            if done
            else None
        ),
    }
    columns = [
        Column("technician", _("Technician")),
        Column("kind", _("Kind")),
        Column("completed", _("Completed"), NUMBER),
        Column("on_time", _("On time"), NUMBER),
        Column("late", _("Late"), NUMBER),
        Column("median_hours", _("Median hours to complete"), NUMBER),
    ]
    return Report("turnaround", _("Work order turnaround"), columns, rows, totals)


def _aware(when: dt.datetime) -> dt.datetime:
    """SQLite gives stored times back without their zone: they are UTC."""
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


LISTS: dict[str, tuple[object, object, Builder]] = {
    "medical": (
        lazy_gettext("Medical alerts"),
        lazy_gettext("Certifications in force, and those expiring in the next 30 days."),
        medical_alerts,
    ),
    "turnaround": (
        lazy_gettext("Work order turnaround"),
        lazy_gettext("Completed orders by technician and kind: on time, late, median hours."),
        orders_turnaround,
    ),
}
