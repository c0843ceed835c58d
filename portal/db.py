"""Database engines and sessions: SQLite (embedded default) with WAL and a busy timeout, or PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import json
from typing import Any

from sqlalchemy import JSON, Table, event, insert
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_before_savepoint(connection, _name) -> None:  # noqa: ANN001
    """The sqlite3 driver opens a transaction before INSERT/UPDATE/DELETE but not before a SAVEPOINT, so a savepoint
    that was a transaction's first write would commit on release and survive a later rollback. Open it ourselves.
    (Only here: taking SQLAlchemy's full BEGIN recipe would turn every read into a snapshot transaction, whose later
    write fails at once with SQLITE_BUSY_SNAPSHOT when another request committed in between.)"""
    raw = connection.connection.dbapi_connection
    driver = getattr(raw, "_connection", raw)  # aiosqlite's adapter wraps the sqlite3 connection
    if not driver.in_transaction:
        connection.exec_driver_sql("BEGIN")


def make_engine(url: str, **kwargs: object) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, **kwargs)  # type: ignore[arg-type]
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "savepoint", _sqlite_begin_before_savepoint)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    return create_async_engine(url, **kwargs)  # type: ignore[arg-type]


def sync_url(url: str) -> str:
    """The same database for synchronous tools (Alembic): aiosqlite -> pysqlite, asyncpg stays (run via async)."""
    return url


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(maker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work outside a request (CLI jobs, seeds): commit on success, roll back on error."""
    async with maker() as session, session.begin():
        yield session


async def run_job(database_url: str, job):  # noqa: ANN001, ANN201
    """Run `await job(sessionmaker)` with an engine made for it (CLI commands), and dispose of the engine after."""
    engine = make_engine(database_url)
    try:
        return await job(make_sessionmaker(engine))
    finally:
        await engine.dispose()


def is_sqlite_engine(engine: AsyncEngine | Engine) -> bool:
    return engine.dialect.name == "sqlite"


async def copy_rows(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows that have no unique key to respect (bill lines, audit rows, mail): COPY on PostgreSQL,
    several times faster than INSERT for jobs that write hundreds of thousands; a multi-row INSERT elsewhere.
    Every row must name the same columns, including any NOT NULL column without a server default."""
    if not rows:
        return
    if session.bind.dialect.name != "postgresql":
        await session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    as_json = {c.name for c in table.columns if isinstance(c.type, JSON)}
    records = [
        tuple(json.dumps(row[name]) if name in as_json and row[name] is not None else row[name] for name in columns)
        for row in rows
    ]
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(table.name, records=records, columns=columns)
