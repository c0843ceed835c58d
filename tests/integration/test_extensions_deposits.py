"""Deposit and extension services on a real database: premise history, the billed deposit, grant or queue,
the cut-off hold, and `extensions-check` marking kept and broken with a notice (run twice: once)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from portal.accounts import deposits, extensions, ledger
from portal.accounts.actor import Actor
from portal.accounts.models import (
    AccountClass,
    AccountStatus,
    AuditEvent,
    Bill,
    DepositStatus,
    ExtensionStatus,
    LedgerEntry,
    LedgerKind,
    MailMessage,
    PaymentExtension,
)
from portal.accounts.policy import Policy
from portal.mail import OUTBOX
from tests import factories

JOB = Actor.job("test")
POLICY = Policy()
TODAY = dt.date(2026, 11, 10)


async def bill(
    session, account, *, bill_date: dt.date, total: int, due: dt.date | None = None, post: bool = True
) -> Bill:
    row = Bill(
        account_id=account.id,
        period_start=bill_date - dt.timedelta(days=31),
        period_end=bill_date - dt.timedelta(days=2),
        bill_date=bill_date,
        due_date=due or bill_date + dt.timedelta(days=21),
        total_cents=total,
        document={},
    )
    session.add(row)
    await session.flush()
    if post:
        await ledger.post(
            session,
            JOB,
            account_id=account.id,
            kind=LedgerKind.CHARGE,
            amount_cents=total,
            source_key=f"bill:{row.id}",
            effective_on=bill_date,
            bill_id=row.id,
        )
    return row


async def pay(session, account, cents: int, on: dt.date, key: str) -> LedgerEntry:
    return (
        await ledger.post(
            session,
            JOB,
            account_id=account.id,
            kind=LedgerKind.PAYMENT,
            amount_cents=-cents,
            source_key=key,
            effective_on=on,
        )
    ).entry


async def past_due_account(session, **kwargs):
    account = await factories.make_account(session, **kwargs)
    await bill(session, account, bill_date=dt.date(2026, 9, 20), total=9_500, due=dt.date(2026, 10, 12))
    await bill(session, account, bill_date=dt.date(2026, 11, 3), total=8_800, due=dt.date(2026, 11, 24))
    return account


async def test_the_quote_uses_the_premise_history_of_earlier_customers(session) -> None:
    previous = await factories.make_account(session)
    for month in range(1, 13):
        await bill(
            session, previous, bill_date=dt.date(2025, 11, 15) + dt.timedelta(days=30 * month), total=6_000, post=False
        )
    await bill(session, previous, bill_date=dt.date(2024, 1, 1), total=99_999, post=False)  # too old: ignored
    decision = await deposits.quote(
        session, POLICY, premise_id=previous.premise_id, account_class=AccountClass.RESIDENTIAL, today=TODAY
    )
    assert decision.required_cents == 12_000 and decision.rule == deposits.RULE_AVERAGE


async def test_a_required_deposit_is_billed_once_and_withdrawn_by_a_reversal(session) -> None:
    account = await factories.make_account(session, status=AccountStatus.PENDING, meter_size="1")
    decision = await deposits.quote(
        session, POLICY, premise_id=account.premise_id, account_class=AccountClass.RESIDENTIAL, today=TODAY
    )
    assert decision.required_cents == 20_000
    deposit = await deposits.require(session, JOB, account, decision, today=TODAY)
    assert deposit.status == DepositStatus.REQUIRED and deposit.reason == decision.reason
    assert await ledger.balance(session, account.id) == 20_000
    await deposits.withdraw(session, JOB, deposit, reason="Request cancelled", today=TODAY)
    assert await ledger.balance(session, account.id) == 0
    assert deposit.status == DepositStatus.WAIVED
    actions = set(await session.scalars(select(AuditEvent.action).where(AuditEvent.account_id == account.id)))
    assert {"deposit.require", "deposit.withdraw", "ledger.post", "ledger.reverse"} <= actions


async def test_a_waived_deposit_posts_nothing_and_keeps_the_letter(session) -> None:
    account = await factories.make_account(session, status=AccountStatus.PENDING)
    letter = deposits.LetterOfCredit("Temple Water", dt.date(2024, 1, 1), None, 0, 0, 0)
    decision = await deposits.quote(
        session,
        POLICY,
        premise_id=account.premise_id,
        account_class=AccountClass.RESIDENTIAL,
        today=TODAY,
        letter=letter,
    )
    deposit = await deposits.require(session, JOB, account, decision, today=TODAY, letter=letter)
    assert deposit.status == DepositStatus.WAIVED and deposit.required_cents == 0
    assert "Temple Water" in (deposit.waiver_note or "")
    assert await ledger.balance(session, account.id) == 0


async def test_an_eligible_request_is_granted_and_holds_the_account_off_cut_off(session) -> None:
    account = await past_due_account(session)
    result = await extensions.request(session, JOB, POLICY, account, promised_on=dt.date(2026, 11, 20), today=TODAY)
    assert result.granted and result.extension.status == ExtensionStatus.ACTIVE
    assert result.extension.amount_cents == 9_500  # the past-due bill only; the October bill is not due yet
    assert await extensions.held_account_ids(session, [account.id], dt.date(2026, 11, 20)) == {account.id}
    assert await extensions.held_account_ids(session, [account.id], dt.date(2026, 11, 21)) == set()
    with pytest.raises(extensions.ExtensionRefused):  # a second one while this is open
        await extensions.request(session, JOB, POLICY, account, promised_on=dt.date(2026, 11, 19), today=TODAY)


async def test_an_ineligible_request_goes_to_a_csr_with_the_reason(session, csr) -> None:
    account = await past_due_account(session)
    payment = await pay(session, account, 5_000, dt.date(2026, 8, 1), "p1")
    await ledger.reverse(
        session, JOB, payment.id, reason="ACH return R01", effective_on=dt.date(2026, 8, 5), source_key="return:ch_1"
    )
    result = await extensions.request(session, JOB, POLICY, account, promised_on=dt.date(2026, 11, 20), today=TODAY)
    assert not result.granted and result.extension.status == ExtensionStatus.PENDING_REVIEW
    assert "returned" in (result.extension.reason or "")
    assert await extensions.held_account_ids(session, None, TODAY) == set()
    assert [e.id for e in await extensions.review_queue(session)] == [result.extension.id]
    staff = Actor(user_id=csr.id, label=csr.email, origin=JOB.origin)
    await extensions.decide(
        session, staff, result.extension, approve=True, note="Customer called; hardship", today=TODAY
    )
    assert result.extension.status == ExtensionStatus.ACTIVE and result.extension.decided_by_id == csr.id


async def test_only_a_bank_return_counts_as_a_returned_payment(session) -> None:
    # a counter void (a payment entered by mistake) or a card dispute is a reversal too, but not a returned payment
    account = await past_due_account(session)
    voided = await pay(session, account, 5_000, dt.date(2026, 8, 1), "v1")
    await ledger.reverse(session, JOB, voided.id, reason="Entered twice", effective_on=dt.date(2026, 8, 1))
    disputed = await pay(session, account, 4_000, dt.date(2026, 8, 2), "d1")
    await ledger.reverse(
        session, JOB, disputed.id, reason="Chargeback", effective_on=dt.date(2026, 8, 3), source_key="dispute:dp_1"
    )
    since = dt.date(2026, 6, 1)
    assert await extensions.returned_payment_dates(session, account.id, since) == []
    returned = await pay(session, account, 3_000, dt.date(2026, 8, 4), "r2")
    await ledger.reverse(
        session, JOB, returned.id, reason="ACH return R01", effective_on=dt.date(2026, 8, 6), source_key="return:ch_2"
    )
    assert await extensions.returned_payment_dates(session, account.id, since) == [dt.date(2026, 8, 6)]


async def test_no_past_due_balance_is_refused_outright(session) -> None:
    account = await factories.make_account(session)
    with pytest.raises(extensions.ExtensionRefused) as refused:
        await extensions.request(session, JOB, POLICY, account, promised_on=dt.date(2026, 11, 20), today=TODAY)
    assert refused.value.code == extensions.Reason.NO_PAST_DUE
    assert not await session.scalar(select(func.count()).select_from(PaymentExtension))


async def test_the_check_marks_kept_and_broken_notifies_and_changes_nothing_when_run_again(session) -> None:
    keeper = await past_due_account(session)
    breaker = await past_due_account(session, last_name="Smith")
    kept = (
        await extensions.request(session, JOB, POLICY, keeper, promised_on=dt.date(2026, 11, 18), today=TODAY)
    ).extension
    broken = (
        await extensions.request(session, JOB, POLICY, breaker, promised_on=dt.date(2026, 11, 18), today=TODAY)
    ).extension
    await pay(session, keeper, 9_500, dt.date(2026, 11, 17), "k1")
    await pay(session, breaker, 2_000, dt.date(2026, 11, 17), "b1")
    tally = await extensions.check(session, JOB, on=dt.date(2026, 11, 18), mailer=OUTBOX)
    assert (tally.kept, tally.broken) == (1, 0)  # the breaker still has until the end of the 18th
    tally = await extensions.check(session, JOB, on=dt.date(2026, 11, 19), mailer=OUTBOX)
    assert (tally.kept, tally.broken, tally.notified) == (0, 1, 1)
    assert kept.status == ExtensionStatus.KEPT and broken.status == ExtensionStatus.BROKEN
    subjects = list(await session.scalars(select(MailMessage.subject).order_by(MailMessage.id)))
    assert subjects == ["Your payment extension is complete", "Your payment extension was not kept"]
    again = await extensions.check(session, JOB, on=dt.date(2026, 11, 20), mailer=OUTBOX)
    assert (again.checked, again.kept, again.broken) == (0, 0, 0)
    assert await session.scalar(select(func.count()).select_from(MailMessage)) == 2


async def test_a_returned_payment_does_not_keep_an_extension(session) -> None:
    account = await past_due_account(session)
    extension = (
        await extensions.request(session, JOB, POLICY, account, promised_on=dt.date(2026, 11, 18), today=TODAY)
    ).extension
    payment = await pay(session, account, 9_500, dt.date(2026, 11, 12), "r1")
    await ledger.reverse(session, JOB, payment.id, reason="ACH return", effective_on=dt.date(2026, 11, 14))
    await extensions.check(session, JOB, on=dt.date(2026, 11, 19), mailer=OUTBOX)
    assert extension.status == ExtensionStatus.BROKEN


async def test_the_command_runs_as_a_job(database_url, session) -> None:
    account = await past_due_account(session)
    await extensions.request(session, JOB, POLICY, account, promised_on=dt.date(2026, 11, 18), today=TODAY)
    await session.commit()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "x" * 40}
    result = subprocess.run(
        [sys.executable, "-m", "portal.cli", "extensions-check", "--date", "2026-11-25"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "1 broken" in result.stdout
    status = await session.scalar(select(PaymentExtension.status))
    assert status == ExtensionStatus.BROKEN
