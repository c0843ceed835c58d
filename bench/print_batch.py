"""Benchmark the print batch: a cycle of N paper bills (every customer paperless off), billed, then laid out as one
PDF with its manifest by portal/staff/print_batch.py.

    python bench/print_batch.py --bills 10000 --jobs 2
    python bench/print_batch.py --bills 1000 --jobs 1

Builds a fresh SQLite database under /tmp (the city of bench/bill_run.py, with ZIPs spread over a few codes so the
presort has work), runs the bill run in process, then times `make_batch` and prints documents, pages, seconds,
pages per second, the PDF's size and the peak memory of the largest process, with the load average around it (the
rendering is CPU-bound: on a shared machine the figure moves with the load).

Measured 2026-12-04 on this shared 2-core machine, other test runs coming and going (docs/benchmarks.md):

    --bills 10000 --jobs 2    512.7 s   19.5 pages/s   PDF 28.9 MB (3.0 KB a page)   593 MB peak   load 1.5-3.2
    --bills 10000 --jobs 2    931.7 s   10.7 pages/s   PDF 28.9 MB                   591 MB peak   load 3.5-4.7
    --bills 1000 --jobs 1      66.6 s   15.0 pages/s;  --jobs 2: 34.4 s, 29.1 pages/s (load about 1.6)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bill_run import ON, generate, seed_rates
from bench.common import fresh_database, load_rows
from portal.accounts.models import Customer, Premise

URL = "sqlite+aiosqlite:////tmp/bench_print_batch.db"


def city(n: int) -> dict:
    rows = generate(n)
    rnd = random.Random(11)
    for customer in rows[Customer]:
        customer["paperless"] = False  # a cycle of paper bills
    for premise in rows[Premise]:
        premise["zip"] = rnd.choice(("76501", "76502", "76504", "76508", "76513"))
        premise["route"] = f"R{rnd.randint(1, 12):02d}"
    return rows


async def bill(url: str) -> str:
    from portal.accounts.policy import current_policy
    from portal.billing.run import bill_run
    from portal.db import make_engine, make_sessionmaker
    from portal.mail import OUTBOX

    engine = make_engine(url)
    try:
        result = await bill_run(make_sessionmaker(engine), 1, ON, current_policy(), mailer=OUTBOX)
    finally:
        await engine.dispose()
    return result.summary()


async def batch(url: str, jobs: int) -> tuple[float, object, int]:
    from portal.accounts.actor import Actor
    from portal.db import make_engine, make_sessionmaker
    from portal.settings import Settings
    from portal.staff import print_batch

    settings = Settings(database_url=url, secret_key="bench" * 8, public_url="https://portal.example")
    engine = make_engine(url)
    try:
        started = time.perf_counter()
        made = await print_batch.make_batch(
            make_sessionmaker(engine),
            settings,
            1,
            ON,
            Actor.job("bench"),
            processes=jobs,
            progress=lambda m: print(f"  {dt.datetime.now():%H:%M:%S} {m}", flush=True),
        )
        seconds = time.perf_counter() - started
        async with make_sessionmaker(engine)() as session:
            found = await print_batch.existing(session, 1, ON)
            assert found is not None
            size = found.pdf_size
    finally:
        await engine.dispose()
    return seconds, made, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bills", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=2, help="rendering processes")
    args = parser.parse_args()
    asyncio.run(fresh_database(URL))
    asyncio.run(load_rows(URL, city(args.bills)))
    asyncio.run(seed_rates(URL))
    print(f"bill run: {asyncio.run(bill(URL))}")
    before = os.getloadavg()
    print(f"load before the batch: {before[0]:.2f} (1 min), {os.cpu_count()} cores")
    seconds, made, size = asyncio.run(batch(URL, args.jobs))
    after = os.getloadavg()
    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    )
    print(f"load after the batch: {after[0]:.2f} (1 min), {after[1]:.2f} (5 min)")
    print()
    print(
        f"bills {made.bills:,} | pages {made.pages:,} | jobs {args.jobs} | seconds {seconds:.1f} | "  # type: ignore[attr-defined]
        f"pages/s {made.pages / seconds:,.1f} | PDF {size / 1_048_576:.1f} MB "  # type: ignore[attr-defined]
        f"({size / max(made.pages, 1) / 1024:.1f} KB a page) | peak memory {peak / 1024:,.0f} MB (largest process)"  # type: ignore[attr-defined]
    )


if __name__ == "__main__":
    main()
