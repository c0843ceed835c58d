"""Payment decisions as pure functions: plain values in, a decision out (numbers from the policy)."""

from __future__ import annotations

import datetime as dt
import secrets

from portal.accounts.policy import Policy
from portal.i18n import format_money
from portal.i18n import gettext as _
from portal.web.params import MAX_CENTS

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


# The most one online payment takes: the portal's bound for any amount typed ($1,000,000.00).
MAX_PAYMENT_CENTS = MAX_CENTS


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
    if not cleaned.isascii():
        return None  # digits of other scripts, which int() would accept
    cents = int(whole or "0") * 100 + int((fraction + "00")[:2])
    return cents if cents <= MAX_PAYMENT_CENTS else None


def draft_date(due_date: dt.date, policy: Policy) -> dt.date:
    """The day a bill is drafted: N days before its due date (0 by default), moved back to a business day."""
    day = due_date - dt.timedelta(days=policy.draft_days_before_due)
    while not policy.is_business_day(day):
        day -= dt.timedelta(days=1)
    return day


def suspends_autopay(returns_in_window: int, policy: Policy) -> bool:
    return returns_in_window >= policy.returns_to_suspend_autopay


# ---- refunds of a credit balance from the console -------------------------------------------------------------------

REFUND_METHODS = ("online", "check")


def refund_refusal(*, amount_cents: int, credit_cents: int, method: str, refundable_online_cents: int) -> str | None:
    """Why this refund cannot be made as asked, or None. A refund sends back a credit balance, never more; online
    it goes to the payments on file, so they must cover it (otherwise a check)."""
    if credit_cents <= 0:
        return _("This account has no credit balance to refund.")
    if amount_cents <= 0:
        return _("Enter an amount above zero.")
    if amount_cents > credit_cents:
        return _("The credit balance is %(credit)s: refund at most that.", credit=format_money(credit_cents))
    if method == "online" and amount_cents > refundable_online_cents:
        return _("Card and bank payments on file cover only %(amount)s of this refund: send a check instead.",
                 amount=format_money(refundable_online_cents))
    if method not in REFUND_METHODS:
        return _("Choose how the refund is sent.")
    return None


def refund_needs_approval(policy: Policy, amount_cents: int) -> bool:
    return amount_cents > policy.refund_supervisor_threshold_cents


def refund_kind(*, deposit_applied_cents: int, amount_cents: int) -> str:
    """What the refund posts as: the rest of a deposit applied to the balance, or a plain credit refund."""
    return "deposit" if 0 < amount_cents <= deposit_applied_cents else "credit"
