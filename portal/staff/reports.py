"""Staff reports: each one a query that returns a title, columns and rows of plain values, shown as a page and
downloaded as CSV from the same rows (so the two can never disagree)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import arrears, csv_cells, ledger_words
from portal.accounts.models import (
    Account,
    AccountStatus,
    Adjustment,
    ArrangementStatus,
    Customer,
    ExtensionStatus,
    LedgerEntry,
    Meter,
    MeterRead,
    PaymentArrangement,
    PaymentExtension,
    Premise,
    User,
    WorkOrder,
    WorkOrderStatus,
)
from portal.db import member_of
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext
from portal.web.labels import label

from . import cashier

MONEY, TEXT, NUMBER, DATE = "money", "text", "number", "date"


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: str = TEXT


@dataclass
class Report:
    name: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    totals: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    # A report of where things stand on one day (what is owed, credits held) is not a period's: the page asks for that
    # one date. `today_only`: it can only be now (certifications in force, deposits held), so it asks for none.
    as_of: dt.date | None = None
    today_only: bool = False

    def csv(self) -> str:
        """Money as plain dollars with two decimals, dates ISO: what a spreadsheet reads without help."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([column.title for column in self.columns])
        for row in [*self.rows, *([self.totals] if self.totals else [])]:
            writer.writerow([_csv_value(row.get(column.key), column.kind) for column in self.columns])
        return out.getvalue()


def _csv_value(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == MONEY and isinstance(value, int):
        sign = "-" if value < 0 else ""
        return f"{sign}{abs(value) // 100}.{abs(value) % 100:02d}"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    # A name or memo a spreadsheet would run as a formula is read as text.
    return csv_cells.safe_text(value) if isinstance(value, str) else str(value)


def _local_day(moment: dt.datetime, timezone: str) -> dt.date:
    """The day a stored moment (naive ones are UTC) falls on, on the utility's clock."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(ZoneInfo(timezone)).date()


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    def bounds(self, timezone: str) -> tuple[dt.datetime, dt.datetime]:
        """The period's first and last day from midnight to midnight on the utility's clock, as moments (UTC): an
        adjustment made at 8 p.m. in Chicago belongs to that day's report, not the next day's."""
        return cashier.day_bounds(self.start, timezone)[0], cashier.day_bounds(self.end, timezone)[1]


Builder = Callable[[AsyncSession, Period, dt.date, str], Awaitable[Report]]


CHANNELS = ("lockbox", "online", "autopay")  # payments not taken at the counter, by cashier.channel_of


async def daily_collections(session: AsyncSession, period: Period, today: dt.date, timezone: str) -> Report:
    rows: list[dict[str, Any]] = []
    for c in await cashier.collections_over(session, period.start, period.end, timezone):
        rows.append(
            {
                "day": c.day,
                "cash": c.counter_by_tender["cash"],
                "check": c.counter_by_tender["check"],
                "card": c.counter_by_tender["card"],
                **{channel: c.other_channels.get(channel, 0) for channel in CHANNELS},
                # whatever no column names (a channel added later) is "other", so a row always adds up to its total
                "other": c.other_total - sum(c.other_channels.get(channel, 0) for channel in CHANNELS),
                "total": c.counter_total + c.other_total,
            }
        )
    keys = ["cash", "check", "card", *CHANNELS, "other", "total"]
    totals = {"day": _("Total"), **{k: sum(r[k] for r in rows) for k in keys}}
    columns = [
        Column("day", _("Day"), DATE),
        Column("cash", label("cash"), MONEY),
        Column("check", label("check"), MONEY),
        Column("card", label("card"), MONEY),
        *(Column(channel, label(channel), MONEY) for channel in CHANNELS),
        Column("other", label("other"), MONEY),
        Column("total", _("Total"), MONEY),
    ]
    return Report("collections", _("Daily collections"), columns, rows, totals)


async def aged_receivables(session: AsyncSession, period: Period, today: dt.date, timezone: str) -> Report:
    """Every account that owes something as of the period's end, its past-due money by age."""
    on = period.end
    owing = [
        account_id
        for account_id, total in await session.execute(
            select(LedgerEntry.account_id, func.sum(LedgerEntry.amount_cents))
            .where(LedgerEntry.effective_on <= on)
            .group_by(LedgerEntry.account_id)
            .having(func.sum(LedgerEntry.amount_cents) > 0)
        )
    ]
    found = await arrears.arrears_many(session, owing, on) if owing else {}
    people = (
        {
            account_id: (number, name, business, status)
            for account_id, number, name, business, status in await session.execute(
                select(
                    Account.id,
                    Account.number,
                    Customer.last_name + ", " + Customer.first_name,
                    Customer.business_name,
                    Account.status,
                )
                .join(Customer, Customer.id == Account.customer_id)
                .where(member_of(session, Account.id, owing))  # an array on PostgreSQL: a city's every debtor
            )
        }
        if owing
        else {}
    )
    buckets = ["current", "1-30", "31-60", "61-90", "90+"]
    rows: list[dict[str, Any]] = []
    for account_id in owing:
        aged = found[account_id].aged(on)
        number, name, business, status = people[account_id]
        rows.append(
            {
                "account": number,
                "name": business or name,
                "status": label(status),
                **aged,
                "held": found[account_id].held_cents,  # a bankruptcy's balance at the petition: in no age bucket
                "total": found[account_id].balance_cents,
            }
        )
    rows.sort(key=lambda r: (-r["90+"], -r["61-90"], -r["31-60"], -r["total"]))
    totals = {"account": _("Total"), **{b: sum(r[b] for r in rows) for b in [*buckets, "held", "total"]}}
    columns = [
        Column("account", _("Account")),
        Column("name", _("Name")),
        Column("status", _("Status")),
        Column("current", _("Not yet due"), MONEY),
        Column("1-30", _("1–30 days"), MONEY),
        Column("31-60", _("31–60 days"), MONEY),
        Column("61-90", _("61–90 days"), MONEY),
        Column("90+", _("Over 90 days"), MONEY),
        Column("held", _("Held by a bankruptcy"), MONEY),
        Column("total", _("Balance"), MONEY),
    ]
    return Report("aged", _("Aged receivables"), columns, rows, totals, as_of=on)


async def orders(session: AsyncSession, period: Period, today: dt.date, timezone: str) -> Report:
    """Orders completed in the period and orders open now, by kind."""
    start, end = period.bounds(timezone)
    completed = dict(
        (kind, count)
        for kind, count in await session.execute(
            select(WorkOrder.kind, func.count())
            .where(
                WorkOrder.status == WorkOrderStatus.COMPLETED,
                WorkOrder.completed_at >= start,
                WorkOrder.completed_at < end,
            )
            .group_by(WorkOrder.kind)
        )
    )
    cancelled = dict(
        (kind, count)
        for kind, count in await session.execute(
            select(WorkOrder.kind, func.count())
            .where(
                WorkOrder.status == WorkOrderStatus.CANCELLED,
                WorkOrder.cancelled_at >= start,
                WorkOrder.cancelled_at < end,
            )
            .group_by(WorkOrder.kind)
        )
    )
    open_rows = list(
        await session.execute(
            select(WorkOrder.kind, func.count(), func.sum(case((WorkOrder.due_on < today, 1), else_=0)))
            .where(WorkOrder.status.in_((WorkOrderStatus.OPEN, WorkOrderStatus.ASSIGNED)))
            .group_by(WorkOrder.kind)
        )
    )
    open_now = {kind: (count, int(overdue or 0)) for kind, count, overdue in open_rows}
    kinds = sorted(set(completed) | set(cancelled) | set(open_now), key=lambda k: k.value)
    rows = [
        {
            "kind": label(k),
            "completed": completed.get(k, 0),
            "cancelled": cancelled.get(k, 0),
            "open": open_now.get(k, (0, 0))[0],
            "overdue": open_now.get(k, (0, 0))[1],
        }
        for k in kinds
    ]
    totals = {"kind": _("Total"), **{c: sum(r[c] for r in rows) for c in ("completed", "cancelled", "open", "overdue")}}
    columns = [
        Column("kind", _("Kind")),
        Column("completed", _("Completed in the period"), NUMBER),
        Column("cancelled", _("Cancelled in the period"), NUMBER),
        Column("open", _("Open now"), NUMBER),
        Column("overdue", _("Open and past due"), NUMBER),
    ]
    return Report("orders", _("Orders completed and open"), columns, rows, totals)


async def adjustments(session: AsyncSession, period: Period, today: dt.date, timezone: str) -> Report:
    start, end = period.bounds(timezone)
    requester = select(User.display_name).where(User.id == Adjustment.requested_by_id).scalar_subquery()
    approver = select(User.display_name).where(User.id == Adjustment.decided_by_id).scalar_subquery()
    rows = [
        {
            "date": _local_day(adj.created_at, timezone),
            "account": number,
            "kind": label(adj.kind),
            "amount": adj.amount_cents,
            "status": label(adj.status),
            "reason": adj.reason,
            "requested_by": asked,
            "decided_by": decided or "",
        }
        for adj, number, asked, decided in await session.execute(
            select(Adjustment, Account.number, requester, approver)
            .join(Account, Account.id == Adjustment.account_id)
            .where(Adjustment.created_at >= start, Adjustment.created_at < end)
            .order_by(Adjustment.created_at, Adjustment.id)
        )
    ]
    posted = sum(r["amount"] for r in rows if r["status"] == label("posted"))
    columns = [
        Column("date", _("Date"), DATE),
        Column("account", _("Account")),
        Column("kind", _("Kind")),
        Column("amount", _("Amount"), MONEY),
        Column("status", _("Status")),
        Column("reason", _("Reason")),
        Column("requested_by", _("Asked by")),
        Column("decided_by", _("Approved or rejected by")),
    ]
    return Report("adjustments", _("Adjustments"), columns, rows, {"date": _("Posted total"), "amount": posted})


async def extensions(session: AsyncSession, period: Period, today: dt.date, timezone: str) -> Report:
    """Extensions whose promised date fell in the period: kept, broken, or still open."""
    rows = [
        {
            "promised": ext.promised_on,
            "account": number,
            "amount": ext.amount_cents,
            "status": label(ext.status),
            "by_rule": _("yes") if ext.granted_by_rule else _("no"),
        }
        for ext, number in await session.execute(
            select(PaymentExtension, Account.number)
            .join(Account, Account.id == PaymentExtension.account_id)
            .where(PaymentExtension.promised_on >= period.start, PaymentExtension.promised_on <= period.end)
            .order_by(PaymentExtension.promised_on)
        )
    ]
    counts = {
        status: sum(1 for r in rows if r["status"] == label(status))
        for status in (ExtensionStatus.KEPT, ExtensionStatus.BROKEN)
    }
    note = _(
        "%(kept)d kept, %(broken)d broken.", kept=counts[ExtensionStatus.KEPT], broken=counts[ExtensionStatus.BROKEN]
    )
    columns = [
        Column("promised", _("Promised by"), DATE),
        Column("account", _("Account")),
        Column("amount", _("Amount"), MONEY),
        Column("status", _("Status")),
        Column("by_rule", _("Granted by the rule")),
    ]
    return Report("extensions", _("Extensions kept and broken"), columns, rows, note=note)


async def autopay_returns(session: AsyncSession, period: Period, today: dt.date, timezone: str) -> Report:
    """ACH returns: the reversals keyed `return:<charge>` and their returned-payment fees (portal/payments)."""
    rows = [
        {
            "date": entry.effective_on,
            "account": number,
            "amount": entry.amount_cents,
            "memo": ledger_words.words_of(entry.memo),
            "what": _("Returned payment") if entry.source_key.startswith("return:") else _("Returned-payment fee"),
        }
        for entry, number in await session.execute(
            select(LedgerEntry, Account.number)
            .join(Account, Account.id == LedgerEntry.account_id)
            .where(
                LedgerEntry.effective_on >= period.start,
                LedgerEntry.effective_on <= period.end,
                LedgerEntry.source_key.like("return%"),
            )
            .order_by(LedgerEntry.effective_on, LedgerEntry.id)
        )
    ]
    columns = [
        Column("date", _("Date"), DATE),
        Column("account", _("Account")),
        Column("what", _("What")),
        Column("amount", _("Amount"), MONEY),
        Column("memo", _("Memo")),
    ]
    returns = sum(1 for r in rows if r["what"] == _("Returned payment"))
    return Report("autopay-returns", _("Autopay returns"), columns, rows, note=_("%(count)d returns.", count=returns))


async def read_exceptions(session: AsyncSession, period: Period, today: dt.date, timezone: str) -> Report:
    """Reads flagged by validation (high, low, rollover, re-entered) and read orders closed with a skip code."""
    start, end = period.bounds(timezone)
    rows: list[dict[str, Any]] = [
        {
            "when": read.read_at,
            "meter": serial,
            "address": address,
            "what": ", ".join(label(f) for f in read.flags),
            "value": read.value,
            "source": label(read.source),
        }
        for read, serial, address in await session.execute(
            select(MeterRead, Meter.serial, Premise.address)
            .join(Meter, Meter.id == MeterRead.meter_id)
            .outerjoin(Premise, Premise.id == Meter.premise_id)
            .where(MeterRead.read_at >= start, MeterRead.read_at < end)
            .order_by(MeterRead.read_at)
        )
        if read.flags
    ]
    for order, address in await session.execute(
        select(WorkOrder, Premise.address)
        .join(Premise, Premise.id == WorkOrder.premise_id)
        .where(
            WorkOrder.status == WorkOrderStatus.COMPLETED, WorkOrder.completed_at >= start, WorkOrder.completed_at < end
        )
    ):
        result = order.result or {}
        skip = result.get("skip_code") or (result.get("code") if result.get("action") == "skip_read" else None)
        if skip:
            rows.append(
                {
                    "when": order.completed_at,
                    "meter": "",
                    "address": address,
                    "what": _("Skipped: %(code)s", code=label(skip)),
                    "value": None,
                    "source": label(order.kind),
                }
            )
    rows.sort(key=lambda r: r["when"])
    columns = [
        Column("when", _("When"), DATE),
        Column("meter", _("Meter")),
        Column("address", _("Address")),
        Column("what", _("Exception")),
        Column("value", _("Reading"), NUMBER),
        Column("source", _("Source")),
    ]
    return Report("read-exceptions", _("Read exceptions"), columns, rows)


async def credit_balances(session: AsyncSession, period: Period, today: dt.date, timezone: str) -> Report:
    """Accounts the utility owes money to as of the period's end (a deposit left over after the final bill, an
    overpayment): the refund screen's work list. Final and closed accounts first: nothing will use up their credit."""
    rows: list[dict[str, Any]] = []
    for account_id, credit in await session.execute(
        select(LedgerEntry.account_id, func.sum(LedgerEntry.amount_cents))
        .where(LedgerEntry.effective_on <= period.end)
        .group_by(LedgerEntry.account_id)
        .having(func.sum(LedgerEntry.amount_cents) < 0)
    ):
        rows.append({"account_id": account_id, "credit": -int(credit)})
    if rows:
        people = {
            account_id: (number, business or name, status)
            for account_id, number, name, business, status in await session.execute(
                select(
                    Account.id,
                    Account.number,
                    Customer.last_name + ", " + Customer.first_name,
                    Customer.business_name,
                    Account.status,
                )
                .join(Customer, Customer.id == Account.customer_id)
                .where(Account.id.in_([r["account_id"] for r in rows]))
            )
        }
        for row in rows:
            number, name, status = people[row["account_id"]]
            row.update(
                account=number,
                name=name,
                status=label(status),
                closing=status in (AccountStatus.FINAL, AccountStatus.CLOSED),
            )
    rows.sort(key=lambda r: (not r["closing"], -r["credit"]))
    columns = [
        Column("account", _("Account")),
        Column("name", _("Name")),
        Column("status", _("Status")),
        Column("credit", _("Credit"), MONEY),
    ]
    return Report(
        "credits",
        _("Credit balances to refund"),
        columns,
        rows,
        {"account": _("Total"), "credit": sum(r["credit"] for r in rows)},
        as_of=period.end,
    )


async def arrangements(session: AsyncSession, period: Period, today: dt.date, timezone: str) -> Report:
    """Payment arrangements that ended in the period (completed or broken, with why) and those still running."""
    rows = [
        {
            "granted": plan.starts_on,
            "account": number,
            "total": plan.total_cents,
            "status": label(plan.status),
            "closed": plan.closed_on,
            "note": plan.outcome_note or "",
        }
        for plan, number in await session.execute(
            select(PaymentArrangement, Account.number)
            .join(Account, Account.id == PaymentArrangement.account_id)
            .where(
                (PaymentArrangement.closed_on.between(period.start, period.end))
                | (PaymentArrangement.status == ArrangementStatus.ACTIVE)
            )
            .order_by(PaymentArrangement.starts_on, PaymentArrangement.id)
        )
    ]
    counts = {
        status: sum(1 for r in rows if r["status"] == label(status))
        for status in (ArrangementStatus.COMPLETED, ArrangementStatus.BROKEN, ArrangementStatus.ACTIVE)
    }
    columns = [
        Column("granted", _("Granted"), DATE),
        Column("account", _("Account")),
        Column("total", _("Arranged"), MONEY),
        Column("status", _("Status")),
        Column("closed", _("Ended"), DATE),
        Column("note", _("Why")),
    ]
    return Report(
        "arrangements",
        _("Payment arrangements"),
        columns,
        rows,
        note=_(
            "%(completed)d completed, %(broken)d broken, %(active)d running.",
            completed=counts[ArrangementStatus.COMPLETED],
            broken=counts[ArrangementStatus.BROKEN],
            active=counts[ArrangementStatus.ACTIVE],
        ),
    )


REPORTS: dict[str, tuple[object, object, Builder]] = {
    "collections": (lazy_gettext("Daily collections"), lazy_gettext("Payments by day and channel."), daily_collections),
    "aged": (
        lazy_gettext("Aged receivables"),
        lazy_gettext("What is owed, by age: 30, 60, 90 days and more."),
        aged_receivables,
    ),
    "orders": (lazy_gettext("Orders completed and open"), lazy_gettext("Work orders by kind."), orders),
    "adjustments": (
        lazy_gettext("Adjustments"),
        lazy_gettext("Every adjustment asked for, with who decided."),
        adjustments,
    ),
    "extensions": (
        lazy_gettext("Extensions kept and broken"),
        lazy_gettext("Payment extensions due in the period."),
        extensions,
    ),
    "autopay-returns": (
        lazy_gettext("Autopay returns"),
        lazy_gettext("Returned bank payments and their fees."),
        autopay_returns,
    ),
    "read-exceptions": (
        lazy_gettext("Read exceptions"),
        lazy_gettext("Flagged reads and skipped reads."),
        read_exceptions,
    ),
    "arrangements": (
        lazy_gettext("Payment arrangements"),
        lazy_gettext("Completed, broken and running arrangements."),
        arrangements,
    ),
    "credits": (
        lazy_gettext("Credit balances to refund"),
        lazy_gettext("Accounts we owe money to: leftover deposits, overpayments."),
        credit_balances,
    ),
}
