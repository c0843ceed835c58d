"""Database engines and sessions: SQLite (embedded default) with WAL and a busy timeout, or PostgreSQL."""

from __future__ import annotations

import collections
import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar, cast

import asyncpg
import msgspec
from sqlalchemy import JSON, ColumnElement, Connection, String, Table, any_, bindparam, event, exc, insert
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.selectable import ExecutableReturnsRows

_JSON = msgspec.json.Encoder()
_T = TypeVar("_T")


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_before_savepoint(connection: Connection, _name: str) -> None:
    """The sqlite3 driver opens a transaction before INSERT/UPDATE/DELETE but not before a SAVEPOINT, so a savepoint
    that was a transaction's first write would commit on release and survive a later rollback. Open it ourselves.
    (Only here: taking SQLAlchemy's full BEGIN recipe would turn every read into a snapshot transaction, whose later
    write fails at once with SQLITE_BUSY_SNAPSHOT when another request committed in between.)"""
    raw: Any = connection.connection.dbapi_connection
    driver = getattr(raw, "_connection", raw)  # aiosqlite's adapter wraps the sqlite3 connection
    if not driver.in_transaction:
        connection.exec_driver_sql("BEGIN")


# A pooled connection idle longer than this is pinged before use (docs/operations.md, "PostgreSQL").
PING_AFTER_IDLE_SECONDS = 5.0


def _note_use(_dbapi_connection: Any, record: Any, *_: Any) -> None:
    record.info["used_at"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Pre-ping only a connection that sat idle: one that was in use moments ago is alive, and pinging it cost
    every request three round trips per checkout (the asyncpg ping runs in a transaction of its own). A dead one
    is thrown away and the pool hands out another, as `pool_pre_ping` does."""
    used_at = record.info.get("used_at")
    if used_at is not None and time.monotonic() - used_at < PING_AFTER_IDLE_SECONDS:
        return
    try:
        dbapi_connection.ping()
    except Exception as problem:
        raise exc.DisconnectionError(str(problem)) from problem
    record.info["used_at"] = time.monotonic()


def make_engine(url: str, **kwargs: object) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "savepoint", _sqlite_begin_before_savepoint)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    engine = create_async_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        event.listen(engine.sync_engine, "connect", _note_use)
        event.listen(engine.sync_engine, "checkin", _note_use)
        event.listen(engine.sync_engine, "checkout", _ping_if_idle)
    return engine


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


async def run_job(database_url: str, job: Callable[[async_sessionmaker[AsyncSession]], Awaitable[_T]]) -> _T:
    """Run `await job(sessionmaker)` with an engine made for it (CLI commands), and dispose of the engine after."""
    engine = make_engine(database_url)
    try:
        return await job(make_sessionmaker(engine))
    finally:
        await engine.dispose()


def is_sqlite_engine(engine: AsyncEngine | Engine) -> bool:
    return engine.dialect.name == "sqlite"


async def copy_rows(
    session: AsyncSession,
    table: Table,
    rows: list[dict[str, Any]] | list[tuple[Any, ...]],
    columns: list[str] | None = None,
) -> None:
    """Insert many rows (bill lines, audit rows, mail, a field sync batch's action ids): COPY on PostgreSQL, several
    times faster than INSERT for jobs that write hundreds of thousands; a multi-row INSERT elsewhere. A row that
    breaks a unique key raises IntegrityError either way (there is no ON CONFLICT here).
    Rows are dicts naming the same columns, or tuples in the order of `columns`; either way they must include any
    NOT NULL column without a server default."""
    if not rows:
        return
    tuples: Sequence[Sequence[Any]]
    if columns is None:
        dicts = cast("list[dict[str, Any]]", rows)  # without `columns` the rows are dicts
        columns = list(dicts[0])
        tuples = [tuple(row[name] for name in columns) for row in dicts]
    else:
        tuples = cast("list[tuple[Any, ...]]", rows)
    if session.get_bind().dialect.name != "postgresql":
        await session.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in tuples])
        return
    tuples = _json_encoded(table, columns, tuples)
    driver = await _driver(session)
    with driver_errors():
        if len(tuples) <= FEW_ROWS:
            # COPY takes two round trips (its start, then the data) and more work in asyncpg than a prepared INSERT
            # of a few rows, which takes one: a field sync request writes one or two audit rows.
            await driver.executemany(_insert_sql(table.name, tuple(columns)), tuples)
            return
        await driver.copy_records_to_table(table.name, records=tuples, columns=columns)


def _json_encoded(table: Table, columns: Sequence[str], tuples: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
    """Rows for asyncpg: its JSON codec (set by SQLAlchemy's dialect) takes text, so JSON columns are encoded here."""
    json_at = [index for index, name in enumerate(columns) if isinstance(table.c[name].type, JSON)]
    if not json_at:
        return tuples
    encode = _JSON.encode  # msgspec: the same JSON as json.dumps for these plain values, ten times quicker

    def with_json(row: Sequence[Any]) -> list[Any]:
        values = list(row)
        for index in json_at:
            if values[index] is not None:
                values[index] = encode(values[index]).decode()
        return values

    return [with_json(row) for row in tuples]


async def _driver(session: AsyncSession, *, begin: bool = True) -> Any:
    """The asyncpg connection under the session (its own API: COPY, prepared statements). SQLAlchemy sends BEGIN
    only before the first statement that goes through it, so a statement sent straight to the driver first would
    run outside the session's transaction (a lock released at once, a write committed alone): unless told a lone
    read needs none (`begin=False`), the transaction is begun here as SQLAlchemy would begin it."""
    adapted: Any
    driver: Any
    sync_session = session.sync_session
    transaction = sync_session.get_transaction()
    known = session.info.get(_DRIVER_KEY)
    if (
        transaction is not None
        and known is not None
        and known[0] is transaction
        and not sync_session.in_nested_transaction()
    ):
        # The same transaction holds the same connection: asking SQLAlchemy for it again (a greenlet hop, its pool
        # proxies) cost a field sync request about 0.2 ms over its statements (docs/benchmarks.md, "Field sync").
        # Inside a savepoint SQLAlchemy is asked, as it sends the SAVEPOINT only when the connection is asked for.
        adapted, driver = known[1], known[2]
    else:
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        adapted = raw.dbapi_connection  # SQLAlchemy's asyncpg adapter (pinned in requirements/lock.txt)
        driver = raw.driver_connection
        session.info[_DRIVER_KEY] = (sync_session.get_transaction(), adapted, driver)
    if begin and adapted._transaction is None:
        await adapted._start_transaction()
    return driver


_DRIVER_KEY = "portal.db.driver"


@contextmanager
def driver_errors() -> Iterator[None]:
    """asyncpg's errors as SQLAlchemy's, so a caller catches the same IntegrityError (a unique key) or DBAPIError
    (a lock timeout, a deadlock) whether a statement went through SQLAlchemy or straight to the driver."""
    try:
        yield
    except asyncpg.IntegrityConstraintViolationError as problem:
        raise exc.IntegrityError(None, None, problem) from problem
    except asyncpg.PostgresError as problem:
        raise exc.DBAPIError(None, None, problem) from problem


async def insert_returning_id(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """INSERT rows (dicts naming the same columns) in the caller's transaction; their ids, in the rows' order. One
    row on PostgreSQL is one prepared statement through asyncpg (a field sync request's read: SQLAlchemy's
    execution pipeline costs several times the statement); more are one multi-row INSERT."""
    if not rows:
        return []
    if len(rows) > 1 or session.get_bind().dialect.name != "postgresql":
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(await session.scalars(statement, rows))
    columns = tuple(rows[0])
    (values,) = _json_encoded(table, columns, [tuple(rows[0].values())])
    driver = await _driver(session)
    with driver_errors():
        return [await driver.fetchval(_insert_sql(table.name, columns) + " RETURNING id", *values)]


async def insert_new(session: AsyncSession, table: Table, rows: list[dict[str, Any]], *, unique: str) -> int:
    """INSERT rows (dicts naming the same columns), skipping each whose `unique` column's value is there already or
    earlier among the rows (ON CONFLICT DO NOTHING: a replay, or a concurrent run, inserts nothing twice); answers how
    many were inserted. On PostgreSQL one statement through asyncpg however many rows, each column one array that
    `unnest` turns back into rows: 10,000 outage notices as multi-row VALUES were 20 statements of 6,500 parameters and
    2.5 s, this is about 0.3 s (docs/benchmarks.md, "Outage notices"). Elsewhere a multi-row INSERT a chunk at a time."""
    if not rows:
        return 0
    columns = tuple(rows[0])
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        inserted = 0
        per_statement = max(1, min(500, 32_000 // len(columns)))  # SQLite binds at most 32,766 parameters
        for start in range(0, len(rows), per_statement):
            statement = (
                sqlite_insert(table)
                .values(rows[start : start + per_statement])
                .on_conflict_do_nothing(index_elements=[unique])
            )
            inserted += max((await session.execute(statement)).rowcount, 0)  # type: ignore[attr-defined]
        return inserted
    await session.flush()  # the driver would not see pending ORM rows (an account this one points at)
    arrays = list(
        zip(*_json_encoded(table, columns, [tuple(row[name] for name in columns) for row in rows]), strict=True)
    )
    driver = await _driver(session)
    with driver_errors():
        return int(await driver.fetchval(_insert_new_sql(table, columns, unique, dialect), *arrays))


@functools.lru_cache(maxsize=32)
def _insert_new_sql(table: Table, columns: tuple[str, ...], unique: str, dialect: Any) -> str:
    names = ", ".join(f'"{name}"' for name in columns)
    arrays = ", ".join(f"${n}::{_array_of(table.c[name].type, dialect)}" for n, name in enumerate(columns, start=1))
    return (
        f'WITH inserted AS (INSERT INTO "{table.name}" ({names}) SELECT * FROM unnest({arrays}) '
        f'ON CONFLICT ("{unique}") DO NOTHING RETURNING 1) SELECT count(*) FROM inserted'
    )


def _array_of(column_type: Any, dialect: Any) -> str:
    """The array type a column's values go in as. Strings as text[]: a cast to varchar(n)[] would cut a long value
    silently, where the INSERT's own assignment refuses it."""
    if isinstance(column_type, String) and not isinstance(column_type, SAEnum):
        return "text[]"
    return f"{column_type.compile(dialect=dialect)}[]"


FEW_ROWS = 20


@functools.lru_cache(maxsize=64)
def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    names = ", ".join(f'"{name}"' for name in columns)
    values = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
    return f'INSERT INTO "{table}" ({names}) VALUES ({values})'


def member_of(session: AsyncSession, column: Any, values: list[Any]) -> ColumnElement[bool]:
    """`column IN (values)`; on PostgreSQL as `= ANY($1)` with one array parameter, so a job's statement is the same
    text for every chunk (asyncpg prepares it once) instead of a thousand bind parameters rendered per call."""
    condition: ColumnElement[bool]
    if session.get_bind().dialect.name == "postgresql":
        condition = column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    else:
        condition = column.in_(values)
    return condition


def is_postgresql(session: AsyncSession) -> bool:
    return bool(session.get_bind().dialect.name == "postgresql")


def member_of_param(column: Any, name: str, *, postgresql: bool) -> ColumnElement[bool]:
    """`column IN (:name)` for a statement built once and run by `fetch_prepared`: on PostgreSQL `= ANY(:name)` with
    one array parameter; elsewhere an expanding IN."""
    if postgresql:
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


_PREPARED: dict[int, tuple[Any, str, tuple[str, ...], dict[str, Any]]] = {}


async def fetch_prepared(
    session: AsyncSession, statement: ExecutableReturnsRows | TextClause, *, begin: bool = True, **params: Any
) -> list[Any]:
    """Rows of a hot read that is built once (a `functools.cache` function) and run with named `bindparam`s: the
    identity look-up every request makes. On PostgreSQL its SQL is compiled once and asyncpg runs it, skipping
    SQLAlchemy's execution pipeline: about 0.2 ms of CPU instead of 0.8 (docs/benchmarks.md, "Load"). Values come
    back as the driver gives them (enums as their string values), so select plain columns; values written in the
    statement go to the driver as they are (plain values and StrEnums). A list goes in as one array parameter
    (`member_of_param`): an expanding IN cannot be prepared.
    Pending ORM changes are not flushed: run it before any. It runs in the session's transaction, begun here if
    need be; a lone read outside any (`begin=False`: the identity look-up) saves the BEGIN and ROLLBACK."""
    if session.get_bind().dialect.name != "postgresql":
        return list((await session.execute(statement, params)).all())
    known = _PREPARED.get(id(statement))
    if known is None or known[0] is not statement:
        compiled = statement.compile(dialect=session.get_bind().dialect)
        known = (
            statement,
            str(compiled),
            tuple(compiled.positiontup or ()),
            dict(compiled.construct_params(_check=False)),  # the statement's own literals (a StrEnum, a number)
        )
        _PREPARED[id(statement)] = known
    driver = await _driver(session, begin=begin)
    given = known[3] | params
    with driver_errors():
        return list(await driver.fetch(known[1], *[given[name] for name in known[2]]))


@functools.lru_cache(maxsize=256)
def _row_type(names: tuple[str, ...]) -> type:
    return collections.namedtuple("Row", names, rename=True)


async def fetch_rows(
    session: AsyncSession, statement: ExecutableReturnsRows, make: Callable[..., Any] | None = None
) -> list[Any]:
    """All rows of a Core SELECT for jobs that read hundreds of thousands (the bill run). On PostgreSQL the compiled
    statement goes straight to asyncpg, whose C decoder builds the rows: SQLAlchemy's result layer costs several times
    the query itself at that volume. Values come back as the driver gives them (enums as their string values,
    timestamps already aware), so select plain columns and casts. Rows answer `row.name`, or are `make(*columns)`.
    Pending ORM changes are flushed first, as `session.execute` would (the raw path would not see them otherwise)."""
    await session.flush()
    connection = await session.connection()
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        rows = (await connection.execute(statement)).all()
        return list(rows) if make is None else [make(*row) for row in rows]
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    args = [params[name] for name in compiled.positiontup or ()]
    driver = await _driver(session)  # asyncpg's connection, for its C row decoder
    with driver_errors():
        records = await driver.fetch(str(compiled), *args)
    if not records:
        return []
    if make is None:
        make = _row_type(tuple(records[0].keys()))
    return [make(*record) for record in records]
