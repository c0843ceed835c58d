"""Usage between reads and the possible-leak signal."""

from __future__ import annotations

import datetime as dt

from portal.accounts.policy import Policy
from portal.customer import rules

UTC = dt.UTC
POLICY = Policy()


def monthly(
    values: list[int], start: dt.datetime = dt.datetime(2025, 11, 1, tzinfo=UTC)
) -> list[tuple[dt.datetime, int]]:
    return [(start + dt.timedelta(days=30 * i), v) for i, v in enumerate(values)]


def test_usage_between_reads_handles_rollover_and_multiplier() -> None:
    spans = rules.intervals(
        [(dt.datetime(2026, 1, 1, tzinfo=UTC), 999_000), (dt.datetime(2026, 2, 1, tzinfo=UTC), 2_000)]
    )
    assert spans[0].gallons == 3_000
    spans = rules.intervals(monthly([100, 700]), multiplier=10)
    assert spans[0].gallons == 6_000 and round(spans[0].per_day) == 200


def test_a_period_far_above_the_usual_is_a_possible_leak() -> None:
    reads = monthly([0, 6_000, 12_000, 18_000, 24_000, 54_000])  # 6,000/period, then 30,000
    spans = rules.intervals(reads)
    now = reads[-1][0] + dt.timedelta(days=3)
    signal = rules.leak_signal(POLICY, spans, now)
    assert signal is not None and signal.kind == "high" and round(signal.usual_per_day) == 200


def test_normal_use_and_too_little_history_raise_nothing() -> None:
    steady = monthly([0, 6_000, 12_000, 18_000, 24_000, 30_500])
    assert rules.leak_signal(POLICY, rules.intervals(steady), steady[-1][0]) is None
    short = monthly([0, 6_000, 40_000])
    assert rules.leak_signal(POLICY, rules.intervals(short), short[-1][0]) is None


def test_an_old_spike_is_not_an_alert() -> None:
    reads = monthly([0, 6_000, 12_000, 18_000, 24_000, 54_000])
    assert rules.leak_signal(POLICY, rules.intervals(reads), reads[-1][0] + dt.timedelta(days=60)) is None


def test_hourly_reads_that_never_stop_are_continuous_use() -> None:
    start = dt.datetime(2026, 11, 20, tzinfo=UTC)
    reads = [(start + dt.timedelta(hours=h), 5 * h) for h in range(0, 24 * 3 + 1)]
    signal = rules.leak_signal(POLICY, rules.intervals(reads), reads[-1][0])
    assert signal is not None and signal.kind == "continuous" and round(signal.gallons_per_day) == 120


def test_hourly_reads_with_a_quiet_hour_are_not_continuous() -> None:
    start = dt.datetime(2026, 11, 20, tzinfo=UTC)
    values = [5 * h for h in range(0, 24 * 3 + 1)]
    values[-10:] = [v - 5 for v in values[-10:]]  # one hour with no use, nine hours ago
    reads = [(start + dt.timedelta(hours=h), v) for h, v in enumerate(values)]
    assert rules.leak_signal(POLICY, rules.intervals(reads), reads[-1][0]) is None


def test_a_bill_is_news_until_it_falls_due() -> None:
    today = dt.date(2026, 11, 20)
    assert rules.bill_is_new(dt.date(2026, 11, 3), today)
    assert not rules.bill_is_new(dt.date(2026, 10, 3), today)
    assert not rules.bill_is_new(None, today)
