"""Past due and its age: credits pay the oldest charges first."""

import datetime as dt

from portal.accounts.arrears import allocate, held_applied

D = dt.date


def test_nothing_is_past_due_before_the_due_date() -> None:
    result = allocate([(D(2026, 11, 21), 8000)], 0, D(2026, 11, 21))
    assert result.past_due_cents == 0 and result.balance_cents == 8000 and result.oldest_past_due_on is None


def test_the_day_after_the_due_date_the_unpaid_part_is_past_due() -> None:
    result = allocate([(D(2026, 11, 21), 8000)], 3000, D(2026, 11, 22))
    assert result.past_due_cents == 5000 and result.oldest_past_due_on == D(2026, 11, 21)
    assert result.days_past_due(D(2026, 12, 21)) == 30


def test_payments_pay_the_oldest_bill_first() -> None:
    charges = [(D(2026, 11, 21), 6000), (D(2026, 10, 21), 5000), (D(2026, 12, 21), 7000)]
    result = allocate(charges, 8000, D(2026, 12, 1))
    # October (5,000) is paid, November has 3,000 left and is past due; December is not due yet.
    assert result.unpaid == ((D(2026, 11, 21), 3000), (D(2026, 12, 21), 7000))
    assert result.past_due_cents == 3000 and result.oldest_past_due_on == D(2026, 11, 21)
    assert result.balance_cents == 10000


def test_a_credit_balance_is_never_past_due() -> None:
    result = allocate([(D(2026, 10, 21), 5000)], 9000, D(2026, 12, 1))
    assert result.past_due_cents == 0 and result.balance_cents == -4000 and result.unpaid == ()


def test_aged_receivables_put_each_unpaid_charge_in_its_bucket() -> None:
    on = D(2026, 12, 31)
    charges = [
        (D(2027, 1, 10), 100),
        (D(2026, 12, 20), 200),
        (D(2026, 11, 20), 300),
        (D(2026, 10, 15), 400),
        (D(2026, 8, 1), 500),
    ]
    assert allocate(charges, 0, on).aged(on) == {"current": 100, "1-30": 200, "31-60": 300, "61-90": 400, "90+": 500}


def test_the_held_amount_follows_what_is_still_owed_from_before_the_petition() -> None:
    assert held_applied(30_000, 0, 0) == 30_000  # nothing since the filing
    assert held_applied(30_000, -5_000, 0) == 25_000  # a rebill lowered a pre-petition bill by $50
    assert held_applied(30_000, 0, -10_000) == 20_000  # $100 paid since the petition (a trustee's)
    assert held_applied(30_000, 0, -40_000) == 0  # paid in full (and more): never below zero
    assert held_applied(30_000, 2_000, 0) == 30_000  # never more than was held at the petition
    assert held_applied(30_000, -20_000, 20_000) == 10_000  # a credit is never added back
