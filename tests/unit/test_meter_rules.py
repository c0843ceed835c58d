"""The meters' plain rules: a new premise's address and services, serials, a test's verdict, consumption across a
meter change, and the over-registration credit. Every expected figure is the arithmetic a person would do."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from portal.accounts import meter_rules
from portal.accounts.policy import Policy
from portal.billing.compute import (
    BillHeld,
    BillInput,
    MeterChange,
    MeterInfo,
    Read,
    ServiceInfo,
    consumption_across_change,
    measure,
)
from portal.staff import rules
from portal.staff.rules import AdjustmentDenied

POLICY = Policy()
D = dt.date


def test_an_address_is_cleaned_and_checked() -> None:
    address, problems = meter_rules.check_address("  1402   oak street ", " 2b", "springfield ", "tx", "78701")
    assert problems == []
    assert address == meter_rules.Address("1402 Oak Street", "2B", "Springfield", "TX", "78701")


def test_a_bad_address_names_each_field() -> None:
    address, problems = meter_rules.check_address("Oak Street", "", "", "Texas", "7870")
    assert address is None
    assert [name for name, _message in problems] == ["address", "city", "state", "zip"]


def test_a_new_premise_needs_water_and_keeps_a_fixed_order() -> None:
    assert meter_rules.check_services(["sewer", "water", "bogus"]) == (["water", "sewer"], None)
    kinds, problem = meter_rules.check_services(["sewer"])
    assert kinds == ["sewer"] and problem


@pytest.mark.parametrize(
    ("raw", "clean"),
    [(" ab-1234 ", "AB-1234"), ("W 99887", "W99887"), ("abc", None), ("", None), ("X" * 33, None), ("A_1234", None)],
)
def test_serials(raw: str, clean: str | None) -> None:
    assert meter_rules.clean_serial(raw) == clean


def test_a_meter_within_tolerance_passes() -> None:
    verdict = meter_rules.verdict(POLICY, 985, 1000, 1015)  # 98.5 %, 100 %, 101.5 %: tolerance 1.5 %
    assert verdict.passed and not verdict.over_registering and verdict.average_tenths == 1000


def test_an_under_registering_meter_fails_but_proposes_nothing() -> None:
    verdict = meter_rules.verdict(POLICY, 900, 990, 1000)
    assert not verdict.passed and not verdict.over_registering
    assert "low 90.0 %" in verdict.reason


def test_an_over_registering_meter_fails_and_over_registers() -> None:
    verdict = meter_rules.verdict(POLICY, 1030, 1040, 1050)  # average 104.0 %
    assert not verdict.passed and verdict.over_registering and verdict.average_tenths == 1040


def test_one_flow_high_but_average_within_tolerance_fails_without_over_registering() -> None:
    verdict = meter_rules.verdict(POLICY, 1000, 1000, 1040)  # average 101.3 %
    assert not verdict.passed and not verdict.over_registering


def test_consumption_across_a_change_is_each_meter_for_its_days() -> None:
    old = MeterInfo(dials=6)
    new = MeterInfo(dials=6, unit="cf")  # the new meter counts cubic feet
    gallons, units = consumption_across_change(
        old,
        Read(48_000, D(2026, 11, 1)),
        Read(51_000, D(2026, 11, 12)),
        new,
        Read(0, D(2026, 11, 12)),
        Read(200, D(2026, 12, 1)),
    )
    # old: 51,000 - 48,000 = 3,000 gal; new: 200 - 0 = 200 cf x 7.48052 = 1,496.104 -> 1,496 gal
    assert gallons == 3_000 + 1_496
    assert units == 3_000 + 200


def test_a_rolled_over_old_meter_still_counts_its_own_capacity() -> None:
    old = MeterInfo(dials=4)
    gallons, _units = consumption_across_change(
        old,
        Read(9_900, D(2026, 11, 1)),
        Read(50, D(2026, 11, 12), flags=("rollover",)),
        MeterInfo(),
        Read(10, D(2026, 11, 12)),
        Read(110, D(2026, 12, 1)),
    )
    assert gallons == (10_000 - 9_900 + 50) + 100


def test_measure_uses_the_change_and_never_the_new_meter_against_the_old_read() -> None:
    data = BillInput(
        period_start=D(2026, 11, 2),
        period_end=D(2026, 12, 1),
        services=(ServiceInfo("water", "W-RES"),),
        meter=MeterInfo(),
        prev_read=Read(48_000, D(2026, 11, 1)),
        curr_read=Read(1_500, D(2026, 12, 1)),
        change=MeterChange(MeterInfo(), Read(50_000, D(2026, 11, 15)), Read(0, D(2026, 11, 15))),
    )
    usage = measure(data, POLICY)
    assert usage.gallons == 2_000 + 1_500
    assert not usage.estimated
    assert usage.notes[0][0] == "usage_meter_change"
    with pytest.raises(BillHeld):  # the new meter's read against the old meter's would run backwards
        measure(dataclasses.replace(data, change=None), POLICY)


BILLED = [(D(2026, 5, 31), 4_000), (D(2026, 6, 30), 5_000), (D(2026, 7, 31), 6_000), (D(2026, 8, 31), 5_200)]


def test_the_credit_is_the_over_registered_share_since_the_last_passing_test() -> None:
    result = rules.meter_accuracy(
        POLICY, tested_on=D(2026, 9, 10), average_tenths=1040, last_passed_on=D(2026, 6, 15), billed_usage=BILLED
    )
    # bills after Jun 15: 5,000 + 6,000 + 5,200 = 16,200 cents; share 40/1040 -> 16,200 x 40 / 1,040 = 623.08 -> 623
    assert result.amount_cents == -623
    assert result.values["count"] == 3 and result.values["charged"] == 16_200
    assert result.key == "meter_accuracy"


def test_the_credit_goes_back_no_further_than_the_policy_months() -> None:
    policy = dataclasses.replace(POLICY, meter_accuracy_max_months_back=2)
    result = rules.meter_accuracy(
        policy, tested_on=D(2026, 9, 10), average_tenths=1040, last_passed_on=None, billed_usage=BILLED
    )
    # window from Jul 10: 6,000 + 5,200 = 11,200 x 40 / 1,040 = 430.77 -> 431
    assert result.amount_cents == -431
    assert result.values["start"] == "2026-07-10"


def test_no_credit_within_tolerance_or_without_billed_usage() -> None:
    with pytest.raises(AdjustmentDenied):
        rules.meter_accuracy(
            POLICY, tested_on=D(2026, 9, 10), average_tenths=1015, last_passed_on=None, billed_usage=BILLED
        )
    with pytest.raises(AdjustmentDenied):
        rules.meter_accuracy(
            POLICY, tested_on=D(2026, 9, 10), average_tenths=1040, last_passed_on=D(2026, 9, 1), billed_usage=BILLED
        )


def test_the_explanation_reads_in_words() -> None:
    result = rules.meter_accuracy(
        POLICY, tested_on=D(2026, 9, 10), average_tenths=1040, last_passed_on=D(2026, 6, 15), billed_usage=BILLED
    )
    assert "104.0%" in result.english and "$162.00" in result.english and "$6.23" in result.english


NOW = dt.datetime(2026, 12, 4, 15, tzinfo=dt.UTC)


def test_the_field_facts_of_a_meter_change_are_checked_and_cleaned() -> None:
    from portal.field import rules as field_rules

    facts = field_rules.facts(
        "meter_changed", {"value": "24500", "new_serial": " wt-9 01 ", "new_size": "1", "new_value": "0"}, [], NOW
    )
    assert facts["value"] == 24_500 and facts["new_serial"] == "WT-901" and facts["new_value"] == 0
    for bad in (
        {"value": "1", "new_serial": "", "new_size": "1", "new_value": "0"},
        {"value": "1", "new_serial": "WT-901", "new_size": "9", "new_value": "0"},
        {"value": "1", "new_serial": "WT-901", "new_size": "1", "new_value": "-3"},
        {"value": "1", "new_serial": "WT-901", "new_size": "1"},
    ):
        with pytest.raises(field_rules.InvalidAction):
            field_rules.facts("meter_changed", bad, [], NOW)


def test_only_the_meter_actions_complete_install_and_change_orders() -> None:
    from portal.accounts.models import WorkOrderKind as K
    from portal.accounts.models import WorkOrderStatus as S
    from portal.field import rules as field_rules

    assert field_rules.decide("meter_installed", K.METER_INSTALL, S.ASSIGNED).apply
    assert field_rules.decide("meter_changed", K.METER_CHANGE, S.ASSIGNED).apply
    for action in ("record_read", "complete_order", "meter_installed"):
        assert field_rules.decide(action, K.METER_CHANGE, S.ASSIGNED).code == "wrong_kind"
    assert field_rules.decide("meter_changed", K.METER_CHANGE, S.COMPLETED).code == "already_completed"
    with pytest.raises(field_rules.InvalidAction):
        field_rules.facts("meter_installed", {"value": "0"}, [], NOW)


def test_a_changed_master_meter_is_shared_like_any_other() -> None:
    data = BillInput(
        period_start=D(2026, 11, 2),
        period_end=D(2026, 12, 1),
        services=(ServiceInfo("water", "W-RES"),),
        meter=MeterInfo(),
        prev_read=Read(1_000, D(2026, 11, 1)),
        curr_read=Read(2_000, D(2026, 12, 1)),
        change=MeterChange(MeterInfo(), Read(3_001, D(2026, 11, 15)), Read(1_000, D(2026, 11, 15))),
        share=(0, 3),
    )
    usage = measure(data, POLICY)
    # 2,001 + 1,000 = 3,001 gallons over 3 units: 1,001 / 1,000 / 1,000
    assert usage.master_gallons == 3_001 and usage.gallons == 1_001
