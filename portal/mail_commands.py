"""The outbox's job: `portal text-status-check`, the daily check of texts whose Twilio status callback never came
(docs/operations.md, "The outbox"). A body the schedule runs (JOBS) and a command that takes the same claim."""

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


async def text_status_job(ctx: JobContext) -> Mapping[str, Any]:
    from portal import mail, sms
    from portal.jobs.engine import JobSkipped

    if not sms.configured(ctx.settings):
        raise JobSkipped("text messages are not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM)")
    counts = await mail.check_text_statuses(ctx.maker, ctx.settings)
    ctx.echo(
        f"Texts checked with Twilio: {counts['checked']:,}, a status recorded for {counts['recorded']:,}, "
        f"{counts['unreachable']:,} could not be asked."
    )
    if counts["unreachable"] and not counts["checked"]:
        raise RuntimeError(f"Twilio could not be asked about any of {counts['unreachable']:,} text(s)")
    return counts


JOBS: dict[str, JobBody] = {"text-status-check": text_status_job}


@click.command("text-status-check")
@click.option(
    "--date",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The run's date in the run ledger (YYYY-MM-DD); today when left out.",
)
@click.pass_obj
def text_status_check(mailer: Mailer, on: dt.datetime | None) -> None:
    """Ask Twilio for the status of texts sent more than 30 minutes ago (in the last 7 days) that are still "sent",
    and record it as the lost status callback would have."""
    from portal.jobs.command import run_from_cli

    day = on.date() if on else dt.datetime.now(ZoneInfo(Settings.from_env().timezone)).date()
    run_from_cli("text-status-check", day, mailer)


COMMANDS = [text_status_check]
