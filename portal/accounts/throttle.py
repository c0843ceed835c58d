"""Rate limits counted in the database, so every app instance sees the same counts.

Hits are written in their own transaction: the request that failed is rolled back, its hit must stay.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .models import ThrottleHit, utcnow


async def count(maker: async_sessionmaker[AsyncSession], bucket: str, key: str, window: dt.timedelta) -> int:
    async with maker() as session:
        since = utcnow() - window
        query = select(func.count()).where(ThrottleHit.bucket == bucket, ThrottleHit.key == key, ThrottleHit.at > since)
        return int(await session.scalar(query) or 0)


async def is_limited(
    maker: async_sessionmaker[AsyncSession], bucket: str, key: str, *, limit: int, window: dt.timedelta
) -> bool:
    return await count(maker, bucket, key, window) >= limit


async def hit(maker: async_sessionmaker[AsyncSession], bucket: str, *keys: str) -> None:
    async with maker() as session, session.begin():
        for key in keys:
            session.add(ThrottleHit(bucket=bucket, key=key))


async def purge(maker: async_sessionmaker[AsyncSession], older_than: dt.timedelta = dt.timedelta(days=2)) -> int:
    async with maker() as session, session.begin():
        # A DELETE answers a CursorResult (with its rowcount); the session types every execute as a plain Result.
        result = cast(
            "CursorResult[Any]",
            await session.execute(delete(ThrottleHit).where(ThrottleHit.at < utcnow() - older_than)),
        )
        return result.rowcount or 0
