"""`portal backup` / `portal restore`: a backup restored into an empty database has every account's balance and every
photo's bytes; a restore refuses a database in use, a damaged archive and another migration head."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from portal import backup
from portal.accounts import photos
from portal.accounts.models import LedgerEntry, LedgerKind, Photo
from portal.db import make_engine, make_sessionmaker
from portal.migrate import upgrade
from tests.conftest import PG_URL
from tests.factories import make_account

JPEG = b"\xff\xd8\xff\xe0 not really a jpeg, but the store keeps bytes \xff\xd9"


async def _arrange(database_url: str, store: photos.PhotoStore) -> None:
    engine = make_engine(database_url)
    async with make_sessionmaker(engine)() as session, session.begin():
        for n in range(3):
            account = await make_account(session, last_name=f"Backup{n}")
            for k, cents in enumerate((4_210, -2_000, 175 * (n + 1))):
                session.add(
                    LedgerEntry(
                        account_id=account.id,
                        kind=LedgerKind.CHARGE if cents > 0 else LedgerKind.PAYMENT,
                        amount_cents=cents,
                        effective_on=dt.date(2026, 11, 3),
                        source_key=f"backup-test:{account.id}:{k}",
                    )
                )
        for n in range(2):
            key = f"2026/11/{n:08d}-0000-4000-8000-000000000000.jpg"
            store.put(key, JPEG + bytes([n]), "image/jpeg")
            session.add(
                Photo(
                    client_id=f"{n:08d}-0000-4000-8000-000000000000",
                    sha256="0" * 64,
                    content_type="image/jpeg",
                    size_bytes=len(JPEG) + 1,
                    width=1,
                    height=1,
                    storage_key=key,
                )
            )
    await engine.dispose()


async def _balances(database_url: str) -> dict[int, int]:
    engine = make_engine(database_url)
    async with make_sessionmaker(engine)() as session:
        rows = await session.execute(
            select(LedgerEntry.account_id, func.sum(LedgerEntry.amount_cents)).group_by(LedgerEntry.account_id)
        )
        found = {account: int(total) for account, total in rows}
    await engine.dispose()
    return found


def _round_trip(source_url: str, target_url: str, source_store: str, target_store: str, archive: Path) -> None:
    asyncio.run(_arrange(source_url, photos.store_from_setting(source_store)))
    manifest = backup.backup(source_url, source_store, archive)
    assert manifest["counts"]["account"] == 3 and manifest["counts"]["ledger_entry"] == 9
    assert manifest["migration_head"] == backup.code_head()

    backup.restore(target_url, target_store, archive)

    assert asyncio.run(_balances(target_url)) == asyncio.run(_balances(source_url))
    assert len(asyncio.run(_balances(target_url))) == 3
    target = photos.store_from_setting(target_store)
    for n, row in enumerate(manifest["photos"]):
        assert target.get(row["key"]) == JPEG + bytes([n])
    # Now in use: a second restore needs --force.
    with pytest.raises(backup.BackupError, match="already has accounts"):
        backup.restore(target_url, target_store, archive)
    backup.restore(target_url, target_store, archive, force=True)


def test_sqlite_backup_restores_balances_and_photos(tmp_path: Path) -> None:
    source = f"sqlite+aiosqlite:///{tmp_path / 'source.db'}"
    upgrade(source)
    _round_trip(
        source, f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", f"file:{tmp_path / 'p1'}", f"file:{tmp_path / 'p2'}",
        tmp_path / "backup.tar",
    )  # fmt: skip


async def _reset(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.mark.postgres_only
def test_postgres_backup_restores_balances_and_photos_from_s3(tmp_path: Path) -> None:
    """pg_dump/pg_restore into an empty database (no schema at all); photos from a bucket into another."""
    moto = pytest.importorskip("moto")
    source, target = f"{PG_URL}_backup_a", f"{PG_URL}_backup_b"
    asyncio.run(_ensure_databases(source, target))
    asyncio.run(_reset(source))
    asyncio.run(_reset(target))
    upgrade(source)
    with moto.mock_aws():
        import boto3

        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="photos-a")
        s3.create_bucket(Bucket="photos-b")
        _round_trip(
            source, target, "s3://photos-a/city?region=us-east-1", "s3://photos-b?region=us-east-1",
            tmp_path / "backup.tar",
        )  # fmt: skip


async def _ensure_databases(*urls: str) -> None:
    from sqlalchemy.engine import make_url

    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        for url in urls:
            name = make_url(url).database
            if not await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()


def test_restore_refuses_another_head_and_a_damaged_archive(tmp_path: Path) -> None:
    source = f"sqlite+aiosqlite:///{tmp_path / 'source.db'}"
    upgrade(source)
    archive = tmp_path / "backup.tar"
    manifest = backup.backup(source, f"file:{tmp_path / 'p'}", archive)
    empty = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"

    def rewrite(**changes: object) -> Path:
        changed = dict(manifest, **changes)
        path = tmp_path / "changed.tar"
        with tarfile.open(archive) as old, tarfile.open(path, "w") as new:
            for member in old.getmembers():
                data = old.extractfile(member).read()  # type: ignore[union-attr]
                if member.name == backup.MANIFEST:
                    data = json.dumps(changed).encode()
                    member.size = len(data)
                new.addfile(member, io.BytesIO(data))
        return path

    with pytest.raises(backup.BackupError, match="migration 0100"):
        backup.restore(empty, f"file:{tmp_path / 'p2'}", rewrite(migration_head="0100"))
    with pytest.raises(backup.BackupError, match="damaged"):
        backup.restore(empty, f"file:{tmp_path / 'p2'}", rewrite(members={backup.DUMP: "0" * 64}))
