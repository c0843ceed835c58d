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
    assert [day for day, _c in plan.instalments] == [dt.date(2026, 12, 26), dt.date(2027, 1, 26), dt.date(2027, 2, 26), dt.date(2027, 3, 26)]
    odd = rules.arrangement_plan(POLICY, today=TODAY, past_due_cents=10_003, instalments=3)
    assert [c for _d, c in odd.instalments] == [1_667, 1_667, 1_667] and odd.down_payment_cents == 5_002


def test_at_most_four_instalments_and_one_arrangement_a_year() -> None:
    with pytest.raises(ArrangementRefused, match="1 to 4"):
        rules.arrangement_plan(POLICY, today=TODAY, past_due_cents=10_000, instalments=5)
    with pytest.raises(ArrangementRefused, match="last 12 months"):
        rules.arrangement_plan(POLICY, today=TODAY, past_due_cents=10_000, instalments=2, earlier_arrangements=[dt.date(2026, 3, 1)])
    assert rules.arrangement_plan(POLICY, today=TODAY, past_due_cents=10_000, instalments=2, earlier_arrangements=[dt.date(2025, 11, 1)])


def test_nothing_past_due_or_collections_gets_no_arrangement() -> None:
    with pytest.raises(ArrangementRefused, match="Nothing is past due"):
        rules.arrangement_plan(POLICY, today=TODAY, past_due_cents=0, instalments=2)
    with pytest.raises(ArrangementRefused, match="collections"):
        rules.arrangement_plan(POLICY, today=TODAY, past_due_cents=5_000, instalments=2, account_in_collections=True)
