"""Test fixtures shared by every layer: a clean, migrated database per test (SQLite or PostgreSQL, chosen by
TEST_DB), sessions, the app, an HTTP client, and the personas (resident, technician, CSR, supervisor)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from portal.accounts.models import Base
from portal.db import make_engine, make_sessionmaker
from portal.migrate import upgrade
from portal.settings import Settings

TEST_DB = os.environ.get("TEST_DB", "sqlite")
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {TEST_DB} ({PG_URL if TEST_DB == 'postgres' else 'SQLite file per test'})"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if TEST_DB != "postgres":
        skip = pytest.mark.skip(reason="needs PostgreSQL (TEST_DB=postgres)")
        for item in items:
            if "postgres_only" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per run: a template SQLite file, or the PostgreSQL test database from an empty schema."""
    if TEST_DB == "postgres":
        import asyncio

        async def reset() -> None:
            engine = create_async_engine(PG_URL)
            async with engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
            await engine.dispose()

        asyncio.run(reset())
        upgrade(PG_URL)
        return PG_URL
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return str(path)


def _pg_reset() -> str:
    """Empty every table and restart every id, as `TRUNCATE ... RESTART IDENTITY CASCADE` would, in one round trip.
    TRUNCATE of all 52 tables cost about 0.3 s a test (a new file per table); a DELETE of a test's few rows costs
    milliseconds. Children go first (the metadata's reverse dependency order); the ledger, whose trigger refuses
    DELETE (append-only), is truncated, and only when it has rows."""
    tables = [t for t in reversed(Base.metadata.sorted_tables)]
    deletes = "".join(f'DELETE FROM "{t.name}";' for t in tables if t.name != "ledger_entry")
    restarts = "".join(
        f"PERFORM setval(pg_get_serial_sequence('\"{t.name}\"', 'id'), 1, false);"
        for t in tables
        if [c.name for c in t.primary_key.columns] == ["id"] and t.c.id.type.python_type is int
    )
    ledger = "IF EXISTS (SELECT 1 FROM ledger_entry) THEN TRUNCATE ledger_entry CASCADE; END IF;"
    return f"DO $$ BEGIN {ledger}{deletes}{restarts} END $$"


_RESET_PG = _pg_reset()


@pytest.fixture
async def database_url(migrated_template: str, tmp_path: Path) -> AsyncIterator[str]:
    if TEST_DB == "postgres":
        engine = create_async_engine(PG_URL)
        async with engine.begin() as conn:
            await conn.execute(text(_RESET_PG))
        await engine.dispose()
        yield PG_URL
    else:
        path = tmp_path / "test.db"
        shutil.copy(migrated_template, path)
        yield f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session for arranging and checking data; commit what the code under test must see."""
    async with make_sessionmaker(engine)() as session:
        yield session


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        photo_store=f"file:{tmp_path / 'photos'}",  # never the checkout's var/, which the demo uses
        secret_key="test-secret-key-0123456789abcdef0123456789",
        public_url="http://portal.test",
        demo=False,
        utility_name="City of Riverton Utilities",
    )


@pytest.fixture
def app(settings: Settings):
    from portal.app import create_app

    return create_app(settings)


@pytest.fixture
async def client(app):
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=app, base_url="http://portal.test") as client:
        yield client


from tests.outbox_harness import smtp, smtp_stand_in, twilio, twilio_stand_in_url  # noqa: E402, F401 - the outbox stand-ins
from tests.personas import *  # noqa: E402, F403 - persona fixtures
from tests.stripe_harness import *  # noqa: E402, F403 - the Stripe stand-in fixtures
