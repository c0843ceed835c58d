"""Payment rules: amounts as typed, online limits, draft dates, when returns suspend autopay, confirmation numbers."""

import datetime as dt

import pytest

from portal.accounts.policy import Policy, us_holidays
from portal.payments import rules

POLICY = Policy(holidays=us_holidays(range(2026, 2027)))


@pytest.mark.parametrize(
    ("typed", "cents"), [("84.50", 8450), ("$1,234.5", 123450), ("80", 8000), (" 0.07 ", 7), (".5", 50)]
)
def test_amounts_are_read_as_people_type_them(typed: str, cents: int) -> None:
    assert rules.parse_amount(typed) == cents


@pytest.mark.parametrize("typed", ["", "abc", "1.234", "1.2.3", "-5", "12,34.5x"])
def test_things_that_are_not_amounts_are_refused(typed: str) -> None:
    assert rules.parse_amount(typed) is None


def test_online_payments_have_a_minimum_and_a_maximum() -> None:
    assert rules.amount_problem(99, POLICY) == "minimum"
    assert rules.amount_problem(100, POLICY) is None
    assert rules.amount_problem(POLICY.online_payment_maximum_cents + 1, POLICY) == "maximum"


def test_a_bill_is_drafted_on_its_due_date_by_default() -> None:
    assert rules.draft_date(dt.date(2026, 12, 8), POLICY) == dt.date(2026, 12, 8)


def test_drafting_days_before_due_moves_back_to_a_business_day() -> None:
    early = Policy(holidays=POLICY.holidays, draft_days_before_due=3)
    assert rules.draft_date(dt.date(2026, 11, 30), early) == dt.date(2026, 11, 25)  # Fri 27 is a holiday, 28 Sat


def test_the_second_return_in_the_window_suspends_autopay() -> None:
    assert not rules.suspends_autopay(1, POLICY)
    assert rules.suspends_autopay(2, POLICY)


def test_confirmation_numbers_avoid_look_alike_characters() -> None:
    numbers = {rules.new_confirmation() for _ in range(200)}
    assert len(numbers) == 200
    assert all(len(n) == 8 and not set(n) & set("01OI") for n in numbers)


def test_guest_look_up_warns_only_before_the_last_try_of_the_nearest_limit() -> None:
    from portal.payments.rules import guest_lookup_limit

    policy = Policy()  # 6 per client and account an hour, 20 per account a day, 30 per client address an hour
    fresh = guest_lookup_limit(policy, client_account_failures=0, account_failures=0, client_failures=0)
    assert not fresh.locked and not fresh.warn and fresh.tries_left == 6
    five = guest_lookup_limit(policy, client_account_failures=5, account_failures=5, client_failures=5)
    assert five.warn and five.pause == "hour"
    six = guest_lookup_limit(policy, client_account_failures=6, account_failures=6, client_failures=6)
    assert six.locked and not six.warn
    # the account was tried from many addresses: the day's cap is nearest, and its pause is a day
    busy = guest_lookup_limit(policy, client_account_failures=0, account_failures=19, client_failures=0)
    assert busy.warn and busy.pause == "day"
    # one address trying many accounts: paused although this account was never tried from it
    prober = guest_lookup_limit(policy, client_account_failures=0, account_failures=0, client_failures=30)
    assert prober.locked and prober.pause == "hour"


def test_on_a_tie_the_longer_pause_is_the_one_to_warn_about() -> None:
    from portal.payments.rules import guest_lookup_limit

    policy = Policy(guest_lookup_failures_per_client_per_hour=6, guest_lookup_failures_per_account_per_day=6)
    assert guest_lookup_limit(policy, client_account_failures=5, account_failures=5, client_failures=5).pause == "day"


def test_pay_this_bill_offers_the_bill_but_never_more_than_is_owed_now() -> None:
    assert rules.bill_amount_to_pay(8_450, 10_000) == 8_450
    assert rules.bill_amount_to_pay(8_450, 2_000) == 2_000  # part paid since the bill
    assert rules.bill_amount_to_pay(8_450, 0) == 0


def test_an_id_in_a_query_string_is_a_number_the_column_can_hold_or_nothing() -> None:
    assert rules.parse_id("42") == 42
    assert [rules.parse_id(t) for t in (None, "", "x", "-1", "1e3", "9" * 19)] == [None] * 6
