"""What a resident asks for after the fact: the requests page (starts, stops, moves, problem reports, extensions),
cancelling a request, stopping service and the extension page's standing. The rules live in
portal.accounts.tenancy and portal.accounts.extensions (staff use them too)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.accounts import access, photo_access, tenancy
from portal.accounts.actor import Actor
from portal.accounts.models import Account, PaymentExtension, ServiceRequest
from portal.accounts.policy import Policy

from .services import premises_of


async def requests_view(session: AsyncSession, account_ids: list[int]) -> dict[str, Any]:
    """The requests page: each request with its state and whether it may still be cancelled, and recent extensions."""
    requests = await tenancy.requests_for_accounts(session, account_ids)
    orders = await tenancy.orders_of(session, requests)
    ids = {i for r in requests for i in (r.from_account_id, r.to_account_id) if i} | set(account_ids)
    by_id = {a.id: a for a in await session.scalars(select(Account).where(Account.id.in_(ids)))} if ids else {}
    extension_rows = (
        list(
            await session.scalars(
                select(PaymentExtension)
                .where(PaymentExtension.account_id.in_(account_ids))
                .order_by(PaymentExtension.requested_on.desc(), PaymentExtension.id.desc())
                .limit(20)
            )
        )
        if account_ids
        else []
    )
    items = [
        {
            "request": r,
            "state": tenancy.request_state(r, orders),
            "cancellable": tenancy.cancellable(r, orders),
            "from": by_id.get(r.from_account_id or 0),
            "to": by_id.get(r.to_account_id or 0),
            "order": orders.get(r.problem_order_id or 0),
        }
        for r in requests
    ]
    return {
        "items": items,
        "report_photos": await photo_access.report_photos(session, requests),
        "premises": await premises_of(session, list(by_id.values())),
        "extensions": extension_rows,
        "accounts_by_id": by_id,
        "no_reason_online": NO_REASON_ONLINE,  # shown as "By you, online" in the reader's language
    }


# What a request cancelled online without a reason records; its page shows it in the reader's words.
NO_REASON_ONLINE = "Cancelled by the customer online"


async def cancel_request(
    session: AsyncSession, actor: Actor, user_id: int, request_id: int, reason: str | None, today: dt.date
) -> ServiceRequest:
    """Cancel one of the login's own requests (another login's request answers "not found")."""
    accounts = await access.linked_accounts(session, user_id)
    row = await tenancy.request_for(session, request_id, [a.id for a in accounts])
    await tenancy.cancel_request(
        session,
        actor,
        row,
        reason=(reason or "").strip()[:200] or NO_REASON_ONLINE,
        today=today,
    )
    return row


async def stop_service(
    session: AsyncSession,
    actor: Actor,
    policy: Policy,
    account: Account,
    *,
    stop_on: dt.date,
    forwarding_address: str,
    today: dt.date,
) -> ServiceRequest:
    """Ask to stop service; a refusal (tenancy.RequestRefused) leaves nothing half-written."""
    async with session.begin_nested():
        return await tenancy.stop_service(
            session, actor, policy, account, stop_on=stop_on, forwarding_address=forwarding_address, today=today
        )
