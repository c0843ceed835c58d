"""`portal arrangements-check`: an arrangement is completed when paid, broken by a missed payment or a bank return,
the customer is told, a broken one no longer keeps the account off the cut-off list, and a second run changes
nothing."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

from sqlalchemy import func, select

from portal.accounts import ledger
from portal.accounts.actor import Actor
from portal.accounts.models import ArrangementStatus, AuditEvent, Bill, LedgerKind, MailMessage, PaymentArrangement
from portal.accounts.policy import Policy
from portal.staff import account_actions, arrangements, cutoff
from tests import factories

JOB = Actor.job("test")
POLICY = Policy()
START = dt.date(2026, 11, 16)  # a Monday


async def owing(session, cents: int = 40_000):
    account = await factories.make_account(session)
    due = START - dt.timedelta(days=45)
    bill = Bill(
        account_id=account.id,
        period_start=due - dt.timedelta(days=50),
        period_end=due - dt.timedelta(days=21),
        bill_date=due - dt.timedelta(days=21),
        due_date=due,
        total_cents=cents,
        document={},
    )
    session.add(bill)
    await session.flush()
    await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=cents,
        source_key=f"bill:{bill.id}",
        effective_on=bill.bill_date,
        bill_id=bill.id,
    )
    return account


async def grant(session, account, instalments: int = 2) -> PaymentArrangement:
    return await account_actions.grant_arrangement(
        session, JOB, POLICY, account, instalments=instalments, reason="Hardship", today=START
    )


async def pay(session, account, cents: int, on: dt.date, key: str):
    return await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.PAYMENT,
        amount_cents=-cents,
        source_key=key,
        effective_on=on,
    )


async def test_the_down_payment_is_due_two_days_after_the_grant(session) -> None:
    plan = await grant(session, await owing(session))
    assert plan.down_payment_due_on == START + dt.timedelta(days=2)
    assert plan.down_payment_cents == 20_000 and [i["amount_cents"] for i in plan.instalments] == [10_000, 10_000]


async def test_a_missed_instalment_breaks_it_notifies_and_puts_the_account_back_on_the_cutoff_rules(session) -> None:
    account = await owing(session)
    plan = await grant(session, account)
    await pay(session, account, 20_000, START, "down")
    held = await cutoff.build(session, POLICY, dt.date(2026, 12, 22), "America/Chicago")
    assert "arrangement" in held.rows[0].decision.codes
    tally = await arrangements.check(session, JOB, on=dt.date(2026, 12, 17))  # the first instalment is due 12-16
    assert (tally.broken, plan.status, plan.closed_on) == (1, ArrangementStatus.BROKEN, dt.date(2026, 12, 17))
    assert "instalment of $100.00 due Dec 16, 2026" in plan.outcome_note
    mail = await session.scalar(select(MailMessage))
    assert "has ended" in mail.text_body and plan.outcome_note in mail.text_body
    event = await session.scalar(select(AuditEvent).where(AuditEvent.action == "arrangement.broken"))
    assert event.after["missed_on"] == "2026-12-16"
    after = await cutoff.build(session, POLICY, dt.date(2026, 12, 22), "America/Chicago")
    assert "arrangement" not in after.rows[0].decision.codes
    again = await arrangements.check(session, JOB, on=dt.date(2026, 12, 18))
    assert (again.checked, again.broken) == (0, 0)
    assert await session.scalar(select(func.count()).select_from(MailMessage)) == 1


async def test_a_bank_return_breaks_it_even_when_the_plan_is_paid_ahead(session) -> None:
    account = await owing(session)
    plan = await grant(session, account)
    posted = await pay(session, account, 40_000, START, "pi_1")
    await ledger.reverse(
        session,
        JOB,
        posted.entry.id,
        reason="ACH return R01",
        effective_on=dt.date(2026, 11, 20),
        source_key="return:ch_1",
    )
    await arrangements.check(session, JOB, on=dt.date(2026, 11, 21))
    assert plan.status == ArrangementStatus.BROKEN and "returned on Nov 20, 2026" in plan.outcome_note


async def test_paying_every_instalment_completes_it(session) -> None:
    account = await owing(session)
    plan = await grant(session, account)
    await pay(session, account, 20_000, START, "down")
    await pay(session, account, 10_000, dt.date(2026, 12, 10), "one")
    assert (await arrangements.check(session, JOB, on=dt.date(2026, 12, 20))).completed == 0
    await pay(session, account, 10_000, dt.date(2027, 1, 10), "two")
    tally = await arrangements.check(session, JOB, on=dt.date(2027, 1, 11))
    assert (tally.completed, plan.status) == (1, ArrangementStatus.COMPLETED)


async def test_the_command_runs_as_a_job(database_url, session) -> None:
    account = await owing(session)
    await grant(session, account)
    await session.commit()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "x" * 40}
    command = [sys.executable, "-m", "portal.cli", "arrangements-check", "--date", "2026-11-20"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "1 broken" in result.stdout  # no down payment by 11-18
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert "already ran" in again.stdout  # the run ledger: that date's check happened
    assert await session.scalar(select(PaymentArrangement.status)) == ArrangementStatus.BROKEN
