"""Payment arrangements: half down, the rest in up to 4 monthly instalments, one in 12 months."""

import datetime as dt

import pytest

from portal.accounts.policy import Policy
from portal.staff import rules
from portal.staff.rules import ArrangementRefused

POLICY = Policy()
TODAY = dt.date(2026, 11, 26)


def test_half_down_and_the_rest_in_equal_instalments_to_the_cent() -> None:
    plan = rules.arrangement_plan(POLICY, today=TODAY, past_due_cents=60_001, instalments=4)
    assert plan.down_payment_cents == 30_001
    assert [cents for _day, cents in plan.instalments] == [7_500, 7_500, 7_500, 7_500]
    assert plan.down_payment_cents + sum(c for _d, c in plan.instalments) == 60_001
    assert [day for day, _c in plan.instalments] == [
        dt.date(2026, 12, 26),
        dt.date(2027, 1, 26),
        dt.date(2027, 2, 26),
        dt.date(2027, 3, 26),
    ]
    odd = rules.arrangement_plan(POLICY, today=TODAY, past_due_cents=10_003, instalments=3)
    assert [c for _d, c in odd.instalments] == [1_667, 1_667, 1_667] and odd.down_payment_cents == 5_002


def test_at_most_four_instalments_and_one_arrangement_a_year() -> None:
    with pytest.raises(ArrangementRefused, match="1 to 4"):
        rules.arrangement_plan(POLICY, today=TODAY, past_due_cents=10_000, instalments=5)
    with pytest.raises(ArrangementRefused, match="last 12 months"):
        rules.arrangement_plan(
            POLICY, today=TODAY, past_due_cents=10_000, instalments=2, earlier_arrangements=[dt.date(2026, 3, 1)]
        )
    assert rules.arrangement_plan(
        POLICY, today=TODAY, past_due_cents=10_000, instalments=2, earlier_arrangements=[dt.date(2025, 11, 1)]
    )


def test_nothing_past_due_or_collections_gets_no_arrangement() -> None:
    with pytest.raises(ArrangementRefused, match="Nothing is past due"):
        rules.arrangement_plan(POLICY, today=TODAY, past_due_cents=0, instalments=2)
    with pytest.raises(ArrangementRefused, match="collections"):
        rules.arrangement_plan(POLICY, today=TODAY, past_due_cents=5_000, instalments=2, account_in_collections=True)


# ---- kept, completed or broken ------------------------------------------------------------------------------------

START = dt.date(2026, 11, 26)


def facts(*, credits=(), current=(), returned_on=None) -> rules.ArrangementFacts:
    """$400 past due: $200 down by Nov 28, then $100 on Dec 26 and Jan 26."""
    return rules.ArrangementFacts(
        starts_on=START,
        down_payment_cents=20_000,
        down_payment_due_on=dt.date(2026, 11, 28),
        instalments=((dt.date(2026, 12, 26), 10_000), (dt.date(2027, 1, 26), 10_000)),
        current_charges=tuple(current),
        credits=tuple(credits),
        returned_on=returned_on,
    )


def test_an_arrangement_runs_until_a_due_date_passes() -> None:
    assert rules.arrangement_outcome(facts(), dt.date(2026, 11, 28)).status is None


def test_a_missed_down_payment_breaks_it_the_day_after() -> None:
    outcome = rules.arrangement_outcome(facts(credits=[(dt.date(2026, 11, 27), 19_999)]), dt.date(2026, 11, 29))
    assert outcome.status == "broken" and outcome.missed_on == dt.date(2026, 11, 28)
    assert "down payment of $200.00" in outcome.note


def test_a_missed_instalment_breaks_it_with_the_amount_and_date() -> None:
    paid = [(dt.date(2026, 11, 26), 20_000), (dt.date(2026, 12, 27), 10_000)]  # a day late
    outcome = rules.arrangement_outcome(facts(credits=paid), dt.date(2026, 12, 28))
    assert outcome.status == "broken" and outcome.missed_on == dt.date(2026, 12, 26)
    assert "instalment of $100.00 due Dec 26, 2026" in outcome.note


def test_the_current_bills_are_paid_alongside_the_instalments() -> None:
    current = [(dt.date(2026, 12, 15), 8_800)]
    on_plan_only = [(dt.date(2026, 11, 26), 20_000), (dt.date(2026, 12, 20), 10_000)]
    outcome = rules.arrangement_outcome(facts(credits=on_plan_only, current=current), dt.date(2026, 12, 16))
    assert outcome.status == "broken" and "bill due Dec 15, 2026" in outcome.note
    with_bill = [(dt.date(2026, 11, 26), 28_800), (dt.date(2026, 12, 20), 10_000)]
    assert rules.arrangement_outcome(facts(credits=with_bill, current=current), dt.date(2026, 12, 27)).status is None


def test_a_returned_payment_breaks_it_whatever_was_paid() -> None:
    outcome = rules.arrangement_outcome(
        facts(credits=[(START, 40_000)], returned_on=dt.date(2026, 12, 2)), dt.date(2026, 12, 3)
    )
    assert outcome.status == "broken" and "returned on Dec 2, 2026" in outcome.note


def test_every_payment_made_completes_it() -> None:
    paid = [(START, 20_000), (dt.date(2026, 12, 20), 10_000), (dt.date(2027, 1, 26), 10_000)]
    assert rules.arrangement_outcome(facts(credits=paid), dt.date(2027, 1, 26)).status == "completed"
    assert rules.arrangement_outcome(facts(credits=paid[:2]), dt.date(2027, 1, 26)).status is None


def test_paying_it_all_at_once_completes_it_early() -> None:
    outcome = rules.arrangement_outcome(facts(credits=[(dt.date(2026, 11, 27), 40_000)]), dt.date(2026, 11, 27))
    assert outcome.status == "completed" and "$400.00" in outcome.note
