"""What an estimated bill changes in the account model, as batch operations for the bill run: the estimated reading
it records on the meter (so the next bill starts from it) and the count of bills estimated in a row (which decides
when an actual read must be ordered). Many accounts at once, with a few multi-row statements, in the caller's
transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from sqlalchemy import bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from .models import Account, MeterRead, ReadSource


class EstimatedRead(NamedTuple):
    meter_id: int
    value: int
    read_at: dt.datetime
    note: str


async def record_estimated_reads(
    session: AsyncSession, reads: Sequence[EstimatedRead], *, now: dt.datetime
) -> list[int]:
    """Store the estimated readings (no audit row each: the bill that estimated them is the record); their ids, in
    order."""
    if not reads:
        return []
    statement = insert(MeterRead.__table__).returning(MeterRead.__table__.c.id, sort_by_parameter_order=True)
    rows = [
        {
            "meter_id": read.meter_id,
            "value": read.value,
            "read_at": read.read_at,
            "source": ReadSource.ESTIMATED,
            "flags": [],
            "created_at": now,
            "note": read.note,
        }
        for read in reads
    ]
    return list((await session.scalars(statement, rows)).all())


async def set_consecutive_estimates(session: AsyncSession, counts: Mapping[int, int]) -> None:
    """Set each account's count of bills estimated in a row ({account id: count})."""
    if not counts:
        return
    table = Account.__table__
    await session.execute(
        update(table).where(table.c.id == bindparam("b_id")).values(consecutive_estimates=bindparam("b_count")),
        [{"b_id": account_id, "b_count": count} for account_id, count in counts.items()],
    )
