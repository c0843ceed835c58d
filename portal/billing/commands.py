"""`portal bill-run` and `portal late-fees`: jobs that move money, safe to run twice or on two machines at once."""

from __future__ import annotations

import asyncio
import datetime as dt

import click

from portal.accounts.messages import Mailer
from portal.settings import Settings


def _date(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else dt.date.today()
    except ValueError as exc:
        raise click.BadParameter("use YYYY-MM-DD") from exc


@click.command("bill-run")
@click.option("--cycle", type=click.IntRange(1, 31), required=True, help="Billing cycle (premises' read cycle).")
@click.option("--date", "on", default=None, help="Period end and bill date, YYYY-MM-DD (default today).")
@click.option(
    "--jobs",
    type=click.IntRange(1, 16),
    default=1,
    show_default=True,
    help="Worker processes (PostgreSQL; SQLite always runs one).",
)
@click.pass_obj
def bill_run_command(mailer: Mailer, cycle: int, on: str | None, jobs: int) -> None:
    """Bill every account of a cycle once for the period ending on DATE (running it again bills nobody twice)."""
    from portal.accounts.policy import current_policy

    from .run import run_processes

    settings = Settings.from_env()
    result = run_processes(
        settings.database_url,
        cycle,
        _date(on),
        current_policy(),
        mailer=mailer,
        jobs=jobs,
        public_url=settings.public_url,
        timezone=settings.timezone,
    )
    click.echo(f"Bill run, cycle {cycle}, {_date(on).isoformat()}: {result.summary()}")


@click.command("late-fees")
@click.option("--date", "on", default=None, help="Run date, YYYY-MM-DD (default today).")
def late_fees_command(on: str | None) -> None:
    """Charge late fees on bills that fell past due (once per bill, never on a fee, not during an extension)."""
    from portal.accounts.policy import current_policy
    from portal.db import run_job

    from .late_fees import late_fee_run

    settings = Settings.from_env()
    result = asyncio.run(
        run_job(settings.database_url, lambda maker: late_fee_run(maker, _date(on), current_policy(), click.echo))
    )
    click.echo(f"Late fees, {_date(on).isoformat()}: {result.summary()}")


COMMANDS = [bill_run_command, late_fees_command]
