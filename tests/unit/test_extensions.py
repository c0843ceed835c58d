"""The payment-extension rule: granted when every condition holds; each reason for refusal or review on its own."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from portal.accounts import extensions
from portal.accounts.extensions import ExtensionFacts, Reason, eligibility, outcome
from portal.accounts.models import AccountClass, AccountStatus, ExtensionStatus
from portal.accounts.policy import Policy

TODAY = dt.date(2026, 11, 10)
POLICY = Policy()
GOOD = ExtensionFacts(
    account_class=AccountClass.RESIDENTIAL,
    account_status=AccountStatus.ACTIVE,
    past_due_cents=14_250,
    next_due_on=dt.date(2026, 12, 1),
    granted_in_12_months=0,
    broken_in_12_months=False,
    returned_payment_in_6_months=False,
    open_extension=False,
)


def codes(facts: ExtensionFacts = GOOD, promised: dt.date | None = TODAY + dt.timedelta(days=7)) -> set[Reason]:
    return {f.code for f in eligibility(POLICY, facts, TODAY, promised).findings}


def test_an_eligible_request_has_no_findings() -> None:
    verdict = eligibility(POLICY, GOOD, TODAY, TODAY + dt.timedelta(days=14))
    assert verdict.eligible and not verdict.refused
    assert verdict.latest_promise_on == TODAY + dt.timedelta(days=14)


@pytest.mark.parametrize(
    ("changes", "reason", "hard"),
    [
        ({"past_due_cents": 0}, Reason.NO_PAST_DUE, True),
        ({"open_extension": True}, Reason.ALREADY_OPEN, True),
        ({"account_status": AccountStatus.COLLECTIONS}, Reason.COLLECTIONS, False),
        ({"account_status": AccountStatus.FINAL}, Reason.NOT_ACTIVE, False),
        ({"account_status": AccountStatus.DISCONNECTED}, Reason.NOT_ACTIVE, False),
        ({"account_class": AccountClass.COMMERCIAL}, Reason.NOT_RESIDENTIAL, False),
        ({"granted_in_12_months": 1}, Reason.TOO_MANY, False),
        ({"broken_in_12_months": True}, Reason.BROKEN_RECENTLY, False),
        ({"returned_payment_in_6_months": True}, Reason.RETURNED_PAYMENT, False),
    ],
)
def test_each_reason_on_its_own(changes, reason, hard) -> None:
    facts = dataclasses.replace(GOOD, **changes)
    verdict = eligibility(POLICY, facts, TODAY, TODAY + dt.timedelta(days=7))
    assert {f.code for f in verdict.findings} == {reason}
    assert verdict.refused is hard
    assert verdict.reason_text  # in words


def test_the_promised_date_must_be_ahead_within_the_limit_and_before_the_next_due_date() -> None:
    assert codes(promised=TODAY) == {Reason.DATE_NOT_AHEAD}
    assert codes(promised=TODAY - dt.timedelta(days=1)) == {Reason.DATE_NOT_AHEAD}
    assert codes(promised=TODAY + dt.timedelta(days=15)) == {Reason.TOO_LONG}
    near_due = dataclasses.replace(GOOD, next_due_on=TODAY + dt.timedelta(days=5))
    assert codes(near_due, TODAY + dt.timedelta(days=5)) == {Reason.AFTER_NEXT_DUE}
    assert codes(near_due, TODAY + dt.timedelta(days=4)) == set()
    assert eligibility(POLICY, near_due, TODAY).latest_promise_on == TODAY + dt.timedelta(days=4)
    # Past both limits, the nearer one is named: the next bill's due date, with the latest date it allows.
    (finding,) = eligibility(POLICY, near_due, TODAY, TODAY + dt.timedelta(days=20)).findings
    assert finding.code == Reason.AFTER_NEXT_DUE
    assert "before the next bill is due (Nov 15, 2026); the latest is Nov 14, 2026" in finding.message


def test_without_a_date_only_the_account_conditions_are_checked() -> None:
    assert codes(promised=None) == set()


def test_the_limit_per_twelve_months_is_a_policy_number() -> None:
    facts = dataclasses.replace(GOOD, granted_in_12_months=1)
    assert eligibility(Policy(extensions_per_12_months=2), facts, TODAY, TODAY + dt.timedelta(days=3)).eligible


def test_next_due_date_is_the_upcoming_bill_or_a_month_after_the_last() -> None:
    assert extensions.next_due_on([dt.date(2026, 10, 26), dt.date(2026, 11, 24)], TODAY, POLICY) == dt.date(
        2026, 11, 24
    )
    # 2026-11-26 is Thanksgiving: a month after Oct 26 is Nov 26, moved to the next business day
    holidays = Policy(holidays=(dt.date(2026, 11, 26), dt.date(2026, 11, 27)))
    assert extensions.next_due_on([dt.date(2026, 10, 26)], TODAY, holidays) == dt.date(2026, 11, 30)
    assert extensions.next_due_on([], TODAY, POLICY) is None


def test_outcome_kept_when_paid_broken_after_the_date() -> None:
    promised = dt.date(2026, 11, 20)
    assert outcome(10_000, 10_000, promised, dt.date(2026, 11, 15)) == ExtensionStatus.KEPT
    assert outcome(10_000, 9_999, promised, dt.date(2026, 11, 20)) is None
    assert outcome(10_000, 9_999, promised, dt.date(2026, 11, 21)) == ExtensionStatus.BROKEN
    assert outcome(10_000, 12_000, promised, dt.date(2026, 11, 25)) == ExtensionStatus.KEPT


def test_the_rule_is_explained_in_words_with_the_policy_numbers() -> None:
    words = " ".join(extensions.rules_in_words(Policy(extension_max_days=10)))
    assert "10 days" in words and "collections" in words
