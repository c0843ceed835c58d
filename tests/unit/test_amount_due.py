"""A bill's amount due, one rule for the bill page and the printed bill: the balance before it, its charges and the
deposit applied, never below zero."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from portal.accounts.models import Bill
from portal.billing.amount_due import amount_due_cents, due_now_cents
from portal.customer.bill_view import BillView

PORTAL = Path(__file__).resolve().parents[2] / "portal"


@pytest.mark.parametrize(
    ("previous", "total", "deposit", "due"),
    [
        (0, 4_512, 0, 4_512),  # a first bill
        (2_000, 4_512, 0, 6_512),  # the last one unpaid
        (-1_000, 4_512, 0, 3_512),  # a credit carried in
        (0, 4_512, -3_000, 1_512),  # part of the deposit applied
        (0, 4_512, -10_000, 0),  # a deposit larger than the bill: nothing to pay, never a negative amount due
        (-6_000, 4_512, 0, 0),  # a credit larger than the bill
    ],
)
def test_the_amount_due_adds_the_balance_charges_and_deposit_and_is_never_negative(
    previous: int, total: int, deposit: int, due: int
) -> None:
    assert amount_due_cents(previous, total, deposit) == due


@pytest.mark.parametrize(
    ("previous", "total", "deposit", "now"),
    [
        (0, 4_512, 0, 0),  # nothing carried: all of it by the due date
        (2_000, 4_512, 0, 2_000),  # the last bill unpaid: that part is past due as this one is issued
        (-1_000, 4_512, 0, 0),  # a credit carried in
        (2_000, 4_512, -5_000, 1_512),  # the deposit applied leaves less than the carried balance to pay
        (2_000, -3_000, 0, 0),  # a credit on this bill covers it: nothing to pay
    ],
)
def test_the_part_due_at_once_is_the_balance_carried_never_more_than_the_amount_due(
    previous: int, total: int, deposit: int, now: int
) -> None:
    assert due_now_cents(previous, total, deposit) == now <= amount_due_cents(previous, total, deposit)


def test_the_bill_page_shows_what_the_printed_bill_shows_for_a_credit() -> None:
    bill = Bill(previous_balance_cents=-6_000, total_cents=4_512)
    view = BillView(bill, None, None, None, (), (), (), None, None, 0)  # type: ignore[arg-type]  # only the bill counts
    assert view.amount_due_cents == 0 == amount_due_cents(-6_000, 4_512, 0)


def test_the_formula_lives_only_in_the_billing_domain() -> None:
    """No side adds previous_balance_cents to total_cents itself: both read portal/billing/amount_due.py."""
    offenders = []
    for path in sorted(PORTAL.rglob("*.py")):
        if path.name == "amount_due.py" or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
                names = {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
                if {"previous_balance_cents", "total_cents"} <= names:
                    offenders.append(f"{path.relative_to(PORTAL.parent)}:{node.lineno}")
    assert offenders == []
