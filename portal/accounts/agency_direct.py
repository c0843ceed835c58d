"""A payment posted at the utility (counter, online, lockbox, draft: any channel through payments.post_payment) on an
account placed with the collection agency (docs/features.md, Collection agency; docs/policies.md#collection-agency).

The account's balance was written off to 0 when placed, so the payment alone would stand as a credit. Before the
payment's own entry, in the same transaction, `reinstate` posts a `write_off_recovery` of the payment's amount (at
most what is still placed, key `direct_recovery:<payment key>`): that much is owed again, then paid, as the agency's
recovery path does, so the account stays at 0 and the general ledger moves it out of bad debt into cash. Then
`record` writes it against the placement as a direct payment (a `collection_recovery` row with no agency fee,
reference `direct:<payment entry id>`), so the open amount drops and staff tell the agency; one audit row; the
placement is paid (and the account closed) when nothing is left placed. The agency's own recoveries (method "agency")
are not direct payments: collections.record_recovery reinstates those itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from . import audit, collection_rules, ledger, ledger_words
from .actor import Actor
from .models import (
    Account,
    AccountStatus,
    CollectionPlacement,
    CollectionRecovery,
    LedgerEntry,
    LedgerKind,
    PlacementBatch,
    PlacementStatus,
)

PREFIX = "direct:"  # a direct payment's reference on its collection_recovery row; an agency's may not start so
AGENCY_METHOD = "agency"


@dataclass(frozen=True)
class Paid:
    """One payment about to post: its account, amount (positive cents), key, method and local day."""

    account_id: int
    amount_cents: int
    source_key: str
    method: str
    paid_on: dt.date


@dataclass(frozen=True)
class Reinstated:
    placement: CollectionPlacement
    amount_cents: int  # owed again and paid: what the placement's open amount drops by
    recovered_before_cents: int
    paid: Paid


async def reinstate(session: AsyncSession, actor: Actor, paid: Sequence[Paid]) -> dict[str, Reinstated]:
    """Before the payments' entries: for each on an account with a placement still placed, the `write_off_recovery`
    of its amount (at most what is left placed). Payments of distinct accounts (post_payments' rounds). Answers them
    by payment key, for `record` once the payments are posted."""
    ids = {p.account_id for p in paid if p.method != AGENCY_METHOD}
    if not ids:
        return {}
    query = select(CollectionPlacement).where(
        CollectionPlacement.account_id.in_(ids), CollectionPlacement.status == PlacementStatus.PLACED
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    placed = {p.account_id: p for p in await session.scalars(query)}
    if not placed:
        return {}
    recovered = await recovered_cents(session, [p.id for p in placed.values()])
    found: dict[str, Reinstated] = {}
    for payment in paid:
        placement = placed.get(payment.account_id)
        if placement is None or payment.method == AGENCY_METHOD:
            continue
        before = recovered.get(placement.id, 0)
        amount = min(payment.amount_cents, max(placement.amount_cents - before, 0))
        if amount <= 0:
            continue
        await ledger.post(
            session,
            actor,
            account_id=placement.account_id,
            kind=LedgerKind.WRITE_OFF_RECOVERY,
            amount_cents=amount,
            source_key=f"direct_recovery:{payment.source_key}",
            effective_on=payment.paid_on,
            memo=ledger_words.memo("agency_direct", agency=placement.agency),
        )
        found[payment.source_key] = Reinstated(placement, amount, before, payment)
    return found


async def record(session: AsyncSession, actor: Actor, done: Reinstated, entry: LedgerEntry) -> CollectionRecovery:
    """After the payment's entry: the direct payment against the placement, its audit row, the placement paid (and
    the account closed, its balance 0) when nothing is left placed."""
    placement = done.placement
    row = CollectionRecovery(
        placement_id=placement.id,
        reference=f"{PREFIX}{entry.id}",
        received_on=done.paid.paid_on,
        gross_cents=done.amount_cents,
        fee_cents=0,
        recorded_by_id=actor.user_id,
    )
    session.add(row)
    status = collection_rules.status_after(placement.amount_cents, done.recovered_before_cents + done.amount_cents)
    await audit.record(
        session,
        actor,
        "collections.direct_payment",
        "collection_placement",
        placement.id,
        account_id=placement.account_id,
        before={"status": placement.status.value, "recovered_cents": done.recovered_before_cents},
        after={
            "status": status.value,
            "payment_entry_id": entry.id,
            "method": done.paid.method,
            "paid_on": done.paid.paid_on.isoformat(),
            "amount_cents": done.amount_cents,
            "payment_cents": done.paid.amount_cents,
        },
    )
    if status != placement.status:
        placement.status = status
        await set_account_status(session, actor, placement.account_id, AccountStatus.CLOSED, "paid while placed")
    await session.flush()
    return row


RETURNED = "returned:"  # after PREFIX: a returned direct payment's row, negative, reference direct:returned:<entry>


async def payment_reversed(session: AsyncSession, actor: Actor, payment_entry_id: int, day: dt.date) -> int:
    """A direct payment taken back (an ACH return, a card dispute, a void at the counter) after its reversal is
    posted: what it took off the placement is placed again. A `write_off` of that amount (key
    `direct_return:<entry>`) takes it back off receivables, as the placement had, so the reversal leaves the account
    at 0 rather than owing the utility money the agency collects; a negative direct row (reference
    `direct:returned:<entry>`) puts it back on the placement's open amount, a paid placement is placed again and the
    account back in collections; one audit row. Answers the cents placed again (0: not a direct payment, or done)."""
    found = await session.scalar(
        select(CollectionRecovery).where(CollectionRecovery.reference == f"{PREFIX}{payment_entry_id}")
    )
    if found is None:
        return 0
    reference = f"{PREFIX}{RETURNED}{payment_entry_id}"
    if await session.scalar(select(CollectionRecovery.id).where(CollectionRecovery.reference == reference)):
        return 0
    placement = await session.get_one(CollectionPlacement, found.placement_id)
    amount = found.gross_cents
    posting = await ledger.post(
        session,
        actor,
        account_id=placement.account_id,
        kind=LedgerKind.WRITE_OFF,
        amount_cents=-amount,
        source_key=f"direct_return:{payment_entry_id}",
        effective_on=day,
        memo=ledger_words.memo("agency_direct", agency=placement.agency),
    )
    if not posting.created:
        return 0
    session.add(
        CollectionRecovery(
            placement_id=placement.id,
            reference=reference,
            received_on=day,
            gross_cents=-amount,
            fee_cents=0,
            recorded_by_id=actor.user_id,
        )
    )
    before = placement.status
    placement.status = PlacementStatus.PLACED
    await session.flush()
    await audit.record(
        session,
        actor,
        "collections.direct_returned",
        "collection_placement",
        placement.id,
        account_id=placement.account_id,
        before={"status": before.value},
        after={"status": placement.status.value, "payment_entry_id": payment_entry_id, "amount_cents": amount},
    )
    if before != PlacementStatus.PLACED:
        await set_account_status(
            session, actor, placement.account_id, AccountStatus.COLLECTIONS, "a direct payment was taken back"
        )
    return amount


async def recovered_cents(session: AsyncSession, placement_ids: Sequence[int]) -> dict[int, int]:
    """What has come off each placement (the agency's recoveries and direct payments, gross)."""
    if not placement_ids:
        return {}
    rows = await session.execute(
        select(CollectionRecovery.placement_id, func.sum(CollectionRecovery.gross_cents))
        .where(CollectionRecovery.placement_id.in_(list(placement_ids)))
        .group_by(CollectionRecovery.placement_id)
    )
    return {pid: int(total) for pid, total in rows}


def is_direct(row: CollectionRecovery) -> bool:
    return row.reference.startswith(PREFIX)


@dataclass(frozen=True)
class DirectPayment:
    recovery: CollectionRecovery
    placement: CollectionPlacement
    number: str


async def since_last_file(
    session: AsyncSession, *, limit: int = 200
) -> tuple[PlacementBatch | None, list[DirectPayment]]:
    """The last placement file and the direct payments recorded since it was made (all, when no file yet), newest
    first: what staff tell the agency."""
    last = await session.scalar(select(PlacementBatch).order_by(PlacementBatch.made_on.desc()).limit(1))
    return last, await direct_since(session, last, limit=limit)


async def direct_since(session: AsyncSession, last: PlacementBatch | None, *, limit: int = 200) -> list[DirectPayment]:
    """The direct payments recorded since this placement file was made (all, when there is none), newest first."""
    query = (
        select(CollectionRecovery, CollectionPlacement, Account.number)
        .join(CollectionPlacement, CollectionPlacement.id == CollectionRecovery.placement_id)
        .join(Account, Account.id == CollectionPlacement.account_id)
        .where(CollectionRecovery.reference.like(PREFIX + "%"))
        .order_by(CollectionRecovery.created_at.desc(), CollectionRecovery.id.desc())
        .limit(limit)
    )
    if last is not None:
        query = query.where(CollectionRecovery.created_at >= last.created_at)
    return [DirectPayment(r, p, n) for r, p, n in await session.execute(query)]


async def set_account_status(
    session: AsyncSession, actor: Actor, account_id: int, status: AccountStatus, reason: str
) -> None:
    """The account's status changed (a placement paid or recalled), with its audit row; unchanged: nothing."""
    account = await session.get(Account, account_id)
    if account is None or account.status == status:
        return
    before = account.status
    account.status = status
    await session.flush()
    await audit.record(
        session,
        actor,
        "account.status",
        "account",
        account.id,
        account_id=account.id,
        before={"status": before.value},
        after={"status": status.value, "reason": reason},
    )
