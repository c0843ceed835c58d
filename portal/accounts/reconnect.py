"""The reconnection fee (docs/design.md, section 4, Reconnection): $50 for a restore done in business hours, $100 after
hours. Paying off the arrears of a disconnected account orders a restore on the next business-hours slot and
charges the business-hours fee once, keyed by the restore order; a customer who asks for the restore tonight (after
hours) has that fee reversed and the after-hours fee charged instead."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import gettext as _

from . import audit, ledger, ledger_words, workorders
from .actor import Actor
from .errors import Conflict
from .models import Account, LedgerEntry, LedgerKind, WorkOrder, WorkOrderKind
from .policy import Policy

# ---- pure rules ----------------------------------------------------------------------------------------------


def in_business_hours(policy: Policy, at_local: dt.datetime) -> bool:
    return (
        policy.is_business_day(at_local.date())
        and policy.business_hours_start <= at_local.time() < policy.business_hours_end
    )


def fee_cents(policy: Policy, restore_at_local: dt.datetime) -> int:
    """What reconnecting at this local time costs."""
    return (
        policy.reconnect_fee_cents
        if in_business_hours(policy, restore_at_local)
        else policy.reconnect_after_hours_fee_cents
    )


def business_hours_start(policy: Policy, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, policy.business_hours_start)


# ---- services ------------------------------------------------------------------------------------------------


def fee_key(order: WorkOrder, after_hours: bool = False) -> str:
    return f"reconnect:{order.id}" + (":after_hours" if after_hours else "")


async def charge_fee(
    session: AsyncSession, actor: Actor, policy: Policy, order: WorkOrder, *, on: dt.date
) -> LedgerEntry:
    """The business-hours fee for a restore scheduled on its due date (a business day), once per restore order."""
    assert order.account_id is not None  # a restore order is always for an account
    cents = fee_cents(policy, business_hours_start(policy, order.due_on))
    posting = await ledger.post(
        session,
        actor,
        account_id=order.account_id,
        kind=LedgerKind.FEE,
        amount_cents=cents,
        source_key=fee_key(order),
        effective_on=on,
        memo=ledger_words.memo("reconnect_fee", order=order.id),
    )
    return posting.entry


async def restore_after_hours(
    session: AsyncSession, actor: Actor, policy: Policy, account: Account, *, now_local: dt.datetime
) -> WorkOrder:
    """The customer asks to be reconnected now, outside business hours: the open restore order is due today, its
    business-hours fee is reversed and the after-hours fee charged. Refused in business hours (the normal restore
    is already due the same day) and when no restore is waiting."""
    order = await workorders.open_for(session, account, WorkOrderKind.RESTORE)
    if order is None:
        raise Conflict(_("No restore is waiting on this account: the past-due balance must be paid first."))
    if in_business_hours(policy, now_local):
        raise Conflict(_("It is business hours: the restore is done today at the usual fee."))
    if await session.scalar(select(LedgerEntry.id).where(LedgerEntry.source_key == fee_key(order, after_hours=True))):
        raise Conflict(_("This restore is already ordered after hours."))
    today = now_local.date()
    business = await session.scalar(select(LedgerEntry).where(LedgerEntry.source_key == fee_key(order)))
    if business is not None:
        await ledger.reverse(
            session,
            actor,
            business.id,
            effective_on=today,
            reason=ledger_words.memo("reconnect_after_hours_instead", order=order.id),
        )
    await ledger.post(
        session,
        actor,
        account_id=account.id,
        kind=LedgerKind.FEE,
        amount_cents=policy.reconnect_after_hours_fee_cents,
        source_key=fee_key(order, after_hours=True),
        effective_on=today,
        memo=ledger_words.memo("reconnect_fee_after_hours", order=order.id),
    )
    before = {"due_on": order.due_on, "priority": order.priority}
    order.due_on = today
    order.priority = 0
    order.instructions = (
        (order.instructions or "") + " " + _("After hours: the customer asked to be reconnected tonight.")
    ).strip()
    await session.flush()
    await audit.record(
        session,
        actor,
        "work_order.after_hours",
        "work_order",
        order.id,
        account_id=account.id,
        before=before,
        after={"due_on": order.due_on, "priority": order.priority, "fee_cents": policy.reconnect_after_hours_fee_cents},
    )
    return order
