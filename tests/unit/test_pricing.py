"""Water is priced once (portal/billing/pricing.py): the bill's tier lines and the staff console's adjustment
calculators agree to the cent on the same gallons, half cents included."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.accounts.policy import Policy
from portal.billing import pricing, rates
from portal.billing.compute import BillInput, MeterInfo, Read, ServiceInfo, compute
from portal.staff import rules

POLICY = Policy()
D = dt.date
# Prices that leave half cents in full tiers and in partial ones: 3,100 gal at $3.15 is $9.765.
WATER = {
    "kind": "metered_water",
    "name": "Water",
    "base_cents_by_size": {"5/8": 1250},
    "tiers": [
        {"up_to_gallons": 3100, "cents_per_kgal": 315},
        {"up_to_gallons": 10000, "cents_per_kgal": 425},
        {"up_to_gallons": None, "cents_per_kgal": 590},
    ],
}
SCHEDULE = rates.parse("W-RES", D(2020, 1, 1), WATER)
TIERS = tuple((tier.up_to_gallons, tier.cents_per_kgal) for tier in SCHEDULE.tiers)


def water_volume_on_the_bill(gallons: int) -> int:
    data = BillInput(
        period_start=D(2026, 6, 4),
        period_end=D(2026, 7, 3),
        services=(ServiceInfo("water", "W-RES"),),
        meter=MeterInfo("5/8"),
        prev_read=Read(100_000, D(2026, 6, 3)),
        curr_read=Read(100_000 + gallons, D(2026, 7, 3)),
    )
    bill = compute(data, rates.RateBook([SCHEDULE]), POLICY)
    return sum(line.amount_cents for line in bill.lines if line.unit == "gal")


@pytest.mark.parametrize("gallons", [0, 1, 2, 1500, 3100, 3101, 3102, 9999, 10000, 10001, 12345, 40007])
def test_the_calculator_and_the_bill_price_the_same_gallons_alike(gallons: int) -> None:
    on_the_bill = water_volume_on_the_bill(gallons)
    assert rules.water_cost(TIERS, gallons) == on_the_bill
    assert pricing.water_cents(SCHEDULE.tiers, gallons) == on_the_bill


def test_each_tier_is_rounded_where_the_bill_rounds_it() -> None:
    # 3,100 gal at $3.15 is 976.5 cents and 3 gal at $4.25 is 1.275: the bill charges 977 + 1.
    assert water_volume_on_the_bill(3103) == 977 + 1
    assert rules.water_cost(TIERS, 3103) == 978


def test_a_leak_credit_is_the_difference_of_the_two_bills() -> None:
    prices = rules.VolumePrices(water_tiers=TIERS, sewer_cents_per_kgal=0, sewer_billed_gallons=0)
    result = rules.leak(
        POLICY, today=D(2026, 7, 10), usage_gallons=20001, average_gallons=6000, prices=prices, proof_of_repair=True
    )
    rebilled = 6000 + (20001 - 6000) // 2
    assert result.amount_cents == -(water_volume_on_the_bill(20001) - water_volume_on_the_bill(rebilled))
