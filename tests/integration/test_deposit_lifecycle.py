"""A deposit from billed to held to returned: payments through post_payment move `paid_cents`, a bank return
un-pays it, and `deposits-check` applies a held deposit after 12 bills paid on time (run twice: once)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

from sqlalchemy import func, select

from portal.accounts import deposits, ledger
from portal.accounts.actor import Actor
from portal.accounts.models import (
    AccountClass,
    AccountStatus,
    AuditEvent,
    Bill,
    Deposit,
    DepositStatus,
    LedgerEntry,
    LedgerKind,
)
from portal.accounts.payments import post_payment
from portal.accounts.policy import Policy
from tests import factories

JOB = Actor.job("test")
POLICY = Policy()
TODAY = dt.date.today()
TZ = "America/Chicago"


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), dt.UTC)


async def account_with_deposit(session, status: AccountStatus = AccountStatus.ACTIVE):
    account = await factories.make_account(session, status=status)
    decision = await deposits.quote(
        session, POLICY, premise_id=account.premise_id, account_class=AccountClass.RESIDENTIAL, today=TODAY
    )
    deposit = await deposits.require(session, JOB, account, decision, today=TODAY)
    assert deposit.required_cents == 15_000
    return account, deposit


async def pay(session, account, cents: int, key: str, on: dt.date = TODAY):
    return await post_payment(
        session,
        JOB,
        account_id=account.id,
        amount_cents=cents,
        source_key=key,
        method="cash",
        paid_at=noon(on),
        timezone=TZ,
    )


async def test_paying_the_billed_deposit_holds_it(session) -> None:
    account, deposit = await account_with_deposit(session)
    await pay(session, account, 10_000, "receipt:1")
    assert (deposit.paid_cents, deposit.status) == (10_000, DepositStatus.REQUIRED)
    await pay(session, account, 5_000, "receipt:2")
    assert (deposit.paid_cents, deposit.status) == (15_000, DepositStatus.HELD)
    audit = list(
        await session.scalars(select(AuditEvent).where(AuditEvent.action == "deposit.paid").order_by(AuditEvent.id))
    )
    assert [a.after for a in audit] == [
        {"status": "required", "paid_cents": 10_000},
        {"status": "held", "paid_cents": 15_000},
    ]


async def test_a_replayed_payment_moves_nothing(session) -> None:
    account, deposit = await account_with_deposit(session)
    await pay(session, account, 15_000, "receipt:1")
    await pay(session, account, 15_000, "receipt:1")
    assert deposit.paid_cents == 15_000
    assert await session.scalar(select(func.count()).where(AuditEvent.action == "deposit.paid")) == 1


async def test_a_returned_payment_unpays_the_deposit_at_the_next_check(session) -> None:
    account, deposit = await account_with_deposit(session)
    posted = await pay(session, account, 15_000, "pi_123")
    assert deposit.status == DepositStatus.HELD
    await ledger.reverse(session, JOB, posted.entry.id, reason="ACH return R01", effective_on=TODAY)
    tally = await deposits.check(session, JOB, POLICY, on=TODAY)
    assert (tally.unpaid_again, deposit.status, deposit.paid_cents) == (1, DepositStatus.REQUIRED, 0)
    again = await deposits.check(session, JOB, POLICY, on=TODAY)
    assert (again.unpaid_again, again.now_held) == (0, 0)


async def _monthly_bills(session, account, count: int, late: set[int] = frozenset()) -> dt.date:
    """`count` $40 bills due monthly from next month, each paid 5 days early (or 5 days late for indexes in `late`);
    returns the day after the last due date."""
    due = TODAY
    for n in range(count):
        due = deposits.add_months(TODAY + dt.timedelta(days=20), n)
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
            source_key=f"bill:{bill.id}",
            effective_on=bill.bill_date,
            bill_id=bill.id,
        )
        paid_on = due + dt.timedelta(days=5 if n in late else -5)
        await ledger.post(
            session,
            JOB,
            account_id=account.id,
            kind=LedgerKind.PAYMENT,
            amount_cents=-4_000,
            source_key=f"pay:{bill.id}",
            effective_on=paid_on,
        )
    return due + dt.timedelta(days=6)


async def test_twelve_bills_paid_on_time_return_the_deposit_to_the_balance_once(session) -> None:
    account, deposit = await account_with_deposit(session)
    await pay(session, account, 15_000, "receipt:1")
    after = await _monthly_bills(session, account, 12)
    tally = await deposits.check(session, JOB, POLICY, on=after)
    assert (tally.returned, tally.returned_cents) == (1, 15_000)
    assert deposit.status == DepositStatus.APPLIED and deposit.settled_on == after
    applied = await session.scalar(select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.DEPOSIT_APPLIED))
    assert (applied.amount_cents, applied.source_key) == (-15_000, f"deposit:{deposit.id}:applied")
    assert await ledger.balance(session, account.id) == -15_000  # a credit, for the refund screen
    assert (await deposits.check(session, JOB, POLICY, on=after)).returned == 0
    assert await session.scalar(select(func.count()).where(LedgerEntry.kind == LedgerKind.DEPOSIT_APPLIED)) == 1


async def test_a_late_bill_in_the_twelve_keeps_the_deposit(session) -> None:
    account, deposit = await account_with_deposit(session)
    await pay(session, account, 15_000, "receipt:1")
    after = await _monthly_bills(session, account, 12, late={4})
    assert (await deposits.check(session, JOB, POLICY, on=after)).returned == 0
    assert deposit.status == DepositStatus.HELD
    assert await deposits.good_record_streak(session, deposit, after) == 7


async def test_a_final_account_keeps_its_deposit_for_the_final_bill(session) -> None:
    account, deposit = await account_with_deposit(session, status=AccountStatus.FINAL)
    await pay(session, account, 15_000, "receipt:1")
    after = await _monthly_bills(session, account, 12)
    assert (await deposits.check(session, JOB, POLICY, on=after)).returned == 0
    assert deposit.status == DepositStatus.HELD  # the bill run applies it to the final bill


async def test_final_bills_settle_many_deposits_in_one_go_and_once(session) -> None:
    paid_account, paid = await account_with_deposit(session, status=AccountStatus.FINAL)
    unpaid_account, unpaid = await account_with_deposit(session, status=AccountStatus.FINAL)
    await pay(session, paid_account, 15_000, "receipt:1")
    await deposits.record_paid_for_account(session, JOB, paid_account.id, on=TODAY)
    bill_of = {}
    for account in (paid_account, unpaid_account):
        bill = Bill(
            account_id=account.id,
            period_start=TODAY - dt.timedelta(days=29),
            period_end=TODAY,
            bill_date=TODAY,
            due_date=TODAY + dt.timedelta(days=21),
            final=True,
            total_cents=4_000,
            document={},
        )
        session.add(bill)
        await session.flush()
        bill_of[account.id] = bill.id
    assert await deposits.settle_at_final_bills(session, JOB, bill_of, on=TODAY) == 2
    entries = {
        e.source_key: (e.amount_cents, e.bill_id)
        for e in await session.scalars(select(LedgerEntry).where(LedgerEntry.source_key.like("deposit:%")))
    }
    assert entries[deposits.applied_key(paid.id)] == (-15_000, bill_of[paid_account.id])
    assert entries[deposits.unbilled_key(unpaid.id)] == (-15_000, bill_of[unpaid_account.id])
    assert deposits.applied_key(unpaid.id) not in entries  # nothing of it was paid
    assert (paid.status, unpaid.status) == (DepositStatus.APPLIED, DepositStatus.APPLIED)
    assert await deposits.settle_at_final_bills(session, JOB, bill_of, on=TODAY) == 0


async def test_the_command_runs_as_a_job(database_url, session) -> None:
    account, _deposit = await account_with_deposit(session)
    await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.PAYMENT,
        amount_cents=-15_000,
        source_key="lockbox:legacy",
        effective_on=TODAY,
    )  # posted without post_payment: the job finds it
    await session.commit()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "x" * 40}
    result = subprocess.run(
        [sys.executable, "-m", "portal.cli", "deposits-check", "--date", TODAY.isoformat()],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "1 now held" in result.stdout
    session.expire_all()
    assert await session.scalar(select(Deposit.status)) == DepositStatus.HELD
