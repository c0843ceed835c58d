"""The demo city's rate schedules (modelled on published Texas city rates) and loading them into the database.

The same schedules serve the demo, the tests and the benchmark; a city replaces them on the supervisor's rates page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts.models import RateScheduleRecord, ServiceKind
from portal.billing import rates

SIZES_RES = {"5/8": 1250, "3/4": 1500, "1": 2200, "1.5": 3800, "2": 6000}
SIZES_COM = {"5/8": 1600, "3/4": 1900, "1": 2800, "1.5": 5200, "2": 8200, "3": 16500, "4": 25800}

DEMO_RATES: list[tuple[str, ServiceKind, dict[str, Any]]] = [
    (
        "W-RES",
        ServiceKind.WATER,
        {
            "kind": "metered_water",
            "name": "Water, residential",
            "base_cents_by_size": SIZES_RES,
            "tiers": [
                {"up_to_gallons": 3000, "cents_per_kgal": 310},
                {"up_to_gallons": 10000, "cents_per_kgal": 425},
                {"up_to_gallons": None, "cents_per_kgal": 590},
            ],
        },
    ),
    (
        "W-COM",
        ServiceKind.WATER,
        {
            "kind": "metered_water",
            "name": "Water, commercial",
            "base_cents_by_size": SIZES_COM,
            "tiers": [{"up_to_gallons": 50000, "cents_per_kgal": 445}, {"up_to_gallons": None, "cents_per_kgal": 495}],
        },
    ),
    (
        "S-RES",
        ServiceKind.SEWER,
        {"kind": "sewer", "name": "Sewer, residential", "base_cents": 1400, "cents_per_kgal": 480},
    ),
    (
        "S-COM",
        ServiceKind.SEWER,
        {"kind": "sewer", "name": "Sewer, commercial", "base_cents": 2500, "cents_per_kgal": 520},
    ),
    (
        "SW-CART",
        ServiceKind.SOLID_WASTE,
        {"kind": "per_unit", "name": "Solid waste", "base_cents": 2150, "unit_name": "cart"},
    ),
    (
        "SW-ERU",
        ServiceKind.STORMWATER,
        {"kind": "per_unit", "name": "Stormwater", "base_cents": 600, "unit_name": "ERU"},
    ),
]

DEMO_EFFECTIVE_ON = dt.date(2020, 1, 1)


def demo_book(effective_on: dt.date = DEMO_EFFECTIVE_ON) -> rates.RateBook:
    return rates.RateBook(rates.parse(code, effective_on, data) for code, _kind, data in DEMO_RATES)


async def seed_rates(session: AsyncSession, effective_on: dt.date = DEMO_EFFECTIVE_ON) -> int:
    """Insert the demo schedules that are not there yet (by code and date); returns how many were added."""
    existing = set(await session.execute(select(RateScheduleRecord.rate_code, RateScheduleRecord.effective_on)))
    added = 0
    for code, kind, data in DEMO_RATES:
        if (code, effective_on) in existing:
            continue
        rates.parse(code, effective_on, data)  # never store a schedule the computation would refuse
        session.add(
            RateScheduleRecord(
                rate_code=code, service_kind=kind, effective_on=effective_on, data=data, note="Demo rates"
            )
        )
        added += 1
    await session.flush()
    return added


def demo_bill(
    *,
    period_start: dt.date,
    period_end: dt.date,
    size: str,
    multiplier: int,
    dials: int,
    prev: tuple[int, dt.date],
    curr: tuple[int, dt.date],
    history: list[tuple[dt.date, int, int]],
    residential: bool,
    carts: int,
    erus: int,
    started_on: dt.date,
) -> tuple[list[dict[str, Any]], int, dict[str, Any]]:
    """A seeded bill worked out by the real computation: (bill line rows without bill_id, total, document)."""
    from decimal import Decimal

    from portal.accounts.policy import current_policy
    from portal.billing import compute as c
    from portal.billing.run import document, english

    suffix = "RES" if residential else "COM"
    services = [
        c.ServiceInfo("water", f"W-{suffix}", 1, started_on),
        c.ServiceInfo("sewer", f"S-{suffix}", 1, started_on),
    ]
    if residential:
        services.append(c.ServiceInfo("solid_waste", "SW-CART", carts, started_on))
    services.append(c.ServiceInfo("stormwater", "SW-ERU", erus, started_on))
    data = c.BillInput(
        period_start=period_start,
        period_end=period_end,
        services=tuple(services),
        residential=residential,
        meter=c.MeterInfo(size, dials, multiplier),
        prev_read=c.Read(*prev),
        curr_read=c.Read(*curr),
        history=tuple(c.PastUsage(end, days, gallons) for end, days, gallons in history),
    )
    bill = c.compute(data, _BOOK, current_policy())
    lines = [
        {
            "service_kind": line.service_kind,
            "description": english(line.text)[:200],
            "quantity": line.quantity,
            "unit": line.unit,
            "rate": Decimal(line.rate_cents) / 100 if line.rate_cents is not None else None,
            "amount_cents": line.amount_cents,
            "sort": sort,
        }
        for sort, line in enumerate(bill.lines)
    ]
    return lines, bill.total_cents, document(data, bill, "paper")


_BOOK = demo_book()


async def seed(session: AsyncSession) -> None:
    """The billing side's part of the demo seed: the rate schedules (bills come with the city's history)."""
    await seed_rates(session)
