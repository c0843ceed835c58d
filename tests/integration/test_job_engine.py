"""The job engine on a real database: the claim (two at once, one wins), retries of failed and abandoned runs, a
failure emailed to the admins, progress kept on the row, the in-process runner's catch-up (once), and the
procrastinate runner (in memory everywhere; a real worker on PostgreSQL)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from portal import mail
from portal.accounts.models import JobRun, MailMessage, Role
from portal.accounts.policy import current_policy
from portal.db import make_engine, make_sessionmaker
from portal.jobs import engine as jobs_engine
from portal.jobs import queue, runs
from portal.jobs.engine import Env, InProcessRunner, JobContext, execute
from tests import factories

CHICAGO = ZoneInfo("America/Chicago")
DAY = dt.date(2026, 11, 30)


def env_for(engine, settings, bodies) -> Env:
    return Env(make_sessionmaker(engine), settings, current_policy(), mail.OUTBOX, bodies)


async def rows(session) -> list[JobRun]:
    await session.commit()
    session.expire_all()  # the sessions keep objects across commits (expire_on_commit=False)
    return list(await session.scalars(select(JobRun).order_by(JobRun.job, JobRun.business_date)))


async def test_two_claims_at_the_same_moment_one_wins(engine, database_url) -> None:
    other = make_engine(database_url)  # a second process's pool: its own connections
    try:
        claims = await asyncio.gather(
            runs.claim(make_sessionmaker(engine), "late-fees", DAY, "schedule", "job:schedule"),
            runs.claim(make_sessionmaker(other), "late-fees", DAY, "cli", "cli"),
            runs.claim(make_sessionmaker(other), "late-fees", DAY, "manual", "boss@riverton.example"),
        )
    finally:
        await other.dispose()
    assert sum(claim is not None for claim in claims) == 1


async def test_a_failed_run_is_taken_again_by_one_claimer_and_a_dead_claim_after_a_while(engine, session) -> None:
    maker = make_sessionmaker(engine)
    first = await runs.claim(maker, "late-fees", DAY, "schedule", "job:schedule")
    assert first is not None and first.attempt == 1
    run_id = first.run_id
    assert await runs.claim(maker, "late-fees", DAY, "cli", "cli", retake=(runs.FAILED,)) is None  # still running
    async with maker() as s, s.begin():
        assert await runs.finish(s, first, runs.FAILED, error="boom")
    again = await asyncio.gather(
        *(runs.claim(maker, "late-fees", DAY, "retry", "job:schedule", retake=(runs.FAILED,)) for _ in range(3))
    )
    assert [claim for claim in again if claim is not None] == [runs.Claim(run_id, 2)]
    (row,) = await rows(session)
    assert (row.outcome, row.attempts, row.error) == (runs.RUNNING, 2, None)
    # The process holding it dies: no heartbeat. Within STALE_AFTER nobody takes it; after, one does.
    assert await runs.claim(maker, "late-fees", DAY, "retry", "job:schedule") is None
    later = row.heartbeat_at + runs.STALE_AFTER + dt.timedelta(seconds=1)
    assert await runs.claim(maker, "late-fees", DAY, "retry", "job:schedule", now=later) == runs.Claim(run_id, 3)


async def test_a_retaken_attempts_heartbeat_and_outcome_write_nothing(engine, session) -> None:
    maker = make_sessionmaker(engine)
    old = await runs.claim(maker, "late-fees", DAY, "schedule", "job:schedule")
    assert old is not None and await runs.heartbeat(maker, old, "old: 10 of 100")
    (row,) = await rows(session)
    later = row.heartbeat_at + runs.STALE_AFTER + dt.timedelta(seconds=1)
    new = await runs.claim(maker, "late-fees", DAY, "retry", "job:schedule", now=later)
    assert new == runs.Claim(old.run_id, 2)
    # The first attempt was only slow: its heartbeat, progress and outcome change nothing now.
    assert not await runs.heartbeat(maker, old, "old: 90 of 100", now=later + dt.timedelta(seconds=5))
    async with maker() as s, s.begin():
        assert not await runs.finish(s, old, runs.FAILED, error="old attempt", counts={"done": 1})
    (row,) = await rows(session)
    assert (row.outcome, row.attempts, row.error, row.progress, row.counts) == (runs.RUNNING, 2, None, None, None)
    assert row.heartbeat_at == later.replace(tzinfo=row.heartbeat_at.tzinfo)
    assert await runs.heartbeat(maker, new, "new: 50 of 100")
    async with maker() as s, s.begin():
        assert await runs.finish(s, new, runs.OK, counts={"done": 2})
    (row,) = await rows(session)
    assert (row.outcome, row.progress, row.counts) == (runs.OK, "new: 50 of 100", {"done": 2})


async def test_an_attempt_taken_again_while_it_runs_is_cancelled_and_records_nothing(
    engine, session, settings, monkeypatch
) -> None:
    monkeypatch.setattr(jobs_engine, "HEARTBEAT_SECONDS", 0.02)
    maker = make_sessionmaker(engine)
    started, steps, cancelled = asyncio.Event(), [], []

    async def slow(ctx: JobContext) -> Mapping[str, Any]:
        started.set()
        try:
            for n in range(200):
                steps.append(n)
                ctx.progress(f"old attempt: step {n}")
                await asyncio.sleep(0.01)
        except asyncio.CancelledError:
            cancelled.append(len(steps))
            raise
        return {"steps": len(steps)}

    first = asyncio.create_task(execute(env_for(engine, settings, {"late-fees": slow}), "late-fees", DAY, "cli", "cli"))
    await started.wait()
    # Another worker judges the first attempt dead (its heartbeat looks older than STALE_AFTER) and takes the run.
    far = jobs_engine.utcnow() + runs.STALE_AFTER + dt.timedelta(minutes=1)
    second = await runs.claim(maker, "late-fees", DAY, "retry", "job:schedule", now=far)
    assert second is not None and second.attempt == 2
    outcome = await asyncio.wait_for(first, 5)
    assert outcome.outcome == jobs_engine.LOST
    assert cancelled and len(steps) < 200  # the body was stopped at its next beat, not run to its end
    (row,) = await rows(session)
    assert (row.outcome, row.attempts, row.counts, row.finished_at, row.progress) == (runs.RUNNING, 2, None, None, None)
    async with maker() as s, s.begin():
        assert await runs.finish(s, second, runs.OK, counts={"steps": 200})
    (row,) = await rows(session)
    assert (row.outcome, row.counts) == (runs.OK, {"steps": 200})


async def test_a_failure_is_recorded_and_emailed_to_the_admins_and_a_person_runs_it_again(
    engine, session, settings
) -> None:
    admin = await factories.make_user(session, Role.ADMIN, email="it@riverton.example", name="Ida Admin")
    await session.commit()
    calls: list[dt.date] = []

    async def broken(ctx: JobContext) -> Mapping[str, Any]:
        calls.append(ctx.day)
        raise RuntimeError("the database went away")

    env = env_for(engine, settings, {"late-fees": broken})
    first = await execute(env, "late-fees", DAY, "schedule", "job:schedule")
    assert (first.claimed, first.outcome) == (True, runs.FAILED) and "went away" in (first.error or "")
    mails = list(await session.scalars(select(MailMessage).where(MailMessage.to_addr == admin.email)))
    assert len(mails) == 1 and "late-fees" in mails[0].subject and "went away" in mails[0].text_body

    async def mended(ctx: JobContext) -> Mapping[str, Any]:
        ctx.progress("late fees: 10 of 10 bills")
        return {"charged": 3}

    env = env_for(engine, settings, {"late-fees": mended})
    second = await execute(env, "late-fees", DAY, "manual", "boss@riverton.example")
    assert (second.outcome, second.counts["charged"]) == (runs.OK, 3)
    third = await execute(env, "late-fees", DAY, "cli", "cli")
    assert (third.claimed, third.outcome) == (False, runs.OK)  # done: never twice
    (row,) = await rows(session)
    assert (row.attempts, row.progress, row.requested_by) == (2, "late fees: 10 of 10 bills", "boss@riverton.example")
    assert row.finished_at is not None and row.counts is not None and row.counts["seconds"] >= 0


async def test_progress_reaches_the_row_while_the_job_runs(engine, session, settings, monkeypatch) -> None:
    monkeypatch.setattr(jobs_engine, "HEARTBEAT_SECONDS", 0.02)
    seen: list[str | None] = []

    async def slow(ctx: JobContext) -> Mapping[str, Any]:
        ctx.progress("cycle 1 worker 1/1: 500 of 1,000 accounts, 480 billed")
        await asyncio.sleep(0.3)
        async with ctx.maker() as s:
            seen.append(await s.scalar(select(JobRun.progress)))
        return {}

    await execute(env_for(engine, settings, {"bill-run": slow}), "bill-run-cycle-1", DAY, "cli", "cli")
    assert seen == ["cycle 1 worker 1/1: 500 of 1,000 accounts, 480 billed"]


def recorder(calls: list[tuple[str, dt.date]]):
    async def body(ctx: JobContext) -> Mapping[str, Any]:
        calls.append((ctx.job.name, ctx.day))
        return {"done": 1}

    return body


async def test_the_in_process_runner_catches_up_once_after_an_outage(engine, session, settings) -> None:
    maker = make_sessionmaker(engine)
    for name, day in (("reconcile", dt.date(2026, 11, 26)), ("late-fees", dt.date(2026, 11, 24))):
        claim = await runs.claim(maker, name, day, "schedule", "job:schedule")
        assert claim is not None
        async with maker() as s, s.begin():
            await runs.finish(s, claim, runs.OK)
    calls: list[tuple[str, dt.date]] = []
    body = recorder(calls)
    env = env_for(engine, settings, {"reconcile": body, "late-fees": body})
    monday_morning = dt.datetime(2026, 11, 30, 9, 0, tzinfo=CHICAGO)
    runner = InProcessRunner(env, clock=lambda: monday_morning)
    await runner.tick()
    assert calls == [
        ("late-fees", DAY),
        ("reconcile", dt.date(2026, 11, 27)),
        ("reconcile", dt.date(2026, 11, 28)),
        ("reconcile", dt.date(2026, 11, 29)),
    ]
    await runner.tick()  # the next minute, or a second runner: nothing is owed twice
    assert len(calls) == 4
    ledger = {(row.job, row.business_date): row for row in await rows(session)}
    # the business days between are covered by the 30th's run (Thanksgiving and the policy's Friday off are none)
    covered = [day for (name, day), row in sorted(ledger.items()) if name == "late-fees" and row.outcome == "skipped"]
    policy = current_policy()
    assert covered == [dt.date(2026, 11, d) for d in (25, 26, 27) if policy.is_business_day(dt.date(2026, 11, d))]
    assert dt.date(2026, 11, 25) in covered and dt.date(2026, 11, 26) not in covered
    assert [row.trigger for key, row in sorted(ledger.items()) if key[0] == "reconcile"] == [
        "schedule",
        "catch-up",
        "catch-up",
        "catch-up",
    ]


async def test_run_now_in_process_goes_through_the_claim(engine, session, settings) -> None:
    calls: list[tuple[str, dt.date]] = []
    runner = InProcessRunner(env_for(engine, settings, {"late-fees": recorder(calls)}))
    await runner.request("late-fees", DAY, "boss@riverton.example")
    await runner.request("late-fees", DAY, "boss@riverton.example")
    await runner.idle()
    assert calls == [("late-fees", DAY)]


async def test_procrastinate_ticks_and_runs_each_owed_run_once_in_memory(engine, session, settings) -> None:
    from procrastinate.testing import InMemoryConnector

    maker = make_sessionmaker(engine)
    claim = await runs.claim(maker, "late-fees", dt.date(2000, 1, 3), "schedule", "job:schedule")
    assert claim is not None
    async with maker() as s, s.begin():
        await runs.finish(s, claim, runs.OK)
    calls: list[tuple[str, dt.date]] = []
    env = env_for(engine, settings, {"late-fees": recorder(calls)})
    app = queue.make_app(InMemoryConnector(), lambda: env)
    async with app.open_async():
        await app.configure_task(queue.TICK).defer_async(timestamp=0)
        await app.run_worker_async(wait=False, install_signal_handlers=False)
        # the same run asked for again (a second tick, a click): claimed already, nothing happens
        assert calls and all(name == "late-fees" for name, _ in calls)
        count = len(calls)
        day = calls[-1][1]
        await queue.defer_run(app, "late-fees", day, "manual", "boss@riverton.example")
        await app.run_worker_async(wait=False, install_signal_handlers=False)
    assert len(calls) == count == 1  # the latest business date; the month before it is recorded as covered


def test_the_queue_connects_with_the_apps_database_url() -> None:
    info = queue.conninfo("postgresql+asyncpg://portal:s3cret@db.internal:5433/portal?ssl=require")
    assert info == "postgresql://portal:s3cret@db.internal:5433/portal?sslmode=require"
    with pytest.raises(ValueError, match="PostgreSQL"):
        queue.conninfo("sqlite+aiosqlite:///var/portal.db")


@pytest.mark.postgres_only
async def test_a_real_worker_runs_a_queued_run_once(engine, session, settings, database_url) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM procrastinate_jobs"))
    calls: list[tuple[str, dt.date]] = []
    env = env_for(engine, settings, {"late-fees": recorder(calls)})
    app = queue.make_app(queue.connector(database_url), lambda: env)
    async with app.open_async():
        assert await queue.defer_run(app, "late-fees", DAY, "manual", "boss@riverton.example")
        assert not await queue.defer_run(app, "late-fees", DAY, "manual", "boss@riverton.example")  # already queued
        await app.run_worker_async(wait=False, install_signal_handlers=False, concurrency=2)
        assert await queue.defer_run(app, "late-fees", DAY, "manual", "boss@riverton.example")  # done: queued again
        await app.run_worker_async(wait=False, install_signal_handlers=False, concurrency=2)
    # ... but the claim refuses a second run. (The worker's minute tick ran too: today's late fees, owed since the
    # ledger now has a run.)
    assert calls.count(("late-fees", DAY)) == 1
    row = await session.scalar(select(JobRun).where(JobRun.business_date == DAY))
    assert row is not None and (row.outcome, row.trigger) == (runs.OK, "manual")
    async with engine.connect() as conn:
        statuses = (
            (
                await conn.execute(
                    text(
                        "SELECT status FROM procrastinate_jobs WHERE task_name = :task AND args->>'business_date' = :day "
                        "ORDER BY id"
                    ),
                    {"task": queue.RUN, "day": DAY.isoformat()},
                )
            )
            .scalars()
            .all()
        )
    assert statuses == ["succeeded", "succeeded"]


async def test_run_counts_and_durations_are_there_for_metrics(engine, session, settings) -> None:
    calls: list[tuple[str, dt.date]] = []
    env = env_for(engine, settings, {"late-fees": recorder(calls), "reconcile": recorder(calls)})
    await execute(env, "late-fees", DAY, "cli", "cli")
    await execute(env, "reconcile", DAY, "cli", "cli")
    await execute(env, "reconcile", DAY - dt.timedelta(days=1), "cli", "cli")
    async with make_sessionmaker(engine)() as s:
        found = {(job, outcome): (count, seconds) for job, outcome, count, seconds in await runs.totals(s)}
    assert set(found) == {("late-fees", "ok"), ("reconcile", "ok")}
    assert found[("reconcile", "ok")][0] == 2 and all(seconds >= 0 for _, seconds in found.values())
