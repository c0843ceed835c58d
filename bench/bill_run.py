"""Benchmark the bill run: N synthetic accounts with 13 months of reads, billed by `portal bill-run`.

    python bench/bill_run.py --accounts 100000 --db postgres --jobs 2
    python bench/bill_run.py --accounts 100000 --db sqlite
    python bench/bill_run.py --accounts 100000 --db postgres --jobs 2 --electric 0.3 --gas 0.2   # with energy

Builds a fresh database (SQLite file under /tmp, or the PostgreSQL database named by --url, dropped and created),
loads the accounts (PostgreSQL: COPY), then times `portal bill-run` in a child process exactly as cron would run it,
and prints accounts, seconds, bills per second and the peak memory of any one process (the run's own processes, not
this script's data generation). It then runs the bill run again to show the second run bills nobody.

Measured on this 2-core machine with nothing else running (target: 100,000 accounts on PostgreSQL in at most 50 s,
2,000 bills/s, under 500 MB):

    --accounts 100000 --db postgres --jobs 2    26.8 s   3,737 bills/s   97 MB   (52.5 s, 1,906 bills/s before)
    --accounts 100000 --db postgres --jobs 3    29.8 s   3,361 bills/s   96 MB
    --accounts 100000 --db sqlite               56.7 s   1,764 bills/s  106 MB

About 0.34 ms of Python and 0.22 ms of PostgreSQL CPU a bill; docs/benchmarks.md says where the rest went.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fresh_database, load_rows
from portal.accounts import numbers
from portal.accounts.models import Account, Customer, Meter, MeterRead, Premise, Service

ON = dt.date(2026, 7, 3)
DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_billing"
SERVICES = [("water", "W-RES"), ("sewer", "S-RES"), ("solid_waste", "SW-CART"), ("stormwater", "SW-ERU")]
SEASON = {1: 0.85, 2: 0.85, 3: 0.95, 4: 1.05, 5: 1.2, 6: 1.45, 7: 1.65, 8: 1.6, 9: 1.3, 10: 1.05, 11: 0.9, 12: 0.85}


def month_back(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, day.day)


def generate(n: int, seed: int = 7, electric: float = 0.0, gas: float = 0.0) -> dict[Any, list[dict[str, Any]]]:
    """Rows per model: every account residential on cycle 1 with four services and a meter read monthly for 13
    months (2% of meters missed this month's read, so their bills are estimated). `electric` and `gas` are the
    shares of accounts that also have that service, its own meter and 14 monthly reads (a separate random stream,
    so the water side is the same with or without them)."""
    rnd = random.Random(seed)
    energy_rnd = random.Random(seed + 1)
    now = dt.datetime.now(dt.UTC)
    opened = dt.date(2019, 5, 1)
    rows: dict[Any, list[dict[str, Any]]] = {m: [] for m in (Customer, Premise, Account, Service, Meter, MeterRead)}
    read_id = 0
    service_id = 0
    for i in range(1, n + 1):
        paperless = rnd.random() < 0.3
        rows[Customer].append(
            {
                "id": i,
                "first_name": "Pat",
                "last_name": f"Bench{i}",
                "email": f"bench{i}@example.com" if paperless or rnd.random() < 0.5 else None,
                "language": "es" if rnd.random() < 0.2 else "en",
                "paperless": paperless,
                "notify_email": True,
                "notify_sms": False,
                "created_at": now,
            }
        )
        rows[Premise].append(
            {
                "id": i,
                "address": f"{100 + i} Bench St",
                "city": "Riverton",
                "state": "TX",
                "zip": "76501",
                "route": "R01",
                "cycle": 1,
                "solid_waste_carts": 1,
                "stormwater_erus": 1,
                "created_at": now,
            }
        )
        rows[Account].append(
            {
                "id": i,
                "number": numbers.with_check_digit(20_000_000 + i),
                "customer_id": i,
                "premise_id": i,
                "account_class": "residential",
                "status": "active",
                "opened_on": opened,
                "dispute_pending": False,
                "bankruptcy_hold": False,
                "consecutive_estimates": 0,
                "created_at": now,
            }
        )
        for kind, code in SERVICES:
            service_id += 1
            rows[Service].append(
                {
                    "id": service_id,
                    "account_id": i,
                    "kind": kind,
                    "rate_code": code,
                    "quantity": 1,
                    "started_on": opened,
                    "created_at": now,
                }
            )
        rows[Meter].append(
            {
                "id": i,
                "serial": f"B{i:09d}",
                "kind": "water",
                "size": "5/8" if rnd.random() < 0.85 else "3/4",
                "dials": 6,
                "multiplier": 1,
                "unit": "gal",
                "premise_id": i,
                "installed_on": opened,
                "created_at": now,
            }
        )
        daily = rnd.uniform(120, 330)
        value = rnd.randint(0, 900_000)
        missed = rnd.random() < 0.02
        for back in range(13, -1, -1):  # 14 reads: 13 months of use up to this period's read
            if back == 0 and missed:
                break
            day = month_back(ON, back)
            if back < 13:
                value = (value + int(daily * 30 * SEASON[day.month] * rnd.uniform(0.85, 1.15))) % 1_000_000
            read_id += 1
            rows[MeterRead].append(
                {
                    "id": read_id,
                    "meter_id": i,
                    "value": value,
                    "read_at": dt.datetime.combine(day, dt.time(9 + rnd.randint(0, 7)), dt.UTC),
                    "source": "field",
                    "flags": [],
                    "created_at": now,
                }
            )
        for kind, code, unit, share, per_day in (
            ("electric", "E-RES", "kWh", electric, (18.0, 40.0)),
            ("gas", "G-RES", "therm", gas, (0.8, 2.5)),
        ):
            if share <= 0 or energy_rnd.random() >= share:
                continue
            service_id += 1
            meter_id = n * (2 if kind == "electric" else 3) + i
            rows[Service].append(
                {
                    "id": service_id,
                    "account_id": i,
                    "kind": kind,
                    "rate_code": code,
                    "quantity": 1,
                    "started_on": opened,
                    "created_at": now,
                }
            )
            rows[Meter].append(
                {
                    "id": meter_id,
                    "serial": f"{kind[0].upper()}{i:09d}",
                    "kind": kind,
                    "size": "",
                    "dials": 5,
                    "multiplier": 1,
                    "unit": unit,
                    "premise_id": i,
                    "installed_on": opened,
                    "created_at": now,
                }
            )
            daily = energy_rnd.uniform(*per_day)
            value = energy_rnd.randint(0, 90_000)
            for back in range(13, -1, -1):
                day = month_back(ON, back)
                if back < 13:
                    value = (value + int(daily * 30 * energy_rnd.uniform(0.85, 1.15))) % 100_000
                read_id += 1
                rows[MeterRead].append(
                    {
                        "id": read_id,
                        "meter_id": meter_id,
                        "value": value,
                        "read_at": dt.datetime.combine(day, dt.time(9 + energy_rnd.randint(0, 7)), dt.UTC),
                        "source": "field",
                        "flags": [],
                        "created_at": now,
                    }
                )
    return rows


async def seed_rates(url: str) -> None:
    from portal.db import make_engine, make_sessionmaker, transaction
    from portal.demo.billing import seed_rates as seed

    engine = make_engine(url)
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            await seed(session)
    finally:
        await engine.dispose()


async def counts(url: str) -> dict[str, int]:
    from sqlalchemy import text

    from portal.db import make_engine

    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return {
                t: int(await conn.scalar(text(f"SELECT count(*) FROM {t}")))
                for t in ("bill", "bill_line", "ledger_entry", "audit_event", "mail_message", "work_order")
            }
    finally:
        await engine.dispose()


# A small launcher runs the command and reports the peak memory of the run's processes: measured from this script,
# a forked child would count the pages it shares with this (large) process before it execs.
LAUNCHER = """
import resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
seconds = time.perf_counter() - started
sys.stdout.write(done.stdout)
sys.stderr.write(done.stderr)
print(f"@@ {seconds:.3f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f}")
sys.exit(done.returncode)
"""


def bill_run(url: str, jobs: int) -> tuple[float, float, str]:
    """(seconds, peak MB of the largest process of the run, the command's summary line)."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench" * 8, "PUBLIC_URL": "https://portal.example"}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            LAUNCHER,
            sys.executable,
            "-m",
            "portal.cli",
            "bill-run",
            "--cycle",
            "1",
            "--date",
            ON.isoformat(),
            "--jobs",
            str(jobs),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"bill-run failed:\n{done.stdout}\n{done.stderr}")
    lines = done.stdout.strip().splitlines()
    _, seconds, peak = lines[-1].split()
    return float(seconds), float(peak), lines[-2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--url", default=None, help=f"PostgreSQL database to (re)create (default {DEFAULT_PG})")
    parser.add_argument(
        "--jobs", type=int, default=None, help="worker processes (default 2 on PostgreSQL, 1 on SQLite)"
    )
    parser.add_argument("--electric", type=float, default=0.0, help="share of accounts with electric (0 to 1)")
    parser.add_argument("--gas", type=float, default=0.0, help="share of accounts with gas (0 to 1)")
    args = parser.parse_args()
    jobs = args.jobs or (2 if args.db == "postgres" else 1)
    url = (args.url or DEFAULT_PG) if args.db == "postgres" else "sqlite+aiosqlite:////tmp/bench_bill_run.db"
    asyncio.run(fresh_database(url))
    started = time.perf_counter()
    rows = generate(args.accounts, electric=args.electric, gas=args.gas)
    energy = sum(1 for row in rows[Service] if row["kind"] in ("electric", "gas"))
    reads = len(rows[MeterRead])
    asyncio.run(load_rows(url, rows))
    del rows
    asyncio.run(seed_rates(url))
    print(
        f"loaded {args.accounts:,} accounts ({energy:,} electric and gas services) and {reads:,} reads in {time.perf_counter() - started:.1f} s"
    )
    print(f"load before the run: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")

    seconds, peak_mb, summary = bill_run(url, jobs)
    found = asyncio.run(counts(url))
    print(summary)
    print(f"rows written: {found}")
    again, _, again_summary = bill_run(url, jobs)
    print(f"second run (bills nobody): {again:.1f} s: {again_summary}")
    print(f"load after the runs: {os.getloadavg()[0]:.2f} (1 min)")
    print()
    print(
        f"accounts {args.accounts:,} | electric {args.electric:.0%} gas {args.gas:.0%} | db {args.db} | jobs {jobs} | seconds {seconds:.1f} | "
        f"bills/s {found['bill'] / seconds:,.0f} | peak memory {peak_mb:,.0f} MB (largest process of the run)"
    )


if __name__ == "__main__":
    main()
