"""Refund requests as the console reads them: the supervisor's queue and an account's list. Sending and deciding
them is the payments side's (portal/payments/refund_requests.py), which owns Stripe."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import Account, Customer, RefundRequest, RefundStatus, User


@dataclass(frozen=True)
class WaitingRefund:
    request: RefundRequest
    account: Account
    customer: Customer
    requester: str


async def waiting(session: AsyncSession) -> list[WaitingRefund]:
    rows = await session.execute(
        select(RefundRequest, Account, Customer, User.display_name)
        .join(Account, Account.id == RefundRequest.account_id)
        .join(Customer, Customer.id == Account.customer_id)
        .join(User, User.id == RefundRequest.requested_by_id)
        .where(RefundRequest.status == RefundStatus.PENDING_APPROVAL)
        .order_by(RefundRequest.created_at, RefundRequest.id))
    return [WaitingRefund(*row) for row in rows]


async def for_account(session: AsyncSession, account_id: int) -> list[RefundRequest]:
    return list(await session.scalars(select(RefundRequest).where(RefundRequest.account_id == account_id)
                                      .order_by(RefundRequest.created_at.desc(), RefundRequest.id.desc()).limit(20)))
