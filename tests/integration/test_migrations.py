"""The migrations build exactly the models, on SQLite and PostgreSQL, and can be undone and redone."""

import asyncio

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
