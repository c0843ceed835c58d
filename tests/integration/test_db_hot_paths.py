"""portal/db.py's hot paths: a few rows by INSERT and many by COPY store the same thing; a prepared read takes a list
and the statement's own literals; a pooled connection that died while idle is replaced, not handed out."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import pytest
from sqlalchemy import Select, bindparam, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from portal import db
from portal.accounts.models import AuditEvent, MailMessage, Meter, MeterRead, Origin, ReadSource, Role, SyncMutation
from tests import factories


def _rows(n: int, start: int) -> list[dict[str, Any]]:
    return [
        {
            "at": dt.datetime(2026, 12, 4, 12, tzinfo=dt.UTC),
            "actor_id": None,
            "actor_label": "test",
            "origin": Origin.SYNC,
            "action": "test.row",
            "entity_type": "thing",
            "entity_id": str(start + i),
            "account_id": None,
            "before": None,
            "after": {"n": start + i, "nested": {"ok": True}, "text": "señal"},
            "ip": "127.0.0.1",
        }
        for i in range(n)
    ]


async def test_few_rows_and_many_rows_store_the_same(session: AsyncSession) -> None:
    few, many = _rows(2, 0), _rows(db.FEW_ROWS + 5, 100)
    await db.copy_rows(session, AuditEvent.__table__, few)  # INSERT on PostgreSQL
    await db.copy_rows(session, AuditEvent.__table__, many)  # COPY on PostgreSQL
    await session.commit()
    stored = (
        await session.execute(
            select(AuditEvent.entity_id, AuditEvent.origin, AuditEvent.after, AuditEvent.ip).order_by(AuditEvent.id)
        )
    ).all()
    assert len(stored) == len(few) + len(many)
    for row, sent in zip(stored, few + many, strict=True):
        assert row.entity_id == sent["entity_id"]
        assert row.origin == Origin.SYNC
        assert row.after == sent["after"]
        assert row.ip == "127.0.0.1"


def _outcome(mutation_id: str, user_id: int) -> dict[str, Any]:
    return {
        "mutation_id": mutation_id,
        "device_id": "phone",
        "seq": 1,
        "user_id": user_id,
        "kind": "add_note",
        "work_order_id": None,
        "payload": {},
        "payload_sha256": "0" * 64,
        "status": "applied",
        "result": {"ok": True},
        "exception_code": None,
        "received_at": dt.datetime(2026, 12, 5, tzinfo=dt.UTC),
    }


@pytest.mark.parametrize("rows", [1, db.FEW_ROWS + 1])
async def test_a_unique_key_broken_by_a_row_written_straight_to_the_driver_is_sqlalchemys_integrity_error(
    session: AsyncSession, rows: int
) -> None:
    """The field sync falls back to one transaction per action on IntegrityError: asyncpg's own error (INSERT or
    COPY) must reach it as that, not as an error nobody catches."""
    tech = (await factories.make_user(session, Role.FIELD)).id
    first = _outcome("11111111-1111-1111-1111-111111111111", tech)
    await db.copy_rows(session, SyncMutation.__table__, [first])
    others = [_outcome(f"22222222-2222-2222-2222-{n:012d}", tech) for n in range(rows - 1)]
    with pytest.raises(IntegrityError, match="(?i)unique"):
        await db.copy_rows(session, SyncMutation.__table__, [*others, first])


async def test_rows_inserted_one_or_many_come_back_with_their_ids_in_order(session: AsyncSession) -> None:
    meter = Meter(serial="ID-ORDER-1", kind="water", size="5/8", dials=6)
    session.add(meter)
    await session.flush()

    def read(value: int) -> dict[str, Any]:
        return {
            "meter_id": meter.id,
            "value": value,
            "read_at": dt.datetime(2026, 12, 5, tzinfo=dt.UTC),
            "source": ReadSource.FIELD,
            "flags": ["high"],
            "created_at": dt.datetime(2026, 12, 5, tzinfo=dt.UTC),
        }

    one = await db.insert_returning_id(session, MeterRead.__table__, [read(7)])  # prepared, straight to asyncpg
    many = await db.insert_returning_id(session, MeterRead.__table__, [read(8), read(9), read(10)])
    stored = dict((await session.execute(select(MeterRead.id, MeterRead.value))).all())
    assert [stored[i] for i in one + many] == [7, 8, 9, 10]
    assert (await session.get(MeterRead, one[0])).flags == ["high"]


@functools.cache
def _reads_query(postgresql: bool) -> Select[Any]:
    return (
        select(MeterRead.meter_id, MeterRead.value)
        .where(
            db.member_of_param(MeterRead.meter_id, "meter_ids", postgresql=postgresql),
            MeterRead.source != ReadSource.ESTIMATED,  # a literal of the statement, not a parameter
            MeterRead.value >= bindparam("low"),
        )
        .order_by(MeterRead.meter_id, MeterRead.value)
    )


async def test_prepared_read_takes_a_list_and_its_literals(session: AsyncSession) -> None:
    meter, other = Meter(serial="T-HOT-1"), Meter(serial="T-HOT-2")
    session.add_all([meter, other])
    await session.flush()
    at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    for meter_id, value, source in [
        (meter.id, 10, ReadSource.FIELD),
        (meter.id, 20, ReadSource.ESTIMATED),
        (other.id, 30, ReadSource.FIELD),
        (other.id, 5, ReadSource.FIELD),
    ]:
        session.add(MeterRead(meter_id=meter_id, value=value, read_at=at, source=source, flags=[]))
    await session.commit()
    query = _reads_query(db.is_postgresql(session))
    for _ in range(2):  # compiled once, run twice
        rows = await db.fetch_prepared(session, query, meter_ids=[meter.id, other.id], low=6)
        assert [tuple(r) for r in rows] == [(meter.id, 10), (other.id, 30)]
    assert [tuple(r) for r in await db.fetch_prepared(session, query, meter_ids=[other.id], low=0)] == [
        (other.id, 5),
        (other.id, 30),
    ]


@pytest.mark.postgres_only
async def test_a_connection_that_died_idle_is_replaced(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    async with engine.connect() as connection:
        pid = await connection.scalar(text("SELECT pg_backend_pid()"))
    async with engine.connect() as connection:  # used moments ago: handed out without a ping, the same one
        assert await connection.scalar(text("SELECT pg_backend_pid()")) == pid
    killer = db.make_engine(str(engine.url.render_as_string(hide_password=False)))
    async with killer.connect() as connection:
        await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    await killer.dispose()
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # as if it had sat idle: pinged, found dead, replaced
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT pg_backend_pid()")) != pid


class _Undo(Exception):
    pass


async def test_what_goes_straight_to_the_driver_first_is_inside_the_sessions_transaction(engine: AsyncEngine) -> None:
    """SQLAlchemy sends BEGIN only before its own first statement: a write sent straight to asyncpg first must
    still roll back with the transaction (and a row locked first stay locked), not commit on its own."""
    maker = db.make_sessionmaker(engine)
    with pytest.raises(_Undo):
        async with maker() as session, session.begin():
            await db.copy_rows(session, AuditEvent.__table__, _rows(1, 900))  # the transaction's first statement
            raise _Undo
    async with maker() as session, session.begin():
        await db.insert_returning_id(session, AuditEvent.__table__, _rows(1, 901))
        locked = await db.fetch_prepared(session, _locked_query(db.is_postgresql(session)), ids=[1])
        assert locked == [] or len(locked) == 1
        if db.is_postgresql(session):
            assert await session.scalar(text("SELECT now() <> statement_timestamp()")), "not in a transaction"
        await session.rollback()
    async with maker() as session:
        found = await session.scalars(select(AuditEvent.entity_id).where(AuditEvent.entity_id.in_(["900", "901"])))
        assert list(found) == []


@functools.cache
def _locked_query(postgresql: bool) -> Select[Any]:
    query = select(AuditEvent.id).where(db.member_of_param(AuditEvent.id, "ids", postgresql=postgresql))
    return query.with_for_update() if postgresql else query


async def test_one_session_in_turn_writes_each_transaction_on_its_own_connection(engine: AsyncEngine) -> None:
    """The driver connection is remembered for a session's transaction only: after a commit the session may hold
    another pooled connection, and a write sent straight to the driver must land in the new transaction (rolled
    back with it), not on the connection the last one used."""
    maker = db.make_sessionmaker(engine)
    async with maker() as session:
        async with session.begin():
            await db.copy_rows(session, AuditEvent.__table__, _rows(1, 910))
        # Another session takes the connection just returned, so this session's next transaction gets another.
        async with maker() as other, other.begin():
            await other.execute(text("SELECT 1"))
            with pytest.raises(_Undo):
                async with session.begin():
                    await db.copy_rows(session, AuditEvent.__table__, _rows(1, 911))
                    raise _Undo
        async with session.begin():
            kept = await db.fetch_prepared(session, _entity_query(db.is_postgresql(session)), ids=["910", "911"])
    assert [row[0] for row in kept] == ["910"]


@functools.cache
def _entity_query(postgresql: bool) -> Select[Any]:
    return select(AuditEvent.entity_id).where(db.member_of_param(AuditEvent.entity_id, "ids", postgresql=postgresql))


def _mail(key: str, to: str = "a@example.com") -> dict[str, Any]:
    now = dt.datetime(2026, 12, 5, 12, tzinfo=dt.UTC)
    return {
        "to_addr": to,
        "subject": "s",
        "text_body": "t",
        "channel": "email",
        "status": "queued",
        "attempts": 0,
        "idempotency_key": key,
        "status_at": now,
        "created_at": now,
    }


async def test_insert_new_skips_keys_already_there_or_repeated_and_counts_the_rest(session: AsyncSession) -> None:
    assert (
        await db.insert_new(
            session, MailMessage.__table__, [_mail("k1"), _mail("k2"), _mail("k1")], unique="idempotency_key"
        )
        == 2
    )
    assert (
        await db.insert_new(session, MailMessage.__table__, [_mail("k2"), _mail("k3")], unique="idempotency_key") == 1
    )
    assert await db.insert_new(session, MailMessage.__table__, [], unique="idempotency_key") == 0
    keys = await session.scalars(select(MailMessage.idempotency_key).order_by(MailMessage.idempotency_key))
    assert list(keys) == ["k1", "k2", "k3"]


@pytest.mark.postgres_only
async def test_insert_new_refuses_a_value_too_long_rather_than_cut_it(engine: AsyncEngine) -> None:
    maker = db.make_sessionmaker(engine)
    with pytest.raises(DBAPIError):
        async with maker() as session, session.begin():
            await db.insert_new(session, MailMessage.__table__, [_mail("long", "x" * 300)], unique="idempotency_key")
    async with maker() as session:
        assert await session.scalar(select(MailMessage.id).where(MailMessage.idempotency_key == "long")) is None
