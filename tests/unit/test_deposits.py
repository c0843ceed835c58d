"""The deposit rule: every branch and every reason a letter of credit does not waive it."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.accounts import deposits
from portal.accounts.deposits import LetterOfCredit, compute_deposit
from portal.accounts.models import AccountClass
from portal.accounts.policy import Policy

TODAY = dt.date(2026, 11, 20)
POLICY = Policy()


def decide(bills, *, cls=AccountClass.RESIDENTIAL, size="5/8", letter=None, policy=POLICY):
    return compute_deposit(
        policy, account_class=cls, monthly_bills_cents=bills, meter_size=size, letter=letter, today=TODAY
    )


def good_letter(**changes) -> LetterOfCredit:
    values = dict(
        utility="Temple Water",
        service_from=dt.date(2024, 1, 1),
        service_to=dt.date(2026, 10, 31),
        late_payments=1,
        disconnects=0,
        returned_payments=0,
    )
    values.update(changes)
    return LetterOfCredit(**values)


def test_residential_is_twice_the_average_rounded_to_five_dollars() -> None:
    # average of 12 bills = $61.20 -> 2x = $122.40 -> $120
    decision = decide([6120] * 12)
    assert decision.required_cents == 12_000
    assert decision.rule == deposits.RULE_AVERAGE
    assert "$61.20" in decision.reason and "$5.00" in decision.reason


def test_rounding_goes_to_the_nearest_five_dollars_halves_up() -> None:
    assert decide([6125]).required_cents == 12_500  # 2 x 61.25 = 122.50 -> 125
    assert decide([6124]).required_cents == 12_000  # 122.48 -> 120
    assert deposits.round_to(4750, 500) == 5000


def test_a_premise_without_bills_pays_the_small_meter_flat_amount() -> None:
    for size in ("5/8", "3/4", None, "odd"):
        decision = decide([], size=size)
        assert decision.required_cents == 15_000
        assert decision.rule == deposits.RULE_NEW_PREMISE_SMALL
        assert "3/4" in decision.reason


def test_a_premise_without_bills_and_a_larger_meter_pays_more() -> None:
    for size in ("1", "1.5", "2", "1 1/2"):
        decision = decide([], size=size)
        assert decision.required_cents == 20_000, size
        assert decision.rule == deposits.RULE_NEW_PREMISE_LARGE


def test_commercial_is_twice_the_average_with_a_minimum() -> None:
    assert decide([40_000] * 12, cls=AccountClass.COMMERCIAL).required_cents == 80_000
    low = decide([5_000] * 12, cls=AccountClass.COMMERCIAL)
    assert low.required_cents == 17_500
    assert low.rule == deposits.RULE_COMMERCIAL_MINIMUM
    assert "$175.00" in low.reason
    assert decide([], cls=AccountClass.COMMERCIAL).required_cents == 17_500


def test_policy_numbers_drive_the_rule() -> None:
    policy = Policy(deposit_average_multiple=3, deposit_rounding_cents=1000)
    assert decide([6120], policy=policy).required_cents == 18_000  # 183.60 -> 180


def test_a_good_letter_of_credit_waives_the_deposit_and_says_what_it_would_have_been() -> None:
    decision = decide([6120] * 12, letter=good_letter())
    assert decision.waived and decision.required_cents == 0 and decision.computed_cents == 12_000
    assert decision.rule == deposits.RULE_LETTER_OF_CREDIT
    assert "Temple Water" in decision.reason and "$120.00" in decision.reason


@pytest.mark.parametrize(("streak", "waived"), [(12, True), (30, True), (11, False), (0, False), (None, False)])
def test_a_move_with_the_record_that_would_earn_a_deposit_back_pays_none(streak, waived) -> None:
    """The count is the good-record refund's (policy.deposit_refund_after_on_time_payments): the same record both
    returns a held deposit and spares a new one. No record (a start, not a move) changes nothing."""
    decision = compute_deposit(
        POLICY,
        account_class=AccountClass.RESIDENTIAL,
        monthly_bills_cents=[6120] * 12,
        meter_size="5/8",
        today=TODAY,
        on_time_bills=streak,
    )
    assert decision.computed_cents == 12_000 and decision.waived is waived
    assert decision.required_cents == (0 if waived else 12_000)
    assert (decision.rule == deposits.RULE_GOOD_RECORD) is waived
    if waived:
        assert (
            f"last {streak} bills on the account being left were paid on time" in decision.reason
            and "$120.00" in decision.reason
        )


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"service_from": dt.date(2026, 1, 1)}, "months of service"),  # 10 months only
        ({"service_to": dt.date(2025, 9, 1)}, "months of service"),  # ended too long ago: 4 months in the window
        ({"late_payments": 3}, "late payments"),
        ({"disconnects": 1}, "disconnection"),
        ({"returned_payments": 1}, "returned payment"),
    ],
)
def test_a_letter_that_falls_short_keeps_the_deposit_with_the_reason(changes, words) -> None:
    decision = decide([6120] * 12, letter=good_letter(**changes))
    assert not decision.waived and decision.required_cents == 12_000
    assert words in decision.reason
    assert decision.letter is not None and not decision.letter.accepted


def test_twelve_months_within_eighteen_counts_only_the_window() -> None:
    letter = good_letter(service_from=dt.date(2020, 1, 1), service_to=dt.date(2025, 11, 20))
    check = deposits.check_letter(POLICY, letter, TODAY)
    assert check.months_in_window == 6  # window starts 2025-05-20
    assert not check.accepted
    assert (
        deposits.check_letter(
            POLICY, good_letter(service_from=dt.date(2025, 11, 20), service_to=None), TODAY
        ).months_in_window
        == 12
    )


def test_month_arithmetic() -> None:
    assert deposits.months_between(dt.date(2026, 1, 15), dt.date(2026, 3, 14)) == 1
    assert deposits.months_between(dt.date(2026, 1, 15), dt.date(2026, 3, 15)) == 2
    assert deposits.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert deposits.add_months(dt.date(2026, 3, 31), -13) == dt.date(2025, 2, 28)


# ---- paid, and returned after a good record ---------------------------------------------------------------------

D = dt.date


def test_the_deposit_is_paid_only_once_the_older_charges_are() -> None:
    charges = [(D(2026, 9, 1), 1, 4_000), (D(2026, 10, 1), 2, 15_000), (D(2026, 11, 1), 3, 6_000)]
    assert deposits.deposit_covered_cents(charges, 3_000, 2) == 0
    assert deposits.deposit_covered_cents(charges, 10_000, 2) == 6_000
    assert deposits.deposit_covered_cents(charges, 19_000, 2) == 15_000
    assert deposits.deposit_covered_cents(charges, 99_000, 2) == 15_000


def test_charges_due_the_same_day_are_paid_in_the_order_they_were_posted() -> None:
    same_day = [(D(2026, 10, 1), 8, 15_000), (D(2026, 10, 1), 7, 5_000)]
    assert deposits.deposit_covered_cents(same_day, 5_000, 8) == 0
    assert deposits.deposit_covered_cents(same_day, 12_000, 8) == 7_000


def test_a_deposit_charge_that_is_not_there_counts_as_unpaid() -> None:
    assert deposits.deposit_covered_cents([(D(2026, 10, 1), 1, 500)], 10_000, 99) == 0


def monthly(count: int, late: set[int] = frozenset()) -> tuple[list, list, list]:
    """`count` monthly bills of $40 due on the 20th, each paid on the 15th or, for the indexes in `late`, on the 25th."""
    dues, charges, credits = [], [], []
    for n in range(count):
        due = deposits.add_months(D(2025, 1, 20), n)
        dues.append(due)
        charges.append((due, 4_000))
        credits.append((due.replace(day=25 if n in late else 15), 4_000))
    return dues, charges, credits


def test_twelve_bills_paid_by_their_due_dates_make_a_streak_of_twelve() -> None:
    assert deposits.on_time_streak(*monthly(12)) == 12
    assert deposits.good_record_refund_due(POLICY, streak=12)
    assert not deposits.good_record_refund_due(POLICY, streak=11)


def test_a_late_payment_restarts_the_count_after_it() -> None:
    assert deposits.on_time_streak(*monthly(14, late={3})) == 10
    assert deposits.on_time_streak(*monthly(12, late={11})) == 0


def test_a_partial_payment_is_not_on_time_even_if_made_early() -> None:
    dues, charges, credits = monthly(12)
    credits[-1] = (credits[-1][0], 3_999)
    assert deposits.on_time_streak(dues, charges, credits) == 0


def test_paying_ahead_keeps_later_bills_on_time() -> None:
    dues, charges, _credits = monthly(12)
    assert deposits.on_time_streak(dues, charges, [(D(2025, 1, 2), 48_000)]) == 12


def test_final_settlement_applies_a_paid_deposit_with_its_interest() -> None:
    assert deposits.final_settlement(15_000, 15_000, 120, billed=True) == (15_120, 0)


def test_final_settlement_drops_the_unpaid_part_of_a_billed_deposit() -> None:
    assert deposits.final_settlement(20_000, 5_000, 0, billed=True) == (5_000, 15_000)
    assert deposits.final_settlement(20_000, 0, 0, billed=True) == (0, 20_000)


def test_final_settlement_leaves_a_deposit_never_billed_alone() -> None:
    assert deposits.final_settlement(20_000, 0, 0, billed=False) == (0, 0)
