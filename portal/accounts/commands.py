"""Account jobs for cron: `portal deposits-check --date D`, `portal close-settled` (each safe to run twice, or on two
machines at once)."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.settings import Settings


@click.command("deposits-check")
@click.option(
    "--date",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day to check as (YYYY-MM-DD); today when left out.",
)
def deposits_check(on: dt.datetime | None) -> None:
    """Mark billed deposits paid (held) or unpaid again after a bank return, and apply each held deposit whose
    account paid its bills on time for the policy's run (12 by default) to the balance."""
    from portal.accounts import deposits
    from portal.accounts.actor import Actor
    from portal.accounts.policy import current_policy
    from portal.db import run_job, transaction

    settings = Settings.from_env()
    when = on.date() if on else dt.datetime.now(ZoneInfo(settings.timezone)).date()

    async def job(maker: async_sessionmaker[AsyncSession]) -> deposits.DepositCheck:
        async with transaction(maker) as session:
            return await deposits.check(session, Actor.job("deposits-check"), current_policy(), on=when)

    tally = asyncio.run(run_job(settings.database_url, job))
    click.echo(
        f"Deposits checked on {when.isoformat()}: {tally.checked} open, {tally.now_held} now held, "
        f"{tally.unpaid_again} unpaid again, {tally.returned} returned after a good record "
        f"(${tally.returned_cents / 100:,.2f} applied to balances)."
    )


@click.command("close-settled")
def close_settled() -> None:
    """Close every final account whose final bill has gone out and whose balance is zero (payments, refunds,
    adjustments and transfers close them as they happen; this catches any other way a balance reached zero)."""
    from portal.accounts import service_state
    from portal.accounts.actor import Actor
    from portal.db import run_job, transaction

    settings = Settings.from_env()
    today = dt.datetime.now(ZoneInfo(settings.timezone)).date()

    async def job(maker: async_sessionmaker[AsyncSession]) -> list[int]:
        async with transaction(maker) as session:
            return await service_state.close_settled(session, Actor.job("close-settled"), today=today)

    closed = asyncio.run(run_job(settings.database_url, job))
    click.echo(f"Closed {len(closed):,} settled final account(s).")


COMMANDS = [deposits_check, close_settled]
