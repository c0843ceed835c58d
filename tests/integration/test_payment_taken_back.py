"""A payment taken back after it closed the account (a returned check or bank debit, a dispute, a voided receipt):
the account owes again, so it is final again, where the office, the dunning and the placement file see it. One that
owes nothing after all, or was not closed, keeps its status."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from portal.accounts import ledger, payments
from portal.accounts.actor import Actor
from portal.accounts.models import AccountStatus, AuditEvent, LedgerKind
from tests import factories

JOB = Actor.job("test")
TODAY = dt.date(2026, 12, 5)


async def _paid_off(session, status: AccountStatus, credit_after: int = 0):
    account = await factories.make_account(session)
    await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=6_000,
        source_key=f"final-bill:{account.id}",
        effective_on=TODAY - dt.timedelta(days=40),
    )
    paid = await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.PAYMENT,
        amount_cents=-6_000,
        source_key=f"check:{account.id}",
        effective_on=TODAY - dt.timedelta(days=10),
    )
    if credit_after:
        await ledger.post(
            session,
            JOB,
            account_id=account.id,
            kind=LedgerKind.ADJUSTMENT,
            amount_cents=-credit_after,
            source_key=f"credit:{account.id}",
            effective_on=TODAY - dt.timedelta(days=5),
        )
    account.status = status
    await session.flush()
    await ledger.reverse(session, JOB, paid.entry.id, reason="Returned check", effective_on=TODAY)
    await payments.payment_taken_back(session, JOB, paid.entry.id, account.id, TODAY, "a check was returned")
    await session.flush()
    return account


async def _status_rows(session, account_id: int) -> int:
    return await session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.account_id == account_id, AuditEvent.action == "account.status")
    )


async def test_a_closed_account_that_owes_again_is_final_again_with_its_reason(session) -> None:
    account = await _paid_off(session, AccountStatus.CLOSED)
    assert account.status == AccountStatus.FINAL
    assert await _status_rows(session, account.id) == 1


@pytest.mark.parametrize(
    ("status", "credit_after"),
    [(AccountStatus.CLOSED, 6_000), (AccountStatus.ACTIVE, 0), (AccountStatus.FINAL, 0)],
    ids=["closed-owing-nothing", "active", "final"],
)
async def test_an_account_that_owes_nothing_or_was_not_closed_keeps_its_status(
    session, status: AccountStatus, credit_after: int
) -> None:
    account = await _paid_off(session, status, credit_after)
    assert account.status == status
    assert await _status_rows(session, account.id) == 0
