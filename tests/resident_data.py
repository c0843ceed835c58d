"""Account history the resident tests share: 14 months of paid bills, an unpaid bill now past due and a new bill
not yet due (so the account has a past-due balance, a bill ready and a usage history)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import ledger
from portal.accounts.actor import Actor
from portal.accounts.models import Account, Bill, LedgerKind

JOB = Actor.job("test")


def local_today() -> dt.date:
    return dt.datetime.now(ZoneInfo("America/Chicago")).date()


async def bills_for(session: AsyncSession, account: Account, *, past_due: bool = True) -> None:
    t = local_today()
    for months_back in range(14, 0, -1):
        end = t - dt.timedelta(days=30 * months_back + 3)
        session.add(
            Bill(
                account_id=account.id,
                period_start=end - dt.timedelta(days=30),
                period_end=end,
                bill_date=end + dt.timedelta(days=2),
                due_date=end + dt.timedelta(days=23),
                usage=5_000 + 100 * months_back,
                total_cents=6_000,
                document={},
            )
        )
    await session.flush()
    old = Bill(
        account_id=account.id,
        period_start=t - dt.timedelta(days=70),
        period_end=t - dt.timedelta(days=40),
        bill_date=t - dt.timedelta(days=38),
        due_date=t - dt.timedelta(days=17),
        usage=6_100,
        total_cents=9_500,
        document={},
    )
    new = Bill(
        account_id=account.id,
        period_start=t - dt.timedelta(days=39),
        period_end=t - dt.timedelta(days=9),
        bill_date=t - dt.timedelta(days=7),
        due_date=t + dt.timedelta(days=14),
        usage=6_300,
        total_cents=8_800,
        document={},
    )
    session.add_all([old, new])
    await session.flush()
    for bill in (old, new):
        await ledger.post(
            session,
            JOB,
            account_id=account.id,
            kind=LedgerKind.CHARGE,
            amount_cents=bill.total_cents,
            source_key=f"bill:{bill.id}",
            effective_on=bill.bill_date,
            bill_id=bill.id,
        )
    if not past_due:
        await ledger.post(
            session,
            JOB,
            account_id=account.id,
            kind=LedgerKind.PAYMENT,
            amount_cents=-9_500,
            source_key=f"pay:{old.id}",
            effective_on=old.due_date - dt.timedelta(days=3),
        )
    await session.commit()
