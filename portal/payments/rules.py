"""Payment decisions as pure functions: plain values in, a decision out (numbers from the policy)."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from portal.accounts import amounts
from portal.accounts.policy import MAX_CENTS, Policy
from portal.i18n import format_money
from portal.i18n import gettext as _

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
    """Dollars as a person types them ("$1,234.5", "80") to cents, by the portal's one money parser
    (portal.accounts.amounts); None when it is not an amount or is above the largest payment."""
    try:
        return amounts.parse_cents(text, maximum=MAX_PAYMENT_CENTS)
    except amounts.BadAmount:
        return None


def bill_amount_to_pay(bill_due_cents: int, account_due_cents: int) -> int:
    """What "Pay this bill" offers: the bill's amount due, never more than the account owes now (a payment made
    since the bill lowers it) and never below zero."""
    return max(min(bill_due_cents, account_due_cents), 0)


def parse_id(text: str | None) -> int | None:
    """A database id typed in a query string, or None (a larger number than the column holds is no id)."""
    if not text or not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    return int(text)


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
        return _(
            "Card and bank payments on file cover only %(amount)s of this refund: send a check instead.",
            amount=format_money(refundable_online_cents),
        )
    if method not in REFUND_METHODS:
        return _("Choose how the refund is sent.")
    return None


def refund_needs_approval(policy: Policy, amount_cents: int) -> bool:
    return amount_cents > policy.refund_supervisor_threshold_cents


def refund_kind(*, deposit_applied_cents: int, amount_cents: int) -> str:
    """What the refund posts as: the rest of a deposit applied to the balance, or a plain credit refund."""
    return "deposit" if 0 < amount_cents <= deposit_applied_cents else "credit"


@dataclass(frozen=True)
class GuestLookupLimit:
    """Where a guest stands against the look-up limits: paused, or how many wrong tries are left and how long the
    pause after the last one would be ("hour" or "day")."""

    locked: bool
    tries_left: int
    pause: str

    @property
    def warn(self) -> bool:
        return not self.locked and self.tries_left == 1


def guest_lookup_limit(
    policy: Policy, *, client_account_failures: int, account_failures: int, client_failures: int
) -> GuestLookupLimit:
    """The nearest of the three limits decides (failures counted: this client address on this account in the last
    hour, this account from anywhere in the last day, this client address on any account in the last hour); on a
    tie the longer pause is the one to warn about."""
    limits = [
        (policy.guest_lookup_failures_per_client_per_hour - client_account_failures, "hour"),
        (policy.guest_lookup_failures_per_account_per_day - account_failures, "day"),
        (policy.guest_lookup_failures_per_ip_per_hour - client_failures, "hour"),
    ]
    left, pause = min(limits, key=lambda limit: (limit[0], limit[1] != "day"))
    return GuestLookupLimit(locked=left <= 0, tries_left=max(left, 0), pause=pause)


# ---- a bank draft given to a CSR: a signed paper form (NACHA PPD) or a recorded phone call (NACHA TEL) -------------

# The paper forms we print, by the version printed in their footer, and the language each is printed in. A form of a
# version not here is not ours (an old or home-made form): the customer signs the current one.
PPD_FORMS = {"PPD-2026-12-EN": "en", "PPD-2026-12-ES": "es"}
# The script a CSR reads on the phone, by its version (the words are in `autopay.authorization_text`).
TEL_SCRIPT_VERSION = "TEL-2026-12"
# A signed form is taken within this many days of its signature; a call is recorded within this many days of it.
FORM_MAX_AGE_DAYS = 60
CALL_MAX_AGE_DAYS = 3
# The scan of a signed form: at most this size (a letter page at 300 dpi is well under it).
SCAN_MAX_BYTES = 10_000_000
NAME_MAX = 120
RECORDING_REF_MAX = 80


@dataclass(frozen=True)
class Refusal:
    field: str
    message: str


def _name_problem(name: str, field: str) -> Refusal | None:
    name = name.strip()
    if not name:
        return Refusal(field, _("Enter the name as the customer gave it."))
    if len(name) > NAME_MAX:
        return Refusal(field, _("Use at most %(n)s characters.", n=NAME_MAX))
    return None


def paper_form_problems(
    *, signer: str, signed_on: dt.date, version: str, numbers_covered: bool, today: dt.date
) -> list[Refusal]:
    """What stops a signed paper authorization (PPD) from being taken: who signed, when, which form, and the bank
    numbers covered on the scan (they go to Stripe, never into our files)."""
    problems = [p for p in [_name_problem(signer, "signer")] if p]
    if signed_on > today:
        problems.append(Refusal("signed_on", _("The form cannot be signed after today.")))
    elif (today - signed_on).days > FORM_MAX_AGE_DAYS:
        problems.append(
            Refusal(
                "signed_on",
                _(
                    "The form was signed more than %(days)s days ago: ask the customer to sign a new one.",
                    days=FORM_MAX_AGE_DAYS,
                ),
            )
        )
    if version not in PPD_FORMS:
        problems.append(Refusal("version", _("Choose the version printed at the foot of the form.")))
    if not numbers_covered:
        problems.append(
            Refusal(
                "numbers_covered", _("Cover the routing and account numbers before scanning: we keep no bank numbers.")
            )
        )
    return problems


def phone_call_problems(*, caller: str, called_at: dt.datetime, recording_ref: str, now: dt.datetime) -> list[Refusal]:
    """What stops a recorded phone authorization (TEL) from being taken: who agreed, when, and the reference that
    finds the recording (NACHA: the originator keeps the recording, and sends written notice before the first debit)."""
    problems = [p for p in [_name_problem(caller, "caller")] if p]
    if called_at > now + dt.timedelta(minutes=5):
        problems.append(Refusal("called_at", _("The call cannot be later than now.")))
    elif now - called_at > dt.timedelta(days=CALL_MAX_AGE_DAYS):
        problems.append(
            Refusal(
                "called_at",
                _("Record the call within %(days)s days of it: call the customer again.", days=CALL_MAX_AGE_DAYS),
            )
        )
    ref = recording_ref.strip()
    if not ref:
        problems.append(Refusal("recording_ref", _("Enter the call recording's reference.")))
    elif len(ref) > RECORDING_REF_MAX or not ref.isprintable():
        problems.append(
            Refusal("recording_ref", _("Use at most %(n)s letters, digits and dashes.", n=RECORDING_REF_MAX))
        )
    return problems


def overpayment_to_confirm(amount_cents: int, owed_cents: int, policy: Policy) -> int | None:
    """How much more than what is owed a payment is, when that is more than the policy lets go without asking "on
    purpose?" (a slip of a key, 5000 for 50); None when it needs no question."""
    extra = amount_cents - max(owed_cents, 0)
    return extra if extra > policy.overpayment_confirm_cents else None
