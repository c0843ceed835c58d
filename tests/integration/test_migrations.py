"""The migrations build exactly the models, on SQLite and PostgreSQL, and can be undone and redone."""

import asyncio
import datetime as dt

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from portal.accounts.models import Base
from portal.migrate import downgrade, include_object, upgrade


def _diff(connection):
    context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": include_object})
    return compare_metadata(context, Base.metadata)


async def test_the_migrated_schema_matches_the_models(engine) -> None:
    async with engine.connect() as connection:
        differences = await connection.run_sync(_diff)
    assert differences == []


async def test_migrations_go_down_and_up_again(database_url, engine) -> None:
    await engine.dispose()
    await asyncio.to_thread(downgrade, database_url, "base")  # Alembic runs its own event loop
    await asyncio.to_thread(upgrade, database_url)
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(c.dialect.get_table_names(c)))
        assert {"ledger_entry", "account", "audit_event"} <= tables
        await connection.execute(text("SELECT count(*) FROM ledger_entry"))


async def test_migration_0860_turns_the_old_flags_into_open_cases(database_url, engine, session) -> None:
    from portal.accounts import ledger
    from portal.accounts.actor import Actor
    from portal.accounts.models import LedgerKind
    from tests import factories

    disputed = await factories.make_account(session)
    bankrupt = await factories.make_account(session)
    await factories.make_account(session)  # no flag: no case
    await ledger.post(
        session,
        Actor.job("test"),
        account_id=bankrupt.id,
        kind=LedgerKind.FEE,
        amount_cents=4_200,
        source_key="test:flag",
        effective_on=dt.date(2026, 11, 1),
    )
    await session.commit()
    await session.close()
    await engine.dispose()
    await asyncio.to_thread(downgrade, database_url, "0850")
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE account SET dispute_pending = :t WHERE id = :i"), {"t": True, "i": disputed.id}
        )
        await connection.execute(
            text("UPDATE account SET bankruptcy_hold = :t WHERE id = :i"), {"t": True, "i": bankrupt.id}
        )
    await engine.dispose()
    await asyncio.to_thread(upgrade, database_url)
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    'SELECT account_id, kind, status, disputed_cents, held_cents, filed_on FROM "case" ORDER BY account_id'
                )
            )
        ).all()
    assert [(r[0], r[1], r[2], r[3], r[4], r[5] is not None) for r in rows] == [
        (disputed.id, "dispute", "open", 0, None, False),
        (bankrupt.id, "bankruptcy", "open", None, 4_200, True),
    ]


async def test_migration_0900_gives_an_open_restore_the_meter_its_disconnect_locked(
    database_url, engine, session
) -> None:
    from sqlalchemy import select

    from portal.accounts.models import Meter, WorkOrderKind, WorkOrderStatus
    from tests import factories

    account = await factories.make_account(session)
    meter = await session.scalar(select(Meter).where(Meter.premise_id == account.premise_id))
    disconnect = await factories.make_order(session, account, kind=WorkOrderKind.DISCONNECT)
    disconnect.meter_id, disconnect.status = meter.id, WorkOrderStatus.COMPLETED
    disconnect.completed_at = dt.datetime(2026, 12, 1, 15, tzinfo=dt.UTC)
    restore = await factories.make_order(session, account, kind=WorkOrderKind.RESTORE)
    done = await factories.make_order(session, account, kind=WorkOrderKind.RESTORE)
    done.status = WorkOrderStatus.COMPLETED  # a finished order is left as it was
    other = await factories.make_order(session, await factories.make_account(session), kind=WorkOrderKind.RESTORE)
    await session.commit()
    ids = (restore.id, done.id, other.id)
    await session.close()
    await engine.dispose()
    await asyncio.to_thread(downgrade, database_url, "0890")
    async with engine.begin() as connection:  # as a payment had made them: no meter
        await connection.execute(text(f"UPDATE work_order SET meter_id = NULL WHERE id IN {ids}"))
    await engine.dispose()
    await asyncio.to_thread(upgrade, database_url)
    async with engine.connect() as connection:
        rows = dict((await connection.execute(text(f"SELECT id, meter_id FROM work_order WHERE id IN {ids}"))).all())
        version = await connection.scalar(text("SELECT version FROM work_order WHERE id = :i"), {"i": restore.id})
    assert rows == {restore.id: meter.id, done.id: None, other.id: None}
    assert version == 2  # the phones download it again
