"""Account jobs: `portal deposits-check --date D`, `portal close-settled`. Each is a body the schedule runs (JOBS) and
a command that takes the same claim (portal/jobs), so a date's run happens once however it is started."""

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


async def deposits_job(ctx: JobContext) -> Mapping[str, Any]:
    from portal.accounts import deposits
    from portal.accounts.actor import Actor
    from portal.db import transaction
    from portal.jobs.command import tally

    async with transaction(ctx.maker) as session:
        found = await deposits.check(session, Actor.job("deposits-check"), ctx.policy, on=ctx.day)
    ctx.echo(
        f"Deposits checked on {ctx.day.isoformat()}: {found.checked} open, {found.now_held} now held, "
        f"{found.unpaid_again} unpaid again, {found.returned} returned after a good record "
        f"(${found.returned_cents / 100:,.2f} applied to balances)."
    )
    return tally(found)


async def close_settled_job(ctx: JobContext) -> Mapping[str, Any]:
    from portal.accounts import service_state
    from portal.accounts.actor import Actor
    from portal.db import transaction

    async with transaction(ctx.maker) as session:
        closed = await service_state.close_settled(session, Actor.job("close-settled"), today=ctx.day)
    ctx.echo(f"Closed {len(closed):,} settled final account(s).")
    return {"closed": len(closed)}


JOBS: dict[str, JobBody] = {"deposits-check": deposits_job, "close-settled": close_settled_job}


def _today() -> dt.date:
    return dt.datetime.now(ZoneInfo(Settings.from_env().timezone)).date()


@click.command("deposits-check")
@click.option(
    "--date",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day to check as (YYYY-MM-DD); today when left out.",
)
@click.pass_obj
def deposits_check(mailer: Mailer, on: dt.datetime | None) -> None:
    """Mark billed deposits paid (held) or unpaid again after a bank return, and apply each held deposit whose
    account paid its bills on time for the policy's run (12 by default) to the balance."""
    from portal.jobs.command import run_from_cli

    run_from_cli("deposits-check", on.date() if on else _today(), mailer)


@click.command("close-settled")
@click.pass_obj
def close_settled(mailer: Mailer) -> None:
    """Close every final account whose final bill has gone out and whose balance is zero (payments, refunds,
    adjustments and transfers close them as they happen; this catches any other way a balance reached zero)."""
    from portal.jobs.command import run_from_cli

    run_from_cli("close-settled", _today(), mailer)


COMMANDS = [deposits_check, close_settled]
