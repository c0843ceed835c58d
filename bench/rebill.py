"""Benchmark cancel and rebill: a month's bills for N accounts corrected, each cancelled and rebilled.

    python bench/rebill.py --accounts 1000                      # SQLite file under /tmp
    python bench/rebill.py --accounts 1000 --url postgresql+asyncpg://postgres@127.0.0.1:5432/bench_rebill

Builds the bill-run bench's city (bench/bill_run.py: 13 months of reads), bills the month in process, then times the
corrections as the console makes them, one transaction per account (portal/billing/corrections.request): the
month's closing read corrected down by 1,000 gallons (the 2% of accounts with an estimated bill are rebilled from
their records instead). Each rebill recomputes the bill with the bill run's engine, reverses the original charge,
writes the replacement and its lines, charges it and writes the audit rows. Prints accounts, seconds, rebills a
second and the load average before and after (the machine is shared). The threshold is raised so that none waits
for a supervisor (the queue is not what is measured).

2026-12-04, this shared 2-core machine: PostgreSQL 38.2 s (26 rebills/s, load 2.4), SQLite 54.9 s (18/s); see
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bill_run import ON, generate, seed_rates
from bench.common import fresh_database, load_rows


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[0] if Path("/proc/loadavg").exists() else "?"


async def main(n: int, url: str) -> None:
    from sqlalchemy import select

    from portal.accounts.actor import Actor
    from portal.accounts.models import Account, Bill, CorrectionKind, Origin, ReadSource, Role, User
    from portal.accounts.models import MeterRead as Read
    from portal.accounts.policy import current_policy
    from portal.billing import corrections
    from portal.billing.run import bill_run
    from portal.db import make_engine, make_sessionmaker, transaction
    from portal.mail import OUTBOX

    await fresh_database(url)
    await load_rows(url, generate(n))
    await seed_rates(url)
    engine = make_engine(url)
    maker = make_sessionmaker(engine)
    policy = dataclasses.replace(current_policy(), rebill_supervisor_threshold_cents=100_000_000)
    try:
        billed = await bill_run(maker, 1, ON, policy, mailer=OUTBOX)
        print(f"billed {billed.billed:,} accounts for the period ending {ON}")
        async with maker() as session:
            rows = (
                await session.execute(
                    select(Bill.account_id, Bill.id, Read.id, Read.value, Read.source)
                    .outerjoin(Read, Read.id == Bill.curr_read_id)
                    .where(Bill.period_end == ON)
                    .order_by(Bill.account_id)
                )
            ).all()
        async with transaction(maker) as session:
            clerk = User(email="bench-csr@example.com", display_name="Bench CSR", role=Role.CSR)
            session.add(clerk)
            await session.flush()
            actor = Actor(clerk.id, clerk.email, Origin.WEB, Role.CSR)
        before = loadavg()
        started = time.perf_counter()
        done = 0
        for account_id, bill_id, read_id, value, source in rows:
            async with transaction(maker) as session:
                account = await session.get(Account, account_id)
                assert account is not None
                if read_id is not None and source != ReadSource.ESTIMATED and value >= 1_000:
                    kind, change = CorrectionKind.READ_CORRECTED, {"read_id": read_id, "value": value - 1_000}
                else:
                    kind, change = CorrectionKind.RECORDS, {"bill_ids": [bill_id]}
                correction = await corrections.request(
                    session, actor, account, kind, change, "bench: the month's reads were off", ON, policy
                )
                done += len(correction.bill_ids)
        seconds = time.perf_counter() - started
        print(
            f"cancel and rebill: {len(rows):,} accounts, {done:,} bills rebilled in {seconds:.1f} s "
            f"({done / seconds:,.0f} rebills/s); load average {before} before, {loadavg()} after"
        )
    finally:
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--url", default="sqlite+aiosqlite:////tmp/bench_rebill.db")
    args = parser.parse_args()
    asyncio.run(main(args.accounts, args.url))
