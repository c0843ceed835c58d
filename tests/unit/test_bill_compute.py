"""Bills worked out by hand: every expected figure below is written as the arithmetic a person would do."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from portal.accounts.policy import Policy
from portal.billing import rates
from portal.billing.compute import (
    BillHeld,
    BillInput,
    MeterInfo,
    PastUsage,
    Read,
    ServiceInfo,
    compute,
    split_evenly,
)

POLICY = Policy()
D = dt.date

WATER_RES = {
    "kind": "metered_water",
    "name": "Water",
    "base_cents_by_size": {"5/8": 1250, "3/4": 1500, "1": 2200},
    "tiers": [
        {"up_to_gallons": 3000, "cents_per_kgal": 310},
        {"up_to_gallons": 10000, "cents_per_kgal": 425},
        {"up_to_gallons": None, "cents_per_kgal": 590},
    ],
}
SEWER_RES = {"kind": "sewer", "name": "Sewer", "base_cents": 1400, "cents_per_kgal": 480}
CART = {"kind": "per_unit", "name": "Solid waste", "base_cents": 2150, "unit_name": "cart"}
ERU = {"kind": "per_unit", "name": "Stormwater", "base_cents": 600, "unit_name": "ERU"}


def book(*extra: rates.RateSchedule) -> rates.RateBook:
    start = D(2020, 1, 1)
    return rates.RateBook(
        [
            rates.parse("W-RES", start, WATER_RES),
            rates.parse("S-RES", start, SEWER_RES),
            rates.parse("SW-CART", start, CART),
            rates.parse("SW-ERU", start, ERU),
            *extra,
        ]
    )


def services(
    started_on: dt.date = D(2020, 1, 1),
    ended_on: dt.date | None = None,
    kinds: tuple[str, ...] = ("water", "sewer", "solid_waste", "stormwater"),
) -> tuple[ServiceInfo, ...]:
    codes = {"water": "W-RES", "sewer": "S-RES", "solid_waste": "SW-CART", "stormwater": "SW-ERU"}
    return tuple(ServiceInfo(kind, codes[kind], 1, started_on, ended_on) for kind in kinds)


WINTER = (
    PastUsage(D(2026, 1, 3), 31, 4650),  # period ending in January
    PastUsage(D(2026, 2, 3), 31, 4650),
    PastUsage(D(2026, 3, 3), 28, 4200),  # ends in March: not a winter period
    PastUsage(D(2025, 12, 3), 30, 4500),
)


def amounts(bill) -> list[tuple[str, int]]:
    return [(line.text[0], line.amount_cents) for line in bill.lines]


def test_a_five_eighths_meter_using_12400_gallons_across_the_tiers_with_sewer_capped_by_the_winter_average() -> None:
    data = BillInput(
        period_start=D(2026, 6, 4),
        period_end=D(2026, 7, 3),
        services=services(),
        meter=MeterInfo("5/8"),
        prev_read=Read(100_000, D(2026, 6, 3)),
        curr_read=Read(112_400, D(2026, 7, 3)),
        history=WINTER,
    )
    bill = compute(data, book(), POLICY)

    assert bill.usage.gallons == 12_400
    assert amounts(bill) == [
        ("water_base", 1250),  # 5/8-inch base
        ("water_tier", 930),  # 3,000 gal x $3.10 / 1,000
        ("water_tier", 2975),  # 7,000 gal x $4.25 / 1,000
        ("water_tier_top", 1416),  # 2,400 gal x $5.90 / 1,000 = $14.16
        ("sewer_base", 1400),
        # winter: (4,650 + 4,650 + 4,500) gal / (31 + 31 + 30) days = 150 gal a day; x 30 days = 4,500 gal
        ("sewer_volume", 2160),  # 4,500 gal x $4.80 / 1,000
        ("per_unit_solid_waste", 2150),
        ("per_unit_stormwater", 600),
    ]
    assert bill.total_cents == 1250 + 930 + 2975 + 1416 + 1400 + 2160 + 2150 + 600 == 12881
    sewer = bill.lines[5]
    assert sewer.quantity == Decimal(4500)
    assert sewer.notes[0][0] == "note_sewer_winter"
    assert [line.quantity for line in bill.lines[1:4]] == [3000, 7000, 2400]


def test_a_start_mid_period_prorates_fixed_charges_by_days_over_30() -> None:
    # Service starts June 19 in a June 4 - July 3 period: 15 days, so fixed charges are 15/30 of a month.
    data = BillInput(
        period_start=D(2026, 6, 4),
        period_end=D(2026, 7, 3),
        services=services(started_on=D(2026, 6, 19)),
        meter=MeterInfo("5/8"),
        prev_read=Read(500, D(2026, 6, 19)),
        curr_read=Read(2_500, D(2026, 7, 3)),
    )
    bill = compute(data, book(), POLICY)
    assert amounts(bill) == [
        ("water_base", 625),  # $12.50 x 15/30
        ("water_tier", 620),  # 2,000 gal x $3.10 / 1,000 (use is never prorated)
        ("sewer_base", 700),  # $14.00 x 15/30
        ("sewer_volume", 960),  # no winter history: billed on water use, 2,000 x $4.80 / 1,000
        ("per_unit_solid_waste", 1075),  # $21.50 x 15/30
        ("per_unit_stormwater", 300),  # $6.00 x 15/30
    ]
    assert bill.total_cents == 4280
    assert ("note_prorated", {"days": 15, "per_month": 30}) in bill.lines[0].notes


def test_a_final_bill_prorates_to_the_stop_date() -> None:
    # Stopped June 10: June 4-10 is 7 days.
    data = BillInput(
        period_start=D(2026, 6, 4),
        period_end=D(2026, 6, 10),
        services=services(ended_on=D(2026, 6, 10)),
        meter=MeterInfo("5/8"),
        prev_read=Read(1_000, D(2026, 6, 3)),
        curr_read=Read(2_000, D(2026, 6, 10)),
        final=True,
    )
    bill = compute(data, book(), POLICY)
    assert bill.final and bill.notes == (("final_bill", {}),)
    assert bill.lines[0].amount_cents == 292  # $12.50 x 7/30 = 2.9166 -> $2.92
    assert bill.lines[-1].amount_cents == 140  # $6.00 x 7/30


def test_a_rate_change_mid_period_splits_the_period_by_days() -> None:
    new_water = rates.parse(
        "W-RES",
        D(2026, 6, 16),
        {
            **WATER_RES,
            "base_cents_by_size": {"5/8": 1300},
            "tiers": [{"up_to_gallons": 3000, "cents_per_kgal": 350}, {"up_to_gallons": None, "cents_per_kgal": 600}],
        },
    )
    data = BillInput(
        period_start=D(2026, 6, 1),
        period_end=D(2026, 6, 30),
        services=services(kinds=("water",)),
        meter=MeterInfo("5/8"),
        prev_read=Read(0, D(2026, 5, 31)),
        curr_read=Read(4_000, D(2026, 6, 30)),
    )
    bill = compute(data, book(new_water), POLICY)
    # June 1-15 (15 of 30 days) under the old rates, June 16-30 under the new: half the use and half the blocks each.
    assert amounts(bill) == [
        ("water_base", 625),  # $12.50 x 15/30
        ("water_tier", 465),  # 1,500 gal x $3.10
        ("water_tier", 213),  # 500 gal x $4.25 = 2.125 -> $2.13
        ("water_base", 650),  # $13.00 x 15/30
        ("water_tier", 525),  # 1,500 gal x $3.50
        ("water_tier_top", 300),  # 500 gal x $6.00
    ]
    assert bill.lines[0].notes[0][0] == "note_rate_part"


def test_a_meter_that_rolls_over_bills_the_use_past_zero() -> None:
    data = BillInput(
        period_start=D(2026, 6, 4),
        period_end=D(2026, 7, 3),
        services=services(kinds=("water",)),
        meter=MeterInfo("5/8", dials=6),
        prev_read=Read(999_000, D(2026, 6, 3)),
        curr_read=Read(1_400, D(2026, 7, 3)),
    )
    bill = compute(data, book(), POLICY)
    assert bill.usage.gallons == 2_400  # 1,000 to reach 999,999 -> 0, then 1,400
    assert ("usage_rollover", {}) in bill.usage.notes


def test_a_read_far_below_the_last_one_holds_the_bill_instead_of_guessing() -> None:
    data = BillInput(
        period_start=D(2026, 6, 4),
        period_end=D(2026, 7, 3),
        services=services(kinds=("water",)),
        meter=MeterInfo("5/8", dials=6),
        prev_read=Read(500_000, D(2026, 6, 3)),
        curr_read=Read(100, D(2026, 7, 3)),
    )
    with pytest.raises(BillHeld) as held:
        compute(data, book(), POLICY)
    assert held.value.reason == "negative_usage"


def test_multiplier_and_cubic_feet_are_converted_to_gallons() -> None:
    data = BillInput(
        period_start=D(2026, 6, 4),
        period_end=D(2026, 7, 3),
        services=services(kinds=("water",)),
        meter=MeterInfo("5/8", multiplier=10, unit="cf"),
        prev_read=Read(1_000, D(2026, 6, 3)),
        curr_read=Read(1_100, D(2026, 7, 3)),
    )
    bill = compute(data, book(), POLICY)
    assert bill.usage.register_units == 100
    assert bill.usage.gallons == 7_481  # 100 units x 10 cf x 7.48052 gal = 7,480.52 -> 7,481


def test_a_missing_read_is_estimated_from_the_same_period_last_year() -> None:
    history = (PastUsage(D(2025, 7, 3), 30, 6_000), PastUsage(D(2026, 6, 3), 31, 3_100))
    data = BillInput(
        period_start=D(2026, 6, 4),
        period_end=D(2026, 7, 3),
        services=services(kinds=("water",)),
        meter=MeterInfo("5/8"),
        prev_read=Read(10_000, D(2026, 6, 3)),
        curr_read=None,
        history=history,
    )
    bill = compute(data, book(), POLICY)
    assert bill.usage.estimated
    assert bill.usage.gallons == 6_000  # 200 gal a day last July x 30 days
    assert bill.usage.estimated_read == Read(16_000, D(2026, 7, 3), "estimated")
    assert not bill.usage.needs_read_order


def test_without_last_year_the_estimate_uses_the_last_three_periods() -> None:
    history = (
        PastUsage(D(2026, 4, 3), 31, 3_100),
        PastUsage(D(2026, 5, 3), 30, 3_000),
        PastUsage(D(2026, 6, 3), 31, 6_200),
        PastUsage(D(2026, 3, 3), 28, 90_000),
    )
    data = BillInput(
        period_start=D(2026, 6, 4),
        period_end=D(2026, 7, 3),
        services=services(kinds=("water",)),
        meter=MeterInfo("5/8"),
        prev_read=Read(0, D(2026, 6, 3)),
        history=history,
    )
    bill = compute(data, book(), POLICY)
    # (3,100 + 3,000 + 6,200) / (31 + 30 + 31) = 133.695... gal a day; x 30 days = 4,010.87 -> 4,011 gal.
    # The 90,000-gallon leak in March is older than the last three periods and plays no part.
    assert bill.usage.gallons == 4_011


def test_the_third_estimate_in_a_row_asks_for_a_read_and_a_fourth_is_held() -> None:
    data = BillInput(
        period_start=D(2026, 6, 4),
        period_end=D(2026, 7, 3),
        services=services(kinds=("water",)),
        meter=MeterInfo("5/8"),
        prev_read=Read(0, D(2026, 6, 3)),
        consecutive_estimates=2,
    )
    bill = compute(data, book(), POLICY)
    assert bill.usage.estimated and bill.usage.needs_read_order
    with pytest.raises(BillHeld) as held:
        compute(BillInput(**{**data.__dict__, "consecutive_estimates": 3}), book(), POLICY)
    assert held.value.reason == "estimate_limit" and held.value.needs_read


def test_residential_sewer_is_capped_and_commercial_is_not() -> None:
    base = dict(
        period_start=D(2026, 6, 4),
        period_end=D(2026, 7, 3),
        services=services(kinds=("sewer",)),
        meter=MeterInfo("5/8"),
        prev_read=Read(0, D(2026, 6, 3)),
        curr_read=Read(20_000, D(2026, 7, 3)),
    )
    residential = compute(BillInput(**base), book(), POLICY)
    assert residential.lines[1].quantity == 12_000 and residential.lines[1].amount_cents == 5760  # 12,000 x $4.80
    commercial = compute(BillInput(**base, residential=False), book(), POLICY)
    assert commercial.lines[1].quantity == 20_000 and commercial.lines[1].amount_cents == 9600


def test_in_winter_sewer_is_billed_on_actual_use() -> None:
    data = BillInput(
        period_start=D(2026, 12, 4),
        period_end=D(2027, 1, 3),
        services=services(kinds=("sewer",)),
        meter=MeterInfo("5/8"),
        prev_read=Read(0, D(2026, 12, 3)),
        curr_read=Read(9_000, D(2027, 1, 3)),
        history=(PastUsage(D(2026, 2, 3), 31, 3_100),),
    )
    bill = compute(data, book(), POLICY)
    assert bill.lines[1].quantity == 9_000


def test_a_master_meter_is_split_evenly_between_units() -> None:
    assert split_evenly(9_601, 3) == [3201, 3200, 3200]
    shares = []
    for index in range(3):
        data = BillInput(
            period_start=D(2026, 6, 4),
            period_end=D(2026, 7, 3),
            services=services(kinds=("water",)),
            meter=MeterInfo("1"),
            prev_read=Read(0, D(2026, 6, 3)),
            curr_read=Read(9_601, D(2026, 7, 3)),
            share=(index, 3),
        )
        shares.append(compute(data, book(), POLICY).usage.gallons)
    assert shares == [3201, 3200, 3200] and sum(shares) == 9_601


def test_a_service_without_a_rate_holds_the_bill() -> None:
    data = BillInput(period_start=D(2026, 6, 4), period_end=D(2026, 7, 3), services=(ServiceInfo("gas", "G-RES"),))
    with pytest.raises(BillHeld) as held:
        compute(data, book(), POLICY)
    assert held.value.reason == "no_rate:G-RES"


@pytest.mark.parametrize(
    "data",
    [
        {
            "kind": "metered_water",
            "base_cents_by_size": {"5/8": 1},
            "tiers": [{"up_to_gallons": 3000, "cents_per_kgal": 1}],
        },
        {
            "kind": "metered_water",
            "base_cents_by_size": {"5/8": 1},
            "tiers": [
                {"up_to_gallons": 3000, "cents_per_kgal": 1},
                {"up_to_gallons": 2000, "cents_per_kgal": 1},
                {"up_to_gallons": None, "cents_per_kgal": 1},
            ],
        },
        {"kind": "metered_water", "base_cents_by_size": {}, "tiers": [{"up_to_gallons": None, "cents_per_kgal": 1}]},
        {"kind": "sewer", "base_cents": -5},
        {"kind": "sewer", "base_cents": 1.5},
        {"kind": "electricity"},
    ],
)
def test_a_malformed_schedule_is_refused(data: dict) -> None:
    with pytest.raises(rates.RateError):
        rates.parse("X", D(2026, 1, 1), data)


def test_a_schedule_round_trips_through_its_stored_form() -> None:
    for code, data in [("W-RES", WATER_RES), ("S-RES", SEWER_RES), ("SW-CART", CART)]:
        schedule = rates.parse(code, D(2026, 1, 1), data)
        assert rates.parse(code, D(2026, 1, 1), schedule.as_data()) == schedule


def test_no_rate_before_the_first_version() -> None:
    with pytest.raises(rates.RateError):
        book().in_effect("W-RES", D(2019, 12, 31))


def test_every_line_renders_in_the_readers_language() -> None:
    from portal import i18n
    from portal.billing import wording

    data = BillInput(
        period_start=D(2026, 6, 4),
        period_end=D(2026, 7, 3),
        services=services(),
        meter=MeterInfo("5/8"),
        prev_read=Read(100_000, D(2026, 6, 3)),
        curr_read=Read(112_400, D(2026, 7, 3)),
        history=WINTER,
    )
    bill = compute(data, book(), POLICY)
    english = [wording.render_english(*line.text) for line in bill.lines]
    assert english[:2] == ["Water base charge, 5/8-inch meter", "Water, 0 to 3,000 gallons"]
    with i18n.use_locale("es"):
        spanish = [wording.render(*line.text) for line in bill.lines]
        note = wording.render(*bill.lines[5].notes[0])
    assert spanish[1] == "Agua, de 0 a 3,000 galones"
    assert "150 galones al día durante 30 días" in note
    assert wording.render_english(*bill.usage.notes[0]).startswith("Meter read 100,000 on Jun 3, 2026")


def test_a_backwards_read_the_reader_confirmed_as_a_rollover_is_billed() -> None:
    base = dict(
        period_start=D(2026, 6, 4),
        period_end=D(2026, 7, 3),
        services=services(kinds=("water",)),
        meter=MeterInfo("5/8", dials=6),
        prev_read=Read(400_000, D(2026, 6, 3)),
    )
    confirmed = compute(BillInput(**base, curr_read=Read(100, D(2026, 7, 3), flags=("rollover",))), book(), POLICY)
    assert confirmed.usage.gallons == 600_100
