"""Four eyes on money: who may approve what someone else asked for (adjustments and refunds over their limits)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import gettext as _

from .actor import Actor
from .errors import Conflict, DomainError, NotFound
from .models import Account, Customer, Role, User
from .models.base import utcnow


def may_decide(*, approver_id: int, approver_is_supervisor: bool, requester_id: int) -> str | None:
    """Why this person may not approve or reject, or None when they may."""
    if not approver_is_supervisor:
        return _("Only a supervisor can approve an amount over the limit.")
    if approver_id == requester_id:
        return _("Someone other than the person who asked must approve it.")
    return None


async def waiting_to_decide(
    session: AsyncSession,
    model: Any,
    row_id: int,
    actor: Actor,
    pending: Any,
    *,
    missing: str,
    decided: str,
    denied: type[DomainError] = DomainError,
    code: str | None = None,
) -> Any:
    """The request (an adjustment, a refund, a rebill) a supervisor is deciding: locked on PostgreSQL so two
    supervisors never both decide it; refused when this person may not decide it (`may_decide`) or it was decided."""
    query = select(model).where(model.id == row_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = await session.scalar(query)
    if row is None:
        raise NotFound(missing)
    refusal = may_decide(
        approver_id=actor.user_id or 0,
        approver_is_supervisor=actor.role in (Role.SUPERVISOR, Role.ADMIN),
        requester_id=row.requested_by_id,
    )
    if refusal:
        raise denied(refusal, code=code)
    if row.status != pending:
        raise Conflict(decided)
    return row


def stamp_decision(row: Any, actor: Actor, note: str) -> None:
    """Who decided, when, and their note (at most 300 characters)."""
    row.decided_by_id = actor.user_id
    row.decided_at = utcnow()
    row.decision_note = note.strip()[:300] or None


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
