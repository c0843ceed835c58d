"""`portal bill-run` and `portal late-fees`: jobs that move money. Each is a body the schedule runs (JOBS) and a
command that takes the same claim (portal/jobs), so a run for a date happens once however it is started."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click

from portal.accounts.messages import Mailer
from portal.settings import Settings

if TYPE_CHECKING:
    from portal.jobs.engine import JobBody, JobContext

    from .late_fees import LateFeeResult
    from .run import RunResult


def _date(value: str | None) -> dt.date:
    try:
        if value:
            return dt.date.fromisoformat(value)
        return dt.datetime.now(ZoneInfo(Settings.from_env().timezone)).date()
    except ValueError as exc:
        raise click.BadParameter("use YYYY-MM-DD") from exc


def _counts(result: RunResult | LateFeeResult) -> dict[str, Any]:
    counts = {key: value for key, value in dataclasses.asdict(result).items() if isinstance(value, int)}
    counts.update({f"skipped_{k}": v for k, v in getattr(result, "skipped", {}).items()})
    counts.update({f"held_{k}": v for k, v in getattr(result, "held", {}).items()})
    return counts


async def bill_run_job(ctx: JobContext, processes: int = 1) -> Mapping[str, Any]:
    """The cycle's bill run for the period ending on the business date (the cycle's read day)."""
    from .run import bill_run, run_processes

    cycle = ctx.job.cycle
    if cycle is None:
        raise ValueError(f"{ctx.job.name} names no cycle")
    settings = ctx.settings
    if processes > 1 and not settings.is_sqlite:
        # Several processes (the command's --jobs): each prints its own progress.
        result = await asyncio.to_thread(
            run_processes,
            settings.database_url,
            cycle,
            ctx.day,
            ctx.policy,
            mailer=ctx.mailer,
            jobs=processes,
            public_url=settings.public_url,
            timezone=settings.timezone,
            phone=settings.utility_phone,
        )
    else:
        result = await bill_run(
            ctx.maker,
            cycle,
            ctx.day,
            ctx.policy,
            mailer=ctx.mailer,
            public_url=settings.public_url,
            timezone=settings.timezone,
            phone=settings.utility_phone,
            progress=ctx.progress,
        )
    ctx.echo(f"Bill run, cycle {cycle}, {ctx.day.isoformat()}: {result.summary()}")
    return _counts(result)


async def late_fees_job(ctx: JobContext) -> Mapping[str, Any]:
    from .late_fees import late_fee_run

    result = await late_fee_run(ctx.maker, ctx.day, ctx.policy, ctx.progress)
    ctx.echo(f"Late fees, {ctx.day.isoformat()}: {result.summary()}")
    return _counts(result)


JOBS: dict[str, JobBody] = {"bill-run": bill_run_job, "late-fees": late_fees_job}


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
    """Bill every account of a cycle once for the period ending on DATE (the run for a cycle and date happens once:
    a second run, here or by the schedule, does nothing)."""
    from portal.jobs import schedule
    from portal.jobs.command import run_from_cli

    name = f"bill-run-cycle-{cycle}"
    if name not in schedule.BY_NAME:
        raise click.ClickException(f"Cycle {cycle} is not in the schedule (cycles {sorted(schedule.BILL_CYCLE_DAYS)}).")

    async def body(ctx: JobContext) -> Mapping[str, Any]:
        return await bill_run_job(ctx, processes=jobs)

    run_from_cli(name, _date(on), mailer, body)


@click.command("late-fees")
@click.option("--date", "on", default=None, help="Run date, YYYY-MM-DD (default today).")
@click.pass_obj
def late_fees_command(mailer: Mailer, on: str | None) -> None:
    """Charge late fees on bills that fell past due (once per bill, never on a fee, not during an extension)."""
    from portal.jobs.command import run_from_cli

    run_from_cli("late-fees", _date(on), mailer)


COMMANDS = [bill_run_command, late_fees_command]
