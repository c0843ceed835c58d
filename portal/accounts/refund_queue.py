"""Refund requests as the console reads them: the supervisor's queue and an account's list. Sending and deciding
them is the payments side's (portal/payments/refund_requests.py), which owns Stripe."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from . import approval
from .models import RefundRequest, RefundStatus


async def waiting(session: AsyncSession) -> list[approval.Waiting]:
    return await approval.waiting(session, RefundRequest, RefundStatus.PENDING_APPROVAL)


async def for_account(session: AsyncSession, account_id: int) -> list[RefundRequest]:
    return list(
        await session.scalars(
            select(RefundRequest)
            .where(RefundRequest.account_id == account_id)
            .order_by(RefundRequest.created_at.desc(), RefundRequest.id.desc())
            .limit(20)
        )
    )
