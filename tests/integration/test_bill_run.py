"""The bill run on a real database: bills once, finishes what a stopped run left, estimates, final bills."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import delete, func, select

from portal.accounts.models import (
    Account,
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
    MailMessage,
    MeterRead,
    Premise,
    ReadSource,
    Service,
    WorkOrder,
    WorkOrderKind,
)
from portal.accounts.policy import Policy, us_holidays
from portal.billing.run import bill_run, due_date, insert_bills
from portal.db import make_engine, make_sessionmaker
from portal.mail import OUTBOX
from tests import factories
from tests.integration.billing_helpers import billable_account, monthly_reads, with_rates

ON = dt.date(2026, 7, 3)
POLICY = Policy(holidays=us_holidays(range(2025, 2028)))


async def count(session, model, *where) -> int:
    await session.commit()
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def run(engine, **kwargs):
    return await bill_run(
        make_sessionmaker(engine), 1, ON, POLICY, mailer=OUTBOX, public_url="http://portal.test", **kwargs
    )


async def test_a_run_bills_each_account_of_the_cycle_once_and_a_second_run_bills_nobody(session, engine) -> None:
    await with_rates(session)
    account = await billable_account(session, monthly_reads(ON, 13, per_month=12_400))
    other = await billable_account(session, monthly_reads(ON, 13))
    elsewhere = await billable_account(session, monthly_reads(ON, 13))
    (await session.get(Premise, elsewhere.premise_id)).cycle = 2
    await session.commit()

    first = await run(engine)
    assert first.billed == 2 and not first.held
    second = await run(engine)
    assert second.billed == 0 and second.considered == 0

    bill = await session.scalar(select(Bill).where(Bill.account_id == account.id))
    assert bill.period_end == ON and bill.usage == 12_400 and bill.due_date == dt.date(2026, 7, 24)
    # 12,400 gal on a 5/8" meter: $65.71 water; sewer on the winter average (12,400 a month: no cap below use,
    # residential cap 12,000 gal = $57.60 + $14 base); $21.50 cart; $6 ERU
    assert bill.total_cents == 6571 + 1400 + 5760 + 2150 + 600
    charge = await session.scalar(select(LedgerEntry).where(LedgerEntry.bill_id == bill.id))
    assert charge.source_key == f"bill:{account.id}:2026-07-03" and charge.amount_cents == bill.total_cents
    assert await count(session, LedgerEntry, LedgerEntry.account_id.in_([account.id, other.id])) == 2
    assert await count(session, BillLine, BillLine.bill_id == bill.id) == 8
    assert await count(session, Bill, Bill.account_id == elsewhere.id) == 0
    assert await count(session, AuditEvent, AuditEvent.action == "ledger.post") == 2
    assert bill.document["lines"][0][0] == "water_base"


async def test_a_run_stopped_half_way_finishes_the_rest_when_run_again(session, engine) -> None:
    await with_rates(session)
    accounts = [await billable_account(session, monthly_reads(ON, 2)) for _ in range(5)]
    await session.commit()

    partial = await run(engine, chunk_size=2, max_chunks=1)
    assert partial.billed == 2
    rest = await run(engine, chunk_size=2)
    assert rest.billed == 3
    for account in accounts:
        assert await count(session, Bill, Bill.account_id == account.id) == 1
        assert await count(session, LedgerEntry, LedgerEntry.account_id == account.id) == 1


async def test_inserting_bills_skips_one_already_there_and_keeps_the_others(session) -> None:
    """The bulk insert (COPY on PostgreSQL) must not fail a chunk over one bill already stored: it falls back to
    skipping that one, as the run's ON CONFLICT path does."""
    first = await factories.make_account(session)
    second = await factories.make_account(session)
    row = {
        "cycle": 1,
        "period_start": dt.date(2026, 6, 4),
        "period_end": ON,
        "bill_date": ON,
        "due_date": dt.date(2026, 7, 24),
        "prev_read_id": None,
        "curr_read_id": None,
        "usage": 0,
        "estimated": False,
        "final": False,
        "previous_balance_cents": 0,
        "total_cents": 100,
        "document": {"v": 1},
        "created_at": dt.datetime.now(dt.UTC),
    }
    already = await insert_bills(session, [{**row, "account_id": first.id}])
    assert list(already) == [first.id]

    created = await insert_bills(
        session, [{**row, "account_id": first.id, "total_cents": 999}, {**row, "account_id": second.id}]
    )
    assert list(created) == [second.id]
    assert await session.scalar(select(Bill.total_cents).where(Bill.account_id == first.id)) == 100
    assert await count(session, Bill, Bill.account_id.in_([first.id, second.id])) == 2


@pytest.mark.postgres_only
async def test_two_runs_at_once_bill_each_account_once(session, database_url) -> None:
    await with_rates(session)
    accounts = [await billable_account(session, monthly_reads(ON, 2)) for _ in range(30)]
    await session.commit()
    engines = [make_engine(database_url), make_engine(database_url)]
    try:
        results = await asyncio.gather(*(run(e, chunk_size=3) for e in engines))
    finally:
        for e in engines:
            await e.dispose()
    assert sum(r.billed for r in results) == 30
    assert all(r.billed > 0 for r in results), "both runs should have taken part"
    assert await count(session, Bill) == 30
    assert await count(session, LedgerEntry, LedgerEntry.kind == LedgerKind.CHARGE) == 30
    ids = [a.id for a in accounts]
    per_account = await session.execute(
        select(Bill.account_id, func.count()).where(Bill.account_id.in_(ids)).group_by(Bill.account_id)
    )
    assert {n for _, n in per_account} == {1}


async def test_a_missing_read_is_estimated_three_times_then_a_read_order_and_the_fourth_is_held(
    session, engine
) -> None:
    await with_rates(session)
    # reads stop after March: April, May, June and July bills have no read
    account = await billable_account(session, monthly_reads(dt.date(2026, 3, 3), 12, per_month=3_000))
    await session.commit()
    maker = make_sessionmaker(engine)
    results = []
    for month in (4, 5, 6, 7):
        results.append(await bill_run(maker, 1, dt.date(2026, month, 3), POLICY, mailer=OUTBOX))
    assert [r.estimated for r in results] == [1, 1, 1, 0]
    assert results[3].held == {"estimate_limit": 1}
    assert [r.read_orders for r in results] == [0, 0, 1, 0]  # the order from the third is still open for the fourth
    bills = list(await session.scalars(select(Bill).where(Bill.account_id == account.id).order_by(Bill.period_end)))
    assert [b.estimated for b in bills] == [True, True, True]
    estimated_reads = list(
        await session.scalars(
            select(MeterRead).where(MeterRead.source == ReadSource.ESTIMATED).order_by(MeterRead.read_at)
        )
    )
    assert [b.curr_read_id for b in bills] == [r.id for r in estimated_reads]
    # each estimate continues from the last: 3,000 gal a month from April 2025's same period
    assert [r.value for r in estimated_reads] == [46_000 + 3_000 * n for n in range(1, 4)]
    await session.refresh(account)
    assert account.consecutive_estimates == 3
    assert (
        await count(session, WorkOrder, WorkOrder.account_id == account.id, WorkOrder.kind == WorkOrderKind.READ) == 1
    )


async def test_an_actual_read_after_estimates_resets_the_count(session, engine) -> None:
    await with_rates(session)
    account = await billable_account(session, monthly_reads(dt.date(2026, 5, 3), 12, per_month=3_000))
    await session.commit()
    maker = make_sessionmaker(engine)
    await bill_run(maker, 1, dt.date(2026, 6, 3), POLICY, mailer=OUTBOX)  # estimated
    from tests.integration.billing_helpers import at, meter_of

    meter = await meter_of(session, account)
    session.add(MeterRead(meter_id=meter.id, value=46_000 + 6_100, read_at=at(ON), source=ReadSource.FIELD, flags=[]))
    await session.commit()
    await bill_run(maker, 1, ON, POLICY, mailer=OUTBOX)
    bills = list(await session.scalars(select(Bill).where(Bill.account_id == account.id).order_by(Bill.period_end)))
    assert [b.estimated for b in bills] == [True, False]
    await session.refresh(account)
    assert account.consecutive_estimates == 0
    # the actual read settles up: the two bills add up to the meter's movement since the last actual read
    assert bills[0].usage == 3_000 and bills[1].usage == 52_100 - 46_000 - 3_000


async def test_a_final_bill_is_prorated_to_the_stop_and_the_held_deposit_is_applied(session, engine) -> None:
    await with_rates(session)
    account = await billable_account(session, monthly_reads(dt.date(2026, 6, 3), 2) + [(dt.date(2026, 6, 20), 22_500)])
    account.status = AccountStatus.FINAL
    for service in await session.scalars(select(Service).where(Service.account_id == account.id)):
        service.ended_on = dt.date(2026, 6, 20)
    session.add(
        Deposit(
            account_id=account.id,
            required_cents=15_000,
            rule="new_premise",
            reason="New premise",
            status=DepositStatus.HELD,
            paid_cents=15_000,
            interest_cents=120,
        )
    )
    await session.commit()

    # The run for the June 3 period already billed... here the first bill after the stop is the final bill.
    result = await run(engine)
    assert result.billed == 1 and result.final == 1
    bill = await session.scalar(select(Bill).where(Bill.account_id == account.id))
    assert bill.final and bill.period_start == dt.date(2026, 5, 4) and bill.period_end == dt.date(2026, 6, 20)
    applied = await session.scalar(select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.DEPOSIT_APPLIED))
    assert applied.amount_cents == -15_120
    deposit = await session.scalar(select(Deposit).where(Deposit.account_id == account.id))
    assert deposit.status == DepositStatus.APPLIED
    assert (await run(engine)).billed == 0
    assert await count(session, LedgerEntry, LedgerEntry.kind == LedgerKind.DEPOSIT_APPLIED) == 1


async def test_a_final_bill_applies_what_was_paid_of_a_deposit_and_drops_the_unpaid_part(session, engine) -> None:
    from portal.accounts import ledger, payments
    from portal.accounts.actor import Actor

    office = Actor.job("test")
    await with_rates(session)
    account = await billable_account(session, monthly_reads(dt.date(2026, 6, 3), 2) + [(dt.date(2026, 6, 20), 22_500)])
    deposit = Deposit(
        account_id=account.id,
        required_cents=20_000,
        rule="new_premise",
        reason="New premise",
        status=DepositStatus.REQUIRED,
    )
    session.add(deposit)
    await session.flush()
    await ledger.post(
        session,
        office,
        account_id=account.id,
        kind=LedgerKind.DEPOSIT_BILLED,
        amount_cents=20_000,
        source_key=f"deposit:{deposit.id}:billed",
        effective_on=dt.date(2026, 5, 1),
    )
    await payments.post_payment(
        session,
        office,
        account_id=account.id,
        amount_cents=5_000,
        source_key="test:part",
        method="cash",
        paid_at=dt.datetime(2026, 5, 2, 15, tzinfo=dt.UTC),
        timezone="UTC",
    )
    await session.refresh(deposit)
    assert (deposit.status, deposit.paid_cents) == (DepositStatus.REQUIRED, 5_000)
    account.status = AccountStatus.FINAL
    for service in await session.scalars(select(Service).where(Service.account_id == account.id)):
        service.ended_on = dt.date(2026, 6, 20)
    await session.commit()

    assert (await run(engine)).final == 1
    bill = await session.scalar(select(Bill).where(Bill.account_id == account.id))
    entries = {
        e.source_key: e.amount_cents
        for e in await session.scalars(select(LedgerEntry).where(LedgerEntry.account_id == account.id))
    }
    assert entries[f"deposit:{deposit.id}:applied"] == -5_000
    assert entries[f"deposit:{deposit.id}:unbilled"] == -15_000
    # the deposit charge is gone, and the $50 paid towards it counts against the final bill
    assert sum(entries.values()) == bill.total_cents - 5_000
    await session.refresh(deposit)
    assert deposit.status == DepositStatus.APPLIED
    assert (await run(engine)).billed == 0
    assert await count(session, LedgerEntry, LedgerEntry.account_id == account.id) == len(entries)


async def test_a_final_account_closes_when_its_final_bill_is_paid_off(session, engine) -> None:
    from portal.accounts import payments
    from portal.accounts.actor import Actor

    await with_rates(session)
    account = await billable_account(session, monthly_reads(dt.date(2026, 6, 3), 2) + [(dt.date(2026, 6, 20), 22_500)])
    account.status = AccountStatus.FINAL
    for service in await session.scalars(select(Service).where(Service.account_id == account.id)):
        service.ended_on = dt.date(2026, 6, 20)
    await session.commit()
    await run(engine)
    bill = await session.scalar(select(Bill).where(Bill.account_id == account.id))
    await session.refresh(account)
    assert account.status == AccountStatus.FINAL  # it still owes the final bill

    paid_at = dt.datetime(2026, 7, 6, 15, tzinfo=dt.UTC)
    await payments.post_payment(
        session,
        Actor.job("test"),
        account_id=account.id,
        amount_cents=bill.total_cents - 1,
        source_key="test:most",
        method="cash",
        paid_at=paid_at,
        timezone="UTC",
    )
    await session.refresh(account)
    assert account.status == AccountStatus.FINAL  # a cent short
    await payments.post_payment(
        session,
        Actor.job("test"),
        account_id=account.id,
        amount_cents=1,
        source_key="test:rest",
        method="cash",
        paid_at=paid_at,
        timezone="UTC",
    )
    await session.refresh(account)
    assert account.status == AccountStatus.CLOSED
    audited = await session.scalar(
        select(AuditEvent.after).where(AuditEvent.action == "account.status", AuditEvent.account_id == account.id)
    )
    assert audited["status"] == "closed"


async def test_portal_close_settled_closes_final_accounts_at_zero_once(session, engine, database_url) -> None:
    import os
    import subprocess
    import sys

    from portal.accounts import ledger
    from portal.accounts.actor import Actor

    await with_rates(session)
    settled = await billable_account(session, monthly_reads(dt.date(2026, 6, 3), 2) + [(dt.date(2026, 6, 20), 22_500)])
    owing = await billable_account(session, monthly_reads(dt.date(2026, 6, 3), 2) + [(dt.date(2026, 6, 20), 22_500)])
    for account in (settled, owing):
        account.status = AccountStatus.FINAL
        for service in await session.scalars(select(Service).where(Service.account_id == account.id)):
            service.ended_on = dt.date(2026, 6, 20)
    await session.commit()
    await run(engine)
    bill = await session.scalar(select(Bill).where(Bill.account_id == settled.id))
    # money that reached zero some other way than the services that close accounts as they go (a raw adjustment)
    await ledger.post(
        session,
        Actor.job("test"),
        account_id=settled.id,
        kind=LedgerKind.ADJUSTMENT,
        amount_cents=-bill.total_cents,
        source_key="test:write-off",
        effective_on=dt.date(2026, 7, 10),
    )
    await session.commit()

    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "x" * 40}
    for expected in ("Closed 1 settled", "already ran"):  # the second the same day: the run ledger refuses it
        done = subprocess.run(
            [sys.executable, "-m", "portal.cli", "close-settled"], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0 and expected in done.stdout, done.stderr
    await session.refresh(settled)
    await session.refresh(owing)
    assert (settled.status, owing.status) == (AccountStatus.CLOSED, AccountStatus.FINAL)


async def test_paperless_customers_get_a_bill_ready_email_in_their_language(session, engine) -> None:
    await with_rates(session)
    paperless = await billable_account(session, monthly_reads(ON, 2))
    paper = await billable_account(session, monthly_reads(ON, 2))
    customer = await session.get(Customer, paperless.customer_id)
    customer.paperless, customer.language = True, "es"
    await session.commit()
    result = await run(engine)
    assert result.emailed == 1
    mails = list(await session.scalars(select(MailMessage)))
    assert len(mails) == 1 and mails[0].to_addr == customer.email
    assert "factura" in mails[0].subject.lower()
    bill = await session.scalar(select(Bill).where(Bill.account_id == paperless.id))
    assert f"/my/bills/{bill.id}" in mails[0].text_body
    paper_bill = await session.scalar(select(Bill).where(Bill.account_id == paper.id))
    assert bill.document["delivery"] == "email" and paper_bill.document["delivery"] == "paper"


async def test_units_under_a_master_meter_share_its_use(session, engine) -> None:
    await with_rates(session)
    building = await billable_account(session, monthly_reads(ON, 2, per_month=9_001))
    building.status = AccountStatus.CLOSED  # the building's meter is read; the units are billed
    units = []
    for _ in range(3):
        unit = await billable_account(session, [])
        premise = await session.get(Premise, unit.premise_id)
        premise.parent_id = building.premise_id
        from portal.accounts.models import Meter

        meter = await session.scalar(select(Meter).where(Meter.premise_id == unit.premise_id))
        meter.removed_on = dt.date(2019, 1, 1)
        units.append(unit)
    await session.commit()
    result = await run(engine)
    assert result.billed == 3
    usages = [await session.scalar(select(Bill.usage).where(Bill.account_id == u.id)) for u in units]
    assert usages == [3001, 3000, 3000]


def test_due_dates_move_off_weekends_and_holidays() -> None:
    assert due_date(dt.date(2026, 6, 6), POLICY) == dt.date(2026, 6, 29)  # June 27 is a Saturday
    assert due_date(dt.date(2026, 6, 29), POLICY) == dt.date(2026, 7, 20)
    assert due_date(dt.date(2026, 6, 13), POLICY) == dt.date(
        2026, 7, 6
    )  # Sat July 4 -> observed Fri July 3 is a holiday; Sun -> Mon
    assert due_date(dt.date(2026, 6, 12), POLICY) == dt.date(2026, 7, 6)  # Fri July 3 (observed holiday) -> Mon July 6


async def test_an_account_opened_after_the_period_is_not_billed(session, engine) -> None:
    await with_rates(session)
    await billable_account(session, [(dt.date(2026, 7, 10), 0)], started_on=dt.date(2026, 7, 10))
    await session.commit()
    assert (await run(engine)).considered == 0
    assert await count(session, Account) == 1


async def test_the_portal_commands_bill_a_cycle_and_charge_late_fees(session, database_url) -> None:
    from tests.integration.test_cli import _portal

    await with_rates(session)
    account = await billable_account(session, monthly_reads(ON, 2))
    await session.commit()
    result = _portal(database_url, "bill-run", "--cycle", "1", "--date", ON.isoformat())
    assert result.returncode == 0, result.stderr
    assert "1 bills" in result.stdout
    again = _portal(database_url, "bill-run", "--cycle", "1", "--date", ON.isoformat(), "--jobs", "2")
    assert again.returncode == 0 and "already ran" in again.stdout, again.stdout + again.stderr  # the run ledger
    await session.execute(delete(JobRun))  # without the ledger's row, the bills' own keys still bill nobody twice
    await session.commit()
    third = _portal(database_url, "bill-run", "--cycle", "1", "--date", ON.isoformat(), "--jobs", "2")
    assert third.returncode == 0 and "0 bills" in third.stdout, third.stdout + third.stderr
    fees = _portal(database_url, "late-fees", "--date", "2026-07-27")
    assert fees.returncode == 0 and "1 late fees" in fees.stdout, fees.stdout + fees.stderr
    assert await count(session, LedgerEntry, LedgerEntry.account_id == account.id) == 2
    bad = _portal(database_url, "bill-run", "--cycle", "1", "--date", "July 3")
    assert bad.returncode != 0 and "YYYY-MM-DD" in bad.stderr


async def test_post_many_posts_each_source_key_once(session) -> None:
    from portal.accounts import ledger
    from portal.accounts.actor import Actor

    account = await factories.make_account(session)
    items = [ledger.NewEntry(account.id, LedgerKind.CHARGE, 100 * n, f"k:{n}", ON, "x") for n in range(1, 4)]
    first = await ledger.post_many(session, Actor.job("test"), items)
    again = await ledger.post_many(
        session, Actor.job("test"), items[1:] + [ledger.NewEntry(account.id, LedgerKind.FEE, 7, "k:4", ON)]
    )
    assert set(first) == {"k:1", "k:2", "k:3"} and set(again) == {"k:4"}
    assert await ledger.balance(session, account.id) == 607
    assert await count(session, AuditEvent, AuditEvent.action == "ledger.post") == 4
