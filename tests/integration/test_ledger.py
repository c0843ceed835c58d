"""The ledger: one entry per source key, corrections by reversal only, balance = sum of entries."""

import datetime as dt

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from portal.accounts import ledger
from portal.accounts.actor import Actor
from portal.accounts.errors import Conflict
from portal.accounts.models import AuditEvent, LedgerEntry, LedgerKind
from tests import factories

DAY = dt.date(2026, 11, 2)
JOB = Actor.job("test")


async def test_posting_the_same_source_key_twice_posts_once(session) -> None:
    account = await factories.make_account(session)
    first = await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.PAYMENT,
        amount_cents=-4210,
        source_key="pi_123",
        effective_on=DAY,
    )
    again = await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.PAYMENT,
        amount_cents=-4210,
        source_key="pi_123",
        effective_on=DAY,
    )
    assert first.created and not again.created
    assert again.entry.id == first.entry.id
    assert await session.scalar(select(func.count()).select_from(LedgerEntry)) == 1
    assert await ledger.balance(session, account.id) == -4210


async def test_a_reused_key_with_different_details_is_a_conflict(session) -> None:
    account = await factories.make_account(session)
    await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.PAYMENT,
        amount_cents=-4210,
        source_key="pi_9",
        effective_on=DAY,
    )
    with pytest.raises(Conflict):
        await ledger.post(
            session,
            JOB,
            account_id=account.id,
            kind=LedgerKind.PAYMENT,
            amount_cents=-9999,
            source_key="pi_9",
            effective_on=DAY,
        )


async def test_balance_is_the_sum_of_entries(session) -> None:
    account = await factories.make_account(session)
    other = await factories.make_account(session)
    for key, kind, cents in [
        ("bill:1", LedgerKind.CHARGE, 10_512),
        ("late:1", LedgerKind.LATE_FEE, 1051),
        ("pi_1", LedgerKind.PAYMENT, -5000),
    ]:
        await ledger.post(
            session, JOB, account_id=account.id, kind=kind, amount_cents=cents, source_key=key, effective_on=DAY
        )
    await ledger.post(
        session,
        JOB,
        account_id=other.id,
        kind=LedgerKind.CHARGE,
        amount_cents=777,
        source_key="bill:2",
        effective_on=DAY,
    )
    assert await ledger.balance(session, account.id) == 10_512 + 1051 - 5000
    assert await ledger.balances(session, [account.id, other.id]) == {account.id: 6563, other.id: 777}


async def test_a_reversal_cancels_an_entry_once(session) -> None:
    account = await factories.make_account(session)
    posted = await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.PAYMENT,
        amount_cents=-3000,
        source_key="pi_r",
        effective_on=DAY,
    )
    reversal = await ledger.reverse(session, JOB, posted.entry.id, reason="ACH return R01", effective_on=DAY)
    again = await ledger.reverse(session, JOB, posted.entry.id, reason="ACH return R01", effective_on=DAY)
    assert reversal.created and not again.created
    assert reversal.entry.amount_cents == 3000 and reversal.entry.reverses_id == posted.entry.id
    assert await ledger.balance(session, account.id) == 0
    with pytest.raises(Conflict):
        await ledger.reverse(session, JOB, reversal.entry.id, reason="undo", effective_on=DAY)


async def test_every_posting_writes_an_audit_row(session) -> None:
    account = await factories.make_account(session)
    posted = await ledger.post(
        session,
        Actor(user_id=None, label="csr@x", origin=JOB.origin),
        account_id=account.id,
        kind=LedgerKind.ADJUSTMENT,
        amount_cents=-1500,
        source_key="adj:1",
        effective_on=DAY,
        memo="Leak adjustment",
    )
    await ledger.reverse(session, JOB, posted.entry.id, reason="entered twice", effective_on=DAY)
    actions = list(
        await session.scalars(
            select(AuditEvent.action).where(AuditEvent.account_id == account.id).order_by(AuditEvent.id)
        )
    )
    assert actions == ["ledger.post", "ledger.reverse"]


async def test_the_orm_refuses_to_update_an_entry(session) -> None:
    account = await factories.make_account(session)
    account_id = account.id
    posted = await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=100,
        source_key="c:1",
        effective_on=DAY,
    )
    await session.commit()
    posted.entry.amount_cents = 1
    with pytest.raises(ledger.LedgerIsAppendOnly):
        await session.flush()
    await session.rollback()
    assert await ledger.balance(session, account_id) == 100


async def test_the_orm_refuses_to_delete_an_entry(session) -> None:
    account = await factories.make_account(session)
    account_id = account.id
    posted = await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=100,
        source_key="c:2",
        effective_on=DAY,
    )
    await session.commit()
    await session.delete(posted.entry)
    with pytest.raises(ledger.LedgerIsAppendOnly):
        await session.flush()
    await session.rollback()
    assert await ledger.balance(session, account_id) == 100


@pytest.mark.parametrize("statement", ["UPDATE ledger_entry SET amount_cents = 1", "DELETE FROM ledger_entry"])
async def test_the_database_refuses_to_change_an_entry_even_with_raw_sql(session, statement: str) -> None:
    account = await factories.make_account(session)
    account_id = account.id
    await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=100,
        source_key="c:3",
        effective_on=DAY,
    )
    await session.commit()
    with pytest.raises((DBAPIError, IntegrityError)) as caught:
        await session.execute(text(statement))
    assert "append-only" in str(caught.value)
    await session.rollback()
    assert await ledger.balance(session, account_id) == 100


async def test_amounts_must_be_integer_cents(session) -> None:
    account = await factories.make_account(session)
    with pytest.raises(TypeError):
        await ledger.post(
            session,
            JOB,
            account_id=account.id,
            kind=LedgerKind.CHARGE,
            amount_cents=10.5,  # type: ignore[arg-type]  # the float the ledger must refuse
            source_key="c:4",
            effective_on=DAY,
        )


async def test_arrears_come_from_the_ledger_and_the_bills_due_dates(session) -> None:
    from portal.accounts.arrears import arrears
    from portal.accounts.models import Bill

    account = await factories.make_account(session)
    bill = Bill(
        account_id=account.id,
        period_start=dt.date(2026, 9, 1),
        period_end=dt.date(2026, 9, 30),
        bill_date=dt.date(2026, 10, 1),
        due_date=dt.date(2026, 10, 22),
        total_cents=8000,
        document={},
    )
    session.add(bill)
    await session.flush()
    await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.CHARGE,
        amount_cents=8000,
        source_key="bill:a",
        effective_on=dt.date(2026, 10, 1),
        bill_id=bill.id,
    )
    await ledger.post(
        session,
        JOB,
        account_id=account.id,
        kind=LedgerKind.PAYMENT,
        amount_cents=-3000,
        source_key="pi_a",
        effective_on=dt.date(2026, 10, 5),
    )
    assert (await arrears(session, account.id, dt.date(2026, 10, 22))).past_due_cents == 0
    late = await arrears(session, account.id, dt.date(2026, 10, 23))
    assert late.past_due_cents == 5000 and late.oldest_past_due_on == dt.date(2026, 10, 22)


async def test_a_savepoint_that_was_the_first_write_is_undone_when_the_transaction_rolls_back(engine) -> None:
    """SQLite's driver starts no transaction before a SAVEPOINT; without our BEGIN the entry below would survive."""
    from portal.db import make_sessionmaker

    maker = make_sessionmaker(engine)
    async with maker() as session:
        account = await factories.make_account(session)
        await session.commit()
    async with maker() as session:
        async with session.begin_nested():
            session.add(
                LedgerEntry(
                    account_id=account.id,
                    kind=LedgerKind.PAYMENT,
                    amount_cents=-100,
                    source_key="sp-1",
                    effective_on=DAY,
                )
            )
        await session.rollback()
    async with maker() as session:
        assert (
            await session.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.source_key == "sp-1"))
            == 0
        )
