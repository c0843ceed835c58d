"""Electric and gas through the bill run on a real database: each service billed from its own meter with the demo
schedules, the summer season, the PCA in effect, the lines' words; a missing energy read holds the bill."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from portal.accounts.models import (
    Bill,
    BillLine,
    Meter,
    MeterKind,
    MeterRead,
    RateScheduleRecord,
    ReadSource,
    Service,
    ServiceKind,
)
from portal.accounts.policy import Policy, us_holidays
from portal.billing.run import bill_run
from portal.db import make_sessionmaker
from portal.mail import OUTBOX
from tests.integration.billing_helpers import at, billable_account, monthly_reads, with_rates

ON = dt.date(2026, 7, 3)
POLICY = Policy(holidays=us_holidays(range(2025, 2028)))


async def with_energy(session, account, kind: MeterKind, code: str, reads: list[tuple[dt.date, int]]) -> None:
    unit = "kWh" if kind == MeterKind.ELECTRIC else "therm"
    meter = Meter(
        serial=f"{kind.value[:2].upper()}{account.id:08d}", kind=kind, unit=unit, dials=5, premise_id=account.premise_id
    )
    session.add(meter)
    session.add(
        Service(account_id=account.id, kind=ServiceKind(kind.value), rate_code=code, started_on=dt.date(2020, 1, 15))
    )
    await session.flush()
    for day, value in reads:
        session.add(MeterRead(meter_id=meter.id, value=value, read_at=at(day), source=ReadSource.FIELD, flags=[]))
    await session.flush()


async def run(engine):
    return await bill_run(make_sessionmaker(engine), 1, ON, POLICY, mailer=OUTBOX, public_url="http://portal.test")


async def test_electric_and_gas_are_billed_from_their_own_meters_with_season_and_adjustments(session, engine) -> None:
    await with_rates(session)
    account = await billable_account(session, monthly_reads(ON, 13))
    # 812 kWh in June (summer tiers); the dials wrap from 99,900 to 712 (5 dials).
    await with_energy(session, account, MeterKind.ELECTRIC, "E-RES", [(dt.date(2026, 6, 3), 99_900), (ON, 712)])
    await with_energy(session, account, MeterKind.GAS, "G-RES", [(dt.date(2026, 6, 3), 1_000), (ON, 1_043)])
    await session.commit()

    result = await run(engine)
    assert result.billed == 1 and not result.held
    bill = await session.scalar(select(Bill).where(Bill.account_id == account.id))
    lines = list(await session.scalars(select(BillLine).where(BillLine.bill_id == bill.id).order_by(BillLine.sort)))
    energy = [
        (line.service_kind.value, line.description, line.amount_cents)
        for line in lines
        if line.service_kind.value in ("electric", "gas")
    ]
    assert energy == [
        ("electric", "Electric customer charge", 1500),
        ("electric", "Electric, 0 to 500 kWh at $0.11500 per kWh", 5750),
        ("electric", "Electric, over 500 kWh at $0.14900 per kWh", 4649),  # 312 x $0.149 = $46.488
        ("electric", "Power-cost adjustment: 812 kWh at $0.01250 per kWh (rate set from Jan 1, 2020)", 1015),
        ("gas", "Gas customer charge", 1200),
        ("gas", "Gas, all therms at $0.62000 per therm", 2666),  # 43 x $0.62
        ("gas", "Purchased-gas adjustment: 43 therms at $0.31500 per therm (rate set from Jan 1, 2020)", 1355),
    ]
    assert bill.total_cents == sum(line.amount_cents for line in lines)
    kwh = next(line for line in lines if line.description.startswith("Electric, over"))
    assert kwh.unit == "kWh" and kwh.quantity == 312


async def test_a_new_pca_version_prices_the_next_bill_and_a_missing_gas_read_holds_it(session, engine) -> None:
    await with_rates(session)
    session.add(
        RateScheduleRecord(
            rate_code="PCA",
            service_kind=ServiceKind.ELECTRIC,
            effective_on=dt.date(2026, 7, 1),
            data={"kind": "adjustment", "name": "PCA", "unit_name": "kWh", "millicents_per_unit": -500},
        )
    )
    account = await billable_account(session, monthly_reads(ON, 13))
    await with_energy(session, account, MeterKind.ELECTRIC, "E-RES", [(dt.date(2026, 6, 3), 100), (ON, 300)])
    held = await billable_account(session, monthly_reads(ON, 13))
    await with_energy(session, held, MeterKind.GAS, "G-RES", [(dt.date(2026, 6, 3), 1_000)])  # no read this period
    await session.commit()

    result = await run(engine)
    assert result.billed == 1 and len(result.held) == 1
    bill = await session.scalar(select(Bill).where(Bill.account_id == account.id))
    pca = await session.scalar(
        select(BillLine).where(BillLine.bill_id == bill.id, BillLine.description.like("Power-cost%"))
    )
    assert pca.amount_cents == -100  # 200 kWh x -$0.005, the version in effect on the period's last day
    assert await session.scalar(select(Bill).where(Bill.account_id == held.id)) is None
