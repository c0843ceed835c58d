"""Letters and lists on a real database: a bill run's register reconciles with its bills, the journal of real
ledger entries balances each day, a departing customer's credit history, the medical list and turnaround."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from portal.accounts import credit_history, ledger
from portal.accounts import general_ledger as gl
from portal.accounts.actor import Actor
from portal.accounts.models import (
    AccountStatus,
    AuditEvent,
    Bill,
    BillLine,
    Customer,
    Deposit,
    DepositStatus,
    JobRun,
    LedgerEntry,
    LedgerKind,
    WorkOrderKind,
    WorkOrderStatus,
)
from portal.accounts.policy import Policy, us_holidays
from portal.billing.run import bill_run
from portal.db import make_sessionmaker
from portal.mail import OUTBOX
from portal.staff import finance_reports, lists
from portal.staff.reports import Period
from tests import factories
from tests.integration.billing_helpers import billable_account, monthly_reads, with_rates

ON = dt.date(2026, 7, 3)
POLICY = Policy(holidays=us_holidays(range(2025, 2028)))
JOB = Actor.job("t")
TZ = "America/Chicago"


async def _billed(session, engine) -> list:
    await with_rates(session)
    accounts = [
        await billable_account(session, monthly_reads(ON, 13, per_month=12_400)),
        await billable_account(session, monthly_reads(ON, 13)),
        await billable_account(session, []),  # no reads: held back
    ]
    await session.commit()
    await bill_run(make_sessionmaker(engine), 1, ON, POLICY, mailer=OUTBOX, public_url="http://portal.test")
    return accounts


async def test_the_bill_register_of_a_run_equals_the_sum_of_its_bills(session, engine) -> None:
    await _billed(session, engine)
    session.add(
        JobRun(
            job="bill-run-cycle-1",
            business_date=ON,
            trigger="manual",
            outcome="ok",
            counts={"billed": 2, "held_no_reads": 1},
        )
    )
    await session.commit()
    report = await finance_reports.bill_register(session, Period(ON, ON), ON, TZ)
    assert len(report.rows) == 1
    row = report.rows[0]
    bills = (await session.execute(select(func.count(), func.sum(Bill.total_cents)).where(Bill.bill_date == ON))).one()
    assert row["bills"] == bills[0] == 2 and row["total"] == bills[1] > 0
    for service, cents in await session.execute(
        select(BillLine.service_kind, func.sum(BillLine.amount_cents))
        .join(Bill, Bill.id == BillLine.bill_id)
        .where(Bill.bill_date == ON)
        .group_by(BillLine.service_kind)
    ):
        assert row[service.value] == cents
    assert row["posted"] == row["total"] and row["lines_off"] == 0 and row["ledger_off"] == 0
    assert row["held"] == 1 and row["day"] == ON and row["cycle"] == 1
    assert "reconciles" in report.note
    detail = await finance_reports.bills_of_runs(session, Period(ON, ON), ON, TZ)
    assert len(detail.rows) == 2 and detail.totals["total"] == row["total"] and detail.totals["posted"] == row["posted"]
    assert all(detail.totals[s.value] == row[s.value] for s in finance_reports.SERVICES)
    assert all(sum(r[s.value] for s in finance_reports.SERVICES) == r["total"] == r["posted"] for r in detail.rows)
    nothing = await finance_reports.bill_register(
        session, Period(ON + dt.timedelta(days=1), ON + dt.timedelta(days=9)), ON, TZ
    )
    assert nothing.rows == []


async def test_a_bill_without_its_lines_or_charge_does_not_reconcile_and_a_later_reversal_changes_nothing(
    session, engine
) -> None:
    accounts = await _billed(session, engine)
    bill = await session.scalar(select(Bill).where(Bill.account_id == accounts[0].id))
    charge = await session.scalar(select(LedgerEntry).where(LedgerEntry.bill_id == bill.id))
    await ledger.reverse(session, JOB, charge.id, reason="test", effective_on=ON)
    session.add(
        Bill(
            account_id=accounts[2].id,
            cycle=1,
            period_start=ON - dt.timedelta(days=30),
            period_end=ON,
            bill_date=ON,
            due_date=ON + dt.timedelta(days=21),
            total_cents=1_000,
            document={},
        )
    )
    await session.commit()
    report = await finance_reports.bill_register(session, Period(ON, ON), ON, TZ)
    row = report.rows[0]
    assert row["bills"] == 3 and row["lines_off"] == -1_000 and row["ledger_off"] == 1_000
    assert "do not reconcile" in report.note


async def test_the_journal_of_real_entries_balances_every_day_and_revenue_matches_the_bills(session, engine) -> None:
    accounts = await _billed(session, engine)
    payment = await ledger.post(
        session,
        JOB,
        account_id=accounts[0].id,
        kind=LedgerKind.PAYMENT,
        amount_cents=-5_000,
        source_key="t:pay",
        effective_on=ON + dt.timedelta(days=1),
    )
    await ledger.reverse(session, JOB, payment.entry.id, reason="returned", effective_on=ON + dt.timedelta(days=2))
    bill = await session.scalar(select(Bill).where(Bill.account_id == accounts[1].id))
    charge = await session.scalar(select(LedgerEntry).where(LedgerEntry.bill_id == bill.id))
    await ledger.reverse(session, JOB, charge.id, reason="rebill", effective_on=ON + dt.timedelta(days=2))
    await session.commit()
    entries = await gl.entries_between(session, ON, ON + dt.timedelta(days=2))
    journal = gl.journal(entries)
    assert gl.unbalanced_days(journal) == {} and {line.day for line in journal} == {
        ON,
        ON + dt.timedelta(days=1),
        ON + dt.timedelta(days=2),
    }
    water = await session.scalar(
        select(func.sum(BillLine.amount_cents)).where(BillLine.bill_id == bill.id, BillLine.service_kind == "water")
    )
    day2 = {line.account: line for line in journal if line.day == ON + dt.timedelta(days=2)}
    assert day2["4010"].debit_cents == water  # the reversed bill takes its water revenue back
    assert day2[gl.CASH].credit_cents == 5_000  # the returned payment
    all_water = await session.scalar(
        select(func.sum(BillLine.amount_cents)).join(Bill).where(Bill.bill_date == ON, BillLine.service_kind == "water")
    )
    assert gl.revenue(gl.journal(await gl.entries_between(session, ON, ON)))["4010"] == all_water
    revenue = await finance_reports.revenue_by_service(session, Period(ON, ON), ON, TZ)
    assert {r["gl"]: r["amount"] for r in revenue.rows}["4010"] == all_water
    export = await finance_reports.journal_export(session, Period(ON, ON + dt.timedelta(days=2)), ON, TZ)
    assert export.totals["debit"] == export.totals["credit"] > 0 and "every day" in export.note


async def test_deposit_liability_lists_held_deposits_with_interest(session) -> None:
    held = await factories.make_account(session)
    part = await factories.make_account(session)
    waived = await factories.make_account(session)
    session.add_all(
        [
            Deposit(
                account_id=held.id,
                required_cents=15_000,
                rule="r",
                reason="r",
                status=DepositStatus.HELD,
                paid_cents=15_000,
                interest_cents=120,
            ),
            Deposit(
                account_id=part.id,
                required_cents=15_000,
                rule="r",
                reason="r",
                status=DepositStatus.REQUIRED,
                paid_cents=5_000,
                interest_cents=0,
            ),
            Deposit(account_id=waived.id, required_cents=0, rule="r", reason="r", status=DepositStatus.WAIVED),
        ]
    )
    await session.commit()
    report = await finance_reports.deposit_liability(session, Period(ON, ON), ON, TZ)
    by = {r["account"]: r for r in report.rows}
    assert set(by) == {held.number, part.number}
    assert by[held.number]["held"] == 15_120 and by[part.number]["held"] == 5_000
    assert report.totals["held"] == 20_120 and report.totals["interest"] == 120


async def test_a_departing_customers_credit_history(session) -> None:
    today = dt.date(2026, 12, 4)
    account = await factories.make_account(session, opened_on=dt.date(2024, 1, 10), status=AccountStatus.FINAL)
    account.closed_on = today
    for month, paid_on in ((6, 18), (7, 25), (8, 10)):  # due on the 20th: July paid late
        due = dt.date(2026, month, 20)
        bill = Bill(
            account_id=account.id,
            period_start=due - dt.timedelta(days=50),
            period_end=due - dt.timedelta(days=21),
            bill_date=due - dt.timedelta(days=21),
            due_date=due,
            total_cents=4_000,
            document={},
        )
        session.add(bill)
        await session.flush()
        await ledger.post(
            session,
            JOB,
            account_id=account.id,
            kind=LedgerKind.CHARGE,
            amount_cents=4_000,
            source_key=f"t:bill:{month}",
            effective_on=bill.bill_date,
            bill_id=bill.id,
        )
        await ledger.post(
            session,
            JOB,
            account_id=account.id,
            kind=LedgerKind.PAYMENT,
            amount_cents=-4_000,
            source_key=f"t:pay:{month}",
            effective_on=dt.date(2026, month, paid_on),
        )
    order = await factories.make_order(session, account, kind=WorkOrderKind.DISCONNECT, due_on=dt.date(2026, 7, 30))
    order.status, order.completed_at = WorkOrderStatus.COMPLETED, dt.datetime(2026, 7, 30, 15, tzinfo=dt.UTC)
    await session.commit()
    found = await credit_history.history(session, POLICY, account, "Riverton Utilities", today)
    letter = found.letter
    assert (letter.service_from, letter.service_to) == (dt.date(2024, 1, 10), today)
    assert (letter.late_payments, letter.disconnects, letter.returned_payments) == (1, 1, 0)
    assert not found.check.accepted and any("disconnection" in p for p in found.check.problems)
    await credit_history.record_issued(session, JOB, account, found)
    await session.commit()
    event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "account.credit_letter"))
    assert event.account_id == account.id and event.after["late_payments"] == 1 and event.after["qualifies"] is False


async def test_the_medical_list_and_turnaround(session, technician) -> None:
    today = dt.date(2026, 12, 4)
    soon = await factories.make_account(session)
    later = await factories.make_account(session)
    lapsed = await factories.make_account(session)
    for account, until in (
        (soon, today + dt.timedelta(days=10)),
        (later, today + dt.timedelta(days=90)),
        (lapsed, today - dt.timedelta(days=1)),
    ):
        (await session.get(Customer, account.customer_id)).medical_alert_until = until
    order = await factories.make_order(session, soon, kind=WorkOrderKind.READ, assignee=technician, due_on=today)
    order.status = WorkOrderStatus.COMPLETED
    order.completed_by_id = technician.id
    order.created_at = dt.datetime(2026, 12, 3, 15, tzinfo=dt.UTC)
    order.completed_at = dt.datetime(2026, 12, 4, 15, tzinfo=dt.UTC)
    await session.commit()
    medical = await lists.medical_alerts(session, Period(today, today), today, TZ)
    assert [r["account"] for r in medical.rows] == [soon.number, later.number]
    assert medical.rows[0]["days_left"] == 10 and medical.rows[0]["state"] == "Expires within 30 days"
    assert medical.rows[1]["state"] == "Active"
    turnaround = await lists.orders_turnaround(session, Period(today, today), today, TZ)
    assert [(r["technician"], r["completed"], r["on_time"], r["median_hours"]) for r in turnaround.rows] == [
        (technician.display_name, 1, 1, 24.0)
    ]
