"""Estimates for electric and gas meters (portal/billing/compute.measure_energy): water's rule in each meter's own
unit (the same period last year, else the last three periods; whole register units, at most half the dials' range),
the account's estimate limit shared with water, a read order at the last estimate allowed, and the bill's words."""

from __future__ import annotations

import datetime as dt

import pytest

from portal import i18n
from portal.accounts.policy import Policy
from portal.billing import wording
from portal.billing.compute import (
    BillHeld,
    BillInput,
    EnergyReads,
    PastUsage,
    Read,
    ServiceInfo,
    compute,
    measure_energy,
)
from tests.unit.test_energy_rates import book

POLICY = Policy()
D = dt.date
START, END = D(2026, 10, 4), D(2026, 11, 2)  # 30 days, winter prices
OPEN = Read(40_000, D(2026, 10, 3), "field")


def data(kind: str, reads: EnergyReads, consecutive: int = 0) -> BillInput:
    code = "E-RES" if kind == "electric" else "G-RES"
    return BillInput(
        period_start=START,
        period_end=END,
        services=(ServiceInfo(kind, code, reads=reads),),
        consecutive_estimates=consecutive,
    )


def test_an_actual_read_measures_the_use_times_the_multiplier() -> None:
    reads = EnergyReads(OPEN, Read(40_406, END, "field"), multiplier=2, meter_id=7)
    usage = measure_energy("electric", reads, data("electric", reads), POLICY)
    assert (usage.units, usage.estimated, usage.end.value, usage.meter_id) == (812, False, 40_406, 7)


def test_the_estimate_uses_the_same_period_last_year_per_kwh() -> None:
    history = (
        PastUsage(D(2025, 11, 3), 30, 900),  # last year's period: 30 kWh a day
        PastUsage(D(2026, 9, 3), 31, 3_100),
        PastUsage(D(2026, 10, 3), 30, 3_000),
    )
    reads = EnergyReads(OPEN, None, history, meter_id=7)
    usage = measure_energy("electric", reads, data("electric", reads), POLICY)
    assert usage.estimated and usage.basis == "basis_last_year"
    assert usage.units == 900  # 30 kWh a day x 30 days
    assert usage.end == Read(40_900, END, "estimated")
    assert not usage.needs_read_order


def test_without_last_year_the_estimate_averages_the_last_three_periods_in_therms() -> None:
    history = (
        PastUsage(D(2026, 6, 3), 30, 999),  # older than the last three: not counted
        PastUsage(D(2026, 8, 3), 31, 31),
        PastUsage(D(2026, 9, 3), 31, 62),
        PastUsage(D(2026, 10, 3), 30, 90),
    )
    reads = EnergyReads(OPEN, None, history)
    usage = measure_energy("gas", reads, data("gas", reads), POLICY)
    assert usage.basis == "basis_recent"
    assert usage.units == 60  # (31 + 62 + 90) therms / 92 days x 30 days = 59.7, a whole therm


def test_a_multiplier_estimates_whole_register_units_and_the_dials_wrap() -> None:
    history = (PastUsage(D(2026, 10, 3), 30, 3_000),)  # 100 kWh a day
    reads = EnergyReads(Read(99_000, D(2026, 10, 3)), None, history, dials=5, multiplier=10)
    usage = measure_energy("electric", reads, data("electric", reads), POLICY)
    assert usage.units == 3_000 and usage.end.value == (99_000 + 300) % 100_000  # 300 register units


def test_the_estimate_is_bounded_by_half_the_dials_range() -> None:
    history = (PastUsage(D(2026, 10, 3), 1, 90_000),)  # a wild day in the history
    reads = EnergyReads(Read(10, D(2026, 10, 3)), None, history, dials=5)
    usage = measure_energy("electric", reads, data("electric", reads), POLICY)
    assert usage.units == 50_000  # never more than half the register, so the estimate never reads as a rollover


def test_without_history_there_is_no_estimate_the_bill_is_held() -> None:
    reads = EnergyReads(OPEN, None, ())
    with pytest.raises(BillHeld, match="no_read:gas"):
        compute(data("gas", reads), book(), POLICY)


def test_the_estimate_limit_is_the_accounts_and_the_last_estimate_orders_a_read() -> None:
    history = (PastUsage(D(2026, 10, 3), 30, 3_000),)
    reads = EnergyReads(OPEN, None, history)
    last = compute(data("electric", reads, consecutive=POLICY.max_consecutive_estimates - 1), book(), POLICY)
    assert last.estimated and last.needs_read_order and ("read_order", {}) in last.notes
    with pytest.raises(BillHeld) as held:
        compute(data("electric", reads, consecutive=POLICY.max_consecutive_estimates), book(), POLICY)
    assert held.value.reason == "estimate_limit" and held.value.needs_read and held.value.meter_kind == "electric"


def test_an_estimated_bill_is_priced_on_the_estimate_and_says_so_once_in_english_and_spanish() -> None:
    history = (PastUsage(D(2026, 10, 3), 30, 24_360),)  # 812 kWh a day
    reads = EnergyReads(OPEN, None, history)
    result = compute(data("electric", reads), book(), POLICY)
    assert result.estimated and result.energy[0].units == 24_360
    noted = [line for line in result.lines if any(note[0] == "electric_estimated" for note in line.notes)]
    assert len(noted) == 1 and noted[0].text[0] == "electric_tier"
    note = next(n for n in noted[0].notes if n[0] == "electric_estimated")
    assert wording.render_english(*note) == (
        "We could not read your electric meter, so 24,360 kWh is estimated from your recent average use. "
        "The next actual read corrects it."
    )
    with i18n.use_locale("es"):
        spanish = wording.render(*note)
    assert "medidor de electricidad" in spanish and "24" in spanish


def test_an_actual_bill_after_water_and_energy_is_not_estimated() -> None:
    reads = EnergyReads(OPEN, Read(40_043, END, "field"))
    result = compute(data("gas", reads), book(), POLICY)
    assert not result.estimated and result.energy[0].units == 43
    assert all(not any(n[0] == "gas_estimated" for n in line.notes) for line in result.lines)


def test_a_bills_energy_use_comes_from_its_document_or_an_older_bills_adjustment_lines() -> None:
    from portal.billing.energy_use import EnergyUse, energy_use, water_estimated

    stored = {
        "energy": {"electric": {"units": 600, "estimated": True}, "gas": {"units": 40, "estimated": False}},
        "usage_notes": [["usage_actual", {}]],
    }
    assert energy_use(stored) == {"electric": EnergyUse("electric", 600, True), "gas": EnergyUse("gas", 40, False)}
    older = {"lines": [["electric_customer", {}, []], ["electric_adjustment", {"units": 812}, []]]}
    assert energy_use(older) == {"electric": EnergyUse("electric", 812, False)}
    assert energy_use(None) == {} and energy_use({"lines": [["water_base", {}, []]]}) == {}
    # The bill is estimated (its electric meter was); its water use was read.
    assert not water_estimated(True, stored)
    assert water_estimated(True, {**stored, "usage_notes": [["usage_estimated", {"basis": ["basis_recent"]}]]})
    assert water_estimated(True, {}) and not water_estimated(False, {})


def test_a_gas_service_stopped_before_the_period_is_not_estimated_and_holds_nothing() -> None:
    reads = EnergyReads(OPEN, None, ())  # no read and no history: would hold the bill if the service ran
    stopped = ServiceInfo("gas", "G-RES", started_on=D(2020, 1, 1), ended_on=D(2026, 9, 30), reads=reads)
    data_ = BillInput(period_start=START, period_end=END, services=(stopped,))
    result = compute(data_, book(), POLICY)
    assert result.energy == () and result.lines == () and not result.estimated
