"""The demo's paper: the print batch of the history's last bill run, made by the product's own function
(portal/staff/print_batch.make_batch, what the print-batch job runs), so /staff/print has a batch to download at once.

It runs after the seed has committed (make_batch reads and writes in its own transactions), on the machine's cores as
a worker does (one process lays out about 15 pages a second; a cycle of the demo city is some 250 paper bills)."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.accounts.actor import Actor
from portal.accounts.models import Bill, JobRun
from portal.jobs import schedule
from portal.settings import Settings


async def last_bill_run(session: AsyncSession, today: dt.date) -> tuple[int, dt.date] | None:
    """(cycle, bill date) of the latest bill run up to `today`, or None before the first."""
    row = (
        await session.execute(
            select(Bill.cycle, Bill.bill_date)
            .where(Bill.bill_date <= today)
            .order_by(Bill.bill_date.desc(), Bill.cycle.desc())
            .limit(1)
        )
    ).first()
    return None if row is None else (int(row[0]), row[1])


async def print_last_bill_run(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    today: dt.date,
    progress: Callable[[str], object] = lambda _m: None,
    processes: int | None = None,
) -> int | None:
    """The print batch of the last bill run (once: a second call finds it); its id, or None without a bill run."""
    from portal.staff import print_batch

    async with maker() as session:
        found = await last_bill_run(session, today)
    if found is None:
        return None
    cycle, day = found
    started = time.perf_counter()
    made = await print_batch.make_batch(
        maker,
        settings,
        cycle,
        day,
        Actor.job("seed"),
        processes=processes or min(4, os.cpu_count() or 1),
    )
    took = time.perf_counter() - started
    progress(
        f"  print batch, cycle {cycle}, {day.isoformat()}: {made.bills} bills, {made.letters} letters, "
        f"{made.pages} pages ({took:.1f} s)"
    )
    # The job ledger's row, as the print-batch job writes it: the jobs page said "never" beside a batch made.
    job = schedule.BY_NAME[f"print-batch-cycle-{cycle}"]
    at = schedule.scheduled_at(job, day, ZoneInfo(settings.timezone))
    async with maker() as session:
        if await session.scalar(select(JobRun.id).where(JobRun.job == job.name, JobRun.business_date == day)) is None:
            session.add(
                JobRun(
                    job=job.name,
                    business_date=day,
                    trigger="history",
                    outcome="ok",
                    started_at=at,
                    heartbeat_at=at,
                    finished_at=at + dt.timedelta(seconds=round(took)),
                    counts={"bills": made.bills, "letters": made.letters, "pages": made.pages, "created": 1},
                    requested_by="job:seed-history",
                )
            )
            await session.commit()
    return made.batch_id
