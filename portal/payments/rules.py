"""Payment decisions as pure functions: plain values in, a decision out (numbers from the policy)."""

from __future__ import annotations

import datetime as dt
import secrets

from portal.accounts.policy import Policy

# No 0/O or 1/I: a confirmation number read over the phone is not misheard.
CONFIRMATION_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
METHODS = ("card", "us_bank_account")


def new_confirmation() -> str:
    return "".join(secrets.choice(CONFIRMATION_ALPHABET) for _ in range(8))


def amount_problem(amount_cents: int, policy: Policy) -> str | None:
    """None when the amount can be paid online, else which limit it breaks ("minimum" or "maximum")."""
    if amount_cents < policy.online_payment_minimum_cents:
        return "minimum"
    if amount_cents > policy.online_payment_maximum_cents:
        return "maximum"
    return None


def parse_amount(text: str) -> int | None:
    """Dollars as a person types them ("$1,234.5", "80") to cents; None when it is not an amount."""
    cleaned = text.strip().replace("$", "").replace(",", "").replace(" ", "")
    if not cleaned or cleaned.count(".") > 1:
        return None
    whole, _, fraction = cleaned.partition(".")
    if not whole.isdigit() and not (whole == "" and fraction):
        return None
    if fraction and (not fraction.isdigit() or len(fraction) > 2):
        return None
    return int(whole or "0") * 100 + int((fraction + "00")[:2])


def draft_date(due_date: dt.date, policy: Policy) -> dt.date:
    """The day a bill is drafted: N days before its due date (0 by default), moved back to a business day."""
    day = due_date - dt.timedelta(days=policy.draft_days_before_due)
    while not policy.is_business_day(day):
        day -= dt.timedelta(days=1)
    return day


def suspends_autopay(returns_in_window: int, policy: Policy) -> bool:
    return returns_in_window >= policy.returns_to_suspend_autopay
