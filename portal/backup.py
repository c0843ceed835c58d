"""`portal backup` / `portal restore`: the database and the photos in one archive, with a manifest.

The archive is a tar file: `manifest.json`, `database.dump` (PostgreSQL: pg_dump's custom format, restored by
pg_restore; SQLite: a copy made with sqlite3's online backup API, safe while the app runs) and `photos/<key>` for
every photo row (read from the store, file or S3, and written back to the target's store on restore). The manifest
names the format, the code's version, the database's migration head, row counts, the ledger's total, and a sha256
of every member, so a restore checks the archive before it touches anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from portal.accounts import photos
from portal.accounts.models import Account, AuditEvent, Bill, JobRun, LedgerEntry, MailMessage, Photo, User
from portal.db import make_engine, make_sessionmaker

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
COUNTED = {
    "account": Account,
    "ledger_entry": LedgerEntry,
    "bill": Bill,
    "app_user": User,
    "photo": Photo,
    "mail_message": MailMessage,
    "audit_event": AuditEvent,
    "job_run": JobRun,
}
# Tables whose rows make a database "in use": a restore over them needs --force.
IN_USE = ("account", "ledger_entry", "app_user")

Echo = Callable[[str], object]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


def code_head() -> str:
    from alembic.script import ScriptDirectory

    from portal.migrate import alembic_config

    heads = ScriptDirectory.from_config(alembic_config("")).get_heads()
    return ",".join(sorted(heads))


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def libpq_url(database_url: str) -> str:
    """pg_dump's and pg_restore's connection string for the app's DATABASE_URL (no +asyncpg, libpq's sslmode)."""
    url = make_url(database_url)
    query = dict(url.query)
    ssl = query.pop("ssl", None)
    if ssl is not None and "sslmode" not in query:
        query["sslmode"] = (
            ssl if ssl in {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"} else "require"
        )
    return url.set(drivername="postgresql", query=query).render_as_string(hide_password=False)


def sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _run(args: list[str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False)  # noqa: S603 - fixed tool, our args
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {done.stderr.strip()[:2000]}")


async def database_facts(database_url: str) -> dict[str, Any]:
    """The migration head, row counts, the ledger's total and each account's balance (sum of its entries)."""
    engine = make_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            try:
                head = ",".join(sorted(await session.scalars(text("SELECT version_num FROM alembic_version"))))
            except Exception:  # no alembic_version table: an empty database
                await session.rollback()
                return {"head": None, "counts": {}, "ledger_total_cents": 0, "balances": {}}
            counts = {
                name: int(await session.scalar(select(func.count()).select_from(model)) or 0)
                for name, model in COUNTED.items()
            }
            balances = {
                str(account): int(total)
                for account, total in await session.execute(
                    select(LedgerEntry.account_id, func.sum(LedgerEntry.amount_cents)).group_by(LedgerEntry.account_id)
                )
            }
            photo_rows = [
                {"key": key, "content_type": content_type}
                for key, content_type in await session.execute(
                    select(Photo.storage_key, Photo.content_type).order_by(Photo.id)
                )
            ]
    finally:
        await engine.dispose()
    return {
        "head": head,
        "counts": counts,
        "ledger_total_cents": sum(balances.values()),
        "balances": balances,
        "photos": photo_rows,
    }


def _balances_digest(balances: dict[str, int]) -> str:
    """One checksum of every account's balance: a restore compares it without listing them in the manifest."""
    lines = "\n".join(f"{account}:{balances[account]}" for account in sorted(balances, key=int))
    return hashlib.sha256(lines.encode()).hexdigest()


def backup(database_url: str, photo_store: str, out: Path, echo: Echo = lambda _m: None) -> dict[str, Any]:
    """Write the archive to `out` (atomically: a temporary file renamed at the end) and return its manifest."""
    facts = asyncio.run(database_facts(database_url))
    if facts["head"] is None:
        raise BackupError("the database has no schema (run `portal migrate`): nothing to back up")
    store = photos.store_from_setting(photo_store)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="portal-backup-") as work:
        dump = Path(work) / DUMP
        dialect = make_url(database_url).get_backend_name()
        if dialect == "postgresql":
            echo("Dumping the database (pg_dump, custom format)...")
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(dump),
                  libpq_url(database_url)])  # fmt: skip
        else:
            echo("Copying the database (SQLite online backup)...")
            source = sqlite3.connect(sqlite_path(database_url))
            target = sqlite3.connect(dump)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        members: dict[str, str] = {DUMP: _sha256_file(dump)}
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "portal_version": metadata.version("utility-portal") if _installed() else "source",
            "dialect": dialect,
            "database_tool": _tool_version(dialect),
            "migration_head": facts["head"],
            "counts": facts["counts"],
            "ledger_total_cents": facts["ledger_total_cents"],
            "balances_sha256": _balances_digest(facts["balances"]),
            "photos": [],
            "members": members,
        }
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w") as archive:
            archive.add(dump, DUMP)
            for number, row in enumerate(facts["photos"], 1):
                data = store.get(row["key"])
                name = f"photos/{row['key']}"
                members[name] = hashlib.sha256(data).hexdigest()
                manifest["photos"].append({"key": row["key"], "content_type": row["content_type"], "bytes": len(data)})
                _add_bytes(archive, name, data)
                if number % 500 == 0:
                    echo(f"  {number:,} photos")
            _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode())
        os.replace(partial, out)
    echo(
        f"Backup written to {out}: {facts['counts'].get('account', 0):,} accounts, "
        f"{facts['counts'].get('ledger_entry', 0):,} ledger entries, {len(manifest['photos']):,} photos "
        f"(migration {facts['head']})."
    )
    return manifest


def _installed() -> bool:
    try:
        metadata.version("utility-portal")
    except metadata.PackageNotFoundError:
        return False
    return True


def _tool_version(dialect: str) -> str:
    if dialect != "postgresql":
        return f"sqlite {sqlite3.sqlite_version}"
    found = shutil.which("pg_dump")
    if not found:
        raise BackupError("pg_dump is not installed (apt-get install postgresql-client)")
    return subprocess.run([found, "--version"], capture_output=True, text=True, check=False).stdout.strip()  # noqa: S603


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


def read_manifest(archive_path: Path) -> dict[str, Any]:
    with tarfile.open(archive_path, "r") as archive:
        member = archive.extractfile(MANIFEST)
        if member is None:
            raise BackupError(f"{archive_path} has no manifest: not a portal backup")
        manifest: dict[str, Any] = json.loads(member.read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r} (this code reads format {FORMAT})")
    return manifest


async def _in_use(database_url: str) -> bool:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            for table in IN_USE:
                try:
                    if await conn.scalar(text(f"SELECT 1 FROM {table} LIMIT 1")):  # noqa: S608 - fixed names
                        return True
                except Exception:  # the table does not exist: nothing in it
                    await conn.rollback()
    finally:
        await engine.dispose()
    return False


def restore(
    database_url: str, photo_store: str, archive_path: Path, *, force: bool = False, echo: Echo = lambda _m: None
) -> dict[str, Any]:
    """Restore the archive into `database_url` (which must exist) and the photos into `photo_store`. Refuses a
    database that holds accounts or users unless forced, an archive from another migration head, a damaged member,
    and a dump from the other kind of database."""
    archive_path = Path(archive_path)
    manifest = read_manifest(archive_path)
    head = code_head()
    if manifest["migration_head"] != head:
        raise BackupError(
            f"the backup is at migration {manifest['migration_head']} and this code at {head}: restore it with the "
            "portal version that made it, then run `portal migrate` with this one"
        )
    dialect = make_url(database_url).get_backend_name()
    if manifest["dialect"] != dialect:
        raise BackupError(f"the backup is of a {manifest['dialect']} database; the target is {dialect}")
    if asyncio.run(_in_use(database_url)) and not force:
        raise BackupError("the target database already has accounts or users: restore into an empty one, or --force")
    store = photos.store_from_setting(photo_store)
    with tempfile.TemporaryDirectory(prefix="portal-restore-") as work, tarfile.open(archive_path, "r") as archive:
        for name, expected in manifest["members"].items():  # every checksum before anything changes
            member = archive.extractfile(name)
            if member is None:
                raise BackupError(f"the archive lacks {name}")
            digest = hashlib.sha256()
            sink = (Path(work) / DUMP).open("wb") if name == DUMP else None
            with sink or contextlib.nullcontext():
                while block := member.read(1 << 20):
                    digest.update(block)
                    if sink is not None:
                        sink.write(block)
            if digest.hexdigest() != expected:
                raise BackupError(f"{name} is damaged (checksum differs): use another backup")
        dump = Path(work) / DUMP
        if dialect == "postgresql":
            echo("Restoring the database (pg_restore)...")
            # --clean --if-exists: a schema made by `portal migrate` (empty, or forced over) is replaced as a whole.
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--exit-on-error",
                  "--single-transaction", "--dbname", libpq_url(database_url), str(dump)])  # fmt: skip
        else:
            echo("Restoring the database (SQLite online backup)...")
            path = sqlite_path(database_url)
            path.parent.mkdir(parents=True, exist_ok=True)
            source = sqlite3.connect(dump)
            target_db = sqlite3.connect(path)
            try:
                source.backup(target_db)
            finally:
                target_db.close()
                source.close()
        echo(f"Restoring {len(manifest['photos']):,} photos...")
        for row in manifest["photos"]:
            member = archive.extractfile(f"photos/{row['key']}")
            assert member is not None  # checked above
            store.put(row["key"], member.read(), row["content_type"])
    facts = asyncio.run(database_facts(database_url))
    if facts["counts"] != manifest["counts"] or _balances_digest(facts["balances"]) != manifest["balances_sha256"]:
        raise BackupError("the restored database differs from the manifest (counts or balances): do not use it")
    echo(
        f"Restored {manifest['counts'].get('account', 0):,} accounts, {manifest['counts'].get('ledger_entry', 0):,} "
        f"ledger entries and {len(manifest['photos']):,} photos from a backup of {manifest['created_at']}; "
        "every count and balance matches the manifest."
    )
    return manifest
