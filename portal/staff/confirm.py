"""Preview-and-confirm for bulk and irreversible actions: a plan says what an action will do to which accounts; the
preview shows it, the confirm posts its fingerprint, and the action runs only if the plan it computes again has the
same fingerprint (otherwise the list changed in between: nothing happens and the new plan is shown)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from portal.accounts.errors import DomainError
from portal.i18n import gettext as _


@dataclass(frozen=True)
class Item:
    """One thing the action will do: to an account (number, name), for an amount, with a word on how or why."""

    key: int  # what the action acts on: the account id, or the order id for a recheck
    account_number: str
    name: str
    amount_cents: int
    detail: str = ""


@dataclass(frozen=True)
class Plan:
    action: str
    items: tuple[Item, ...]
    refusal: str | None = None  # why the action may not run at all (then there are no items)

    @property
    def fingerprint(self) -> str:
        """A hash of what the plan acts on and for how much: it changes when the list does, not when only its order
        does (rows at one address may come back from the database in either order)."""
        items = sorted(self.items, key=lambda i: (i.key, i.account_number, i.amount_cents, i.detail))
        text = "|".join([self.action, *(f"{i.key}:{i.account_number}:{i.amount_cents}:{i.detail}" for i in items)])
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def count(self, detail: str) -> int:
        return sum(1 for i in self.items if i.detail == detail)


class StalePlan(DomainError):
    """The plan changed between the preview and the confirm; carries the new plan to show."""

    status_code = 409

    def __init__(self, plan: Plan) -> None:
        super().__init__(
            _("The list changed since the preview: nothing was done. Check the new list and confirm again.")
        )
        self.plan = plan


def check(plan: Plan, expected: str | None) -> None:
    """Refuse to run a plan other than the one that was previewed (when a fingerprint was given)."""
    if expected is not None and expected != plan.fingerprint:
        raise StalePlan(plan)


def approval_plan(action: str, item_id: int, account_number: str, name: str, amount_cents: int, status: str) -> Plan:
    """Approving one waiting request (an adjustment to post, a refund to send): one item, fingerprinted with its
    amount and status, so an edited or already decided request is not approved on an old preview."""
    return Plan(action, (Item(item_id, account_number, name, amount_cents, status),))
