"""The collection agency's pure rules: who goes into the placement file, what a recovery may be, the placement's
status, the CSV guard and the GL mapping of the new ledger kinds."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.accounts import collection_rules as rules
from portal.accounts import csv_cells
from portal.accounts import general_ledger as gl
from portal.accounts.models import AccountStatus, LedgerKind, PlacementStatus
from portal.accounts.policy import Policy, out_of_range, policy_from_env

POLICY = Policy()
TODAY = dt.date(2026, 12, 4)
DUE = TODAY - dt.timedelta(days=POLICY.collection_placement_days)


def facts(**changes: object) -> rules.PlacementFacts:
    base: dict[str, object] = {
        "status": AccountStatus.FINAL,
        "balance_cents": 10_000,
        "final_due_on": DUE,
        "placed_before": False,
    }
    return rules.PlacementFacts(**{**base, **changes})  # type: ignore[arg-type]


def test_a_final_account_past_the_age_owing_more_than_the_minimum_is_placed() -> None:
    assert rules.placement_refusal(POLICY, facts(), TODAY) is None
    assert rules.placement_refusal(POLICY, facts(status=AccountStatus.CLOSED), TODAY) is None
    assert rules.placement_refusal(POLICY, facts(status=AccountStatus.COLLECTIONS), TODAY) is None


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"placed_before": True}, "placed"),
        ({"status": AccountStatus.ACTIVE}, "not_final"),
        ({"status": AccountStatus.DISCONNECTED}, "not_final"),
        ({"final_due_on": None}, "no_final_bill"),
        ({"final_due_on": DUE + dt.timedelta(days=1)}, "too_soon"),
        ({"balance_cents": POLICY.collection_minimum_cents}, "too_small"),
        ({"balance_cents": -500}, "too_small"),
        ({"bankruptcy_hold": True}, "bankruptcy"),
        ({"dispute_pending": True}, "dispute"),
        ({"bankruptcy_hold": True, "dispute_pending": True}, "bankruptcy"),
    ],
)
def test_what_keeps_an_account_out_of_the_file(changes: dict[str, object], code: str) -> None:
    assert rules.placement_refusal(POLICY, facts(**changes), TODAY) == code
    assert rules.refusal_words(code, POLICY)


def test_the_age_and_minimum_come_from_the_policy() -> None:
    policy = policy_from_env({"POLICY_COLLECTION_PLACEMENT_DAYS": "120", "POLICY_COLLECTION_MINIMUM_CENTS": "100"})
    assert rules.placement_refusal(policy, facts(balance_cents=101), TODAY) == "too_soon"
    assert (
        rules.placement_refusal(policy, facts(balance_cents=101, final_due_on=TODAY - dt.timedelta(days=120)), TODAY)
        is None
    )
    assert rules.placeable_on(policy, DUE) == DUE + dt.timedelta(days=120)
    assert out_of_range(Policy(collection_placement_days=5)) and out_of_range(Policy(collection_agency_name=" "))
    assert out_of_range(Policy()) == []


@pytest.mark.parametrize(
    ("outstanding", "gross", "fee", "ok"),
    [
        (10_000, 10_000, 2_500, True),
        (10_000, 1, 0, True),
        (10_000, 10_001, 0, False),  # more than is still placed
        (10_000, 0, 0, False),
        (10_000, 5_000, 5_000, False),  # the agency keeps everything: nothing to post as a payment
        (10_000, 5_000, -1, False),
        (0, 100, 0, False),
    ],
)
def test_what_a_recovery_may_be(outstanding: int, gross: int, fee: int, ok: bool) -> None:
    refusal = rules.recovery_refusal(outstanding_cents=outstanding, gross_cents=gross, fee_cents=fee)
    assert (refusal is None) is ok


def test_a_placement_is_paid_once_everything_placed_came_in() -> None:
    assert rules.status_after(10_000, 9_999) == PlacementStatus.PLACED
    assert rules.status_after(10_000, 10_000) == PlacementStatus.PAID


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_the_csv_guard_reads_formulas_as_text(text: str) -> None:
    assert csv_cells.safe_text(text) == "'" + text
    assert csv_cells.safe_text("Ana Lopez") == "Ana Lopez"


def test_write_offs_recoveries_and_fees_balance_in_the_journal() -> None:
    entries = [
        gl.Entry(TODAY, LedgerKind.WRITE_OFF, -10_000),
        gl.Entry(TODAY, LedgerKind.WRITE_OFF_RECOVERY, 4_000),
        gl.Entry(TODAY, LedgerKind.AGENCY_FEE, -1_000),
        gl.Entry(TODAY, LedgerKind.PAYMENT, -3_000),
    ]
    journal = {line.account: line for line in gl.journal(entries)}
    assert gl.unbalanced_days(journal.values()) == {}
    assert journal[gl.BAD_DEBT].debit_cents == 10_000 and journal[gl.BAD_DEBT].credit_cents == 4_000
    assert journal[gl.AGENCY_FEES].debit_cents == 1_000 and journal[gl.CASH].debit_cents == 3_000
