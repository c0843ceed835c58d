"""Staff jobs for the schedule, or a person at a terminal: `portal cutoff-list --date D` (with `--create-orders` and
`--recheck`) and `portal arrangements-check --date D`. The order-making and checking parts are bodies the schedule
runs (JOBS) and take the same claim from the command (portal/jobs), so a date's run happens once."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.accounts.messages import Mailer
from portal.settings import Settings

if TYPE_CHECKING:
    from portal.jobs.engine import JobBody, JobContext


async def _create_orders(ctx: JobContext, forecast_high: int | None) -> Mapping[str, Any]:
    from portal.accounts.actor import Actor
    from portal.accounts.errors import DomainError
    from portal.db import transaction
    from portal.jobs.engine import JobSkipped

    from . import cutoff

    async with transaction(ctx.maker) as session:
        try:
            created = await cutoff.create_orders(
                session, Actor.job("cutoff-list"), ctx.policy, ctx.day, ctx.settings.timezone, forecast_high
            )
        except DomainError as exc:  # no disconnections that day (weather, a holiday ahead): nothing to do
            raise JobSkipped(exc.message) from exc
    ctx.echo(f"Created {len(created)} disconnect orders.")
    return {"created": len(created)}


async def cutoff_list_job(ctx: JobContext) -> Mapping[str, Any]:
    return await _create_orders(ctx, None)


async def cutoff_recheck_job(ctx: JobContext) -> Mapping[str, Any]:
    from portal.accounts.actor import Actor
    from portal.db import transaction

    from . import cutoff

    async with transaction(ctx.maker) as session:
        cancelled = await cutoff.recheck(
            session, Actor.job("cutoff-recheck"), ctx.policy, ctx.day, ctx.settings.timezone
        )
    ctx.echo(f"Recheck cancelled {len(cancelled)} disconnect orders.")
    return {"cancelled": len(cancelled)}


async def arrangements_job(ctx: JobContext) -> Mapping[str, Any]:
    from portal.accounts.actor import Actor
    from portal.db import transaction
    from portal.jobs.command import tally

    from . import arrangements

    async with transaction(ctx.maker) as session:
        found = await arrangements.check(
            session, Actor.job("arrangements-check"), on=ctx.day, phone=ctx.settings.utility_phone
        )
    ctx.echo(
        f"Arrangements checked on {ctx.day.isoformat()}: {found.checked} active, {found.completed} completed, "
        f"{found.broken} broken, {found.notified} customers notified."
    )
    return tally(found)


async def print_batch_job(ctx: JobContext, processes: int | None = None) -> Mapping[str, Any]:
    """The cycle's print batch for the bill date, once its bill run has finished for that date (the run ledger).
    Until then the run is recorded waiting, and the schedule takes it again every few minutes (runs.WAIT_AGAIN) up
    to the end of its business day (schedule.wait_deadline); a bill run still unfinished then fails it (the admins
    are emailed). A worker on PostgreSQL renders on up to 4 processes (rendering is CPU-bound); the demo on one."""
    from portal.accounts.actor import Actor
    from portal.accounts.models import utcnow
    from portal.jobs import runs, schedule
    from portal.jobs.engine import JobSkipped, JobWaiting

    from . import print_batch

    cycle = ctx.job.cycle
    if cycle is None:
        raise ValueError(f"{ctx.job.name} names no cycle")
    async with ctx.maker() as session:
        bill_run = await runs.get(session, f"bill-run-cycle-{cycle}", ctx.day)
        mine = await runs.get(session, ctx.job.name, ctx.day)
    if bill_run is not None and bill_run.outcome == runs.SKIPPED:
        raise JobSkipped(f"the bill run for cycle {cycle} on {ctx.day.isoformat()} was skipped")
    if bill_run is None or bill_run.outcome != runs.OK:
        # A long bill run, a failed one the schedule (or a person) runs again, or a catch-up whose print batch a
        # worker took first: wait, the whole business day if need be.
        state = bill_run.outcome if bill_run else "not started"
        first = mine.started_at if mine is not None else utcnow()
        first = first if first.tzinfo else first.replace(tzinfo=dt.UTC)  # SQLite hands back naive UTC
        until = schedule.wait_deadline(first, ZoneInfo(ctx.settings.timezone))
        if utcnow() >= until:
            raise RuntimeError(
                f"the bill run for cycle {cycle} on {ctx.day.isoformat()} is still {state}; "
                f"waited since {first:%Y-%m-%d %H:%M} UTC"
            )
        raise JobWaiting(f"waiting for the bill run for cycle {cycle} on {ctx.day.isoformat()} ({state})")
    made = await print_batch.make_batch(
        ctx.maker,
        ctx.settings,
        cycle,
        ctx.day,
        Actor.job(ctx.job.name),
        processes=processes or (1 if ctx.settings.is_sqlite else min(4, os.cpu_count() or 1)),
        progress=ctx.progress,
    )
    ctx.echo(
        f"Print batch, cycle {cycle}, {ctx.day.isoformat()}: {made.bills} bills, {made.letters} letters, "
        f"{made.pages} pages{'' if made.created else ' (already made)'}."
    )
    return {"bills": made.bills, "letters": made.letters, "pages": made.pages, "created": int(made.created)}


async def print_letters_job(ctx: JobContext) -> Mapping[str, Any]:
    """The day's letters-only batch: every letter waiting in the outbox (cut-off notices by letter, the letters a
    bounced email or text falls back to), whatever the cycle, so they go out the next business day instead of with
    the cycle's next bill run. Once per business date; a notice counts from its printing (mail.mark_printed)."""
    from portal.accounts.actor import Actor

    from . import print_batch

    async with ctx.maker() as session:
        found = await print_batch.existing(session, print_batch.LETTERS, ctx.day)
        waiting = found is None and await print_batch.letters_to_print(
            session, print_batch.LETTERS, ctx.day, ctx.settings.timezone
        )
    if found is None and not waiting:  # no empty batch a day on the page: a letter queued later goes tomorrow
        ctx.echo(f"Letters batch, {ctx.day.isoformat()}: no letter waiting.")
        return {"letters": 0, "pages": 0, "created": 0}
    made = await print_batch.make_batch(
        ctx.maker, ctx.settings, print_batch.LETTERS, ctx.day, Actor.job(ctx.job.name), progress=ctx.progress
    )
    ctx.echo(
        f"Letters batch, {ctx.day.isoformat()}: {made.letters} letters, {made.pages} pages"
        f"{'' if made.created else ' (already made)'}."
    )
    return {"letters": made.letters, "pages": made.pages, "created": int(made.created)}


JOBS: dict[str, JobBody] = {
    "print-batch": print_batch_job,
    "print-letters": print_letters_job,
    "cutoff-list": cutoff_list_job,
    "cutoff-recheck": cutoff_recheck_job,
    "arrangements-check": arrangements_job,
}


def _print_list(settings: Settings, when: dt.date, forecast_high: int | None) -> None:
    from portal.accounts import numbers
    from portal.accounts.policy import current_policy
    from portal.db import run_job

    from . import cutoff, rules

    async def job(maker: async_sessionmaker[AsyncSession]) -> None:
        async with maker() as session:
            listing = await cutoff.build(session, current_policy(), when, settings.timezone, forecast_high)
        click.echo(
            f"Cut-off list for {when.isoformat()}: {len(listing.eligible)} eligible, "
            f"{len(listing.rows) - len(listing.eligible)} delinquent accounts excluded."
        )
        if listing.day_refusal:
            click.echo(f"No disconnections this day: {listing.day_refusal}")
        for row in listing.eligible:
            click.echo(
                f"  CUT  {numbers.display(row.account.number)}  {rules.money(row.due_cents):>10}  "
                f"{row.days_past_due:>4} days  {row.premise.route}  {row.premise.address}"
            )
        for row in listing.rows:
            if not row.decision.eligible:
                click.echo(
                    f"  skip {numbers.display(row.account.number)}  {rules.money(row.due_cents):>10}  "
                    f"{'; '.join(row.decision.reasons)}"
                )

    asyncio.run(run_job(settings.database_url, job))


@click.command("cutoff-list")
@click.option(
    "--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="The cut-off day (default: today)."
)
@click.option("--forecast-high", type=int, default=None, help="Forecast high in °F: a weather hold stops the list.")
@click.option("--create-orders", is_flag=True, help="Create a disconnect order for each eligible account without one.")
@click.option("--recheck", is_flag=True, help="Cancel open disconnect orders of accounts that no longer qualify.")
@click.pass_obj
def cutoff_list(
    mailer: Mailer, day: dt.datetime | None, forecast_high: int | None, create_orders: bool, recheck: bool
) -> None:
    """Print the cut-off list for a day: who qualifies, and why each other delinquent account does not."""
    from portal.jobs.command import run_from_cli

    settings = Settings.from_env()
    when = day.date() if day else dt.datetime.now(ZoneInfo(settings.timezone)).date()
    _print_list(settings, when, forecast_high)
    if create_orders:

        async def body(ctx: JobContext) -> Mapping[str, Any]:
            return await _create_orders(ctx, forecast_high)

        outcome = run_from_cli("cutoff-list", when, mailer, body)
        if outcome.claimed and outcome.outcome == "skipped":
            raise click.ClickException(outcome.error or "no disconnections this day")
    if recheck:
        run_from_cli("cutoff-recheck", when, mailer)


@click.command("arrangements-check")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day to check as (default: today).",
)
@click.pass_obj
def arrangements_check(mailer: Mailer, day: dt.datetime | None) -> None:
    """Mark payment arrangements completed (paid) or broken (a missed payment or a returned one) and notify each
    customer; a broken arrangement's account goes back on the cut-off list."""
    from portal.jobs.command import run_from_cli

    settings = Settings.from_env()
    run_from_cli(
        "arrangements-check", day.date() if day else dt.datetime.now(ZoneInfo(settings.timezone)).date(), mailer
    )


@click.command("print-batch")
@click.option("--cycle", type=click.IntRange(1, 31), required=True, help="Billing cycle.")
@click.option(
    "--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="The bill-run date (default today)."
)
@click.option("--jobs", type=click.IntRange(1, 16), default=1, show_default=True, help="Rendering processes.")
@click.pass_obj
def print_batch_command(mailer: Mailer, cycle: int, day: dt.datetime | None, jobs: int) -> None:
    """Make the cycle's print batch (PDF and vendor manifest) for a bill-run date, once its bill run has finished
    (the batch for a cycle and date is made once: a second run, here or by the schedule, does nothing)."""
    from portal.jobs import schedule
    from portal.jobs.command import run_from_cli

    name = f"print-batch-cycle-{cycle}"
    if name not in schedule.BY_NAME:
        raise click.ClickException(f"Cycle {cycle} is not in the schedule (cycles {sorted(schedule.BILL_CYCLE_DAYS)}).")
    settings = Settings.from_env()

    async def body(ctx: JobContext) -> Mapping[str, Any]:
        return await print_batch_job(ctx, processes=jobs)

    run_from_cli(name, day.date() if day else dt.datetime.now(ZoneInfo(settings.timezone)).date(), mailer, body)


@click.command("print-letters")
@click.option(
    "--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="The business date (default today)."
)
@click.pass_obj
def print_letters_command(mailer: Mailer, day: dt.datetime | None) -> None:
    """Make the day's letters-only print batch: every letter waiting in the outbox, whatever its cycle (once per
    business date: a second run, here or by the schedule, does nothing)."""
    from portal.jobs.command import run_from_cli

    settings = Settings.from_env()
    run_from_cli("print-letters", day.date() if day else dt.datetime.now(ZoneInfo(settings.timezone)).date(), mailer)


COMMANDS = [cutoff_list, arrangements_check, print_batch_command, print_letters_command]
