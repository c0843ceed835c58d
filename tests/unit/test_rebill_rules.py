"""The rules of corrections and cancel-and-rebill: which bills a read touches, the supervisor threshold, the
replacement's due date, what counts as a change of records, and the history's before and after."""

from __future__ import annotations

import datetime as dt

from portal.accounts import records
from portal.accounts.policy import Policy
from portal.billing import corrections
from portal.billing.rebill import (
    BillRow,
    bills_touched_by_new_read,
    bills_touched_by_read,
    needs_approval,
    replacement_due_date,
)
from portal.staff.history import changes_words

D = dt.date
BILLS = [
    BillRow(1, D(2026, 4, 4), D(2026, 5, 3), 10, 11),
    BillRow(2, D(2026, 5, 4), D(2026, 6, 3), 11, 12),
    BillRow(3, D(2026, 6, 4), D(2026, 7, 3), 12, 13),
]


def test_a_corrected_read_touches_the_bill_it_closes_and_the_one_it_opens() -> None:
    assert bills_touched_by_read(list(reversed(BILLS)), 12) == [2, 3]
    assert bills_touched_by_read(BILLS, 13) == [3]
    assert bills_touched_by_read(BILLS, 99) == []


def test_a_new_read_touches_the_bill_holding_its_day_and_the_next_one_opening_on_that_bill() -> None:
    assert bills_touched_by_new_read(BILLS, D(2026, 5, 20)) == [2, 3]
    assert bills_touched_by_new_read(BILLS, D(2026, 7, 3)) == [3]
    assert bills_touched_by_new_read(BILLS, D(2026, 7, 4)) == []  # not billed yet: the next run uses it
    detached = [BILLS[0], BillRow(2, D(2026, 5, 4), D(2026, 6, 3), 77, 12)]
    assert bills_touched_by_new_read(detached, D(2026, 4, 10)) == [1]


def test_a_supervisor_approves_a_rebill_moving_the_balance_more_than_the_threshold_either_way() -> None:
    policy = Policy(rebill_supervisor_threshold_cents=25_000)
    assert not needs_approval(policy, 25_000) and not needs_approval(policy, -25_000)
    assert needs_approval(policy, 25_001) and needs_approval(policy, -25_001)


def test_a_replacement_asking_no_more_keeps_the_due_date_and_one_asking_more_gets_time_to_pay() -> None:
    policy = Policy(holidays=frozenset())
    due = D(2026, 7, 24)
    assert replacement_due_date(due, 5_000, 4_000, D(2026, 8, 20), policy) == due
    later = replacement_due_date(due, 5_000, 6_000, D(2026, 8, 20), policy)
    assert later == D(2026, 9, 10)  # 21 days from the rebill, a Thursday
    assert replacement_due_date(due, 5_000, 6_000, D(2026, 6, 1), policy) == due  # never earlier than the original


def test_a_read_must_fit_the_dials_and_not_be_in_the_future() -> None:
    today = D(2026, 7, 10)
    assert corrections.read_refusal(999_999, 6, today, today) is None
    assert corrections.read_refusal(1_000_000, 6, today, today)
    assert corrections.read_refusal(-1, 6, today, today)
    assert corrections.read_refusal(None, 6, today, today)
    assert corrections.read_refusal(5, 6, today + dt.timedelta(days=1), today)


def test_only_changed_fields_are_kept_and_blank_text_is_none() -> None:
    before, after = records.changes(
        {"phone": "254-555-0101", "email": "a@example.com", "unit": None},
        {"phone": "254-555-0199", "email": "a@example.com", "unit": "  "},
    )
    assert before == {"phone": "254-555-0101"} and after == {"phone": "254-555-0199"}


def test_staff_add_only_carts_stormwater_and_fire_lines_within_bounds() -> None:
    opened = D(2020, 1, 15)
    assert records.service_refusal("fire_line", 1, D(2026, 1, 1), opened) is None
    assert records.service_refusal("water", 1, D(2026, 1, 1), opened)
    assert records.service_refusal("solid_waste", 21, D(2026, 1, 1), opened)
    assert records.service_refusal("solid_waste", 2, D(2019, 1, 1), opened)


def test_the_history_says_what_changed_before_and_after() -> None:
    words = changes_words({"phone": "1", "language": "en", "unit": None}, {"phone": "2", "language": "es", "unit": "B"})
    assert words == "Phone: 1 → 2; Language: English → Spanish; Unit: — → B"
