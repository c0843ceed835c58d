"""The schedule as data, and the rules that read it: when a job runs next, and which business dates are due.

Times are the utility's wall-clock times (settings.timezone): a job at 05:15 runs at 05:15 in Chicago in winter and
in summer. Plain functions of their arguments (no database, no clock), so tests call them directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

Days = Literal["daily", "business", "monthly"]
CatchUp = Literal["each", "latest"]

# Catch-up reaches this far back at most: after a longer outage a person decides (run now, or the command by hand).
CATCH_UP_DAYS = 31

# The read (and bill) day of each billing cycle (the demo city's reads are taken on the same days).
BILL_CYCLE_DAYS = {1: 3, 2: 10, 3: 17, 4: 24}


@dataclass(frozen=True)
class Job:
    """One scheduled job. `kind` picks the body (parts register bodies by kind); `name` is the ledger's key."""

    name: str
    kind: str
    at: dt.time  # the utility's local time
    days: Days  # every day, business days (no weekends, no holidays), or one day of the month
    catch_up: CatchUp  # each missed date once, or only the latest (the earlier ones recorded as skipped)
    month_day: int | None = None  # for days == "monthly"
    cycle: int | None = None  # for the bill runs
    why: str = ""  # why this catch-up (shown in docs/operations.md)


def _bill_runs() -> tuple[Job, ...]:
    return tuple(
        Job(
            f"bill-run-cycle-{cycle}",
            "bill-run",
            dt.time(2, 0),
            "monthly",
            "each",
            month_day=day,
            cycle=cycle,
            why="a bill's period ends on its cycle day: a missed run bills that period, with that date",
        )
        for cycle, day in sorted(BILL_CYCLE_DAYS.items())
    )


def _print_batches() -> tuple[Job, ...]:
    """A cycle's print batch follows its bill run as a job of its own: the staff side renders it (the billing domain
    has no templates), it waits for the bill run's ledger row to finish (the run is recorded "waiting" and taken
    again every few minutes, up to the end of its business day), and a failed rendering is retried without the
    bills."""
    return tuple(
        Job(
            f"print-batch-cycle-{cycle}",
            "print-batch",
            dt.time(3, 0),
            "monthly",
            "each",
            month_day=day,
            cycle=cycle,
            why="each bill run's paper goes out once: a missed batch prints that run's bills",
        )
        for cycle, day in sorted(BILL_CYCLE_DAYS.items())
    )


# In the order a day runs them (docs/operations.md#daily-jobs).
SCHEDULE: tuple[Job, ...] = (
    *_bill_runs(),
    *_print_batches(),
    Job(
        "print-letters",
        "print-letters",
        dt.time(3, 30),
        "business",
        "latest",
        why="prints every letter waiting in the outbox, whatever day it was queued; an earlier day's batch adds none",
    ),
    Job(
        "extensions-check",
        "extensions-check",
        dt.time(4, 0),
        "daily",
        "latest",
        why="a check as of the latest day finds every extension kept or broken since",
    ),
    Job(
        "arrangements-check",
        "arrangements-check",
        dt.time(4, 10),
        "daily",
        "latest",
        why="a check as of the latest day finds every instalment missed since",
    ),
    Job(
        "deposits-check",
        "deposits-check",
        dt.time(4, 20),
        "daily",
        "latest",
        why="deposit states follow payments and bills to date; the latest day covers the days before",
    ),
    Job(
        "close-settled",
        "close-settled",
        dt.time(4, 30),
        "daily",
        "latest",
        why="closes every settled final account whatever day it settled",
    ),
    Job(
        "draft-run",
        "draft-run",
        dt.time(5, 0),
        "business",
        "latest",
        why="drafts every bill whose draft date has come and is not yet past due; earlier days add nothing",
    ),
    Job(
        "late-fees",
        "late-fees",
        dt.time(5, 15),
        "business",
        "latest",
        why="charges every bill past due by the run date, once per bill; earlier dates would charge no other bill",
    ),
    Job(
        "text-status-check",
        "text-status-check",
        dt.time(7, 20),
        "daily",
        "latest",
        why="asks Twilio about every text of the last 7 days whose status callback was lost; before the cut-off "
        "list, so a text notice that was delivered counts",
    ),
    Job(
        "cutoff-recheck",
        "cutoff-recheck",
        dt.time(7, 35),
        "business",
        "latest",
        why="cancels disconnect orders of accounts that paid, as of now (after the 7:30 payment cut-off)",
    ),
    Job(
        "cutoff-list",
        "cutoff-list",
        dt.time(7, 40),
        "business",
        "latest",
        why="disconnect orders are for today; orders for a day gone by would send crews to the past",
    ),
    Job(
        "reconcile",
        "reconcile",
        dt.time(23, 30),
        "daily",
        "each",
        why="compares one day's payments with Stripe's: every day must be compared once",
    ),
)

BY_NAME = {job.name: job for job in SCHEDULE}


def command(job: Job, day: dt.date) -> str:
    """The command a person types to run the same thing by hand (it takes the same claim)."""
    if job.kind == "bill-run":
        return f"portal bill-run --cycle {job.cycle} --date {day.isoformat()}"
    if job.kind == "print-batch":
        return f"portal print-batch --cycle {job.cycle} --date {day.isoformat()}"
    if job.kind == "cutoff-list":
        return f"portal cutoff-list --create-orders --date {day.isoformat()}"
    if job.kind == "cutoff-recheck":
        return f"portal cutoff-list --recheck --date {day.isoformat()}"
    if job.kind == "close-settled":
        return "portal close-settled"
    return f"portal {job.kind} --date {day.isoformat()}"


# A run that waits for another (the print batch for its bill run) waits at least this long, and to the end of the
# local day it began waiting on (for a scheduled run, its business date): then it fails and the admins hear of it.
WAIT_AT_LEAST = dt.timedelta(hours=2)


def wait_deadline(first_started: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """Until when (UTC) a run that began waiting at `first_started` (aware) keeps waiting: the end of that local
    day (the whole business day, for a run at its scheduled time), and never less than WAIT_AT_LEAST (a catch-up
    that starts late in the evening)."""
    local = first_started.astimezone(zone)
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    return max(midnight, first_started.astimezone(dt.UTC) + WAIT_AT_LEAST)


def runs_on(job: Job, day: dt.date, holidays: Collection[dt.date]) -> bool:
    """Whether the job has a run for this business date."""
    if job.days == "business":
        return day.weekday() < 5 and day not in holidays
    if job.days == "monthly":
        return day.day == job.month_day
    return True


def scheduled_at(job: Job, day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The moment (UTC) of the day's run. A local time that does not exist (the spring-forward hour) runs an hour
    later by the clock; one that happens twice (fall back) runs at the first."""
    return dt.datetime.combine(day, job.at, tzinfo=zone).astimezone(dt.UTC)


def _days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def next_run(job: Job, now: dt.datetime, zone: ZoneInfo, holidays: Collection[dt.date]) -> dt.datetime:
    """The next scheduled moment strictly after `now` (aware)."""
    local_today = now.astimezone(zone).date()
    for day in _days(local_today - dt.timedelta(days=1), local_today + dt.timedelta(days=400)):
        if runs_on(job, day, holidays) and scheduled_at(job, day, zone) > now:
            return scheduled_at(job, day, zone)
    raise ValueError(f"{job.name} has no run in the next 400 days")


def latest_date(job: Job, now: dt.datetime, zone: ZoneInfo, holidays: Collection[dt.date]) -> dt.date | None:
    """The latest business date whose scheduled moment has come (what "run now" runs), within the catch-up reach."""
    local_today = now.astimezone(zone).date()
    for back in range(CATCH_UP_DAYS + 1):
        day = local_today - dt.timedelta(days=back)
        if runs_on(job, day, holidays) and scheduled_at(job, day, zone) <= now:
            return day
    return None


@dataclass(frozen=True)
class Due:
    """What a scheduler tick owes for one job: the dates to run, and those a later run covers (recorded skipped)."""

    run: tuple[dt.date, ...]
    covered: tuple[dt.date, ...]


def due(job: Job, now: dt.datetime, zone: ZoneInfo, holidays: Collection[dt.date], last: dt.date | None) -> Due:
    """The business dates after `last` (the latest date in the ledger for this job) whose moment has come.

    No ledger row yet (a new install, a new job): nothing is run; the latest date whose moment has passed is recorded
    as covered (the baseline), so a first start never replays a past the jobs did not know and the job starts at its
    next time. Dates before CATCH_UP_DAYS are left to a person. A "latest" job runs
    only the most recent owed date; the earlier ones are recorded as covered by it, so they are not owed again."""
    if last is None:
        baseline = latest_date(job, now, zone, holidays)
        return Due((), (baseline,) if baseline else ())
    local_today = now.astimezone(zone).date()
    first = max(last + dt.timedelta(days=1), local_today - dt.timedelta(days=CATCH_UP_DAYS))
    owed = [
        day for day in _days(first, local_today) if runs_on(job, day, holidays) and scheduled_at(job, day, zone) <= now
    ]
    if job.catch_up == "latest" and owed:
        return Due((owed[-1],), tuple(owed[:-1]))
    return Due(tuple(owed), ())
