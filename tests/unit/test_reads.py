"""Read validation (docs/design.md, section 4): high, low, negative/rollover, the meter-size ceiling, the history
average."""

import datetime as dt

from portal.accounts.policy import Policy
from portal.accounts.reads import MeterFacts, ReadHistory, average_daily, check_read, expected_range

POLICY = Policy()
METER = MeterFacts(size="5/8", dials=6, multiplier=1)
LAST = dt.datetime(2026, 10, 26, 10, tzinfo=dt.UTC)
NOW = LAST + dt.timedelta(days=30)
# 200 gallons a day: 6,000 expected in 30 days; high above 15,000, low below 1,800.
HISTORY = ReadHistory(previous_value=100_000, previous_at=LAST, average_daily=200.0)


def test_a_read_within_the_expected_range_is_not_flagged() -> None:
    check = check_read(POLICY, METER, HISTORY, 106_000, NOW)
    assert check.usage == 6_000 and check.flags == () and not check.flagged and check.reason == ""


def test_a_read_above_two_and_a_half_times_the_average_is_high() -> None:
    assert check_read(POLICY, METER, HISTORY, 115_000, NOW).flags == ()
    check = check_read(POLICY, METER, HISTORY, 115_001, NOW)
    assert check.flags == ("high",) and "Higher than expected" in check.reason


def test_a_read_below_three_tenths_of_the_average_is_low() -> None:
    assert check_read(POLICY, METER, HISTORY, 101_800, NOW).flags == ()
    assert check_read(POLICY, METER, HISTORY, 101_799, NOW).flags == ("low",)
    assert check_read(POLICY, METER, HISTORY, 100_000, NOW).flags == ("low",)  # a stopped meter


def test_the_meter_size_ceiling_flags_a_read_even_with_a_huge_average() -> None:
    heavy = ReadHistory(previous_value=0, previous_at=LAST, average_daily=20_000.0)
    ceiling = POLICY.read_ceiling_per_day("5/8") * 30
    assert check_read(POLICY, METER, heavy, ceiling, NOW).flags == ()
    assert check_read(POLICY, METER, heavy, ceiling + 1, NOW).flags == ("high",)


def test_without_history_only_the_ceiling_applies() -> None:
    new = ReadHistory(previous_value=500, previous_at=LAST, average_daily=None)
    assert check_read(POLICY, METER, new, 501, NOW).flags == ()
    assert check_read(POLICY, METER, new, 500 + 14_400 * 30 + 1, NOW).flags == ("high",)
    first = ReadHistory(None, None, None)
    assert check_read(POLICY, METER, first, 7, NOW).flags == ()


def test_a_lower_read_is_never_taken_silently_and_a_wrap_of_the_dials_says_rollover() -> None:
    near_top = ReadHistory(previous_value=998_000, previous_at=LAST, average_daily=200.0)
    check = check_read(POLICY, METER, near_top, 4_000, NOW)
    assert check.flags == ("negative", "rollover") and check.usage == 6_000 and "rolled over" in check.reason
    check = check_read(POLICY, METER, HISTORY, 99_000, NOW)
    assert check.flags == ("negative",) and check.usage is None and "Lower than the last read" in check.reason


def test_the_multiplier_turns_register_units_into_gallons() -> None:
    big = MeterFacts(size="2", dials=7, multiplier=10)
    history = ReadHistory(previous_value=1_000, previous_at=LAST, average_daily=5_000.0)
    check = check_read(POLICY, big, history, 1_000 + 15_000, NOW)
    assert check.usage == 150_000 and check.flags == ()


def test_the_expected_range_is_in_register_values() -> None:
    assert expected_range(POLICY, METER, HISTORY, NOW) == (101_800, 115_000)
    assert expected_range(POLICY, METER, ReadHistory(None, None, None), NOW) == (None, None)


def test_the_average_counts_a_rollover_as_one_turn_of_the_dials() -> None:
    reads = [(LAST, 999_000), (LAST + dt.timedelta(days=10), 1_000)]
    assert average_daily(reads, METER) == 200.0
    assert average_daily(reads[:1], METER) is None


def test_the_ceiling_table_is_a_policy_setting() -> None:
    from portal.accounts.policy import policy_from_env

    policy = policy_from_env({"POLICY_READ_CEILING_GALLONS_PER_DAY": "5/8:1000"})
    assert policy.read_ceiling_per_day("5/8") == 1000 and policy.read_ceiling_per_day("1") is None
