"""`portal simulate --days N`: run the schedule over N simulated days on a (seeded) database and check the result.

A simulated clock moves hour by hour from the start date; at each hour the scheduler's own tick (engine.owed) says
what is owed and each run goes through engine.execute, the claim every worker and command takes. Afterwards the
ledger is read back: every job has one run for each of its business days in the span and none on other days, nothing
failed, no ledger source key, bill, late fee or message appears twice. Then every run is delivered again (as by a
second worker or a retried task): the claims must turn each away. The job bodies take the business date from the run; only the run's own timestamps
are wall-clock time.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select

from portal.accounts.models import Bill, JobRun, LedgerEntry, LedgerKind, MailMessage

from . import engine, runs, schedule

# The ledger rows the scheduler writes for dates it did not run (baseline, covered by a later run).
NOT_RUN = ("before the schedule started", "covered by a later run")


@dataclass
class Report:
    start: dt.date
    days: int
    ticks: int = 0
    runs: Counter[str] = field(default_factory=Counter)  # outcome -> runs
    by_job: dict[str, tuple[int, int]] = field(default_factory=dict)  # job -> (expected days, days run)
    problems: list[str] = field(default_factory=list)
    ledger: Counter[str] = field(default_factory=Counter)  # kind -> entries written during the span
    bills: int = 0
    mail: int = 0
    second_pass_runs: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        last = self.start + dt.timedelta(days=self.days - 1)
        out = [
            f"Simulated {self.days} days, {self.start.isoformat()} to {last.isoformat()}: {self.ticks} hourly ticks, "
            f"{sum(self.runs.values())} runs ({', '.join(f'{k} {v}' for k, v in sorted(self.runs.items()))}).",
        ]
        out += [
            f"  {job:<20} {ran:>3} runs on {expected:>3} scheduled days" for job, (expected, ran) in self.by_job.items()
        ]
        out.append(
            f"Written: {self.bills:,} bills, {sum(self.ledger.values()):,} ledger entries "
            f"({', '.join(f'{k} {v:,}' for k, v in sorted(self.ledger.items())) or 'none'}), {self.mail:,} messages."
        )
        out.append(f"A second pass over the same days ran {self.second_pass_runs} jobs.")
        out += [f"PROBLEM: {problem}" for problem in self.problems] or [
            "Every job ran once on each of its business days and on no other; nothing failed; no charge, bill or "
            "message was doubled."
        ]
        return out


async def _tick_through(
    env: engine.Env, first: dt.datetime, last: dt.datetime, echo: Callable[[str], object]
) -> tuple[int, Counter[str]]:
    ticks, outcomes = 0, Counter[str]()
    now = first
    while now <= last:
        for item in await engine.owed(env, now):
            done = await engine.execute(env, item.job, item.day, item.trigger, "job:simulate")
            outcomes[(done.outcome or "?") if done.claimed else "not claimed"] += 1
            if done.claimed and done.outcome == runs.FAILED:
                echo(f"  {item.job} for {item.day.isoformat()} failed: {done.error}")
        ticks += 1
        now += dt.timedelta(hours=1)
    return ticks, outcomes


async def simulate(
    env: engine.Env, start: dt.date, days: int, echo: Callable[[str], object] = lambda _m: None
) -> Report:
    """Run the schedule from `start` (local midnight) for `days` days, then check. The day before `start` is the
    baseline: the scheduler's first tick records it for every job, as on a new install."""
    zone = env.zone
    report = Report(start, days)
    begin = dt.datetime.combine(start - dt.timedelta(days=1), dt.time(23, 59), tzinfo=zone).astimezone(dt.UTC)
    end = dt.datetime.combine(start + dt.timedelta(days=days - 1), dt.time(23, 59), tzinfo=zone).astimezone(dt.UTC)
    async with env.maker() as session:
        first_entry = int(await session.scalar(select(func.coalesce(func.max(LedgerEntry.id), 0))) or 0)
        first_bill = int(await session.scalar(select(func.coalesce(func.max(Bill.id), 0))) or 0)
        first_mail = int(await session.scalar(select(func.coalesce(func.max(MailMessage.id), 0))) or 0)
        already = await session.scalar(select(func.count()).select_from(JobRun).where(JobRun.business_date >= start))
    if already:
        raise ValueError(f"the run ledger already has runs on or after {start.isoformat()}: simulate a later span")
    await engine.owed(env, begin)  # the baseline tick
    # Ticks at minute 59 of each local hour: the day's last (23:59) comes after the latest job (reconcile, 23:30).
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        first, last = (
            dt.datetime.combine(day, at, tzinfo=zone).astimezone(dt.UTC) for at in (dt.time(0, 59), dt.time(23, 59))
        )
        ticks, outcomes = await _tick_through(env, first, last, echo)
        report.ticks += ticks
        report.runs.update(outcomes)
        echo(f"{day.isoformat()} {day:%a}: " + (", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())) or "-"))
    # Every run delivered again (a second worker, a task retried, a late tick): the claims must turn all away.
    await engine.owed(env, end)
    for job in schedule.SCHEDULE:
        for offset in range(days):
            day = start + dt.timedelta(days=offset)
            if job.kind in env.bodies and schedule.runs_on(job, day, env.policy.holidays):
                again = await engine.execute(env, job.name, day, "schedule", "job:simulate-replay")
                report.second_pass_runs += again.claimed
    await _check(env, report, first_entry, first_bill, first_mail)
    return report


async def _check(env: engine.Env, report: Report, first_entry: int, first_bill: int, first_mail: int) -> None:
    last = report.start + dt.timedelta(days=report.days - 1)
    span = [report.start + dt.timedelta(days=n) for n in range(report.days)]
    async with env.maker() as session:
        rows = list(
            await session.scalars(
                select(JobRun).where(JobRun.business_date >= report.start, JobRun.business_date <= last)
            )
        )
        ran: dict[str, list[dt.date]] = {}
        for row in rows:
            if row.outcome == runs.SKIPPED and (row.error or "") in NOT_RUN:
                continue
            ran.setdefault(row.job, []).append(row.business_date)
            if row.outcome in (runs.FAILED, runs.RUNNING):
                report.problems.append(f"{row.job} for {row.business_date}: {row.outcome} ({row.error})")
            if row.attempts != 1:
                report.problems.append(f"{row.job} for {row.business_date} took {row.attempts} attempts")
        for job in schedule.SCHEDULE:
            if job.kind not in env.bodies:
                continue
            expected = [day for day in span if schedule.runs_on(job, day, env.policy.holidays)]
            got = sorted(ran.get(job.name, []))
            report.by_job[job.name] = (len(expected), len(got))
            if got != expected:
                missing = sorted(set(expected) - set(got))
                extra = sorted(set(got) - set(expected))
                report.problems.append(f"{job.name}: missing {missing}, extra {extra}")
        for key, count in await session.execute(
            select(LedgerEntry.source_key, func.count()).group_by(LedgerEntry.source_key).having(func.count() > 1)
        ):
            report.problems.append(f"ledger source key {key} appears {count} times")
        # A late fee's key names its bill (late:<bill>, or the older latefee:<bill>): one fee per bill, whatever key.
        fees = Counter(
            key.rsplit(":", 1)[-1]
            for key in await session.scalars(
                select(LedgerEntry.source_key).where(LedgerEntry.kind == LedgerKind.LATE_FEE)
            )
        )
        report.problems += [f"bill {bill} was charged {count} late fees" for bill, count in fees.items() if count > 1]
        for account, period_end, count in await session.execute(
            select(Bill.account_id, Bill.period_end, func.count())
            .where(Bill.cancelled_on.is_(None))  # a cancelled bill and its replacement share their period
            .group_by(Bill.account_id, Bill.period_end)
            .having(func.count() > 1)
        ):
            report.problems.append(f"account {account} has {count} bills for the period ending {period_end}")
        for to, subject, count in await session.execute(
            select(MailMessage.to_addr, MailMessage.subject, func.count())
            .where(MailMessage.id > first_mail)
            .group_by(MailMessage.to_addr, MailMessage.subject, MailMessage.text_body)
            .having(func.count() > 1)
        ):
            report.problems.append(f"the message {subject!r} to {to} was queued {count} times")
        report.ledger.update(
            {
                str(getattr(kind, "value", kind)): int(count)
                for kind, count in await session.execute(
                    select(LedgerEntry.kind, func.count())
                    .where(LedgerEntry.id > first_entry)
                    .group_by(LedgerEntry.kind)
                )
            }
        )
        report.bills = int(
            await session.scalar(select(func.count()).select_from(Bill).where(Bill.id > first_bill)) or 0
        )
        report.mail = int(
            await session.scalar(select(func.count()).select_from(MailMessage).where(MailMessage.id > first_mail)) or 0
        )
    if report.second_pass_runs:
        report.problems.append(f"a second pass over the same days ran {report.second_pass_runs} jobs")
