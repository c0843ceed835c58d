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
    (
        "FIRE-LINE",
        ServiceKind.FIRE_LINE,
        {"kind": "per_unit", "name": "Private fire line", "base_cents": 3000, "unit_name": "line"},
    ),
    # Electric and gas (prices per kWh or therm in thousandths of a cent: portal/billing/rates.py). The PCA and PGA
    # are set monthly by staff as new versions of "PCA" and "PGA"; the demo starts them at one value.
    (
        "E-RES",
        ServiceKind.ELECTRIC,
        {
            "kind": "electric",
            "name": "Electric, residential",
            "customer_cents": 1500,
            "tiers": [
                {"up_to_units": 500, "millicents_per_unit": 10_800},
                {"up_to_units": None, "millicents_per_unit": 12_600},
            ],
            "summer_tiers": [
                {"up_to_units": 500, "millicents_per_unit": 11_500},
                {"up_to_units": None, "millicents_per_unit": 14_900},
            ],
            "summer_months": [6, 7, 8, 9],
            "adjustment_code": "PCA",
        },
    ),
    (
        "PCA",
        ServiceKind.ELECTRIC,
        {"kind": "adjustment", "name": "Power-cost adjustment", "unit_name": "kWh", "millicents_per_unit": 1_250},
    ),
    (
        "G-RES",
        ServiceKind.GAS,
        {
            "kind": "gas",
            "name": "Gas, residential",
            "customer_cents": 1200,
            "per_therm_millicents": 62_000,
            "adjustment_code": "PGA",
        },
    ),
    (
        "PGA",
        ServiceKind.GAS,
        {"kind": "adjustment", "name": "Purchased-gas adjustment", "unit_name": "therm", "millicents_per_unit": 31_500},
    ),
]

DEMO_EFFECTIVE_ON = dt.date(2020, 1, 1)


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


async def seed(session: AsyncSession) -> None:
    """The billing side's part of the demo seed: the rate schedules (bills come with the city's history)."""
    await seed_rates(session)
