"""The policy object: defaults from docs/policies.md, overrides from the environment, the business-day
calendar."""

import datetime as dt

from portal.accounts.policy import Policy, policy_from_env, us_holidays


def test_defaults_match_the_design() -> None:
    policy = Policy()
    assert policy.late_fee_percent == 10 and policy.late_fee_minimum_cents == 500
    assert policy.days_until_due == 21 and policy.returned_payment_fee_cents == 3000


def test_a_city_overrides_a_number_with_an_environment_variable() -> None:
    policy = policy_from_env({"POLICY_LATE_FEE_PERCENT": "5", "POLICY_PAYMENT_ACCEPTED_UNTIL": "08:00"})
    assert policy.late_fee_percent == 5
    assert policy.payment_accepted_until == dt.time(8, 0)
    assert dt.date(2026, 12, 25) in policy.holidays


def test_weekends_and_holidays_move_to_the_next_business_day() -> None:
    policy = Policy(holidays=us_holidays(range(2026, 2027)))
    assert policy.next_business_day(dt.date(2026, 11, 28)) == dt.date(2026, 11, 30)  # Saturday -> Monday
    assert policy.next_business_day(dt.date(2026, 11, 26)) == dt.date(2026, 11, 30)  # Thanksgiving + Friday after
    assert policy.next_business_day(dt.date(2026, 7, 3)) == dt.date(2026, 7, 6)  # July 4th observed on Friday 3rd
    assert policy.next_business_day(dt.date(2026, 11, 24)) == dt.date(2026, 11, 24)
