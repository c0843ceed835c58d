"""The account-level part of the cut-off rule (portal/accounts/holds.py): every reason in words, the strongest first,
and the same verdict as the staff side's cut-off decision on the account's own conditions."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.accounts import holds
from portal.accounts.policy import Policy
from portal.staff import rules

POLICY = Policy()
DAY = dt.date(2026, 12, 8)
CLEAR = holds.AccountFacts(active=True, past_due_cents=12_000)


def codes(facts: holds.AccountFacts, day: dt.date = DAY) -> list[str]:
    return [e.code for e in holds.exclusions(POLICY, facts, day)]


def test_an_active_account_well_past_due_with_no_hold_is_not_excluded() -> None:
    assert holds.exclusions(POLICY, CLEAR, DAY) == ()


def test_each_hold_is_a_reason_in_words_with_its_date() -> None:
    facts = holds.AccountFacts(
        active=True,
        past_due_cents=12_000,
        medical_alert_until=dt.date(2026, 12, 29),
        extension_until=dt.date(2026, 12, 16),
        arrangement=True,
        held_cents=30_000,
        disputed_cents=12_000,
        payment_pending=True,
    )
    found = holds.exclusions(POLICY, facts, DAY)
    assert [e.code for e in found] == [
        "medical",
        "extension",
        "arrangement",
        "bankruptcy",
        "dispute",
        "payment_pending",
        "too_small",
    ]
    assert found[3].reason == "Bankruptcy: $300.00 owed at the petition is held"
    assert found[4].reason == "Dispute of $120.00 pending"
    assert found[0].reason == "Medical certificate until Dec 29, 2026"
    assert found[1].reason == "Extension to Dec 16, 2026"


def test_a_lapsed_certificate_no_longer_excludes() -> None:
    lapsed = holds.AccountFacts(active=True, past_due_cents=12_000, medical_alert_until=DAY - dt.timedelta(days=1))
    assert codes(lapsed) == []
    assert codes(lapsed, DAY - dt.timedelta(days=1)) == ["medical"]


@pytest.mark.parametrize(
    ("past_due", "expected"), [(0, ["too_small"]), (4_999, ["too_small"]), (5_000, []), (-300, ["too_small"])]
)
def test_nothing_or_less_than_the_minimum_past_due_excludes(past_due: int, expected: list[str]) -> None:
    assert codes(holds.AccountFacts(active=True, past_due_cents=past_due)) == expected


def test_the_minimum_is_never_below_the_reconnection_fee() -> None:
    policy = Policy(cutoff_minimum_past_due_cents=2_000, reconnect_fee_cents=7_500)
    assert holds.cutoff_minimum_cents(policy) == rules.cutoff_minimum_cents(policy) == 7_500
    reason = holds.exclusions(policy, holds.AccountFacts(active=True, past_due_cents=6_000), DAY)[0].reason
    assert reason == "Past due $60.00, under the $75.00 cut-off minimum"


def test_an_extension_holds_off_disconnection_only_until_its_promised_day() -> None:
    # The cut-off page plans for the next allowed day: an extension promised before it must not stop that plan.
    promised = holds.AccountFacts(active=True, past_due_cents=12_000, extension_until=DAY)
    assert codes(promised) == ["extension"]
    assert codes(promised, DAY + dt.timedelta(days=3)) == []


def test_an_inactive_account_is_excluded() -> None:
    assert codes(holds.AccountFacts(active=False, past_due_cents=12_000)) == ["inactive"]


def test_the_staff_cutoff_decision_agrees_on_the_accounts_own_conditions() -> None:
    """Whatever the domain rule excludes, the cut-off list excludes for the same code."""
    start = dt.datetime.combine(DAY, dt.time(7, 30), dt.UTC)
    cases = [
        holds.AccountFacts(active=False, past_due_cents=12_000),
        holds.AccountFacts(active=True, past_due_cents=4_000),
        holds.AccountFacts(active=True, past_due_cents=12_000, medical_alert_until=DAY),
        holds.AccountFacts(active=True, past_due_cents=12_000, extension_until=DAY),
        # promised before the day: neither the list (extensions.held_account_ids) nor the rule holds it off then
        holds.AccountFacts(active=True, past_due_cents=12_000, extension_until=DAY - dt.timedelta(days=3)),
        holds.AccountFacts(active=True, past_due_cents=12_000, arrangement=True),
        holds.AccountFacts(active=True, past_due_cents=12_000, payment_pending=True),
        holds.AccountFacts(active=True, past_due_cents=12_000, disputed_cents=12_000),
        holds.AccountFacts(active=True, past_due_cents=12_000, disputed_cents=4_000),
        holds.AccountFacts(active=True, past_due_cents=3_000, held_cents=50_000),
        holds.AccountFacts(active=True, past_due_cents=12_000, held_cents=50_000),
    ]
    for facts in cases:
        decision = rules.cutoff_decision(
            POLICY,
            rules.CutoffFacts(
                account_id=1,
                past_due_cents=facts.past_due_cents,
                oldest_past_due_on=DAY - dt.timedelta(days=60),
                active=facts.active,
                last_notice_at=None,
                last_courtesy_at=None,
                medical_alert_until=facts.medical_alert_until,
                # as cutoff.build asks extensions.held_account_ids: an extension promised on or after the day
                extension_hold=facts.extension_until is not None and facts.extension_until >= DAY,
                arrangement_active=facts.arrangement,
                payment_pending=facts.payment_pending,
                disputed_cents=facts.disputed_cents,
                held_cents=facts.held_cents,
            ),
            DAY,
            start,
        )
        assert set(codes(facts)) <= set(decision.codes), facts


def test_a_dispute_holds_off_cut_off_only_for_the_amount_disputed() -> None:
    # $300 past due, $100 disputed: $200 is still over the $50 minimum, so the account may be cut off
    assert codes(holds.AccountFacts(active=True, past_due_cents=30_000, disputed_cents=10_000)) == []
    # everything disputed: nothing left to cut off for
    assert codes(holds.AccountFacts(active=True, past_due_cents=30_000, disputed_cents=30_000)) == [
        "dispute",
        "too_small",
    ]
    # what is left is under the minimum
    assert codes(holds.AccountFacts(active=True, past_due_cents=30_000, disputed_cents=26_000)) == [
        "dispute",
        "too_small",
    ]


def test_a_bankruptcy_holds_off_cut_off_only_while_nothing_after_the_petition_is_past_due() -> None:
    # the held balance is already out of past_due_cents (arrears); what is past due after it counts as usual
    assert codes(holds.AccountFacts(active=True, past_due_cents=0, held_cents=40_000)) == ["bankruptcy", "too_small"]
    assert codes(holds.AccountFacts(active=True, past_due_cents=9_000, held_cents=40_000)) == []
