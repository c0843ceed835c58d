"""The reconnection fee: $50 in business hours, $100 after hours (weekends and holidays are after hours)."""

import datetime as dt

from portal.accounts import reconnect
from portal.accounts.policy import Policy, us_holidays

POLICY = Policy(holidays=us_holidays(range(2026, 2027)))


def test_a_weekday_in_office_hours_is_the_business_hours_fee() -> None:
    assert reconnect.fee_cents(POLICY, dt.datetime(2026, 11, 24, 8, 0)) == 5_000
    assert reconnect.fee_cents(POLICY, dt.datetime(2026, 11, 24, 16, 59)) == 5_000


def test_evenings_weekends_and_holidays_are_after_hours() -> None:
    assert reconnect.fee_cents(POLICY, dt.datetime(2026, 11, 24, 17, 0)) == 10_000
    assert reconnect.fee_cents(POLICY, dt.datetime(2026, 11, 24, 7, 59)) == 10_000
    assert reconnect.fee_cents(POLICY, dt.datetime(2026, 11, 28, 10, 0)) == 10_000  # Saturday
    assert reconnect.fee_cents(POLICY, dt.datetime(2026, 11, 26, 10, 0)) == 10_000  # Thanksgiving


def test_the_fees_and_hours_are_settings() -> None:
    policy = Policy(reconnect_fee_cents=4_000, business_hours_end=dt.time(18, 0))
    assert reconnect.fee_cents(policy, dt.datetime(2026, 11, 24, 17, 30)) == 4_000
