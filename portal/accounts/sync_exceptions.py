"""Sync exceptions: field facts that could not move an order (a disconnect reported after the customer paid and the
order was cancelled, an order completed twice). The field side records them on the applied-mutation row
(`record_sync_outcomes`, with every action's id and answer); dispatch lists the open ones and resolves each with a
note."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.db import copy_rows, fetch_prepared, is_postgresql, member_of_param
from portal.i18n import gettext as _

from . import workorders
from .actor import Actor
from .audit import record
from .errors import DomainError, NotFound
from .models import SyncMutation, WorkOrder, utcnow


@dataclass
class StoredMutation:
    """What a field action's id answered: read from the table, or given earlier in the caller's transaction."""

    payload_sha256: str
    user_id: int
    status: str
    result: dict[str, Any]


@functools.cache
def _stored_query(postgresql: bool) -> Select[Any]:
    """Built once per dialect and run through `fetch_prepared` (every field sync request runs it)."""
    return select(
        SyncMutation.mutation_id,
        SyncMutation.payload_sha256,
        SyncMutation.user_id,
        SyncMutation.status,
        SyncMutation.result,
    ).where(member_of_param(SyncMutation.mutation_id, "mutation_ids", postgresql=postgresql))


async def stored_mutations(session: AsyncSession, mutation_ids: list[str]) -> dict[str, StoredMutation]:
    """The answers already stored for any of these action ids (one query)."""
    if session.new or session.dirty or session.deleted:
        await session.flush()
    rows = await fetch_prepared(session, _stored_query(is_postgresql(session)), mutation_ids=list(mutation_ids))
    return {
        mutation_id: StoredMutation(sha, user_id, status, result) for mutation_id, sha, user_id, status, result in rows
    }


@dataclass
class SyncOutcome:
    """One field action as the phone sent it and what it was answered (`applied` or `rejected`); `exception_code`
    puts it on dispatch's list of sync exceptions."""

    mutation_id: str
    device_id: str
    seq: int
    user_id: int
    kind: str
    work_order_id: int | None
    payload: dict[str, Any]
    payload_sha256: str
    status: str
    result: dict[str, Any]
    exception_code: str | None = None


async def record_sync_outcomes(session: AsyncSession, outcomes: list[SyncOutcome]) -> int:
    """Store many actions' ids with their answers (one multi-row INSERT in the caller's transaction, so each id commits
    with its effect; an id stored already raises IntegrityError). How many were stored."""
    if not outcomes:
        return 0
    now = utcnow()
    rows = [{**vars(o), "device_id": o.device_id[:64], "kind": o.kind[:32], "received_at": now} for o in outcomes]
    await copy_rows(session, SyncMutation.__table__, rows)
    return len(rows)


async def open_exceptions(session: AsyncSession, *, limit: int = 200) -> list[SyncMutation]:
    """Oldest first: the ones dispatch has not resolved yet."""
    query = (
        select(SyncMutation)
        .where(SyncMutation.exception_code.is_not(None), SyncMutation.exception_resolved_at.is_(None))
        .order_by(SyncMutation.received_at, SyncMutation.id)
        .limit(limit)
    )
    return list(await session.scalars(query))


async def resolve(session: AsyncSession, actor: Actor, exception_id: int, note: str) -> SyncMutation:
    row = await session.get(SyncMutation, exception_id)
    if row is None or row.exception_code is None:
        raise NotFound(_("We could not find that sync exception."))
    if row.exception_resolved_at is None:
        row.exception_resolved_at = utcnow()
        row.exception_resolved_by_id = actor.user_id
        row.note = note[:2000]
        await session.flush()
        await record(
            session,
            actor,
            "sync_exception.resolve",
            "sync_mutation",
            row.id,
            after={"code": row.exception_code, "work_order_id": row.work_order_id, "note": row.note},
        )
    return row


async def override_hold(session: AsyncSession, actor: Actor, exception_id: int, reason: str) -> SyncMutation:
    """A refused disconnect (`disconnect_hold`) that dispatch lets go ahead: the order carries the override and the
    exception is resolved with the reason, both audited."""
    row = await session.get(SyncMutation, exception_id)
    if row is None or row.exception_code != "disconnect_hold" or row.work_order_id is None:
        raise NotFound(_("We could not find that sync exception."))
    reason = reason.strip()
    if len(reason) < 10:
        raise DomainError(_("Say why the hold does not apply (at least 10 characters)."), field="reason")
    order = await session.get_one(WorkOrder, row.work_order_id)  # the exception's order: a foreign key
    await workorders.override_hold(session, actor, order, reason)
    return await resolve(session, actor, exception_id, _("Hold overridden: %(reason)s", reason=reason))
