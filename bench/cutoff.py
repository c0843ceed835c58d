"""The cut-off list on a city larger than the demo's: `portal seed --premises N` (14 months of bills and payments made
by the real jobs, so the delinquent are as many as a city's) into a PostgreSQL database, then `cutoff.build` for the
next disconnect day timed in process, as the staff page, its previews and the day-of recheck each call it.

    .venv/bin/python bench/cutoff.py --premises 15000                  # seed bench_cutoff, then measure
    .venv/bin/python bench/cutoff.py --reuse [--code DIR] [--runs 5]   # measure only (another checkout's code)

Prints the accounts, the delinquent and the eligible with a digest of the list (the same from two checkouts: the same
list), the wall and process CPU time of each build
(median of --runs), and the load average beside them (docs/benchmarks.md, "Cut-off list").
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_cutoff"


async def measure(url: str, runs: int, first_day: dt.date | None) -> None:
    from sqlalchemy import func, select

    from portal import db
    from portal.accounts.models import Account
    from portal.accounts.policy import current_policy
    from portal.staff import cutoff
    from portal.staff import rules as staff_rules
    from portal.web import clock

    policy = current_policy()
    zone = "America/Chicago"
    day = first_day or clock.today_in(zone)
    while staff_rules.disconnect_day_refusal(policy, day, None) is not None:  # the next day crews may disconnect
        day += dt.timedelta(days=1)
    engine = db.make_engine(url)
    maker = db.make_sessionmaker(engine)
    walls, cpus = [], []
    try:
        for _ in range(runs):
            async with maker() as session:
                started, cpu = time.perf_counter(), time.process_time()
                listing = await cutoff.build(session, policy, day, zone)
                walls.append(time.perf_counter() - started)
                cpus.append(time.process_time() - cpu)
        async with maker() as session:
            accounts = await session.scalar(select(func.count()).select_from(Account))
    finally:
        await engine.dispose()
    eligible = sum(1 for row in listing.rows if row.decision.eligible)
    # The list itself, as a short digest: the same digest from two checkouts is the same list.
    digest = hashlib.sha256(
        repr([(r.account.id, r.past_due_cents, r.decision.eligible, r.decision.codes) for r in listing.rows]).encode()
    ).hexdigest()[:12]
    print(
        f"cut-off day {day}: {accounts:,} accounts, {len(listing.rows):,} delinquent, {eligible:,} eligible "
        f"(list digest {digest})"
    )
    print(
        f"cutoff.build: median {1000 * statistics.median(walls):,.0f} ms wall, "
        f"{1000 * statistics.median(cpus):,.0f} ms of this process's CPU over {runs} runs "
        f"(each: {', '.join(f'{1000 * w:,.0f}' for w in walls)} ms); load {loadavg()}"
    )


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--premises", type=int, default=15_000)
    parser.add_argument("--reuse", action="store_true", help="the database is seeded already")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--day", type=dt.date.fromisoformat, default=None, help="from this day (default today)")
    parser.add_argument(
        "--code", type=Path, default=Path(__file__).resolve().parent.parent, help="the checkout measured"
    )
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    if not args.reuse:
        sys.path.insert(0, str(root))
        from bench.common import fresh_database

        asyncio.run(fresh_database(args.url))
        env = {**os.environ, "DATABASE_URL": args.url}
        seed = [sys.executable, "-c", "from portal.cli import main; main()", "seed", "--premises", str(args.premises)]
        subprocess.run(seed, env=env, cwd=root, check=True)
    sys.path.insert(0, str(args.code.resolve()))  # the measured checkout's `portal` first
    asyncio.run(measure(args.url, args.runs, args.day))


if __name__ == "__main__":
    main()
