"""The collection agency's rules, pure (docs/policies.md#collection-agency): which final account goes into the
placement file, what a recovery may be, and a placement's status after money comes in. The service that reads the
facts and posts the entries is portal/accounts/collections.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.i18n import format_money
from portal.i18n import gettext as _

from .models import AccountStatus, PlacementStatus
from .policy import Policy

# Accounts whose service has ended: final (waiting for the final bill to be paid), closed, or referred by a CSR.
PLACEABLE = frozenset({AccountStatus.FINAL, AccountStatus.CLOSED, AccountStatus.COLLECTIONS})


@dataclass(frozen=True)
class PlacementFacts:
    status: AccountStatus
    balance_cents: int
    final_due_on: dt.date | None  # the due date of the account's final bill (not cancelled); None: no final bill
    placed_before: bool  # the account has a placement already (placed, recalled or paid)
    bankruptcy_hold: bool = False
    dispute_pending: bool = False


def collection_hold(facts: PlacementFacts) -> str | None:
    """The hold that keeps an account out of the agency's file, or None. The one place holds are read for
    collections: an open bankruptcy or dispute case (holds.case_facts)."""
    if facts.bankruptcy_hold:
        return "bankruptcy"
    if facts.dispute_pending:
        return "dispute"
    return None


def placeable_on(policy: Policy, final_due_on: dt.date) -> dt.date:
    """The first day a final bill due on `final_due_on`, still unpaid, may be placed."""
    return final_due_on + dt.timedelta(days=policy.collection_placement_days)


def placement_refusal(policy: Policy, facts: PlacementFacts, today: dt.date) -> str | None:
    """Why this account does not go into today's placement file (a code), or None: it goes."""
    if facts.placed_before:
        return "placed"
    if facts.status not in PLACEABLE:
        return "not_final"
    if facts.final_due_on is None:
        return "no_final_bill"
    if today < placeable_on(policy, facts.final_due_on):
        return "too_soon"
    if facts.balance_cents <= policy.collection_minimum_cents:
        return "too_small"
    return collection_hold(facts)


def refusal_words(code: str, policy: Policy) -> str:
    words = {
        "placed": _("Already placed with the agency"),
        "not_final": _("Service has not ended"),
        "no_final_bill": _("No final bill yet"),
        "too_soon": _("Final bill due less than %(days)s days ago", days=policy.collection_placement_days),
        "too_small": _("Owes %(minimum)s or less", minimum=format_money(policy.collection_minimum_cents)),
        "bankruptcy": _("Bankruptcy hold"),
        "dispute": _("Dispute pending"),
    }
    return words.get(code, code)


def recovery_refusal(*, outstanding_cents: int, gross_cents: int, fee_cents: int) -> str | None:
    """What is wrong with a recovery of `gross_cents` less the agency's `fee_cents` on a placement with
    `outstanding_cents` still placed (None: it may be recorded). The net the agency remits must be above zero."""
    if outstanding_cents <= 0:
        return _("Nothing is left placed on this account.")
    if gross_cents <= 0:
        return _("Enter the amount the agency collected.")
    if gross_cents > outstanding_cents:
        return _("The agency collected more than is still placed (%(left)s).", left=format_money(outstanding_cents))
    if fee_cents < 0 or fee_cents >= gross_cents:
        return _("The agency's fee must be less than what it collected.")
    return None


def status_after(amount_placed_cents: int, recovered_cents: int) -> PlacementStatus:
    """A placement's status once `recovered_cents` came in on it: paid when everything placed was collected."""
    return PlacementStatus.PAID if recovered_cents >= amount_placed_cents else PlacementStatus.PLACED
