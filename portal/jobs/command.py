"""The jobs' click commands run through the same claim as the schedule: `portal late-fees --date D` typed while a
worker runs it (or after it ran) does nothing and says so; a failed run may be run again by hand."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

import click

from portal.accounts.messages import Mailer
from portal.settings import Settings

from .engine import LOST, Env, JobBody, Outcome, execute, job_spec


def tally(value: Any) -> dict[str, Any]:
    """A job's tally dataclass as the run's counts (numbers only)."""
    return {
        key: item for key, item in dataclasses.asdict(value).items() if isinstance(item, int | float | dict | Mapping)
    }


def run_from_cli(name: str, day: dt.date, mailer: Mailer, body: JobBody | None = None) -> Outcome:
    """Claim and run one job from a terminal, printing its progress; the exit status says whether it failed."""
    from portal.accounts.policy import current_policy
    from portal.db import make_engine, make_sessionmaker

    from . import catalog

    settings = Settings.from_env()
    job = job_spec(name)

    async def go() -> Outcome:
        engine = make_engine(settings.database_url)
        try:
            bodies = {job.kind: body} if body is not None else catalog.bodies()
            env = Env(make_sessionmaker(engine), settings, current_policy(), mailer, bodies)
            return await execute(env, name, day, "cli", "cli", echo=click.echo)
        finally:
            await engine.dispose()

    outcome = asyncio.run(go())
    if not outcome.claimed:
        click.echo(
            f"{name} for {day.isoformat()} already ran or is running (run {outcome.run_id}, {outcome.outcome}): "
            "nothing done."
        )
    elif outcome.outcome == LOST:
        raise click.ClickException(f"{name} for {day.isoformat()} stopped: its claim was taken again by another run")
    elif outcome.outcome == "waiting":
        click.echo(f"{name} for {day.isoformat()} is waiting ({outcome.error}); the schedule takes it again.")
    elif outcome.outcome == "failed":
        raise click.ClickException(f"{name} for {day.isoformat()} failed: {outcome.error}")
    elif outcome.outcome == "skipped":
        click.echo(f"{name} for {day.isoformat()} skipped: {outcome.error}")
    return outcome
