"""What the benchmarks share: a fresh, migrated database and a fast bulk load of generated rows.

await fresh_database(url)         # PostgreSQL: the database dropped and made again; SQLite: the file removed
await load_rows(url, rows)        # {Model: [row dicts]}: COPY on PostgreSQL, multi-row INSERT on SQLite
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import JSON

from portal.migrate import upgrade


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg", "postgresql")


async def fresh_database(url: str) -> None:
    """An empty database at `url` with every migration applied."""
    if url.startswith("postgresql"):
        import asyncpg

        base, name = _dsn(url).rsplit("/", 1)
        admin = await asyncpg.connect(f"{base}/postgres")
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
    elif url.startswith("sqlite"):
        path = url.split("///", 1)[1]
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    await asyncio.to_thread(upgrade, url)


def complete(model: Any, items: list[dict[str, Any]]) -> list[str]:
    """Fill each row's missing NOT NULL columns from their Python defaults (a column another side added, the
    created_at stamp), as the ORM would; returns the column names every row now has."""
    columns = list(items[0])
    now = dt.datetime.now(dt.UTC)
    for column in model.__table__.columns:
        if column.name in columns or column.nullable or column.default is None:
            continue
        value = now if column.name == "created_at" else column.default.arg
        if callable(value):
            continue  # a computed default with no sensible value for made-up rows: the generator must name it
        for item in items:
            item[column.name] = value
        columns.append(column.name)
    return columns


async def load_rows(url: str, rows: dict[Any, list[dict[str, Any]]]) -> None:
    """Insert generated rows (ids included) model by model, reset the id sequences past them, and ANALYZE."""
    if url.startswith("postgresql"):
        import asyncpg

        conn = await asyncpg.connect(_dsn(url))
        try:
            for model, items in rows.items():
                if not items:
                    continue
                columns = complete(model, items)
                as_json = {c.name for c in model.__table__.columns if isinstance(c.type, JSON)}
                records = [
                    tuple(json.dumps(item[c]) if c in as_json and item[c] is not None else item[c] for c in columns)
                    for item in items
                ]
                table = model.__tablename__
                await conn.copy_records_to_table(table, records=records, columns=columns)
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                )
            await conn.execute("ANALYZE")
        finally:
            await conn.close()
        return
    from sqlalchemy import create_engine, insert

    engine = create_engine(url.replace("sqlite+aiosqlite", "sqlite"))
    try:
        with engine.begin() as conn:
            for model, items in rows.items():
                if not items:
                    continue
                complete(model, items)
                for offset in range(0, len(items), 20_000):
                    conn.execute(insert(model.__table__), items[offset : offset + 20_000])
            conn.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
