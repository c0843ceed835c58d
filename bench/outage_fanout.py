"""Benchmark outage notification fan-out: N accounts on one street, one outage over the street, the "started"
notice queued to each with water service (portal/accounts/outages.notify through mail.queue_once_many, a few hundred
to a statement, one key per account+outage+event+channel), then the same again, which must queue 0. A tenth as many electric-only accounts on the street are not told
(an outage reaches only the accounts with a service of its utility).

    python bench/outage_fanout.py --accounts 10000
    python bench/outage_fanout.py --accounts 10000 --url postgresql+asyncpg://postgres@127.0.0.1:5432/bench_outage

Prints messages queued per second, the second run's count, what the public /outages page's view and the staff
outage report take over that many accounts, and the load average (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select

from bench.common import fresh_database
from portal import mail
from portal.accounts import numbers, outages
from portal.accounts.models import (
    Account,
    AccountStatus,
    Customer,
    MailMessage,
    Outage,
    Premise,
    Service,
    ServiceKind,
)
from portal.db import make_engine, make_sessionmaker


async def run(url: str, count: int) -> None:
    await fresh_database(url)
    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    now = dt.datetime.now(dt.UTC)
    async with maker() as session, session.begin():
        ids = range(1, count + count // 10 + 1)  # the first `count` have water, the rest electric only
        await session.execute(
            insert(Customer),
            [{"id": n, "first_name": "R", "last_name": f"N{n}", "email": f"r{n}@example.com"} for n in ids],
        )
        await session.execute(
            insert(Premise),
            [
                {
                    "id": n,
                    "address": f"{n} Oak St",
                    "city": "Riverton",
                    "state": "TX",
                    "zip": "76501",
                    "route": "R01",
                    "cycle": 1,
                }
                for n in ids
            ],
        )
        await session.execute(
            insert(Account),
            [
                {
                    "id": n,
                    "number": numbers.with_check_digit(50_000_000 + n),
                    "customer_id": n,
                    "premise_id": n,
                    "status": AccountStatus.ACTIVE,
                    "opened_on": dt.date(2020, 1, 1),
                }
                for n in ids
            ],
        )
        await session.execute(
            insert(Service),
            [
                {
                    "account_id": n,
                    "kind": ServiceKind.WATER if n <= count else ServiceKind.ELECTRIC,
                    "rate_code": "RES",
                    "started_on": dt.date(2020, 1, 1),
                }
                for n in ids
            ],
        )
        outage = Outage(
            utility="water",
            status="open",
            started_at=now,
            last_report_at=now,
            streets=["oak st"],
            routes=[],
            polygon=[],
            updates=[],
        )
        session.add(outage)
    figures = []
    for attempt in (1, 2):
        async with maker() as session, session.begin():
            found = await session.get(Outage, outage.id)
            assert found is not None
            started = time.perf_counter()
            queued = await outages.notify(session, found, "started", mail.queue_once_many)
            seconds = time.perf_counter() - started
        figures.append((queued, seconds))
        print(
            f"run {attempt}: {queued} messages queued in {seconds:.2f} s"
            + (f" = {queued / seconds:,.0f} messages/s" if queued else "")
        )
    async with maker() as session:
        total = await session.scalar(select(func.count()).select_from(MailMessage))
    # What each request costs on the outage's day: the public page's view (the first time, then again within its
    # minute) and the staff report's rows, each counting the accounts in the area.
    cache: outages.PointsCache = {}  # the app's, as portal/customer/screens/outages_public.py keeps it
    for label, work in (
        ("public /outages, first", lambda s: outages.public_view(s, cache)),
        ("public /outages, again", lambda s: outages.public_view(s, cache)),
        ("staff outage report", lambda s: outages.report_rows(s, now)),
    ):
        async with maker() as session:
            started = time.perf_counter()
            await work(session)
            print(f"{label}: {1000 * (time.perf_counter() - started):,.1f} ms")
    assert figures[0][0] == count and figures[1][0] == 0 and total == count, (figures, total)
    print(
        f"each once: {total} messages in the outbox for {count} accounts; loadavg {Path('/proc/loadavg').read_text().strip()}"
    )
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--url")
    args = parser.parse_args()
    url = args.url or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    asyncio.run(run(url, args.accounts))


if __name__ == "__main__":
    main()
