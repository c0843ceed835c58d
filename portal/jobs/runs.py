"""The run ledger (`job_run`): a run of a job for a business date is claimed by inserting its row, and the unique
(job, business_date) makes the claim exclusive across workers, processes and a command typed by hand.

A claim that lost finds the row taken. A failed run (or a claim whose process died: no heartbeat for STALE_AFTER) may
be taken again by one conditional UPDATE, which only one of several racing claimers wins. Each take bumps `attempts`,
and the holder's heartbeat and outcome are written only while the row still has its attempt: a process that was
thought dead but was only slow (a long pause, a lost network) finds its claim gone, stops, and records nothing.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.accounts.models import JobRun, utcnow

RUNNING, OK, FAILED, SKIPPED = "running", "ok", "failed", "skipped"
# A run whose body cannot start yet (the print batch before its bill run has finished): the tick takes it again
# WAIT_AGAIN after it stopped, as often as needed (the body decides when waiting has gone on too long).
WAITING = "waiting"
WAIT_AGAIN = dt.timedelta(minutes=2)
# The scheduler retries a failed run this many times in all, at least RETRY_AFTER apart; then a person decides.
MAX_ATTEMPTS = 3
RETRY_AFTER = dt.timedelta(minutes=10)
# A running claim without progress for this long belongs to a process that died (SIGKILL, power): it may be retaken.
# Jobs write a heartbeat every few seconds while they run, and every step they take is keyed (design.md, section 6),
# so a retaken run finishes the work without doing any twice.
# PORTAL_JOB_STALE_SECONDS shortens it for the several-machines test (tests/integration/test_machines.py).
STALE_AFTER = dt.timedelta(seconds=float(os.environ.get("PORTAL_JOB_STALE_SECONDS") or 15 * 60))


@dataclass(frozen=True)
class Claim:
    """A claim this caller holds: the run's row and the attempt it took (the token its writes are conditional on)."""

    run_id: int
    attempt: int


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def claim(
    maker: async_sessionmaker[AsyncSession],
    job: str,
    day: dt.date,
    trigger: str,
    requested_by: str,
    *,
    retake: Collection[str] = (),
    now: dt.datetime | None = None,
) -> Claim | None:
    """The claim when this caller now owns the run of `job` for `day`; None when someone else has it (running or
    done). A row whose outcome is in `retake` (failed, waiting; skipped, for a person) is taken again, as is a stale
    claim; each take is a new attempt. A waiting run keeps its first start (how long it has waited)."""
    now = now or utcnow()
    async with maker() as session, session.begin():
        statement = (
            _insert(session)(JobRun)
            .values(
                job=job,
                business_date=day,
                trigger=trigger,
                outcome=RUNNING,
                attempts=1,
                started_at=now,
                heartbeat_at=now,
                requested_by=requested_by[:160],
            )
            .on_conflict_do_nothing(index_elements=["job", "business_date"])
            .returning(JobRun.id)
        )
        run_id = await session.scalar(statement)
        if run_id is not None:
            return Claim(int(run_id), 1)
        again = or_(
            and_(JobRun.outcome == RUNNING, JobRun.heartbeat_at < now - STALE_AFTER), JobRun.outcome.in_(retake)
        )
        result = await session.execute(
            update(JobRun)
            .where(JobRun.job == job, JobRun.business_date == day, again)
            .values(
                outcome=RUNNING,
                attempts=JobRun.attempts + 1,
                trigger=trigger,
                started_at=case((JobRun.outcome == WAITING, JobRun.started_at), else_=now),
                heartbeat_at=now,
                finished_at=None,
                error=None,
                progress=None,
                counts=None,
                requested_by=requested_by[:160],
            )
            .returning(JobRun.id, JobRun.attempts)
        )
        taken = result.first()
        return None if taken is None else Claim(int(taken[0]), int(taken[1]))


async def record_covered(maker: async_sessionmaker[AsyncSession], job: str, days: Sequence[dt.date], why: str) -> int:
    """Skipped rows for dates a later run covers (or the baseline before the schedule started), so they are never
    owed again; a date someone already claimed is left as it is."""
    if not days:
        return 0
    now = utcnow()
    made = 0
    async with maker() as session, session.begin():
        for day in days:
            made += len(
                (
                    await session.execute(
                        _insert(session)(JobRun)
                        .values(
                            job=job,
                            business_date=day,
                            trigger="schedule",
                            outcome=SKIPPED,
                            started_at=now,
                            heartbeat_at=now,
                            finished_at=now,
                            error=why[:500],
                            requested_by="job:schedule",
                        )
                        .on_conflict_do_nothing(index_elements=["job", "business_date"])
                        .returning(JobRun.id)
                    )
                ).all()
            )
    return made


def _held(claim: Claim) -> Any:
    """The row is still this claim's: running, and not taken again since (its attempt)."""
    return and_(JobRun.id == claim.run_id, JobRun.attempts == claim.attempt, JobRun.outcome == RUNNING)


async def heartbeat(
    maker: async_sessionmaker[AsyncSession], claim: Claim, progress: str | None, *, now: dt.datetime | None = None
) -> bool:
    """Keep the claim alive (and the progress fresh). False when the claim is no longer this attempt's (taken again
    as stale): the caller must stop its body."""
    async with maker() as session, session.begin():
        values: dict[str, Any] = {"heartbeat_at": now or utcnow()}
        if progress is not None:
            values["progress"] = progress[:300]
        written = await session.execute(update(JobRun).where(_held(claim)).values(**values).returning(JobRun.id))
        return written.first() is not None


async def finish(
    session: AsyncSession,
    claim: Claim,
    outcome: str,
    *,
    counts: dict[str, Any] | None = None,
    error: str | None = None,
    progress: str | None = None,
) -> bool:
    """Record the outcome, only while the claim is still this attempt's; False (nothing written) when it is not."""
    values: dict[str, Any] = {"outcome": outcome, "finished_at": utcnow(), "counts": counts, "error": error}
    if progress is not None:
        values["progress"] = progress[:300]
    written = await session.execute(update(JobRun).where(_held(claim)).values(**values).returning(JobRun.id))
    return written.first() is not None


async def latest_dates(session: AsyncSession) -> dict[str, dt.date]:
    """The latest business date in the ledger per job (any outcome): where the schedule picks up."""
    rows = await session.execute(select(JobRun.job, func.max(JobRun.business_date)).group_by(JobRun.job))
    return {job: day for job, day in rows}


async def retryable(session: AsyncSession, now: dt.datetime) -> list[JobRun]:
    """Failed runs the scheduler tries again, waiting runs whose pause is over, and claims left by a process that
    died."""
    return list(
        await session.scalars(
            select(JobRun)
            .where(
                or_(
                    and_(
                        JobRun.outcome == FAILED,
                        JobRun.attempts < MAX_ATTEMPTS,
                        JobRun.finished_at < now - RETRY_AFTER,
                    ),
                    and_(JobRun.outcome == WAITING, JobRun.finished_at < now - WAIT_AGAIN),
                    and_(JobRun.outcome == RUNNING, JobRun.heartbeat_at < now - STALE_AFTER),
                )
            )
            .order_by(JobRun.business_date, JobRun.id)
        )
    )


async def get(session: AsyncSession, job: str, day: dt.date) -> JobRun | None:
    return await session.scalar(select(JobRun).where(JobRun.job == job, JobRun.business_date == day))


async def last_runs(session: AsyncSession) -> dict[str, JobRun]:
    """Each job's latest run that actually ran (or runs), for the page."""
    latest = (
        select(JobRun.job, func.max(JobRun.business_date).label("day"))
        .where(JobRun.outcome != SKIPPED)
        .group_by(JobRun.job)
        .subquery()
    )
    rows = await session.scalars(
        select(JobRun).join(latest, and_(JobRun.job == latest.c.job, JobRun.business_date == latest.c.day))
    )
    return {run.job: run for run in rows}


async def failures(session: AsyncSession, limit: int = 20) -> list[JobRun]:
    return list(
        await session.scalars(
            select(JobRun).where(JobRun.outcome == FAILED).order_by(JobRun.finished_at.desc()).limit(limit)
        )
    )


async def recent(session: AsyncSession, limit: int = 30) -> list[JobRun]:
    return list(
        await session.scalars(
            select(JobRun).where(JobRun.outcome != SKIPPED).order_by(JobRun.started_at.desc()).limit(limit)
        )
    )


async def totals(session: AsyncSession) -> list[tuple[str, str, int, float]]:
    """(job, outcome, runs, seconds in all) over the ledger: what a metrics endpoint exports as job run counts and
    durations (issue 14, observability). Skipped rows ran nothing and count no seconds."""
    seconds = func.sum(
        func.coalesce(func.extract("epoch", JobRun.finished_at) - func.extract("epoch", JobRun.started_at), 0)
    )
    if session.get_bind().dialect.name == "sqlite":
        seconds = func.sum(
            func.coalesce((func.julianday(JobRun.finished_at) - func.julianday(JobRun.started_at)) * 86400, 0)
        )
    rows = await session.execute(
        select(JobRun.job, JobRun.outcome, func.count(), seconds)
        .group_by(JobRun.job, JobRun.outcome)
        .order_by(JobRun.job, JobRun.outcome)
    )
    return [(job, outcome, int(count), float(total or 0)) for job, outcome, count, total in rows]


async def figures(session: AsyncSession) -> list[tuple[str, dict[str, int], float | None, dt.datetime | None, int]]:
    """Per job, for /metrics: (job, runs by outcome, the latest finished run's seconds, when the latest successful run
    finished, runs going now). Two grouped queries and one for the latest finished runs, whatever the ledger's size."""
    by_job: dict[str, dict[str, int]] = {}
    for job, outcome, count in await session.execute(
        select(JobRun.job, JobRun.outcome, func.count()).group_by(JobRun.job, JobRun.outcome)
    ):
        by_job.setdefault(job, {})[outcome] = int(count)
    last_ok = {
        job: at if at.tzinfo else at.replace(tzinfo=dt.UTC)  # SQLite hands back naive UTC
        for job, at in await session.execute(
            select(JobRun.job, func.max(JobRun.finished_at)).where(JobRun.outcome == OK).group_by(JobRun.job)
        )
        if at is not None
    }
    latest = (
        select(JobRun.job, func.max(JobRun.finished_at).label("at"))
        .where(JobRun.finished_at.is_not(None), JobRun.outcome != SKIPPED)
        .group_by(JobRun.job)
        .subquery()
    )
    last_seconds: dict[str, float] = {}
    for job, started, finished in await session.execute(
        select(JobRun.job, JobRun.started_at, JobRun.finished_at).join(
            latest, (latest.c.job == JobRun.job) & (latest.c.at == JobRun.finished_at)
        )
    ):
        if finished is not None:
            last_seconds[job] = (finished - started).total_seconds()
    return [
        (job, outcomes, last_seconds.get(job), last_ok.get(job), outcomes.get(RUNNING, 0))
        for job, outcomes in sorted(by_job.items())
    ]
