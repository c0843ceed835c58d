"""Four eyes on money: who may approve what someone else asked for (adjustments and refunds over their limits)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import gettext as _

from .models import Account, Customer, User


def may_decide(*, approver_id: int, approver_is_supervisor: bool, requester_id: int) -> str | None:
    """Why this person may not approve or reject, or None when they may."""
    if not approver_is_supervisor:
        return _("Only a supervisor can approve an amount over the limit.")
    if approver_id == requester_id:
        return _("Someone other than the person who asked must approve it.")
    return None


@dataclass(frozen=True)
class Waiting:
    item: Any  # the adjustment or refund request
    account: Account
    customer: Customer
    requester: str


async def waiting(session: AsyncSession, model: Any, pending: Any) -> list[Waiting]:
    """A supervisor's queue of one kind of request (a model with account_id, requested_by_id, status, created_at),
    oldest first, with the account, customer and who asked."""
    rows = await session.execute(
        select(model, Account, Customer, User.display_name)
        .join(Account, Account.id == model.account_id)
        .join(Customer, Customer.id == Account.customer_id)
        .join(User, User.id == model.requested_by_id)
        .where(model.status == pending)
        .order_by(model.created_at, model.id)
    )
    return [Waiting(*row) for row in rows]
