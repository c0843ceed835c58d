"""The rules of cases (docs/policies.md, Cases), as plain functions: what a case may be opened with, how much past due
a dispute leaves to cut off for, what a bankruptcy petition holds, and when a case is overdue."""

from __future__ import annotations

import datetime as dt

from portal.i18n import format_money
from portal.i18n import gettext as _

from .errors import DomainError
from .policy import Policy

KINDS = ("dispute", "complaint", "bankruptcy")
CHAPTERS = (7, 11, 13)
OUTCOMES = ("resolved", "discharged", "dismissed")
MAX_DUE_DAYS = 365  # a due date at most a year ahead
MAX_FILED_YEARS = 10  # a petition filed at most ten years ago
MAX_DISPUTED_CENTS = 10_000_000  # $100,000
REASON_MAX = 500
NOTE_MAX = 2000
CASE_NUMBER_MAX = 40


def cut_off_past_due(past_due_cents: int, disputed_cents: int) -> int:
    """What a disconnection may be for: the past due less the amount in open disputes (never below zero). $300 past
    due with $100 disputed leaves $200; everything disputed leaves nothing."""
    return max(0, past_due_cents - max(0, disputed_cents))


def held_at_petition(balance_at_filing_cents: int) -> int:
    """What a bankruptcy petition holds: the ledger balance at the filing date, when the account owed (a credit holds
    nothing)."""
    return max(0, balance_at_filing_cents)


def default_due_on(policy: Policy, kind: str, today: dt.date) -> dt.date | None:
    """When a new case is due when the CSR gives no date: a dispute answered within `dispute_due_days`, a complaint
    within `complaint_due_days` (docs/policies.md, Cases). A bankruptcy follows the court and has none of its own."""
    days = {"dispute": policy.dispute_due_days, "complaint": policy.complaint_due_days}.get(kind)
    return today + dt.timedelta(days=days) if days is not None else None


def is_overdue(status: str, due_on: dt.date | None, today: dt.date) -> bool:
    return status == "open" and due_on is not None and due_on < today


def check_reason(reason: str, field: str = "reason", limit: int = REASON_MAX) -> str:
    text = reason.strip()
    if not text:
        raise DomainError(_("Say why."), field=field)
    if len(text) > limit:
        raise DomainError(_("Keep it under %(n)d characters.", n=limit), field=field)
    return text


def check_due_on(due_on: dt.date | None, today: dt.date) -> None:
    if due_on is not None and not today <= due_on <= today + dt.timedelta(days=MAX_DUE_DAYS):
        raise DomainError(
            _("The due date must be from today to %(days)d days ahead.", days=MAX_DUE_DAYS), field="due_on"
        )


def check_disputed(disputed_cents: int | None, balance_cents: int) -> int:
    """The amount a dispute may hold: more than nothing and no more than the account owes."""
    if disputed_cents is None or disputed_cents <= 0:
        raise DomainError(_("Give the disputed amount."), field="disputed")
    if balance_cents <= 0:
        raise DomainError(_("This account owes nothing to dispute; open a complaint instead."), field="disputed")
    if disputed_cents > min(balance_cents, MAX_DISPUTED_CENTS):
        raise DomainError(
            _("The disputed amount cannot be more than the balance, %(amount)s.", amount=format_money(balance_cents)),
            field="disputed",
        )
    return disputed_cents


def check_petition(chapter: int | None, case_number: str, filed_on: dt.date | None, today: dt.date) -> str:
    """A bankruptcy's chapter, court case number and filing date; the case number as it will be kept."""
    if chapter not in CHAPTERS:
        raise DomainError(_("Choose chapter 7, 11 or 13."), field="chapter")
    number = case_number.strip()
    if not number or len(number) > CASE_NUMBER_MAX:
        raise DomainError(_("Give the court's case number."), field="case_number")
    if filed_on is None:
        raise DomainError(_("Give the filing date."), field="filed_on")
    if filed_on > today:
        raise DomainError(_("The filing date cannot be in the future."), field="filed_on")
    if filed_on < today - dt.timedelta(days=round(365.25 * MAX_FILED_YEARS)):
        raise DomainError(_("The filing date is too long ago."), field="filed_on")
    return number


def check_discharge(filed_on: dt.date | None, discharged_on: dt.date | None, today: dt.date) -> None:
    if discharged_on is None:
        raise DomainError(_("Give the discharge date."), field="discharged_on")
    if discharged_on > today:
        raise DomainError(_("The discharge date cannot be in the future."), field="discharged_on")
    if filed_on is not None and discharged_on < filed_on:
        raise DomainError(_("The discharge cannot come before the filing."), field="discharged_on")
