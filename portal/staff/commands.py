"""Staff jobs for cron or a person at a terminal: `portal cutoff-list --date D` and `portal arrangements-check
--date D` (each safe to run twice)."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.settings import Settings


@click.command("cutoff-list")
@click.option(
    "--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="The cut-off day (default: today)."
)
@click.option("--forecast-high", type=int, default=None, help="Forecast high in °F: a weather hold stops the list.")
@click.option("--create-orders", is_flag=True, help="Create a disconnect order for each eligible account without one.")
@click.option("--recheck", is_flag=True, help="Cancel open disconnect orders of accounts that no longer qualify.")
def cutoff_list(day: dt.datetime | None, forecast_high: int | None, create_orders: bool, recheck: bool) -> None:
    """Print the cut-off list for a day: who qualifies, and why each other delinquent account does not."""
    from portal.accounts import numbers
    from portal.accounts.actor import Actor
    from portal.accounts.errors import DomainError
    from portal.accounts.policy import current_policy
    from portal.db import run_job, transaction

    from . import cutoff, rules

    settings = Settings.from_env()
    when = day.date() if day else dt.datetime.now(ZoneInfo(settings.timezone)).date()
    policy = current_policy()
    actor = Actor.cli("cutoff-list")

    async def job(maker: async_sessionmaker[AsyncSession]) -> None:
        async with transaction(maker) as session:
            listing = await cutoff.build(session, policy, when, settings.timezone, forecast_high)
            click.echo(
                f"Cut-off list for {when.isoformat()}: {len(listing.eligible)} eligible, "
                f"{len(listing.rows) - len(listing.eligible)} delinquent accounts excluded."
            )
            if listing.day_refusal:
                click.echo(f"No disconnections this day: {listing.day_refusal}")
            for row in listing.eligible:
                click.echo(
                    f"  CUT  {numbers.display(row.account.number)}  {rules.money(row.past_due_cents):>10}  "
                    f"{row.days_past_due:>4} days  {row.premise.route}  {row.premise.address}"
                )
            for row in listing.rows:
                if not row.decision.eligible:
                    click.echo(
                        f"  skip {numbers.display(row.account.number)}  {rules.money(row.past_due_cents):>10}  "
                        f"{'; '.join(row.decision.reasons)}"
                    )
            if create_orders:
                try:
                    created = await cutoff.create_orders(session, actor, policy, when, settings.timezone, forecast_high)
                except DomainError as exc:
                    raise click.ClickException(exc.message) from exc
                click.echo(f"Created {len(created)} disconnect orders.")
            if recheck:
                cancelled = await cutoff.recheck(session, actor, policy, when, settings.timezone)
                click.echo(f"Recheck cancelled {len(cancelled)} disconnect orders.")

    asyncio.run(run_job(settings.database_url, job))


@click.command("arrangements-check")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day to check as (default: today).",
)
def arrangements_check(day: dt.datetime | None) -> None:
    """Mark payment arrangements completed (paid) or broken (a missed payment or a returned one) and notify each
    customer; a broken arrangement's account goes back on the cut-off list."""
    from portal.accounts.actor import Actor
    from portal.db import run_job, transaction

    from . import arrangements

    settings = Settings.from_env()
    when = day.date() if day else dt.datetime.now(ZoneInfo(settings.timezone)).date()

    async def job(maker: async_sessionmaker[AsyncSession]) -> arrangements.CheckTally:
        async with transaction(maker) as session:
            return await arrangements.check(session, Actor.job("arrangements-check"), on=when)

    tally = asyncio.run(run_job(settings.database_url, job))
    click.echo(
        f"Arrangements checked on {when.isoformat()}: {tally.checked} active, {tally.completed} completed, "
        f"{tally.broken} broken, {tally.notified} customers notified."
    )


COMMANDS = [cutoff_list, arrangements_check]
