"""What the benchmarks share: a fresh, migrated database and a fast bulk load of generated rows.

await fresh_database(url)         # PostgreSQL: the database dropped and made again; SQLite: the file removed
await load_rows(url, rows)        # {Model: [row dicts]}: COPY on PostgreSQL, multi-row INSERT on SQLite
server = start_server("uvicorn", url, free_port(), workers, ROOT)  # `portal serve` of this checkout
await wait_ready(base, server)
tree_cpu_seconds(server.pid)      # CPU of a served process and its workers; loadavg() for the record
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import JSON

from portal.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent


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


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU of a process and all its descendants (the server's workers): what a page costs the server,
    whatever else the shared machine is doing, unlike requests/s."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    tree, grew = {root}, True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= found
        grew = bool(found)
    return sum(times.get(pid, 0.0) for pid in tree)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(url: str, port: int, code: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        SECRET_KEY=secrets.token_hex(32),
        PUBLIC_URL=f"http://localhost:{port}",
        SMTP_HOST="localhost",  # nothing is sent: no worker runs; sign-in codes wait in the outbox
        PYTHONPATH=str(code),
        LOG_LEVEL="WARNING",  # a request line per request would measure the terminal
    )
    env.pop("PORTAL_DEMO", None)
    return env


def start_server(kind: str, url: str, port: int, workers: int, code: Path) -> subprocess.Popen[bytes]:
    env = server_env(url, port, code)
    command = [sys.executable, "-c", "from portal.cli import main; main()", "serve", "--workers", str(workers)]
    command += ["--port", str(port)] + (["--server", kind] if kind != "uvicorn" else [])  # older checkouts: no --server
    return subprocess.Popen(command, env=env, cwd=code, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(900):  # start-up compresses the assets once (brotli): slow on a loaded machine
            if process.poll() is not None:
                raise SystemExit(
                    f"the server stopped: {process.stderr.read().decode()[-2000:] if process.stderr else ''}"
                )
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("the server did not become ready in 180 s")
