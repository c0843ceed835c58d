"""When a restore order is due after a payment: same business day before the cut-off hour, else the next one."""

import datetime as dt
from zoneinfo import ZoneInfo

from portal.accounts.payments import restore_due_on
from portal.accounts.policy import Policy, us_holidays

POLICY = Policy(holidays=us_holidays(range(2026, 2027)))
CHICAGO = ZoneInfo("America/Chicago")


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), CHICAGO)


def test_restore_is_due_the_same_day_when_paid_before_three() -> None:
    assert restore_due_on(POLICY, at(dt.date(2026, 11, 24), 14, 59)) == dt.date(2026, 11, 24)


def test_restore_is_due_the_next_business_day_when_paid_at_or_after_three() -> None:
    assert restore_due_on(POLICY, at(dt.date(2026, 11, 24), 15, 0)) == dt.date(2026, 11, 25)


def test_a_friday_afternoon_payment_is_restored_on_monday() -> None:
    assert restore_due_on(POLICY, at(dt.date(2026, 11, 20), 16, 30)) == dt.date(2026, 11, 23)


def test_a_holiday_morning_payment_waits_for_the_next_business_day() -> None:
    # Thanksgiving and the Friday after are holidays: Thursday 9:00 -> Monday.
    assert restore_due_on(POLICY, at(dt.date(2026, 11, 26), 9, 0)) == dt.date(2026, 11, 30)


def test_the_cut_off_hour_is_a_policy_number() -> None:
    late = Policy(holidays=(), reconnect_same_day_cutoff=dt.time(17, 0))
    assert restore_due_on(late, at(dt.date(2026, 11, 24), 16, 0)) == dt.date(2026, 11, 24)
