"""The rules of cases (portal/accounts/case_rules.py) and the pre-petition hold in arrears' allocation."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from portal.accounts import case_rules
from portal.accounts.arrears import allocate
from portal.accounts.errors import DomainError
from portal.accounts.policy import Policy

TODAY = dt.date(2026, 12, 4)


@pytest.mark.parametrize(
    ("past_due", "disputed", "left"), [(30_000, 10_000, 20_000), (30_000, 30_000, 0), (30_000, 50_000, 0), (5, 0, 5)]
)
def test_cut_off_counts_the_past_due_less_the_disputed_amount(past_due: int, disputed: int, left: int) -> None:
    assert case_rules.cut_off_past_due(past_due, disputed) == left


def test_a_petition_holds_the_balance_at_filing_and_a_credit_holds_nothing() -> None:
    assert case_rules.held_at_petition(41_250) == 41_250
    assert case_rules.held_at_petition(-2_000) == 0


def test_the_held_balance_covers_the_oldest_charges_and_what_came_after_the_petition_counts() -> None:
    charges = [(dt.date(2026, 8, 1), 20_000), (dt.date(2026, 9, 1), 10_000), (dt.date(2026, 11, 1), 8_000)]
    # filed in October owing $300: the August and September bills are held; November's $80 is past due as usual
    owed = allocate(charges, 0, TODAY, held_cents=30_000)
    assert (owed.balance_cents, owed.past_due_cents, owed.oldest_past_due_on) == (38_000, 8_000, dt.date(2026, 11, 1))
    assert owed.held_cents == 30_000
    # a payment after the petition pays the charges after it, not the held balance
    paid = allocate(charges, 8_000, TODAY, held_cents=30_000)
    assert (paid.balance_cents, paid.past_due_cents) == (30_000, 0)
    # no hold: everything is past due
    assert allocate(charges, 0, TODAY).past_due_cents == 38_000


def test_a_case_is_overdue_only_while_open_and_past_its_due_date() -> None:
    assert case_rules.is_overdue("open", TODAY - dt.timedelta(days=1), TODAY)
    assert not case_rules.is_overdue("open", TODAY, TODAY)
    assert not case_rules.is_overdue("resolved", TODAY - dt.timedelta(days=9), TODAY)
    assert not case_rules.is_overdue("open", None, TODAY)


def test_default_due_dates() -> None:
    policy = Policy()
    assert case_rules.default_due_on(policy, "dispute", TODAY) == TODAY + dt.timedelta(days=30)
    assert case_rules.default_due_on(policy, "complaint", TODAY) == TODAY + dt.timedelta(days=10)
    assert case_rules.default_due_on(policy, "bankruptcy", TODAY) is None
    # a city that answers disputes within 45 days and complaints within 5 says so in its policy
    quicker = dataclasses.replace(policy, dispute_due_days=45, complaint_due_days=5)
    assert case_rules.default_due_on(quicker, "dispute", TODAY) == TODAY + dt.timedelta(days=45)
    assert case_rules.default_due_on(quicker, "complaint", TODAY) == TODAY + dt.timedelta(days=5)


@pytest.mark.parametrize(
    ("disputed", "balance", "field_ok"),
    [(None, 10_000, False), (0, 10_000, False), (10_001, 10_000, False), (500, 0, False), (10_000, 10_000, True)],
)
def test_a_disputed_amount_is_more_than_nothing_and_no_more_than_the_balance(
    disputed: int | None, balance: int, field_ok: bool
) -> None:
    if field_ok:
        assert case_rules.check_disputed(disputed, balance) == disputed
    else:
        with pytest.raises(DomainError) as refused:
            case_rules.check_disputed(disputed, balance)
        assert refused.value.field == "disputed"


def test_a_petition_needs_its_chapter_number_and_a_filing_date_not_in_the_future() -> None:
    assert case_rules.check_petition(13, " 26-1234 ", TODAY, TODAY) == "26-1234"
    for chapter, number, filed, field in [
        (12, "26-1", TODAY, "chapter"),
        (None, "26-1", TODAY, "chapter"),
        (7, " ", TODAY, "case_number"),
        (7, "x" * 41, TODAY, "case_number"),
        (7, "26-1", None, "filed_on"),
        (7, "26-1", TODAY + dt.timedelta(days=1), "filed_on"),
        (7, "26-1", dt.date(2000, 1, 1), "filed_on"),
    ]:
        with pytest.raises(DomainError) as refused:
            case_rules.check_petition(chapter, number, filed, TODAY)
        assert refused.value.field == field


def test_due_dates_reasons_and_discharge_dates_are_bounded() -> None:
    case_rules.check_due_on(TODAY + dt.timedelta(days=365), TODAY)
    for bad in (TODAY - dt.timedelta(days=1), TODAY + dt.timedelta(days=366)):
        with pytest.raises(DomainError):
            case_rules.check_due_on(bad, TODAY)
    with pytest.raises(DomainError):
        case_rules.check_reason("   ")
    with pytest.raises(DomainError):
        case_rules.check_reason("x" * 501)
    case_rules.check_discharge(TODAY - dt.timedelta(days=90), TODAY, TODAY)
    for filed, discharged in [
        (TODAY, None),
        (TODAY, TODAY + dt.timedelta(days=1)),
        (TODAY, TODAY - dt.timedelta(days=1)),
    ]:
        with pytest.raises(DomainError) as refused:
            case_rules.check_discharge(filed, discharged, TODAY)
        assert refused.value.field == "discharged_on"
