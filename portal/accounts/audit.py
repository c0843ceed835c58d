"""The audit trail: one row for every change of money, orders and account status, written in the same
transaction as the change it describes."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from portal.db import copy_rows

from .actor import Actor
from .models import AuditEvent, utcnow

_AS_IS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    if type(value) in _AS_IS:  # most values, answered without the checks below (enums are str and int subclasses)
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value


async def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: object,
    *,
    account_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor.user_id,
        actor_label=actor.label,
        origin=actor.origin,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        account_id=account_id,
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        ip=actor.ip,
    )
    session.add(event)
    return event


async def record_many(session: AsyncSession, actor: Actor, events: list[dict[str, Any]]) -> int:
    """Many audit rows in one statement (jobs): each dict has action, entity_type, entity_id and optionally
    account_id, before, after. Same rows as `record`, written with one executemany."""
    if not events:
        return 0
    at = utcnow()
    rows = [
        {
            "at": at,
            "actor_id": actor.user_id,
            "actor_label": actor.label,
            "origin": actor.origin,
            "action": event["action"],
            "entity_type": event["entity_type"],
            "entity_id": str(event["entity_id"]),
            "account_id": event.get("account_id"),
            "before": _plain(event["before"]) if event.get("before") is not None else None,
            "after": _plain(event["after"]) if event.get("after") is not None else None,
            "ip": actor.ip,
        }
        for event in events
    ]
    await copy_rows(session, AuditEvent.__table__, rows)
    return len(rows)


class AuditLater:
    """Audit rows gathered while a transaction does many changes, written with one statement (`write`) before it
    commits: a field sync batch's reads, order changes and conflicts together."""

    def __init__(self, actor: Actor) -> None:
        self.actor = actor
        self.events: list[dict[str, Any]] = []

    def add(
        self,
        action: str,
        entity_type: str,
        entity_id: object,
        *,
        account_id: int | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        """Values are converted when written: a dict passed here may still be filled in until then."""
        self.events.append(
            {
                "action": action,
                "entity_type": entity_type,
                "entity_id": entity_id,
                "account_id": account_id,
                "before": before,
                "after": after,
            }
        )

    async def write(self, session: AsyncSession) -> None:
        await record_many(session, self.actor, self.events)
        self.events = []
