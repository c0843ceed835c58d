"""Running a job: claim its run in the ledger, run its body with progress and a heartbeat, record the outcome, and
email the admins when it failed. Plus the scheduler's tick (what is owed now) and the in-process runner the embedded
(SQLite) app uses; procrastinate's wiring for PostgreSQL is in queue.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.accounts.messages import Mailer
from portal.accounts.models import Role, User, utcnow
from portal.accounts.policy import Policy
from portal.settings import Settings

from . import runs, schedule

log = logging.getLogger("portal.jobs")

HEARTBEAT_SECONDS = 5.0
PEOPLE = ("manual", "cli")  # triggers of a person's request


class JobSkipped(Exception):
    """A body that has nothing it can do here (no Stripe configured): recorded as skipped, nobody emailed."""


class JobWaiting(Exception):
    """A body that cannot start yet (the print batch before its bill run has finished): recorded as waiting with the
    message as its progress, and taken again by a later tick (runs.WAIT_AGAIN); nobody emailed."""


LOST = "lost"  # an Outcome's: the claim was taken again (stale) while this attempt ran; it stopped, recording nothing


@dataclass
class JobContext:
    """What a job's body gets: the database, its business date, the settings, the policy, the mailer, and `progress`
    (printed on the command line and kept on the run's row for the page)."""

    maker: async_sessionmaker[AsyncSession]
    job: schedule.Job
    day: dt.date
    settings: Settings
    policy: Policy
    mailer: Mailer
    echo: Callable[[str], object] = lambda _m: None
    last_progress: str | None = None

    def progress(self, message: str) -> None:
        self.echo(message)
        self.last_progress = message


JobBody = Callable[[JobContext], Awaitable[Mapping[str, Any]]]


@dataclass
class Env:
    """What every run needs, made once per process (a worker, the app, a CLI command)."""

    maker: async_sessionmaker[AsyncSession]
    settings: Settings
    policy: Policy
    mailer: Mailer
    bodies: Mapping[str, JobBody]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)


@dataclass(frozen=True)
class Outcome:
    claimed: bool
    run_id: int | None = None
    outcome: str | None = None  # ok, failed, skipped (claimed); the row's outcome when not claimed
    counts: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None


def job_spec(name: str) -> schedule.Job:
    try:
        return schedule.BY_NAME[name]
    except KeyError:
        raise ValueError(f"no such job: {name}") from None


async def execute(
    env: Env,
    name: str,
    day: dt.date,
    trigger: str,
    requested_by: str,
    *,
    echo: Callable[[str], object] = lambda _m: None,
) -> Outcome:
    """Claim and run `name` for `day`. Every way of running a job (the schedule, a worker, "run now", the CLI) comes
    here, so the claim is the one lock. A failed run is taken again by anyone; a skipped one (covered by a later run,
    before the schedule started, nothing to do that day) only by a person, who asked for it."""
    job = job_spec(name)
    retake = (runs.FAILED, runs.WAITING, runs.SKIPPED) if trigger in PEOPLE else (runs.FAILED, runs.WAITING)
    claim = await runs.claim(env.maker, name, day, trigger, requested_by, retake=retake)
    if claim is None:
        async with env.maker() as session:
            row = await runs.get(session, name, day)
        return Outcome(False, row.id if row else None, row.outcome if row else None, error=row.error if row else None)
    ctx = JobContext(env.maker, job, day, env.settings, env.policy, env.mailer, echo)
    started = time.perf_counter()
    work = asyncio.create_task(_body(env, ctx))
    lost = asyncio.Event()
    beat = asyncio.create_task(_heartbeat(env.maker, claim, ctx, work, lost))
    outcome, counts, error = runs.OK, {}, None
    try:
        counts = dict(await work)
    except JobSkipped as exc:
        outcome, error = runs.SKIPPED, str(exc)
    except JobWaiting as exc:
        outcome, error = runs.WAITING, None
        ctx.progress(str(exc))
    except asyncio.CancelledError:
        if not lost.is_set():
            raise  # the worker itself is stopping: its claim goes stale and is taken again
        outcome = LOST
    except Exception as exc:  # any failure of the body is the run's outcome, recorded and mailed, not a crash
        log.exception("job %s for %s failed", name, day)
        outcome = runs.FAILED
        error = "".join(traceback.format_exception_only(exc)).strip()[:2000]
    finally:
        beat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beat
        if not work.done():
            work.cancel()
    counts["seconds"] = round(time.perf_counter() - started, 3)
    if outcome != LOST:
        async with env.maker() as session, session.begin():
            if await runs.finish(session, claim, outcome, counts=counts, error=error, progress=ctx.last_progress):
                if outcome == runs.FAILED:
                    await _tell_admins(session, env, name, day, error or "")
            else:
                outcome = LOST  # taken again after the last heartbeat: the new attempt records the run
    if outcome == LOST:
        log.warning("job %s for %s: the claim was taken again (attempt %s stale); stopped", name, day, claim.attempt)
        return Outcome(True, claim.run_id, LOST, counts, "the claim was taken again by another attempt")
    log.info("job %s for %s: %s %s", name, day, outcome, counts)
    return Outcome(True, claim.run_id, outcome, counts, ctx.last_progress if outcome == runs.WAITING else error)


async def _body(env: Env, ctx: JobContext) -> Mapping[str, Any]:
    await _test_hold(ctx)
    return await env.bodies[ctx.job.kind](ctx)


async def _test_hold(ctx: JobContext) -> None:
    """Test-only: with PORTAL_TEST_JOB_HOLD=<folder>, a run of job J waits while <folder>/J exists (heartbeat on), so
    the several-machines test can SIGKILL a worker mid-run. Unset in production: one environment lookup."""
    folder = os.environ.get("PORTAL_TEST_JOB_HOLD")
    if not folder:
        return
    hold = Path(folder) / ctx.job.name
    if hold.exists():
        ctx.progress(f"held for a test (pid {os.getpid()})")
    while hold.exists():  # noqa: ASYNC110 - a file another process removes, not an event of ours
        await asyncio.sleep(0.2)


async def _heartbeat(
    maker: async_sessionmaker[AsyncSession],
    claim: runs.Claim,
    ctx: JobContext,
    work: asyncio.Task[Any],
    lost: asyncio.Event,
) -> None:
    """Keep the claim alive and the page's progress fresh while the body runs. A beat that finds the claim taken
    again (this attempt went stale: a long pause, a lost connection) cancels the body, so two attempts never run
    side by side; every step being keyed, what it had done stands and the new attempt does the rest."""
    written: str | None = None
    while True:
        await asyncio.sleep(HEARTBEAT_SECONDS)
        try:
            held = await runs.heartbeat(maker, claim, ctx.last_progress if ctx.last_progress != written else None)
        except Exception:  # a busy database (SQLite's one writer) must not stop the job; the next beat tries again
            log.info("job heartbeat skipped", exc_info=True)
            continue
        if not held:
            lost.set()
            work.cancel()
            return
        written = ctx.last_progress


async def _tell_admins(session: AsyncSession, env: Env, name: str, day: dt.date, error: str) -> None:
    admins = await session.scalars(select(User.email).where(User.role == Role.ADMIN, User.active.is_(True)))
    link = f"{env.settings.public_url.rstrip('/')}/staff/jobs"  # emails are written outside any request
    for email in admins:
        env.mailer.queue(
            session,
            email,
            f"Job failed: {name} for {day.isoformat()}",
            f"The scheduled job {name} for {day.isoformat()} failed:\n\n{error}\n\n"
            f"The schedule tries a failed run again up to {runs.MAX_ATTEMPTS} times; after that, run it from {link} "
            f"or with `{schedule.command(job_spec(name), day)}`.\n",
        )


@dataclass(frozen=True)
class Work:
    job: str
    day: dt.date
    trigger: str  # schedule, catch-up, retry


async def owed(env: Env, now: dt.datetime | None = None) -> list[Work]:
    """One scheduler tick: the runs owed now (scheduled, caught up after an outage, failed runs to retry, claims of
    processes that died), in the schedule's order. Dates a later run covers are recorded as skipped here."""
    now = now or utcnow()
    holidays = env.policy.holidays
    async with env.maker() as session:
        latest = await runs.latest_dates(session)
        retry = [(row.job, row.business_date) for row in await runs.retryable(session, now)]
    work: list[Work] = []
    for job in schedule.SCHEDULE:
        if job.kind not in env.bodies:
            continue
        found = schedule.due(job, now, env.zone, holidays, latest.get(job.name))
        if found.covered:
            why = "covered by a later run" if job.name in latest else "before the schedule started"
            await runs.record_covered(env.maker, job.name, found.covered, why)
        today = now.astimezone(env.zone).date()
        work += [Work(job.name, day, "schedule" if day == today else "catch-up") for day in found.run]
    work += [Work(name, day, "retry") for name, day in retry if name in schedule.BY_NAME]
    return work


class InProcessRunner:
    """The embedded app's scheduler (SQLite has no procrastinate): a loop in the app's lifespan that runs what is
    owed, one run at a time, and "run now" requests in the same loop's process."""

    def __init__(self, env: Env, clock: Callable[[], dt.datetime] = utcnow, interval: float = 60.0) -> None:
        self.env = env
        self.clock = clock
        self.interval = interval
        self._lock = asyncio.Lock()  # one run at a time: SQLite has one writer anyway
        self._tasks: set[asyncio.Task[Any]] = set()

    async def tick(self) -> list[Outcome]:
        done = []
        for item in await owed(self.env, self.clock()):
            async with self._lock:
                done.append(await execute(self.env, item.job, item.day, item.trigger, "job:schedule"))
        return done

    async def loop(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # a tick that failed (database busy) is tried again at the next one
                log.exception("job scheduler tick failed")
            await asyncio.sleep(self.interval)

    async def request(self, name: str, day: dt.date, requested_by: str) -> None:
        """Run now, in the background of this process (the page redirects at once and shows the run's progress)."""

        async def run() -> None:
            async with self._lock:
                await execute(self.env, name, day, "manual", requested_by)

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def idle(self) -> None:
        """Wait for the requested runs (tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
