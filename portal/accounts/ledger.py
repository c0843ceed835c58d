"""The money ledger: post an entry once per source key, reverse an entry once, and sum for a balance.

Entries are never updated or deleted. This module offers no way to do either, the ORM refuses to flush such a
change, and the database refuses it with a trigger (see the first migration).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, event, exists, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, aliased

from portal.db import fetch_rows, member_of

from . import audit
from .actor import Actor
from .errors import Conflict
from .models import LedgerEntry, LedgerKind


class LedgerIsAppendOnly(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_ledger_changes(session: Session, _ctx: object, _instances: object) -> None:
    for obj in session.dirty:
        if isinstance(obj, LedgerEntry) and session.is_modified(obj):
            raise LedgerIsAppendOnly("ledger entries are append-only: post a reversal instead")
    for obj in session.deleted:
        if isinstance(obj, LedgerEntry):
            raise LedgerIsAppendOnly("ledger entries are append-only: post a reversal instead")


@dataclass(frozen=True)
class Posting:
    entry: LedgerEntry
    created: bool  # False when the source key had already been posted: a replay changed nothing


async def post(
    session: AsyncSession,
    actor: Actor,
    *,
    account_id: int,
    kind: LedgerKind,
    amount_cents: int,
    source_key: str,
    effective_on: dt.date,
    memo: str = "",
    bill_id: int | None = None,
) -> Posting:
    """Post one entry keyed by its source. Posting the same key again returns the first entry untouched;
    the same key with a different account or amount is a conflict, never silently accepted."""
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool):
        raise TypeError("amount_cents must be an int")
    existing = await _by_key(session, source_key)
    if existing is None:
        entry = LedgerEntry(
            account_id=account_id,
            kind=kind,
            amount_cents=amount_cents,
            source_key=source_key,
            effective_on=effective_on,
            memo=memo[:300],
            bill_id=bill_id,
            created_by_id=actor.user_id,
            origin=actor.origin,
        )
        if not await _insert(session, entry):
            # Another transaction posted the same key between our look-up and insert.
            existing = await _by_key(session, source_key)
            if existing is None:
                raise Conflict(f"could not post {source_key}", code="insert_failed")
        else:
            await audit.record(
                session,
                actor,
                "ledger.post",
                "ledger_entry",
                entry.id,
                account_id=account_id,
                after={"kind": kind, "amount_cents": amount_cents, "source_key": source_key, "memo": memo},
            )
            return Posting(entry, created=True)
    if existing.account_id != account_id or existing.amount_cents != amount_cents or existing.kind != kind:
        raise Conflict(f"source key {source_key} was already posted with different details", code="key_reused")
    return Posting(existing, created=False)


@dataclass(frozen=True)
class NewEntry:
    account_id: int
    kind: LedgerKind
    amount_cents: int
    source_key: str
    effective_on: dt.date
    memo: str = ""
    bill_id: int | None = None


async def post_many(session: AsyncSession, actor: Actor, items: Sequence[NewEntry]) -> dict[str, int]:
    """Post many entries in one statement (bill runs, late fees), each once per source key: a key already posted
    is skipped, as `post` does. Returns {source_key: entry id} for the entries this call created, and writes their
    audit rows the same way."""
    if not items:
        return {}
    for item in items:
        if not isinstance(item.amount_cents, int) or isinstance(item.amount_cents, bool):
            raise TypeError("amount_cents must be an int")
    dialect = session.get_bind().dialect.name
    make_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = dt.datetime.now(dt.UTC)
    rows = [
        {
            "account_id": item.account_id,
            "kind": item.kind,
            "amount_cents": item.amount_cents,
            "source_key": item.source_key,
            "effective_on": item.effective_on,
            "memo": item.memo[:300],
            "bill_id": item.bill_id,
            "reverses_id": None,
            "created_by_id": actor.user_id,
            "origin": actor.origin,
            "created_at": now,
        }
        for item in items
    ]
    table = LedgerEntry.__table__
    statement = (
        make_insert(table)
        .on_conflict_do_nothing(index_elements=["source_key"])
        .returning(table.c.id, table.c.source_key)
    )
    created = {key: entry_id for entry_id, key in (await session.execute(statement, rows)).all()}
    by_key = {item.source_key: item for item in items}
    await audit.record_many(
        session,
        actor,
        [
            {
                "action": "ledger.post",
                "entity_type": "ledger_entry",
                "entity_id": entry_id,
                "account_id": by_key[key].account_id,
                "after": {
                    "kind": by_key[key].kind,
                    "amount_cents": by_key[key].amount_cents,
                    "source_key": key,
                    "memo": by_key[key].memo,
                },
            }
            for key, entry_id in created.items()
        ],
    )
    return created


async def reverse(
    session: AsyncSession,
    actor: Actor,
    entry_id: int,
    *,
    reason: str,
    effective_on: dt.date,
    source_key: str | None = None,
) -> Posting:
    """Cancel an entry's effect with an equal and opposite one. An entry can be reversed once; a reversal itself
    cannot be reversed (post a new entry instead)."""
    original = await session.get(LedgerEntry, entry_id)
    if original is None:
        raise Conflict("no such ledger entry", code="not_found")
    if original.kind == LedgerKind.REVERSAL:
        raise Conflict("a reversal cannot itself be reversed", code="reversal_of_reversal")
    key = source_key or f"reversal:{original.id}"
    already = await session.scalar(select(LedgerEntry).where(LedgerEntry.reverses_id == original.id))
    if already is not None:
        return Posting(already, created=False)
    entry = LedgerEntry(
        account_id=original.account_id,
        kind=LedgerKind.REVERSAL,
        amount_cents=-original.amount_cents,
        source_key=key,
        effective_on=effective_on,
        memo=reason[:300],
        bill_id=original.bill_id,
        reverses_id=original.id,
        created_by_id=actor.user_id,
        origin=actor.origin,
    )
    if not await _insert(session, entry):
        already = await session.scalar(select(LedgerEntry).where(LedgerEntry.reverses_id == original.id))
        if already is None:
            raise Conflict(f"could not reverse entry {original.id}", code="insert_failed")
        return Posting(already, created=False)
    await audit.record(
        session,
        actor,
        "ledger.reverse",
        "ledger_entry",
        entry.id,
        account_id=original.account_id,
        before={"entry_id": original.id, "amount_cents": original.amount_cents, "kind": original.kind},
        after={"amount_cents": entry.amount_cents, "reason": reason},
    )
    return Posting(entry, created=True)


async def balance(session: AsyncSession, account_id: int, *, as_of: dt.date | None = None) -> int:
    """What the account owes in cents (negative: a credit). Always the sum of the ledger, never a stored total."""
    query = select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(LedgerEntry.account_id == account_id)
    if as_of is not None:
        query = query.where(LedgerEntry.effective_on <= as_of)
    return int(await session.scalar(query) or 0)


def payment_in_force() -> ColumnElement[bool]:
    """A payment no entry reverses: not voided at the counter, not returned by the bank. The "last payment" a page
    names is one of these (a voided $5,000 was still shown as the customer's last payment)."""
    reversal = aliased(LedgerEntry)
    return and_(LedgerEntry.kind == LedgerKind.PAYMENT, ~exists().where(reversal.reverses_id == LedgerEntry.id))


async def balance_after(session: AsyncSession, source_key: str) -> int | None:
    """The account's balance just after the entry with this key was posted (the entries up to it, in the order they
    were written): what a receipt printed, however often it is reprinted. None when no entry has the key."""
    entry = select(LedgerEntry.account_id, LedgerEntry.id).where(LedgerEntry.source_key == source_key).subquery()
    total = await session.execute(
        select(func.count(entry.c.id), func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .select_from(entry)
        .outerjoin(LedgerEntry, and_(LedgerEntry.account_id == entry.c.account_id, LedgerEntry.id <= entry.c.id))
    )
    found, cents = total.one()
    return int(cents) if found else None


async def balances(session: AsyncSession, account_ids: list[int]) -> dict[int, int]:
    if not account_ids:
        return {}
    rows = await fetch_rows(
        session,
        (
            select(LedgerEntry.account_id, func.sum(LedgerEntry.amount_cents))
            .where(member_of(session, LedgerEntry.account_id, account_ids))
            .group_by(LedgerEntry.account_id)
        ),
    )
    found = {account_id: int(total) for account_id, total in rows}
    return {account_id: found.get(account_id, 0) for account_id in account_ids}


async def entries(session: AsyncSession, account_id: int, *, limit: int | None = None) -> list[LedgerEntry]:
    query = (
        select(LedgerEntry)
        .where(LedgerEntry.account_id == account_id)
        .order_by(LedgerEntry.effective_on.desc(), LedgerEntry.id.desc())
    )
    if limit:
        query = query.limit(limit)
    return list(await session.scalars(query))


async def _insert(session: AsyncSession, entry: LedgerEntry) -> bool:
    """Insert inside a savepoint; False when a unique key (source key, reversal) was already taken."""
    try:
        async with session.begin_nested():
            session.add(entry)
            await session.flush()
    except IntegrityError:
        return False
    return True


async def _by_key(session: AsyncSession, source_key: str) -> LedgerEntry | None:
    return await session.scalar(select(LedgerEntry).where(LedgerEntry.source_key == source_key))
