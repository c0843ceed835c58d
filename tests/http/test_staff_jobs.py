"""/staff/jobs: supervisors and admins see the schedule and run a job now through the same claim; CSRs may not."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select, text

from portal.accounts.models import JobRun, Role
from portal.jobs import queue
from portal.web import clock
from tests import factories
from tests.conftest import TEST_DB
from tests.http.helpers import post_form, sign_in


async def finished(session) -> JobRun:
    """The run, once the app's process finished it (the test client serves the app from another event loop)."""
    for _ in range(100):
        await session.commit()
        session.expire_all()  # the sessions keep objects across commits (expire_on_commit=False)
        row = await session.scalar(select(JobRun).where(JobRun.job == "close-settled"))
        if row is not None and row.outcome != "running":
            return row
        await asyncio.sleep(0.05)
    raise AssertionError("the run did not finish")


MONDAY = dt.datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("America/Chicago"))


async def test_a_csr_may_not_see_or_run_the_jobs(client, session, csr) -> None:
    await sign_in(client, session, csr)
    assert (await client.get("/staff/jobs")).status_code == 403
    assert (await post_form(client, "/staff/jobs/close-settled/run")).status_code == 403
    await session.commit()
    assert await session.scalar(select(JobRun.id)) is None


async def test_a_supervisor_sees_the_schedule_with_last_and_next_runs_and_failures(client, session, supervisor) -> None:
    session.add(
        JobRun(
            job="late-fees",
            business_date=dt.date(2026, 11, 27),
            trigger="schedule",
            outcome="failed",
            attempts=3,
            started_at=MONDAY,
            heartbeat_at=MONDAY,
            finished_at=MONDAY,
            error="RuntimeError: the database went away",
        )
    )
    session.add(
        JobRun(
            job="bill-run-cycle-1",
            business_date=dt.date(2026, 11, 27),
            trigger="schedule",
            outcome="ok",
            attempts=1,
            started_at=MONDAY,
            heartbeat_at=MONDAY,
            finished_at=MONDAY,
            counts={"billed": 1200, "charged_cents": 10_950_000, "read_orders": 3, "seconds": 12.5},
        )
    )
    await session.commit()
    await sign_in(client, session, supervisor)
    page = await client.get("/staff/jobs")
    assert page.status_code == 200
    # A run's counts in words, money as money (they read "charged_cents 10950000, ... seconds 12.5").
    assert "billed 1,200, charged $109,500.00, read orders 3 · took 12.5 s" in page.text
    for name in ("bill-run-cycle-1", "late-fees", "cutoff-recheck", "reconcile"):
        assert f'id="job-{name}"' in page.text
    assert "the database went away" in page.text and "Failures" in page.text
    assert "Scheduled jobs" in (await client.get("/staff")).text  # the console's tile


async def test_run_now_goes_through_the_claim_once(client, app, session, monkeypatch) -> None:
    admin = await factories.make_user(session, Role.ADMIN, email="it@riverton.example", name="Ida Admin")
    await session.commit()
    monkeypatch.setattr(clock, "now", lambda: MONDAY)
    await sign_in(client, session, admin)
    first = await post_form(client, "/staff/jobs/close-settled/run")
    assert first.status_code in (302, 303) and first.headers["location"].startswith("/staff/jobs")
    if TEST_DB == "postgres":
        # Workers run it: the run is queued for them (their claim is tested in tests/integration/test_job_engine.py).
        async with session.bind.connect() as conn:
            queued = (
                await conn.execute(
                    text("SELECT count(*) FROM procrastinate_jobs WHERE task_name = :t AND args->>'job' = :j"),
                    {"t": queue.RUN, "j": "close-settled"},
                )
            ).scalar_one()
            await conn.execute(text("DELETE FROM procrastinate_jobs"))
            await conn.commit()
        assert queued == 1
        return
    row = await finished(session)
    assert (row.business_date, row.outcome, row.trigger, row.requested_by) == (
        MONDAY.date(),
        "ok",
        "manual",
        "it@riverton.example",
    )
    again = await post_form(client, "/staff/jobs/close-settled/run")
    assert again.status_code in (302, 303)
    page = await client.get("/staff/jobs")
    assert "already run" in page.text
    assert (await finished(session)).attempts == 1
    recent = page.text.split('id="recent-title"', 1)[1]
    assert "<td>Ida Admin</td>" in recent and "it@riverton.example" not in recent  # the person, by name
    assert (await post_form(client, "/staff/jobs/no-such-job/run")).status_code == 404


async def test_the_embedded_app_runs_the_schedule_in_its_own_process(settings) -> None:
    """The demo's case (SQLite): the app's lifespan starts the schedule; its first tick records where each job
    starts (the baseline), and from then on runs what is owed (tests/integration/test_job_engine.py)."""
    if TEST_DB == "postgres":
        return  # PostgreSQL installs run `portal worker`s instead
    from litestar.testing import AsyncTestClient
    from sqlalchemy import func

    from portal.app import create_app
    from portal.db import make_engine, make_sessionmaker
    from portal.jobs.schedule import SCHEDULE

    app = create_app(dataclasses.replace(settings, jobs_in_process=True))
    engine = make_engine(settings.database_url)
    try:
        async with AsyncTestClient(app=app, base_url="http://portal.test"), make_sessionmaker(engine)() as session:
            for _ in range(100):
                jobs = await session.scalar(select(func.count(func.distinct(JobRun.job))))
                if jobs == len(SCHEDULE):
                    break
                await session.commit()
                await asyncio.sleep(0.05)
            assert jobs == len(SCHEDULE)
    finally:
        await engine.dispose()
