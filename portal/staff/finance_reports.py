"""Finance's reports (supervisors and admins): the bill register of each bill run with its control totals, the
deposit liability, revenue by service and the journal export by general-ledger account and day
(portal/accounts/general_ledger.py). Each is a `reports.Report`: a page and a CSV from the same rows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Integer, and_, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import general_ledger as gl
from portal.accounts.models import (
    Account,
    Bill,
    BillLine,
    Customer,
    Deposit,
    DepositStatus,
    JobRun,
    LedgerEntry,
    LedgerKind,
    ServiceKind,
)
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext
from portal.web.labels import label

from .reports import DATE, MONEY, NUMBER, Builder, Column, Period, Report

SERVICES = list(ServiceKind)


# ---- bill register --------------------------------------------------------------------------------------------


def register_row(
    bills: Mapping[str, int], by_service: Mapping[ServiceKind, int], posted_cents: int, held: int | None
) -> dict[str, Any]:
    """One bill run's control totals: bills, final and estimated bills, accounts held back, the billed amount by
    service, the bills' total, what the run posted to the ledger, and the two differences that must be zero (lines
    against bill totals, bill totals against the ledger)."""
    lines_total = sum(by_service.values())
    return {
        "bills": bills["bills"],
        "final": bills["final"],
        "estimated": bills["estimated"],
        "held": held,
        **{service.value: by_service.get(service, 0) for service in SERVICES},
        "total": bills["total"],
        "posted": posted_cents,
        "lines_off": lines_total - bills["total"],
        "ledger_off": bills["total"] - posted_cents,
    }


def held_count(counts: Mapping[str, Any] | None) -> int | None:
    """Accounts a bill run held back (its job counts `held_<reason>`); None when the run left no counts."""
    if counts is None:
        return None
    return sum(int(v) for k, v in counts.items() if k.startswith("held_") and isinstance(v, int))


async def bill_register(session: AsyncSession, period: Period, today: dt.date, timezone: str) -> Report:
    """Every bill run (cycle and bill date) dated in the period."""
    runs = {
        (cycle, day): {"bills": int(n), "final": int(final or 0), "estimated": int(est or 0), "total": int(total or 0)}
        for cycle, day, n, final, est, total in await session.execute(
            select(
                Bill.cycle,
                Bill.bill_date,
                func.count(),
                func.sum(cast(Bill.final, Integer)),
                func.sum(cast(Bill.estimated, Integer)),
                func.sum(Bill.total_cents),
            )
            .where(Bill.bill_date >= period.start, Bill.bill_date <= period.end)
            .group_by(Bill.cycle, Bill.bill_date)
        )
    }
    by_service: dict[tuple[int, dt.date], dict[ServiceKind, int]] = defaultdict(dict)
    for cycle, day, service, cents in await session.execute(
        select(Bill.cycle, Bill.bill_date, BillLine.service_kind, func.sum(BillLine.amount_cents))
        .join(BillLine, BillLine.bill_id == Bill.id)
        .where(Bill.bill_date >= period.start, Bill.bill_date <= period.end)
        .group_by(Bill.cycle, Bill.bill_date, BillLine.service_kind)
    ):
        by_service[(cycle, day)][ServiceKind(service)] = int(cents or 0)
    posted = {
        (cycle, day): int(cents or 0)
        for cycle, day, cents in await session.execute(
            select(Bill.cycle, Bill.bill_date, func.sum(LedgerEntry.amount_cents))
            .join(LedgerEntry, and_(LedgerEntry.bill_id == Bill.id, LedgerEntry.kind == LedgerKind.CHARGE))
            .where(Bill.bill_date >= period.start, Bill.bill_date <= period.end)
            .group_by(Bill.cycle, Bill.bill_date)
        )
    }
    jobs = {
        (job, day): counts
        for job, day, counts in await session.execute(
            select(JobRun.job, JobRun.business_date, JobRun.counts).where(
                JobRun.job.like("bill-run-cycle-%"),
                JobRun.business_date >= period.start,
                JobRun.business_date <= period.end,
            )
        )
    }
    rows = []
    for cycle, day in sorted(runs):
        row = register_row(
            runs[(cycle, day)],
            by_service[(cycle, day)],
            posted.get((cycle, day), 0),
            held_count(jobs.get((f"bill-run-cycle-{cycle}", day))),
        )
        rows.append({"day": day, "cycle": cycle, **row})
    keys = ["bills", "final", "estimated", *[s.value for s in SERVICES], "total", "posted", "lines_off", "ledger_off"]
    totals: dict[str, Any] = {"day": _("Total"), **{k: sum(r[k] for r in rows) for k in keys}}
    totals["held"] = sum(r["held"] or 0 for r in rows)
    off = sum(1 for r in rows if r["lines_off"] or r["ledger_off"])
    columns = [
        Column("day", _("Bill date"), DATE),
        Column("cycle", _("Cycle"), NUMBER),
        Column("bills", _("Bills"), NUMBER),
        Column("final", _("Final bills"), NUMBER),
        Column("estimated", _("Estimated"), NUMBER),
        Column("held", _("Held back"), NUMBER),
        *[Column(s.value, label(s), MONEY) for s in SERVICES],
        Column("total", _("Billed"), MONEY),
        Column("posted", _("Posted to the ledger"), MONEY),
        Column("lines_off", _("Lines less bills"), MONEY),
        Column("ledger_off", _("Bills less ledger"), MONEY),
    ]
    note = (
        _("Every run reconciles: its lines add up to its bills and its bills to the ledger.")
        if not off
        else _("%(count)d runs do not reconcile: see the last two columns.", count=off)
    )
    return Report("bill-register", _("Bill register"), columns, rows, totals, note=note)


async def bills_of_runs(session: AsyncSession, period: Period, today: dt.date, timezone: str) -> Report:
    """The register's detail: every bill dated in the period, by run, with its amounts by service and what was posted
    for it, so a run that does not reconcile can be traced to its bills."""
    bills = list(
        await session.execute(
            select(Bill, Account.number, Customer.first_name, Customer.last_name, Customer.business_name)
            .join(Account, Account.id == Bill.account_id)
            .join(Customer, Customer.id == Account.customer_id)
            .where(Bill.bill_date >= period.start, Bill.bill_date <= period.end)
            .order_by(Bill.bill_date, Bill.cycle, Account.number)
        )
    )
    ids = [bill.id for bill, *_rest in bills]
    by_service: dict[int, dict[str, int]] = defaultdict(dict)
    posted: dict[int, int] = defaultdict(int)
    for offset in range(0, len(ids), 5000):
        chunk = ids[offset : offset + 5000]
        for bill_id, service, cents in await session.execute(
            select(BillLine.bill_id, BillLine.service_kind, func.sum(BillLine.amount_cents))
            .where(BillLine.bill_id.in_(chunk))
            .group_by(BillLine.bill_id, BillLine.service_kind)
        ):
            by_service[bill_id][ServiceKind(service).value] = int(cents or 0)
        for charged_bill, cents in await session.execute(
            select(LedgerEntry.bill_id, func.sum(LedgerEntry.amount_cents))
            .where(LedgerEntry.bill_id.in_(chunk), LedgerEntry.kind == LedgerKind.CHARGE)
            .group_by(LedgerEntry.bill_id)
        ):
            if charged_bill is not None:
                posted[charged_bill] = int(cents or 0)
    rows: list[dict[str, Any]] = [
        {
            "day": bill.bill_date,
            "cycle": bill.cycle,
            "account": number,
            "name": business or f"{last}, {first}",
            "final": _("yes") if bill.final else "",
            "estimated": _("yes") if bill.estimated else "",
            **{s.value: by_service[bill.id].get(s.value, 0) for s in SERVICES},
            "total": bill.total_cents,
            "posted": posted[bill.id],
        }
        for bill, number, first, last, business in bills
    ]
    keys = [*[s.value for s in SERVICES], "total", "posted"]
    totals = {"day": _("Total"), "account": str(len(rows)), **{k: sum(r[k] for r in rows) for k in keys}}
    columns = [
        Column("day", _("Bill date"), DATE),
        Column("cycle", _("Cycle"), NUMBER),
        Column("account", _("Account")),
        Column("name", _("Name")),
        Column("final", _("Final bills")),
        Column("estimated", _("Estimated")),
        *[Column(s.value, label(s), MONEY) for s in SERVICES],
        Column("total", _("Billed"), MONEY),
        Column("posted", _("Posted to the ledger"), MONEY),
    ]
    return Report("bills", _("Bills of the runs"), columns, rows, totals)


# ---- deposit liability ----------------------------------------------------------------------------------------


async def deposit_liability(session: AsyncSession, period: Period, today: dt.date, timezone: str) -> Report:
    """Deposits the utility holds now (paid in full, or paid in part), with their interest, by account."""
    rows: list[dict[str, Any]] = [
        {
            "account": number,
            "name": business or f"{last}, {first}",
            "status": label(deposit.status),
            "since": deposit.created_at.date(),
            "required": deposit.required_cents,
            "paid": deposit.paid_cents,
            "interest": deposit.interest_cents,
            "held": deposit.paid_cents + deposit.interest_cents,
        }
        for deposit, number, first, last, business in await session.execute(
            select(Deposit, Account.number, Customer.first_name, Customer.last_name, Customer.business_name)
            .join(Account, Account.id == Deposit.account_id)
            .join(Customer, Customer.id == Account.customer_id)
            .where(
                (Deposit.status == DepositStatus.HELD)
                | ((Deposit.status == DepositStatus.REQUIRED) & (Deposit.paid_cents > 0))
            )
            .order_by(Account.number, Deposit.id)
        )
    ]
    keys = ("required", "paid", "interest", "held")
    totals = {"account": _("Total"), **{k: sum(r[k] for r in rows) for k in keys}}
    columns = [
        Column("account", _("Account")),
        Column("name", _("Name")),
        Column("status", _("Status")),
        Column("since", _("Required on"), DATE),
        Column("required", _("Required"), MONEY),
        Column("paid", _("Paid"), MONEY),
        Column("interest", _("Interest"), MONEY),
        Column("held", _("Held"), MONEY),
    ]
    return Report("deposits", _("Deposit liability"), columns, rows, totals, as_of=today, today_only=True)


# ---- revenue and the journal ------------------------------------------------------------------------------------


async def revenue_by_service(session: AsyncSession, period: Period, today: dt.date, timezone: str) -> Report:
    """Net revenue by revenue account (each service, fees, adjustments) from the journal of the period."""
    lines = gl.journal(await gl.entries_between(session, period.start, period.end))
    found = gl.revenue(lines)
    rows = [{"gl": code, "name": gl.GL_ACCOUNTS[code], "amount": cents} for code, cents in found.items()]
    columns = [
        Column("gl", _("GL account")),
        Column("name", _("Revenue")),
        Column("amount", _("Net revenue"), MONEY),
    ]
    totals = {"gl": _("Total"), "amount": sum(found.values())}
    return Report("revenue", _("Revenue by service"), columns, rows, totals)


async def journal_export(session: AsyncSession, period: Period, today: dt.date, timezone: str) -> Report:
    """Debits and credits by general-ledger account and day, for the finance system's import."""
    lines = gl.journal(await gl.entries_between(session, period.start, period.end))
    rows: list[dict[str, Any]] = [
        {
            "day": line.day,
            "gl": line.account,
            "name": gl.GL_ACCOUNTS.get(line.account, line.account),
            "debit": line.debit_cents,
            "credit": line.credit_cents,
        }
        for line in lines
    ]
    totals = {"day": _("Total"), "debit": sum(r["debit"] for r in rows), "credit": sum(r["credit"] for r in rows)}
    off = gl.unbalanced_days(lines)
    note = (
        _("Debits equal credits on every day.")
        if not off
        else _("%(count)d days do not balance.", count=len(off))  # cannot happen: each entry balances
    )
    columns = [
        Column("day", _("Day"), DATE),
        Column("gl", _("GL account")),
        Column("name", _("Account name")),
        Column("debit", _("Debit"), MONEY),
        Column("credit", _("Credit"), MONEY),
    ]
    return Report("journal", _("Journal export"), columns, rows, totals, note=note)


FINANCE: dict[str, tuple[object, object, Builder]] = {
    "bill-register": (
        lazy_gettext("Bill register"),
        lazy_gettext("Each bill run's control totals: counts, amounts by service, estimates, holds."),
        bill_register,
    ),
    "bills": (
        lazy_gettext("Bills of the runs"),
        lazy_gettext("The bill register's detail: every bill of the runs in the period."),
        bills_of_runs,
    ),
    "deposits": (
        lazy_gettext("Deposit liability"),
        lazy_gettext("Deposits held and their interest, by account."),
        deposit_liability,
    ),
    "revenue": (
        lazy_gettext("Revenue by service"),
        lazy_gettext("Net revenue by service, fees and adjustments."),
        revenue_by_service,
    ),
    "journal": (
        lazy_gettext("Journal export"),
        lazy_gettext("Debits and credits by general-ledger account and day."),
        journal_export,
    ),
}
