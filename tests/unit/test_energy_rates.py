"""Electric and gas pricing (portal/billing/rates.py, pricing.py, compute.energy_lines): the customer charge, kWh
tiers, the summer season decided by the month a period ends in, per-therm gas, and the monthly PCA/PGA as
effective-dated adjustment schedules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from portal.accounts.policy import Policy
from portal.billing import pricing, rates, wording
from portal.billing.compute import BillHeld, BillInput, ServiceInfo, compute, unit_price

POLICY = Policy()
D = dt.date
ELECTRIC = {
    "kind": "electric",
    "name": "Electric",
    "customer_cents": 1500,
    "tiers": [
        {"up_to_units": 500, "millicents_per_unit": 11_000},
        {"up_to_units": None, "millicents_per_unit": 13_000},
    ],
    "summer_tiers": [
        {"up_to_units": 500, "millicents_per_unit": 12_000},
        {"up_to_units": None, "millicents_per_unit": 15_500},
    ],
    "summer_months": [6, 7, 8, 9],
    "adjustment_code": "PCA",
}
GAS = {"kind": "gas", "name": "Gas", "customer_cents": 1200, "per_therm_millicents": 95_000, "adjustment_code": "PGA"}


def book(pca: int = 1_250, pga: int = -4_000) -> rates.RateBook:
    return rates.RateBook(
        [
            rates.parse("E-RES", D(2020, 1, 1), ELECTRIC),
            rates.parse("G-RES", D(2020, 1, 1), GAS),
            rates.parse("PCA", D(2026, 5, 1), {"kind": "adjustment", "unit_name": "kWh", "millicents_per_unit": 900}),
            rates.parse("PCA", D(2026, 6, 1), {"kind": "adjustment", "unit_name": "kWh", "millicents_per_unit": pca}),
            rates.parse("PGA", D(2026, 6, 1), {"kind": "adjustment", "unit_name": "therm", "millicents_per_unit": pga}),
        ]
    )


def bill(
    kind: str, code: str, units: int | None, start: dt.date, end: dt.date, rate_book: rates.RateBook | None = None
):
    data = BillInput(period_start=start, period_end=end, services=(ServiceInfo(kind, code, units=units),))
    return compute(data, rate_book or book(), POLICY)


def test_energy_tiers_split_the_kwh_at_each_bound_and_price_in_thousandths_of_a_cent() -> None:
    tiers = rates.parse("E", D(2020, 1, 1), ELECTRIC).energy_tiers
    blocks = pricing.energy_blocks(tiers, 812)
    assert [(b.low, b.units, b.amount_cents) for b in blocks] == [(0, 500, 5500), (500, 312, 4056)]
    assert pricing.energy_blocks(tiers, 500)[-1].units == 500 and len(pricing.energy_blocks(tiers, 500)) == 1
    assert pricing.energy_cents(3, 11_333) == 34  # 33.999 cents rounds to 34
    assert pricing.energy_cents(1, 500) == 1  # half a cent rounds up


def test_a_winter_electric_bill_has_customer_charge_tiers_and_the_pca_in_effect_at_the_period_end() -> None:
    # PCA has no version before 2026-05-01: a winter bill then cannot be priced and is held, saying which rate.
    with pytest.raises(BillHeld, match="no_rate:PCA"):
        bill("electric", "E-RES", 812, D(2026, 1, 4), D(2026, 2, 2))
    result = bill("electric", "E-RES", 812, D(2026, 10, 4), D(2026, 11, 2))
    texts = [line.text for line in result.lines]
    assert texts[0] == ("electric_customer", {})
    assert texts[1][0] == "electric_tier" and texts[1][1]["high"] == 500 and texts[1][1]["price"] == "$0.11000"
    assert texts[2][0] == "electric_tier_top" and texts[2][1]["low"] == 500
    assert texts[3][0] == "electric_adjustment" and texts[3][1]["units"] == 812
    assert [line.amount_cents for line in result.lines] == [1500, 5500, 4056, 1015]  # 812 x $0.01250 = $10.15
    assert all(("note_summer", {}) not in line.notes for line in result.lines)
    assert result.total_cents == 1500 + 5500 + 4056 + 1015


@pytest.mark.parametrize(
    ("end", "summer"),
    [(D(2026, 5, 31), False), (D(2026, 6, 1), True), (D(2026, 9, 30), True), (D(2026, 10, 1), False)],
)
def test_the_season_is_the_month_the_period_ends_in(end: dt.date, summer: bool) -> None:
    result = bill("electric", "E-RES", 600, end - dt.timedelta(days=29), end)
    first_tier = result.lines[1]
    assert first_tier.amount_cents == (6000 if summer else 5500)
    assert (("note_summer", {}) in first_tier.notes) is summer
    assert result.lines[2].amount_cents == (1550 if summer else 1300)


def test_gas_is_one_price_per_therm_and_a_negative_pga_is_a_credit() -> None:
    result = bill("gas", "G-RES", 43, D(2026, 6, 4), D(2026, 7, 3))
    assert [line.text[0] for line in result.lines] == ["gas_customer", "gas_energy", "gas_adjustment"]
    assert [line.amount_cents for line in result.lines] == [1200, 4085, -172]  # 43 x -$0.04000 = -$1.72
    assert result.lines[1].unit == "therm" and result.lines[1].quantity == Decimal(43)


def test_no_use_charges_the_customer_charge_only_and_no_read_holds_the_bill() -> None:
    result = bill("gas", "G-RES", 0, D(2026, 6, 4), D(2026, 7, 3))
    assert [line.amount_cents for line in result.lines] == [1200]
    with pytest.raises(BillHeld, match="no_read:gas"):
        bill("gas", "G-RES", None, D(2026, 6, 4), D(2026, 7, 3))


def test_a_mid_period_rate_change_splits_use_and_tiers_by_days() -> None:
    newer = dict(ELECTRIC, customer_cents=1800)
    rate_book = rates.RateBook(
        [
            *book().versions("PCA"),
            *book().versions("PGA"),
            rates.parse("E-RES", D(2020, 1, 1), ELECTRIC),
            rates.parse("E-RES", D(2026, 10, 19), newer),
        ]
    )
    result = bill("electric", "E-RES", 600, D(2026, 10, 4), D(2026, 11, 2), rate_book)
    customer = [line for line in result.lines if line.text[0] == "electric_customer"]
    assert [line.amount_cents for line in customer] == [750, 900]  # 15 and 15 of 30 days
    assert sum(line.quantity or 0 for line in result.lines if line.text[0].startswith("electric_tier")) == 600


def test_schedules_round_trip_and_bad_shapes_are_refused() -> None:
    for code, data in (("E-RES", ELECTRIC), ("G-RES", GAS)):
        schedule = rates.parse(code, D(2020, 1, 1), data)
        assert rates.parse(code, D(2020, 1, 1), schedule.as_data()) == schedule
    with pytest.raises(rates.RateError, match="summer months"):
        rates.parse("E", D(2020, 1, 1), dict(ELECTRIC, summer_months=[13]))
    with pytest.raises(rates.RateError, match="open-ended"):
        rates.parse("E", D(2020, 1, 1), dict(ELECTRIC, tiers=[{"up_to_units": 5, "millicents_per_unit": 1}]))
    with pytest.raises(rates.RateError, match="per kWh or per therm"):
        rates.parse("A", D(2020, 1, 1), {"kind": "adjustment", "unit_name": "gal", "millicents_per_unit": 1})
    with pytest.raises(rates.RateError):
        rates.parse("A", D(2020, 1, 1), {"kind": "adjustment", "unit_name": "kWh", "millicents_per_unit": 1.5})


def test_prices_and_lines_read_in_words() -> None:
    assert unit_price(11_500) == "$0.11500" and unit_price(-4_000) == "-$0.04000" and unit_price(123_456) == "$1.23456"
    text = wording.render_english(
        "electric_adjustment", {"units": 812, "unit": "kWh", "price": "$0.01250", "from_on": "2026-06-01"}
    )
    assert text.startswith("Power-cost adjustment: 812 kWh at $0.01250 per kWh")
    assert (
        wording.render_english("gas_energy", {"unit": "therm", "price": "$0.95000"})
        == "Gas, all therms at $0.95000 per therm"
    )


def test_the_rates_page_says_one_price_for_all_use_in_words() -> None:
    """The supervisor's rates page read "over 0 therm: $0.62000 per therm" for a single price."""
    from portal.staff.rate_admin import _energy_lines

    one = (rates.EnergyTier(None, 62_000),)
    assert _energy_lines(one, "therm", "") == ["all use: $0.62000 per therm"]
    two = (rates.EnergyTier(500, 10_000), rates.EnergyTier(None, 12_000))
    assert _energy_lines(two, "kWh", "")[1] == "over 500 kWh: $0.12000 per kWh"
