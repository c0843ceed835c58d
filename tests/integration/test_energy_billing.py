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
    WorkOrder,
    WorkOrderKind,
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


async def electric_meter(session, account) -> Meter:
    return await session.scalar(
        select(Meter).where(Meter.premise_id == account.premise_id, Meter.kind == MeterKind.ELECTRIC)
    )


async def test_an_unread_electric_meter_is_estimated_recorded_and_corrected_by_the_next_actual_read(
    session, engine
) -> None:
    await with_rates(session)
    account = await billable_account(session, monthly_reads(dt.date(2026, 8, 3), 14))
    # A year of monthly electric reads, 600 kWh a month, the last on June 3: July's read is missing.
    await with_energy(session, account, MeterKind.ELECTRIC, "E-RES", monthly_reads(dt.date(2026, 6, 3), 12, 600, 1_000))
    await session.commit()
    meter = await electric_meter(session, account)

    result = await run(engine)
    assert result.billed == 1 and result.estimated == 1 and not result.held
    bill = await session.scalar(select(Bill).where(Bill.account_id == account.id))
    assert bill.estimated
    # The same period last year (June 3 to July 3, 2025): 600 kWh in 30 days, 20 a day, x the bill's 30 days.
    part = bill.document["energy"]["electric"]
    assert part["estimated"] and part["units"] == 600 and part["end"][:2] == [8_800, ON.isoformat()]
    pca = await session.scalar(
        select(BillLine).where(BillLine.bill_id == bill.id, BillLine.description.like("Power-cost%"))
    )
    assert pca.description.startswith("Power-cost adjustment: 600 kWh")
    estimate = await session.scalar(
        select(MeterRead).where(MeterRead.meter_id == meter.id, MeterRead.source == ReadSource.ESTIMATED)
    )
    assert estimate.value == 8_800 and estimate.note == f"estimated for bill {bill.id}"
    await session.refresh(account)
    assert account.consecutive_estimates == 1

    # August's actual read: the next bill opens on the estimate, so it bills what the estimate left out.
    session.add(
        MeterRead(meter_id=meter.id, value=9_500, read_at=at(dt.date(2026, 8, 3)), source=ReadSource.FIELD, flags=[])
    )
    await session.commit()
    august = dt.date(2026, 8, 3)
    again = await bill_run(make_sessionmaker(engine), 1, august, POLICY, mailer=OUTBOX, public_url="http://p.test")
    assert again.billed == 1 and again.estimated == 0
    second = await session.scalar(select(Bill).where(Bill.account_id == account.id, Bill.period_end == august))
    part = second.document["energy"]["electric"]
    assert not second.estimated and not part["estimated"] and part["units"] == 700  # 9,500 - 8,800
    assert part["start"][:2] == [8_800, ON.isoformat()]
    await session.refresh(account)
    assert account.consecutive_estimates == 0


async def test_the_last_estimate_allowed_orders_a_read_of_the_electric_meter(session, engine) -> None:
    await with_rates(session)
    account = await billable_account(session, monthly_reads(ON, 13))
    await with_energy(session, account, MeterKind.ELECTRIC, "E-RES", monthly_reads(dt.date(2026, 6, 3), 12, 600, 1_000))
    account.consecutive_estimates = POLICY.max_consecutive_estimates - 1
    limit = await billable_account(session, monthly_reads(ON, 13))
    await with_energy(session, limit, MeterKind.ELECTRIC, "E-RES", monthly_reads(dt.date(2026, 6, 3), 12, 600, 1_000))
    limit.consecutive_estimates = POLICY.max_consecutive_estimates
    await session.commit()

    result = await run(engine)
    assert result.billed == 1 and result.held == {"estimate_limit": 1} and result.read_orders == 2
    meters = {a.id: (await electric_meter(session, a)).id for a in (account, limit)}
    orders = list(await session.scalars(select(WorkOrder).where(WorkOrder.kind == WorkOrderKind.READ)))
    assert sorted((o.account_id, o.meter_id) for o in orders) == sorted(meters.items())
    assert await session.scalar(select(Bill).where(Bill.account_id == limit.id)) is None
