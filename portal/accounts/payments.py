"""THE one way a payment reaches the ledger (Stripe card or bank, counter cash/check, lockbox line, bank draft), and
what a payment changes on the other sides: an open disconnect order is cancelled with a reason the technician reads,
or, when service is already off, a restore order is created (same business day when paid before the cut-off hour)
with its reconnection fee (portal/accounts/reconnect.py).

Every payment carries one unique key from start to ledger (the Stripe PaymentIntent id, the receipt number, the
lockbox file's line key). Posting the same key again is "already posted": it succeeds and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import format_date, format_time
from portal.i18n import gettext as _

from . import arrears, deposits, ledger, reconnect, service_state, workorders
from .actor import Actor
from .audit import record
from .errors import Conflict
from .models import Account, AccountStatus, LedgerEntry, LedgerKind, WorkOrder, WorkOrderKind, WorkOrderStatus
from .policy import Policy, current_policy

METHODS = ("card", "us_bank_account", "cash", "check", "lockbox", "draft")


def method_label(method: str) -> str:
    """How a way of paying reads on a work order's cancel reason, a receipt and the ledger memo."""
    labels = {
        "card": _("card"),
        "us_bank_account": _("bank account"),
        "cash": _("cash"),
        "check": _("check"),
        "lockbox": _("mailed check"),
        "draft": _("bank draft"),
    }
    return labels.get(method, method)


@dataclass(frozen=True)
class PaymentPosted:
    entry: LedgerEntry
    created: bool  # False: this key had already been posted; nothing changed
    cancelled_order_ids: tuple[int, ...] = field(default_factory=tuple)
    restore_order_id: int | None = None


def paid_reason(paid: dict[str, Any], timezone: str) -> str:
    """Why a disconnect order was cancelled by a payment, in the reader's language and time format. `paid` is what the
    order keeps (`result["paid"]`), so a technician reading it later sees it in their own language, with the whole
    confirmation reference."""
    paid_at = dt.datetime.fromisoformat(str(paid["paid_at"]))
    reason = _(
        "Cancelled: customer paid %(amount)s by %(method)s at %(time)s; past-due balance cleared.",
        amount=_money(int(paid["amount_cents"])),
        method=method_label(str(paid["method"])),
        time=format_time(paid_at, timezone),
    )
    if paid.get("reference"):
        reason += " " + _("Confirmation %(reference)s.", reference=paid["reference"])
    return reason


def restore_due_on(policy: Policy, paid_local: dt.datetime) -> dt.date:
    """Restore the same business day when paid on a business day before the cut-off hour, else the next one."""
    day = paid_local.date()
    if policy.is_business_day(day) and paid_local.time() < policy.reconnect_same_day_cutoff:
        return day
    return policy.next_business_day(day + dt.timedelta(days=1))


def _local(paid_at: dt.datetime, timezone: str) -> dt.datetime:
    if paid_at.tzinfo is None:
        raise TypeError("paid_at must be an aware datetime")
    return paid_at.astimezone(ZoneInfo(timezone))


def _money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


async def _service_is_off(session: AsyncSession, account: Account) -> bool:
    """Off when the account says so, or when its latest completed disconnect has no completed restore after it."""
    if account.status == AccountStatus.DISCONNECTED:
        return True
    latest = (
        await session.execute(
            select(WorkOrder.kind)
            .where(
                WorkOrder.account_id == account.id,
                WorkOrder.status == WorkOrderStatus.COMPLETED,
                WorkOrder.kind.in_([WorkOrderKind.DISCONNECT, WorkOrderKind.RESTORE]),
            )
            .order_by(WorkOrder.completed_at.desc(), WorkOrder.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    return latest == WorkOrderKind.DISCONNECT


async def post_payment(
    session: AsyncSession,
    actor: Actor,
    *,
    account_id: int,
    amount_cents: int,
    source_key: str,
    method: str,
    paid_at: dt.datetime,
    timezone: str,
    reference: str = "",
    memo: str = "",
    policy: Policy | None = None,
) -> PaymentPosted:
    """Post a payment of `amount_cents` (positive) keyed by `source_key`, then apply the cross-side effects.

    Runs inside the caller's transaction. A replay of the same key returns the first entry with created=False and
    applies nothing again; the same key with another account or amount raises Conflict.
    """
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or amount_cents <= 0:
        raise ValueError("a payment is a positive number of cents")
    policy = policy or current_policy()
    local = _local(paid_at, timezone)
    label = method_label(method)
    posting = await ledger.post(
        session,
        actor,
        account_id=account_id,
        kind=LedgerKind.PAYMENT,
        amount_cents=-amount_cents,
        source_key=source_key,
        effective_on=local.date(),
        memo=memo or f"Payment by {label}" + (f" ({reference})" if reference else ""),
    )
    if not posting.created:
        return PaymentPosted(posting.entry, created=False)
    await deposits.record_paid_for_account(session, actor, account_id, on=local.date())

    account = await session.get(Account, account_id)
    if account is None:  # pragma: no cover - the ledger's foreign key refuses this first
        raise Conflict("no such account", code="not_found")
    if account.status == AccountStatus.FINAL:
        await service_state.close_settled(session, actor, [account_id], today=local.date())
    owed = await arrears.arrears(session, account_id, local.date())
    if owed.past_due_cents > 0:
        return PaymentPosted(posting.entry, created=True)

    cancelled: list[int] = []
    paid = {"amount_cents": amount_cents, "method": method, "paid_at": local.isoformat(), "reference": reference}
    reason = paid_reason(paid, timezone)
    for order in await workorders.for_account(session, account_id, kinds=[WorkOrderKind.DISCONNECT]):
        if await workorders.cancel(session, actor, order, reason, paid=paid):
            cancelled.append(order.id)

    restore_id: int | None = None
    if await _service_is_off(session, account):
        existing = await workorders.open_for(session, account, WorkOrderKind.RESTORE)
        if existing is not None:
            restore_id = existing.id
        else:
            due = restore_due_on(policy, local)
            order = await workorders.create(
                session,
                actor,
                kind=WorkOrderKind.RESTORE,
                premise_id=account.premise_id,
                account_id=account.id,
                due_on=due,
                priority=1,
                instructions=_(
                    "Restore service: customer paid %(amount)s by %(method)s at %(time)s on %(date)s.",
                    amount=_money(amount_cents),
                    method=label,
                    time=format_time(local, timezone),
                    date=format_date(local.date()),
                ),
            )
            restore_id = order.id
            await reconnect.charge_fee(session, actor, policy, order, on=local.date())

    if cancelled or restore_id is not None:
        await record(
            session,
            actor,
            "payment.cleared_arrears",
            "ledger_entry",
            posting.entry.id,
            account_id=account_id,
            after={"source_key": source_key, "cancelled_orders": cancelled, "restore_order": restore_id},
        )
    return PaymentPosted(posting.entry, created=True, cancelled_order_ids=tuple(cancelled), restore_order_id=restore_id)


async def accounts_with_payment_pending(session: AsyncSession, account_ids: list[int]) -> set[int]:
    """Accounts with an online payment still on its way (a bank payment processing): cut-off lists skip them."""
    from .models import OnlinePayment

    if not account_ids:
        return set()
    rows = await session.scalars(
        select(OnlinePayment.account_id).where(OnlinePayment.account_id.in_(account_ids), OnlinePayment.status == "processing")
    )
    return set(rows)
