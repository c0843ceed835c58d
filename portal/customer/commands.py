"""Resident-side jobs: `portal extensions-check --date D`, the body the schedule runs (JOBS) and a command that takes
the same claim (portal/jobs), so a date's run happens once however it is started."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click

from portal.accounts.messages import Mailer
from portal.settings import Settings

if TYPE_CHECKING:
    from portal.jobs.engine import JobBody, JobContext


async def extensions_job(ctx: JobContext) -> Mapping[str, Any]:
    from portal.accounts import extensions
    from portal.accounts.actor import Actor
    from portal.db import transaction
    from portal.jobs.command import tally

    async with transaction(ctx.maker) as session:
        found = await extensions.check(
            session, Actor.job("extensions-check"), on=ctx.day, mailer=ctx.mailer, phone=ctx.settings.utility_phone
        )
    ctx.echo(
        f"Extensions checked on {ctx.day.isoformat()}: {found.checked} active, {found.kept} kept, "
        f"{found.broken} broken, {found.notified} residents notified."
    )
    return tally(found)


JOBS: dict[str, JobBody] = {"extensions-check": extensions_job}


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
    from portal.jobs.command import run_from_cli

    today = dt.datetime.now(ZoneInfo(Settings.from_env().timezone)).date()
    run_from_cli("extensions-check", on.date() if on else today, mailer)


COMMANDS = [extensions_check]
