"""Accounts ready to bill: the four services, a meter with reads, the demo rate schedules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import Account, Meter, MeterRead, ReadSource, Service, ServiceKind
from portal.demo.billing import seed_rates
from tests import factories

SERVICES = [
    (ServiceKind.WATER, "W-RES"),
    (ServiceKind.SEWER, "S-RES"),
    (ServiceKind.SOLID_WASTE, "SW-CART"),
    (ServiceKind.STORMWATER, "SW-ERU"),
]


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), dt.UTC)


async def billable_account(
    session: AsyncSession,
    reads: list[tuple[dt.date, int]],
    *,
    started_on: dt.date = dt.date(2020, 1, 15),
    **account_args: Any,
) -> Account:
    account = await factories.make_account(session, opened_on=started_on, **account_args)
    for kind, code in SERVICES:
        session.add(Service(account_id=account.id, kind=kind, rate_code=code, quantity=1, started_on=started_on))
    meter = await meter_of(session, account)
    for day, value in reads:
        session.add(MeterRead(meter_id=meter.id, value=value, read_at=at(day), source=ReadSource.FIELD, flags=[]))
    await session.flush()
    return account


async def meter_of(session: AsyncSession, account: Account) -> Meter:
    from sqlalchemy import select

    from portal.accounts.models import MeterKind

    query = select(Meter).where(Meter.premise_id == account.premise_id, Meter.kind == MeterKind.WATER)
    return (await session.scalars(query)).one()


async def with_rates(session: AsyncSession) -> None:
    await seed_rates(session)
    await session.flush()


def monthly_reads(last: dt.date, months: int, per_month: int = 6000, start: int = 10_000) -> list[tuple[dt.date, int]]:
    """A read on the same day each month for `months` months, ending on `last`."""
    out = []
    for back in range(months, -1, -1):
        month = last.month - 1 - back
        day = dt.date(last.year + month // 12, month % 12 + 1, last.day)
        out.append((day, start + per_month * (months - back)))
    return out
