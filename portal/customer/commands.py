"""Resident-side jobs: `portal extensions-check --date D` (safe to run twice, or on two machines at once)."""

from __future__ import annotations

import asyncio
import datetime as dt

import click

from portal.accounts.messages import Mailer
from portal.settings import Settings


async def _extensions_check(settings: Settings, on: dt.date, mailer: Mailer) -> None:
    from portal.accounts import extensions
    from portal.accounts.actor import Actor
    from portal.db import make_engine, make_sessionmaker, transaction

    engine = make_engine(settings.database_url)
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            tally = await extensions.check(session, Actor.job("extensions-check"), on=on, mailer=mailer)
    finally:
        await engine.dispose()
    click.echo(
        f"Extensions checked on {on.isoformat()}: {tally.checked} active, {tally.kept} kept, "
        f"{tally.broken} broken, {tally.notified} residents notified."
    )


@click.command("extensions-check")
@click.option(
    "--date",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day to check as (YYYY-MM-DD); today when left out.",
)
@click.pass_obj
def extensions_check(mailer: Mailer, on: dt.datetime | None) -> None:
    """Mark payment extensions kept (paid) or broken (date passed unpaid) and notify each resident."""
    asyncio.run(_extensions_check(Settings.from_env(), on.date() if on else dt.date.today(), mailer))


COMMANDS = [extensions_check]
