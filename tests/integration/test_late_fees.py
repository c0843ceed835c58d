"""Late fees on a real database: after the (moved) due date, on the past-due amount, once, never on a fee."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from portal.accounts.models import (
    Bill,
    ExtensionStatus,
    LedgerEntry,
    LedgerKind,
    PaymentExtension,
)
from portal.accounts.policy import Policy, us_holidays
from portal.billing.late_fees import late_fee_cents, late_fee_run
from portal.billing.run import due_date
from portal.db import make_sessionmaker
from tests import factories

POLICY = Policy(holidays=us_holidays(range(2025, 2028)))


async def make_bill(session, account, bill_date: dt.date, total: int) -> Bill:
    bill = Bill(
        account_id=account.id,
        period_start=bill_date - dt.timedelta(days=30),
        period_end=bill_date,
        bill_date=bill_date,
        due_date=due_date(bill_date, POLICY),
        total_cents=total,
        document={},
    )
    session.add(bill)
    await session.flush()
    session.add(
        LedgerEntry(
            account_id=account.id,
            kind=LedgerKind.CHARGE,
            amount_cents=total,
            effective_on=bill_date,
            source_key=f"bill:{account.id}:{bill_date}",
            bill_id=bill.id,
        )
    )
    await session.flush()
    return bill


async def pay(session, account, cents: int, on: dt.date) -> None:
    session.add(
        LedgerEntry(
            account_id=account.id,
            kind=LedgerKind.PAYMENT,
            amount_cents=-cents,
            effective_on=on,
            source_key=f"pay:{account.id}:{on}:{cents}",
        )
    )
    await session.flush()


async def fees(session, account) -> list[int]:
    await session.commit()
    return list(
        await session.scalars(
            select(LedgerEntry.amount_cents)
            .where(LedgerEntry.account_id == account.id, LedgerEntry.kind == LedgerKind.LATE_FEE)
            .order_by(LedgerEntry.id)
        )
    )


async def run(engine, on: dt.date):
    return await late_fee_run(make_sessionmaker(engine), on, POLICY)


def test_the_fee_is_ten_percent_with_a_five_dollar_minimum() -> None:
    assert late_fee_cents(10_000, POLICY) == 1_000
    assert late_fee_cents(12_345, POLICY) == 1_235  # 1,234.5 rounds half up
    assert late_fee_cents(3_000, POLICY) == 500
    assert late_fee_cents(0, POLICY) == 0
    assert late_fee_cents(-500, POLICY) == 0


async def test_a_weekend_due_date_moves_to_monday_and_the_fee_comes_the_day_after(session, engine) -> None:
    account = await factories.make_account(session)
    bill = await make_bill(session, account, dt.date(2026, 6, 6), 10_000)  # + 21 days = Saturday June 27
    assert bill.due_date == dt.date(2026, 6, 29)
    await session.commit()
    assert (await run(engine, dt.date(2026, 6, 28))).charged == 0
    assert (await run(engine, dt.date(2026, 6, 29))).charged == 0  # due today: not late yet
    assert (await run(engine, dt.date(2026, 6, 30))).charged == 1
    assert await fees(session, account) == [1_000]
    again = await run(engine, dt.date(2026, 7, 1))
    assert again.charged == 0 and again.skipped["already_charged"] == 1
    entry = await session.scalar(select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.LATE_FEE))
    assert entry.source_key == f"late:{bill.id}" and entry.effective_on == dt.date(2026, 6, 30)


async def test_a_partial_payment_leaves_the_fee_on_what_is_still_past_due(session, engine) -> None:
    account = await factories.make_account(session)
    small = await factories.make_account(session)
    await make_bill(session, account, dt.date(2026, 6, 1), 10_000)
    await pay(session, account, 4_000, dt.date(2026, 6, 10))
    await make_bill(session, small, dt.date(2026, 6, 1), 10_000)
    await pay(session, small, 7_000, dt.date(2026, 6, 10))
    await session.commit()
    await run(engine, dt.date(2026, 6, 25))
    assert await fees(session, account) == [600]  # 10% of $60.00
    assert await fees(session, small) == [500]  # 10% of $30.00 is $3.00: the minimum is $5.00


async def test_a_fee_is_never_charged_on_a_fee(session, engine) -> None:
    account = await factories.make_account(session)
    await make_bill(session, account, dt.date(2026, 5, 1), 10_000)  # due May 22
    await session.commit()
    await run(engine, dt.date(2026, 5, 26))
    assert await fees(session, account) == [1_000]
    await make_bill(session, account, dt.date(2026, 6, 1), 5_000)  # due June 22
    await session.commit()
    await run(engine, dt.date(2026, 6, 23))
    # past due: $100 + $50 of bills; the $10 fee is not part of what the next fee is charged on
    assert await fees(session, account) == [1_000, 1_500]


async def test_a_payment_goes_to_the_oldest_charge_the_fee_included_and_the_fee_itself_never_counts(
    session, engine
) -> None:
    account = await factories.make_account(session)
    await make_bill(session, account, dt.date(2026, 5, 1), 10_000)
    await session.commit()
    await run(engine, dt.date(2026, 5, 26))  # fee $10, posted May 26
    await pay(session, account, 11_000, dt.date(2026, 6, 2))  # pays the May bill and the fee
    await make_bill(session, account, dt.date(2026, 6, 1), 5_000)
    await session.commit()
    await run(engine, dt.date(2026, 6, 23))
    assert await fees(session, account) == [1_000, 500]  # 10% of $50.00


async def test_no_fee_during_an_active_payment_extension_or_when_paid(session, engine) -> None:
    extended = await factories.make_account(session)
    paid = await factories.make_account(session)
    await make_bill(session, extended, dt.date(2026, 6, 1), 10_000)
    await make_bill(session, paid, dt.date(2026, 6, 1), 10_000)
    await pay(session, paid, 10_000, dt.date(2026, 6, 20))
    session.add(
        PaymentExtension(
            account_id=extended.id,
            amount_cents=10_000,
            requested_on=dt.date(2026, 6, 20),
            promised_on=dt.date(2026, 7, 2),
            status=ExtensionStatus.ACTIVE,
            granted_by_rule=True,
        )
    )
    await session.commit()
    result = await run(engine, dt.date(2026, 6, 25))
    assert result.charged == 0
    assert result.skipped == {"payment_extension": 1, "nothing_past_due": 1}
    assert await fees(session, extended) == [] and await fees(session, paid) == []


async def test_old_bills_outside_the_look_back_are_left_alone(session, engine) -> None:
    account = await factories.make_account(session)
    await make_bill(session, account, dt.date(2026, 1, 2), 10_000)
    await session.commit()
    assert (await run(engine, dt.date(2026, 6, 25))).considered == 0
    assert (
        await session.scalar(
            select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == LedgerKind.LATE_FEE)
        )
        == 0
    )
