"""THE one way a payment reaches the ledger (Stripe card or bank, counter cash/check, lockbox line, bank draft), and
what a payment changes on the other sides: an open disconnect order is cancelled with a reason the technician reads,
or, when service is already off, a restore order is created (same business day when paid before the cut-off hour)
with its reconnection fee (portal/accounts/reconnect.py).

Every payment carries one unique key from start to ledger (the Stripe PaymentIntent id, the receipt number, the
lockbox file's line key). Posting the same key again is "already posted": it succeeds and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import format_date, format_time
from portal.i18n import gettext as _

from . import (
    agency_direct,
    arrears,
    deposits,
    extensions,
    holds,
    ledger,
    ledger_words,
    reconnect,
    service_state,
    workorders,
)
from .actor import Actor
from .audit import record
from .errors import Conflict
from .models import (
    Account,
    AccountStatus,
    Deposit,
    ExtensionStatus,
    LedgerEntry,
    LedgerKind,
    PaymentExtension,
    WorkOrder,
    WorkOrderKind,
    WorkOrderStatus,
)
from .policy import Policy, current_policy

METHODS = ("card", "us_bank_account", "cash", "check", "lockbox", "draft", "agency")


def method_label(method: str) -> str:
    """How a way of paying reads on a work order's cancel reason, a receipt and the ledger memo."""
    word = ledger_words.METHOD_WORDS.get(method)
    return str(word) if word is not None else method


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


@dataclass(frozen=True)
class NewPayment:
    """One payment to post: `amount_cents` positive, `source_key` its one key from start to ledger."""

    account_id: int
    amount_cents: int
    source_key: str
    method: str
    paid_at: dt.datetime
    reference: str = ""
    memo: str = ""


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
    payment = NewPayment(account_id, amount_cents, source_key, method, paid_at, reference, memo)
    return (await post_payments(session, actor, [payment], timezone=timezone, policy=policy))[0]


async def post_payments(
    session: AsyncSession, actor: Actor, payments: Sequence[NewPayment], *, timezone: str, policy: Policy | None = None
) -> list[PaymentPosted]:
    """Post many payments with what `post_payment` does for each, in order, with a few queries for the lot (a
    lockbox file, a day of the demo city's history). Payments are taken in rounds in which no account and no key
    appears twice, so each one sees the effects of those before it exactly as one call after another would."""
    for payment in payments:
        amount = payment.amount_cents
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise ValueError("a payment is a positive number of cents")
        _local(payment.paid_at, timezone)
    policy = policy or current_policy()
    results: dict[int, PaymentPosted] = {}
    waiting = list(enumerate(payments))
    while waiting:
        round_: list[tuple[int, NewPayment]] = []
        later: list[tuple[int, NewPayment]] = []
        accounts: set[int] = set()  # of this round and of those put off (a later one of theirs waits too)
        keys: set[str] = set()
        for index, payment in waiting:
            taken = payment.account_id in accounts or payment.source_key in keys
            accounts.add(payment.account_id)
            keys.add(payment.source_key)
            (later if taken else round_).append((index, payment))
        results.update(await _post_round(session, actor, round_, timezone, policy))
        waiting = later
    return [results[index] for index in range(len(payments))]


def _check_same(entry: LedgerEntry, payment: NewPayment) -> None:
    if (
        entry.account_id != payment.account_id
        or entry.amount_cents != -payment.amount_cents
        or entry.kind != LedgerKind.PAYMENT
    ):
        raise Conflict(f"source key {payment.source_key} was already posted with different details", code="key_reused")


async def _post_round(
    session: AsyncSession, actor: Actor, round_: list[tuple[int, NewPayment]], timezone: str, policy: Policy
) -> dict[int, PaymentPosted]:
    """Payments of distinct accounts and keys: the ledger entries in one statement, then each effect for all."""
    results: dict[int, PaymentPosted] = {}
    existing = {
        e.source_key: e
        for e in await session.scalars(
            select(LedgerEntry).where(LedgerEntry.source_key.in_([p.source_key for _i, p in round_]))
        )
    }
    fresh: list[tuple[int, NewPayment]] = []
    for index, payment in round_:
        entry = existing.get(payment.source_key)
        if entry is not None:
            _check_same(entry, payment)
            results[index] = PaymentPosted(entry, created=False)
        else:
            fresh.append((index, payment))
    if not fresh:
        return results
    account_of = {
        a.id: a for a in await session.scalars(select(Account).where(Account.id.in_([p.account_id for _i, p in fresh])))
    }
    # On an account placed with the collection agency: the written-off amount owed again first (agency_direct)
    reinstated = await agency_direct.reinstate(
        session,
        actor,
        [
            agency_direct.Paid(p.account_id, p.amount_cents, p.source_key, p.method, _local(p.paid_at, timezone).date())
            for _i, p in fresh
            if account_of[p.account_id].status == AccountStatus.COLLECTIONS
        ],
    )
    created = await ledger.post_many(
        session,
        actor,
        [
            ledger.NewEntry(
                p.account_id,
                LedgerKind.PAYMENT,
                -p.amount_cents,
                p.source_key,
                _local(p.paid_at, timezone).date(),
                p.memo
                or (
                    ledger_words.memo("payment_reference", method=p.method, reference=p.reference)
                    if p.reference
                    else ledger_words.memo("payment", method=p.method)
                ),
            )
            for _i, p in fresh
        ],
    )
    entries = {
        e.source_key: e
        for e in await session.scalars(
            select(LedgerEntry).where(LedgerEntry.source_key.in_([p.source_key for _i, p in fresh]))
        )
    }
    posted: list[tuple[int, NewPayment, LedgerEntry]] = []
    for index, payment in fresh:
        entry = entries.get(payment.source_key)
        if entry is None:  # pragma: no cover - the insert either made it or found it
            raise Conflict(f"could not post {payment.source_key}", code="insert_failed")
        if payment.source_key not in created:  # another transaction posted the same key meanwhile
            _check_same(entry, payment)
            results[index] = PaymentPosted(entry, created=False)
        else:
            posted.append((index, payment, entry))
    if not posted:
        return results
    for _index, payment, entry in posted:
        if payment.source_key in reinstated:
            await agency_direct.record(session, actor, reinstated[payment.source_key], entry)

    by_day: dict[dt.date, list[int]] = {}
    for _index, payment, _entry in posted:
        by_day.setdefault(_local(payment.paid_at, timezone).date(), []).append(payment.account_id)
    latest_deposit = (
        select(Deposit.account_id, func.max(Deposit.id).label("id"))
        .where(Deposit.account_id.in_([p.account_id for _i, p, _e in posted]))
        .group_by(Deposit.account_id)
        .subquery()
    )
    deposit_of = {
        d.account_id: d
        for d in await session.scalars(select(Deposit).join(latest_deposit, latest_deposit.c.id == Deposit.id))
    }
    for day, ids in by_day.items():
        found = [deposit_of[a] for a in ids if a in deposit_of]
        if found:
            await deposits.record_paid(session, actor, found, on=day)

    for day, ids in by_day.items():
        finals = [a for a in ids if account_of[a].status == AccountStatus.FINAL]
        if finals:
            await service_state.close_settled(session, actor, finals, today=day)
    owed: dict[int, arrears.Arrears] = {}
    for day, ids in by_day.items():
        owed.update(await arrears.arrears_many(session, ids, day))
    cleared = [(i, p, e) for i, p, e in posted if owed[p.account_id].past_due_cents <= 0]
    for index, _payment, entry in posted:
        results[index] = PaymentPosted(entry, created=True)
    # A payment that leaves less past due than the cut-off minimum also takes the account out of cut-off.
    below = [
        (i, p, e) for i, p, e in posted if 0 < owed[p.account_id].past_due_cents < holds.cutoff_minimum_cents(policy)
    ]
    for index, payment, entry in below:
        cancelled = await workorders.exclusion_started(
            session,
            actor,
            [payment.account_id],
            _(
                "Payment received: %(amount)s past due now, under the %(minimum)s cut-off minimum.",
                amount=_money(owed[payment.account_id].past_due_cents),
                minimum=_money(holds.cutoff_minimum_cents(policy)),
            ),
        )
        if cancelled:
            results[index] = PaymentPosted(entry, created=True, cancelled_order_ids=tuple(cancelled))
    if not cleared:
        return results

    cleared_ids = [p.account_id for _i, p, _e in cleared]
    # A request for more time still waiting for staff is moot once the past-due balance is paid: it leaves the queue
    # and the resident's pages stop saying it waits for review (audited as extension.cancel).
    paid_on = {p.account_id: _local(p.paid_at, timezone).date() for _i, p, _e in cleared}
    for waiting in list(
        await session.scalars(
            select(PaymentExtension).where(
                PaymentExtension.account_id.in_(cleared_ids), PaymentExtension.status == ExtensionStatus.PENDING_REVIEW
            )
        )
    ):
        await extensions.cancel(
            session,
            actor,
            waiting,
            reason=_("No longer needed: the past-due balance was paid."),
            today=paid_on[waiting.account_id],
        )
    with_disconnect = set(
        await session.scalars(
            select(WorkOrder.account_id).where(
                WorkOrder.account_id.in_(cleared_ids),
                WorkOrder.kind == WorkOrderKind.DISCONNECT,
                WorkOrder.status.in_(workorders.OPEN_STATUSES),
            )
        )
    )
    off = await _services_off(session, [account_of[a] for a in cleared_ids])
    for index, payment, entry in cleared:
        account = account_of[payment.account_id]
        if account.id not in with_disconnect and account.id not in off:
            continue
        results[index] = await _after_arrears_cleared(
            session, actor, policy, account, payment, entry, timezone, off=account.id in off
        )
    return results


async def payment_taken_back(
    session: AsyncSession, actor: Actor, payment_entry_id: int, account_id: int, day: dt.date, why: str
) -> None:
    """After a payment's reversal is posted (a returned check or bank debit, a card dispute, a receipt voided): what
    it had paid on a collection placement is placed again (agency_direct.payment_reversed), and an account that the
    payment had closed, owing again, is final again (audited with `why`), so its balance is shown, dunned and placed
    like any final account's instead of sitting on a closed one."""
    await agency_direct.payment_reversed(session, actor, payment_entry_id, day)
    account = await session.get(Account, account_id)
    if account is not None and account.status == AccountStatus.CLOSED and await ledger.balance(session, account_id) > 0:
        await agency_direct.set_account_status(session, actor, account_id, AccountStatus.FINAL, why)


async def _services_off(session: AsyncSession, accounts: list[Account]) -> set[int]:
    """Which accounts have service off: the account says so, or its latest completed disconnect has no completed
    restore after it."""
    off = {a.id for a in accounts if a.status == AccountStatus.DISCONNECTED}
    rest = [a.id for a in accounts if a.id not in off]
    if rest:
        rows = await session.execute(
            select(WorkOrder.account_id, WorkOrder.kind)
            .where(
                WorkOrder.account_id.in_(rest),
                WorkOrder.status == WorkOrderStatus.COMPLETED,
                WorkOrder.kind.in_([WorkOrderKind.DISCONNECT, WorkOrderKind.RESTORE]),
            )
            .order_by(WorkOrder.account_id, WorkOrder.completed_at.desc(), WorkOrder.id.desc())
        )
        latest: dict[int | None, WorkOrderKind] = {}
        for account_id, kind in rows:
            latest.setdefault(account_id, kind)
        off |= {a for a, kind in latest.items() if a is not None and kind == WorkOrderKind.DISCONNECT}
    return off


async def _after_arrears_cleared(
    session: AsyncSession,
    actor: Actor,
    policy: Policy,
    account: Account,
    payment: NewPayment,
    entry: LedgerEntry,
    timezone: str,
    *,
    off: bool,
) -> PaymentPosted:
    """A payment that cleared the past-due balance: open disconnect orders are cancelled; service that is off gets
    a restore order (with its reconnection fee)."""
    local = _local(payment.paid_at, timezone)
    label = method_label(payment.method)
    paid = {
        "amount_cents": payment.amount_cents,
        "method": payment.method,
        "paid_at": local.isoformat(),
        "reference": payment.reference,
    }
    cancelled = await workorders.exclusion_started(session, actor, [account.id], paid_reason(paid, timezone), paid=paid)
    restore_id: int | None = None
    if off:
        existing = await workorders.open_for(session, account, WorkOrderKind.RESTORE)
        if existing is not None:
            restore_id = existing.id
        else:
            due = restore_due_on(policy, local)
            # The meter the last disconnect locked: the technician's page shows it, its last read and its range.
            meter_id = await session.scalar(
                select(WorkOrder.meter_id)
                .where(
                    WorkOrder.account_id == account.id,
                    WorkOrder.kind == WorkOrderKind.DISCONNECT,
                    WorkOrder.status == WorkOrderStatus.COMPLETED,
                )
                .order_by(WorkOrder.completed_at.desc(), WorkOrder.id.desc())
                .limit(1)
            )
            order = await workorders.create(
                session,
                actor,
                kind=WorkOrderKind.RESTORE,
                premise_id=account.premise_id,
                account_id=account.id,
                meter_id=meter_id,
                due_on=due,
                priority=1,
                instructions=_(
                    "Restore service: customer paid %(amount)s by %(method)s at %(time)s on %(date)s.",
                    amount=_money(payment.amount_cents),
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
            entry.id,
            account_id=account.id,
            after={"source_key": payment.source_key, "cancelled_orders": cancelled, "restore_order": restore_id},
        )
    return PaymentPosted(entry, created=True, cancelled_order_ids=tuple(cancelled), restore_order_id=restore_id)


async def accounts_with_payment_pending(session: AsyncSession, account_ids: list[int]) -> set[int]:
    """Accounts with an online payment still on its way (a bank payment processing): cut-off lists skip them."""
    from .models import OnlinePayment

    if not account_ids:
        return set()
    rows = await session.scalars(
        select(OnlinePayment.account_id).where(
            OnlinePayment.account_id.in_(account_ids), OnlinePayment.status == "processing"
        )
    )
    return set(rows)
